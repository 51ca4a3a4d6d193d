//! What the app says for each of the server's error codes: one sentence a tired parent can act on.

use crate::api::ApiError;
use shared::sensor::format_duration;

/// The sentence for `error`. `retry_in` is the live countdown (seconds left) for waits the server announced.
pub fn explain(error: &ApiError, retry_in: Option<i64>) -> String {
    let wait = retry_in.filter(|&s| s > 0).map(format_duration);
    let again = |what: &str| match &wait {
        Some(w) => format!("{what} Try again in {w}."),
        None => format!("{what} You can try again now."),
    };
    match error.code() {
        "bad_credentials" => "Wrong e-mail or password. Check them before trying again: LibreLinkUp locks the \
                              account for 5 minutes after 3 wrong tries."
            .into(),
        "login_paused" => again(
            "To protect the account from LibreLinkUp's lockout, sign-ins for this e-mail are paused after a wrong \
             password.",
        ),
        "locked" => again("LibreLinkUp has locked this account after too many sign-in attempts."),
        "rate_limited" => again("LibreLinkUp asks us to slow down."),
        "edge_blocked" => again(
            "LibreLinkUp's firewall is refusing this Tidewatch server for now. The sensor data are safe; the \
             LibreLinkUp phone app still works.",
        ),
        "maintenance" => again("LibreLinkUp is down for maintenance."),
        "protocol_changed" => "LibreLinkUp changed how it answers (LibreLinkUp 5), and this Tidewatch server cannot \
                               read it yet. The LibreLinkUp app still shows the readings; whoever runs this server \
                               has been alerted."
            .into(),
        "accept_new_documents" => "LibreLinkUp has new terms to accept. Open the LibreLinkUp app, sign out and in \
                                   again, accept the new terms, then sign in here again (in two minutes at most)."
            .into(),
        "minimum_version" => "LibreLinkUp wants a newer app version than this server sends. Whoever runs this \
                              server can raise LLU_VERSION (see the README)."
            .into(),
        "network" => "No connection to the Tidewatch server. Check the phone's internet connection.".into(),
        "no_session" | "session_invalid" | "session_expired" | "session_revoked" | "wrong_session" => {
            "Please sign in again.".into()
        }
        "patient_not_found" | "not_connected" => {
            "This person no longer shares their data with this account (or has not accepted the invitation).".into()
        }
        "unknown_region" => "LibreLinkUp sent this account to a region Tidewatch does not know.".into(),
        // The server names the person to ask ("Ask Alex to sign in to Tidewatch again …").
        "owner_signed_out" | "share_gone" | "patient_not_followed" | "too_many_shares" => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "This shared link cannot show anything right now.".into(),
        },
        "share_rate_limited" => again("Too many links that do not work were tried from here."),
        "too_many_logins" => again("Too many sign-ins from this network (to protect LibreLinkUp accounts)."),
        "push_rate_limited" => again("Too many alarm requests from this phone."),
        // The server says what it refused and what to do ("This phone was removed from these alarms …").
        "account_not_allowed"
        | "demo_off"
        | "phone_removed"
        | "push_endpoint_taken"
        | "push_full"
        | "alarms_not_shared"
        | "logbook_not_shared"
        | "sign_out_failed"
        | "alarms_not_started" => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "This Tidewatch server refused that.".into(),
        },
        "bad_request" => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "Enter the e-mail and password of the LibreLinkUp account.".into(),
        },
        "origin_not_allowed" | "not_configured" | "internal" => {
            "This Tidewatch server is not set up correctly. Tell whoever runs it.".into()
        }
        _ => again("LibreLinkUp is not answering properly."),
    }
}

/// Why the server as a whole cannot reach LibreLinkUp, for the banner over the follow page: only for the errors of
/// LibreLinkUp itself (its edge, its maintenance, its protocol), never for one account's (a lockout, a rate limit,
/// new terms), which the page's own error note explains.
pub fn outage(code: &str) -> Option<&'static str> {
    Some(match code {
        "edge_blocked" => "LibreLinkUp's firewall is refusing this Tidewatch server",
        "maintenance" => "LibreLinkUp is down for maintenance",
        "protocol_changed" => "LibreLinkUp changed its protocol, which this Tidewatch server cannot read yet",
        "minimum_version" => "LibreLinkUp wants a newer app version than this Tidewatch server sends",
        "unavailable" | "upstream_unreachable" => "LibreLinkUp's servers are not answering",
        "malformed" | "unexpected" | "redirect_loop" => "LibreLinkUp answers in a way this server does not understand",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: &str) -> ApiError {
        ApiError::Server { http: 400, code: code.into(), message: String::new(), retry_after_secs: None }
    }

    #[test]
    fn each_code_has_its_own_sentence() {
        let codes = [
            "bad_credentials",
            "login_paused",
            "locked",
            "edge_blocked",
            "maintenance",
            "minimum_version",
            "accept_new_documents",
            "protocol_changed",
        ];
        let sentences: Vec<String> = codes.iter().map(|c| explain(&server(c), None)).collect();
        for (i, a) in sentences.iter().enumerate() {
            assert!(sentences.iter().skip(i + 1).all(|b| a != b), "{a}");
        }
        assert!(explain(&server("bad_credentials"), None).contains("3 wrong tries"));
        assert_eq!(explain(&ApiError::Network, None), explain(&ApiError::Network, Some(5)));
    }

    #[test]
    fn this_servers_own_refusals_are_not_blamed_on_librelinkup() {
        let generic = explain(&server("something_new"), None);
        let codes = ["too_many_logins", "push_rate_limited", "account_not_allowed", "phone_removed", "push_full"];
        for code in codes.into_iter().chain(["sign_out_failed"]) {
            assert_ne!(explain(&server(code), None), generic, "{code}");
        }
        let removed = ApiError::Server {
            http: 403,
            code: "phone_removed".into(),
            message: "This phone was removed from these alarms.".into(),
            retry_after_secs: None,
        };
        assert_eq!(explain(&removed, None), "This phone was removed from these alarms.");
    }

    #[test]
    fn only_librelinkups_own_failures_make_an_outage() {
        for code in ["edge_blocked", "maintenance", "protocol_changed", "upstream_unreachable", "unavailable"] {
            assert!(outage(code).is_some_and(|why| why.starts_with("LibreLinkUp")), "{code}");
        }
        for code in ["rate_limited", "locked", "accept_new_documents", "session_expired", "network", "bad_credentials"]
        {
            assert_eq!(outage(code), None, "{code}");
        }
    }

    #[test]
    fn waits_count_down() {
        assert!(explain(&server("locked"), Some(125)).ends_with("Try again in 3 min."));
        assert!(explain(&server("locked"), Some(0)).ends_with("You can try again now."));
    }
}
