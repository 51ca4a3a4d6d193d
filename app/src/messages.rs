//! What the app says for each of the server's error codes: one sentence a tired parent can act on.

use shared::code::Code;

use crate::api::ApiError;
use shared::sensor::format_duration;

/// The sentence for `error`. `retry_in` is the live countdown (seconds left) for waits the server announced.
pub fn explain(error: &ApiError, retry_in: Option<i64>) -> String {
    let wait = retry_in.filter(|&s| s > 0).map(format_duration);
    let again = |what: &str| match &wait {
        Some(w) => format!("{what} Try again in {w}."),
        None => format!("{what} You can try again now."),
    };
    let Some(code) = error.code() else { return again("LibreLinkUp is not answering properly.") };
    match code {
        Code::BadCredentials => "Wrong e-mail or password. Check them before trying again: LibreLinkUp locks the \
                              account for 5 minutes after 3 wrong tries."
            .into(),
        Code::LoginPaused => again(
            "To protect the account from LibreLinkUp's lockout, sign-ins for this e-mail are paused after a wrong \
             password.",
        ),
        Code::Locked => again("LibreLinkUp has locked this account after too many sign-in attempts."),
        Code::RateLimited => again("LibreLinkUp asks us to slow down."),
        Code::EdgeBlocked => again(
            "LibreLinkUp's firewall is refusing this Tidewatch server for now. The sensor data are safe; the \
             LibreLinkUp phone app still works.",
        ),
        Code::Maintenance => again("LibreLinkUp is down for maintenance."),
        Code::ProtocolChanged => {
            "LibreLinkUp changed how it answers (LibreLinkUp 5), and this Tidewatch server cannot \
                               read it yet. The LibreLinkUp app still shows the readings; whoever runs this server \
                               has been alerted."
                .into()
        }
        Code::AcceptNewDocuments => "LibreLinkUp has new terms to accept. Open the LibreLinkUp app, sign out and in \
                                   again, accept the new terms, then sign in here again (in two minutes at most)."
            .into(),
        Code::MinimumVersion => "LibreLinkUp wants a newer app version than this server sends. Whoever runs this \
                              server can raise LLU_VERSION (see the README)."
            .into(),
        Code::Network => "No connection to the Tidewatch server. Check the phone's internet connection.".into(),
        Code::NoSession | Code::SessionInvalid | Code::SessionExpired | Code::SessionRevoked | Code::WrongSession => {
            "Please sign in again.".into()
        }
        Code::PatientNotFound | Code::NotConnected => {
            "This person no longer shares their data with this account (or has not accepted the invitation).".into()
        }
        Code::UnknownRegion => "LibreLinkUp sent this account to a region Tidewatch does not know.".into(),
        // The server names the person to ask ("Ask Alex to sign in to Tidewatch again …").
        Code::OwnerSignedOut | Code::ShareGone | Code::PatientNotFollowed | Code::TooManyShares => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "This shared link cannot show anything right now.".into(),
        },
        Code::ShareRateLimited => again("Too many links that do not work were tried from here."),
        Code::TooManyLogins => again("Too many sign-ins from this network (to protect LibreLinkUp accounts)."),
        Code::PushRateLimited => again("Too many alarm requests from this phone."),
        // The server says what it refused and what to do ("This phone was removed from these alarms …").
        Code::AccountNotAllowed
        | Code::DemoOff
        | Code::PhoneRemoved
        | Code::PushEndpointTaken
        | Code::PushFull
        | Code::AlarmsNotShared
        | Code::LogbookNotShared
        | Code::SignOutFailed
        | Code::AlarmsNotStarted => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "This Tidewatch server refused that.".into(),
        },
        Code::BadRequest => match error {
            ApiError::Server { message, .. } if !message.is_empty() => message.clone(),
            _ => "Enter the e-mail and password of the LibreLinkUp account.".into(),
        },
        Code::OriginNotAllowed | Code::NotConfigured | Code::Internal => {
            "This Tidewatch server is not set up correctly. Tell whoever runs it.".into()
        }
        _ => again("LibreLinkUp is not answering properly."),
    }
}

/// Why the server as a whole cannot reach LibreLinkUp, for the banner over the follow page: only for the errors of
/// LibreLinkUp itself (its edge, its maintenance, its protocol), never for one account's (a lockout, a rate limit,
/// new terms), which the page's own error note explains.
pub fn outage(code: Code) -> Option<&'static str> {
    Some(match code {
        Code::EdgeBlocked => "LibreLinkUp's firewall is refusing this Tidewatch server",
        Code::Maintenance => "LibreLinkUp is down for maintenance",
        Code::ProtocolChanged => "LibreLinkUp changed its protocol, which this Tidewatch server cannot read yet",
        Code::MinimumVersion => "LibreLinkUp wants a newer app version than this Tidewatch server sends",
        Code::Unavailable | Code::UpstreamUnreachable => "LibreLinkUp's servers are not answering",
        Code::Malformed | Code::Unexpected | Code::RedirectLoop => {
            "LibreLinkUp answers in a way this server does not understand"
        }
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
            assert!(outage(Code::parse(code).unwrap()).is_some_and(|why| why.starts_with("LibreLinkUp")), "{code}");
        }
        for code in ["rate_limited", "locked", "accept_new_documents", "session_expired", "network", "bad_credentials"]
        {
            assert_eq!(Code::parse(code).and_then(outage), None, "{code}");
        }
    }

    #[test]
    fn waits_count_down() {
        assert!(explain(&server("locked"), Some(125)).ends_with("Try again in 3 min."));
        assert!(explain(&server("locked"), Some(0)).ends_with("You can try again now."));
    }
}
