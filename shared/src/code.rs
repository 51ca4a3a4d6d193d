//! Every error code the server answers with and the app explains: one enum, written on the wire as its snake_case
//! name (`{"error": {"code": "edge_blocked", …}}`), so the worker that writes a code and the app that matches it
//! cannot drift apart. A code the app does not know (a newer server) parses as `None` and gets the general sentence.

/// Defines [`Code`] with each variant's wire name.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)+) => {
        /// An error code (see the module).
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($(#[$doc])* $variant,)+
        }

        impl Code {
            /// Every code.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The name on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// The code of a wire name.
            pub fn parse(name: &str) -> Option<Code> {
                match name {
                    $($name => Some(Code::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

codes! {
    // LibreLinkUp's answers (`llu::Outcome::code`).
    /// It worked (health reports only).
    Success => "success",
    /// The account lives in another region.
    Redirect => "redirect",
    /// A region Tidewatch does not know.
    UnknownRegion => "unknown_region",
    /// Documents to accept or an e-mail to verify first.
    StepRequired => "step_required",
    /// Wrong e-mail or password.
    BadCredentials => "bad_credentials",
    /// Locked after too many wrong passwords.
    Locked => "locked",
    /// LibreLinkUp wants a newer app version.
    MinimumVersion => "minimum_version",
    /// LibreLinkUp missed a header Tidewatch should have sent.
    RequiredHeaderMissing => "required_header_missing",
    /// The `account-id` header did not match.
    AccountIdMismatch => "account_id_mismatch",
    /// LibreLinkUp refused the token.
    InvalidToken => "invalid_token",
    /// LibreLinkUp forgot the session's user.
    MissingCachedUser => "missing_cached_user",
    /// LibreLinkUp could not load this person.
    PatientNotFound => "patient_not_found",
    /// The account does not follow that person.
    NotConnected => "not_connected",
    /// LibreLinkUp's maintenance.
    Maintenance => "maintenance",
    /// Cloudflare in front of LibreLinkUp refused the request.
    EdgeBlocked => "edge_blocked",
    /// New terms to accept in the LibreLinkUp app (HTTP 430).
    AcceptNewDocuments => "accept_new_documents",
    /// LibreLinkUp 5's protocol.
    ProtocolChanged => "protocol_changed",
    /// LibreLinkUp asks to slow down.
    RateLimited => "rate_limited",
    /// LibreLinkUp is not answering properly.
    Unavailable => "unavailable",
    /// An error LibreLinkUp never gave before.
    Unexpected => "unexpected",
    /// An answer that cannot be read.
    Malformed => "malformed",
    /// Redirects that go round.
    RedirectLoop => "redirect_loop",
    /// LibreLinkUp could not be reached (or did not answer in time).
    UpstreamUnreachable => "upstream_unreachable",

    // The server's own.
    /// Nothing at this address.
    NotFound => "not_found",
    /// Not with that method.
    MethodNotAllowed => "method_not_allowed",
    /// A request the server cannot read.
    BadRequest => "bad_request",
    /// A body over the limit.
    PayloadTooLarge => "payload_too_large",
    /// A cross-origin request from an origin not allowed.
    OriginNotAllowed => "origin_not_allowed",
    /// The server is missing configuration.
    NotConfigured => "not_configured",
    /// Something went wrong inside the server.
    Internal => "internal",
    /// No session was presented.
    NoSession => "no_session",
    /// Not a session of this server.
    SessionInvalid => "session_invalid",
    /// The session (or LibreLinkUp's) has ended.
    SessionExpired => "session_expired",
    /// The session was signed out, or the server's keys changed.
    SessionRevoked => "session_revoked",
    /// A session of the wrong kind for this call.
    WrongSession => "wrong_session",
    /// Sign-ins for this e-mail wait after a wrong password.
    LoginPaused => "login_paused",
    /// Too many sign-ins from this network.
    TooManyLogins => "too_many_logins",
    /// This server serves only some accounts.
    AccountNotAllowed => "account_not_allowed",
    /// This server does not serve the demo.
    DemoOff => "demo_off",
    /// Signing out could not be recorded.
    SignOutFailed => "sign_out_failed",
    /// No share link was presented.
    NoShare => "no_share",
    /// No such share link.
    ShareNotFound => "share_not_found",
    /// The link was revoked or has ended.
    ShareGone => "share_gone",
    /// The link's owner must sign in again.
    OwnerSignedOut => "owner_signed_out",
    /// Too many wrong links from this network.
    ShareRateLimited => "share_rate_limited",
    /// The account has as many links as it may.
    TooManyShares => "too_many_shares",
    /// The account does not follow the person the link was to show.
    PatientNotFollowed => "patient_not_followed",
    /// The link does not share the logbook.
    LogbookNotShared => "logbook_not_shared",
    /// The link does not share alarms.
    AlarmsNotShared => "alarms_not_shared",
    /// The server has no push keys.
    PushNotConfigured => "push_not_configured",
    /// No such phone.
    PushNotFound => "push_not_found",
    /// Too many alarm requests from this phone.
    PushRateLimited => "push_rate_limited",
    /// The patient's phones are as many as they may be.
    PushFull => "push_full",
    /// That push endpoint belongs to another phone.
    PushEndpointTaken => "push_endpoint_taken",
    /// This phone was removed from the alarms.
    PhoneRemoved => "phone_removed",
    /// Background alarms could not start (the round could not take the account).
    AlarmsNotStarted => "alarms_not_started",

    // The app's own (never sent by the server).
    /// No connection to the server.
    Network => "network",
    /// An answer the app cannot read.
    MalformedAnswer => "malformed_answer",
}

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_writes_and_reads_each_code_by_its_wire_name() {
        for code in Code::ALL {
            let json = format!("\"{}\"", code.as_str());
            assert_eq!(serde_json::to_string(code).unwrap(), json);
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), *code);
        }
        assert!(serde_json::from_str::<Code>("\"a_newer_servers_code\"").is_err());
    }

    #[test]
    fn every_code_has_its_own_name_and_reads_back() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            let name = code.as_str();
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{name}");
        }
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert_eq!(Code::parse("something_new"), None);
    }
}
