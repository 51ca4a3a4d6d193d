//! Every failure the worker answers with: a stable `code` the app shows a message for, an HTTP status that fits,
//! and LLU's own `status` number where LLU has one, so LLU clients (which check `status != 0`) keep working.
//!
//! Body: `{"status": <n>, "error": {"code": "...", "message": "...", "retryAfterSecs": n}}`.

use shared::code::Code;
use shared::llu::{MalformedReason, Outcome};

use crate::seal::SealError;
#[cfg(test)]
use crate::wire;

/// One error answer.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct ApiError {
    /// The HTTP status.
    pub http: u16,
    /// The stable machine code (the app maps it to a message).
    pub code: Code,
    /// What a person should read.
    pub message: String,
    /// When the call may be tried again, in seconds (also sent as `Retry-After`).
    pub retry_after_secs: Option<u32>,
    /// LLU's body `status` for this case (2, 4, 429, 911, 920), else the HTTP status.
    pub llu_status: i64,
}

/// `Result` with an [`ApiError`].
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with no LLU counterpart.
    pub fn new(http: u16, code: Code, message: &str) -> ApiError {
        ApiError { http, code, message: message.to_owned(), retry_after_secs: None, llu_status: i64::from(http) }
    }

    /// The same error, to be retried after `secs`.
    #[must_use]
    pub fn retry_after(mut self, secs: u32) -> ApiError {
        self.retry_after_secs = Some(secs);
        self
    }

    /// The same error with LLU's status number.
    #[must_use]
    pub fn llu_status(mut self, status: i64) -> ApiError {
        self.llu_status = status;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut error = serde_json::json!({"code": self.code.as_str(), "message": self.message});
        if let (Some(secs), Some(object)) = (self.retry_after_secs, error.as_object_mut()) {
            object.insert("retryAfterSecs".into(), secs.into());
        }
        serde_json::json!({"status": self.llu_status, "error": error})
    }

    /// 404 for anything the worker does not serve.
    pub fn not_found() -> ApiError {
        ApiError::new(404, Code::NotFound, "There is nothing at this address.")
    }

    /// 405 for a known path with the wrong method.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(405, Code::MethodNotAllowed, "This address does not accept that method.")
    }

    /// 400 for a request the worker cannot read.
    pub fn bad_request(message: &str) -> ApiError {
        ApiError::new(400, Code::BadRequest, message)
    }

    /// 413 for a body over the limit.
    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(413, Code::PayloadTooLarge, &format!("Request bodies are limited to {} KiB.", limit / 1024))
    }

    /// 403 for a cross-origin request from an origin not in `ALLOWED_ORIGINS`.
    pub fn origin_not_allowed() -> ApiError {
        ApiError::new(403, Code::OriginNotAllowed, "This origin may not call this server (see ALLOWED_ORIGINS).")
    }

    /// 401 when no session was sent.
    pub fn no_session() -> ApiError {
        ApiError::new(401, Code::NoSession, "Sign in first.")
    }

    /// 403 when a session of the wrong kind was sent (a step token on a data call, say).
    pub fn wrong_session(message: &str) -> ApiError {
        ApiError::new(403, Code::WrongSession, message)
    }

    /// 429 after a failed login: the worker refuses further attempts for this e-mail for a while.
    pub fn login_paused(secs: u32) -> ApiError {
        ApiError::new(
            429,
            Code::LoginPaused,
            "Wait before trying again: LibreLinkUp locks the account after 3 wrong passwords in a minute.",
        )
        .retry_after(secs.max(1))
    }

    /// 500 when the worker is not configured (no or bad `SESSION_KEY`).
    pub fn not_configured(message: &str) -> ApiError {
        ApiError::new(500, Code::NotConfigured, message)
    }

    /// 502 when the upstream could not be reached at all.
    pub fn upstream_unreachable() -> ApiError {
        ApiError::new(502, Code::UpstreamUnreachable, "LibreLinkUp could not be reached. Try again in a minute.")
            .retry_after(60)
    }

    /// What a caller may be told of this error, and what only the operator's log should hold: a configuration
    /// error's detail (which var is missing or weak, what WebCrypto said of the VAPID keys) is for the log; the
    /// caller learns only that the server is not configured.
    pub fn for_caller(self) -> (ApiError, Option<String>) {
        if self.code == Code::NotConfigured {
            let detail = self.message.clone();
            let public = ApiError {
                message: "This Tidewatch server is not set up correctly; whoever runs it can see why in its log."
                    .into(),
                ..self
            };
            (public, Some(detail))
        } else {
            (self, None)
        }
    }

    /// 500 for a failure inside the worker.
    pub fn internal() -> ApiError {
        ApiError::new(500, Code::Internal, "Something went wrong inside Tidewatch's server.")
    }

    /// The error for an upstream [`Outcome`] that is not a success, a redirect or a step.
    pub fn from_outcome(outcome: &Outcome) -> ApiError {
        let retry = match outcome.retry() {
            shared::llu::Retry::AfterSecs(secs) => Some(secs),
            _ => None,
        };
        let (http, llu_status, message): (u16, Option<i64>, &str) = match outcome {
            Outcome::BadCredentials => (
                401,
                Some(2),
                "Wrong e-mail or password. LibreLinkUp locks the account after 3 wrong tries, so check them \
                 before trying again.",
            ),
            Outcome::Locked { .. } => (
                429,
                Some(429),
                "LibreLinkUp has locked this account after too many wrong passwords. Wait, then try again.",
            ),
            Outcome::RateLimited { .. } => {
                (429, None, "LibreLinkUp asks this account to slow down. Tidewatch waits before asking again.")
            }
            Outcome::MinimumVersion { .. } => {
                (502, Some(920), "LibreLinkUp wants a newer app version than this server sends (LLU_VERSION).")
            }
            Outcome::Maintenance => (503, Some(911), "LibreLinkUp is down for maintenance. Try again later."),
            Outcome::EdgeBlocked => (
                502,
                None,
                "LibreLinkUp's firewall blocked this server. Tidewatch tries again within a minute, and less often \
                 while the block lasts.",
            ),
            Outcome::ProtocolChanged { .. } => (
                502,
                None,
                "LibreLinkUp changed its protocol (LibreLinkUp 5); this server cannot read it yet. The LibreLinkUp \
                 app still shows the readings.",
            ),
            Outcome::NewDocuments => (
                403,
                Some(430),
                "LibreLinkUp has new terms to accept. Open the LibreLinkUp app, sign out and in again, accept the \
                 new terms, then sign in here again.",
            ),
            Outcome::Unavailable { .. } => (503, None, "LibreLinkUp is not answering properly. Try again in a minute."),
            Outcome::InvalidToken | Outcome::MissingCachedUser => {
                (401, None, "LibreLinkUp ended this session. Sign in again.")
            }
            Outcome::PatientNotFound => {
                (404, Some(4), "LibreLinkUp could not load this person. Are they still sharing with you?")
            }
            Outcome::NotConnected => (404, Some(4), "This account does not follow that person."),
            Outcome::UnknownRegion { .. } => {
                (502, None, "LibreLinkUp sent this account to a region Tidewatch does not know.")
            }
            Outcome::RequiredHeaderMissing | Outcome::AccountIdMismatch => {
                (502, None, "LibreLinkUp refused Tidewatch's request headers. Please report this.")
            }
            Outcome::Malformed { reason: MalformedReason::TooLarge } => {
                (502, None, "LibreLinkUp sent an answer too large to read.")
            }
            Outcome::Malformed { .. } => (502, None, "LibreLinkUp sent an answer Tidewatch cannot read."),
            Outcome::Unexpected { .. } => (502, None, "LibreLinkUp answered with an error Tidewatch does not know."),
            Outcome::Step { .. } => (403, Some(4), "LibreLinkUp asks you to accept new documents first."),
            Outcome::Success { .. } | Outcome::Redirect { .. } => (500, None, "Internal error."),
        };
        let code = match outcome {
            Outcome::InvalidToken | Outcome::MissingCachedUser => Code::SessionExpired,
            other => other.error_code(),
        };
        ApiError {
            http,
            code,
            message: message.to_owned(),
            retry_after_secs: retry,
            llu_status: llu_status.unwrap_or(i64::from(http)),
        }
    }

    /// The error for a sealed token that did not open.
    pub fn from_seal(error: SealError) -> ApiError {
        let (code, message) = match error {
            SealError::Malformed => (Code::SessionInvalid, "That is not a Tidewatch session. Sign in again."),
            SealError::Tampered => (Code::SessionInvalid, "The session token was altered. Sign in again."),
            SealError::ForeignKey => (
                Code::SessionRevoked,
                "This server's sessions were reset (or the token is from another server). Sign in again.",
            ),
            SealError::Expired => (Code::SessionExpired, "The session has expired. Sign in again."),
        };
        ApiError::new(401, code, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upstream_failure_has_a_fitting_status_and_code() {
        let cases = [
            (Outcome::BadCredentials, 401, "bad_credentials", 2, None),
            (Outcome::Locked { retry_after_secs: 300 }, 429, "locked", 429, Some(300)),
            (Outcome::RateLimited { retry_after_secs: 30 }, 429, "rate_limited", 429, Some(30)),
            (Outcome::MinimumVersion { version: None }, 502, "minimum_version", 920, None),
            (Outcome::Maintenance, 503, "maintenance", 911, Some(300)),
            (Outcome::EdgeBlocked, 502, "edge_blocked", 502, Some(900)),
            (Outcome::NewDocuments, 403, "accept_new_documents", 430, Some(120)),
            (Outcome::ProtocolChanged { encrypted: true }, 502, "protocol_changed", 502, Some(600)),
            (Outcome::Unavailable { http_status: 503 }, 503, "unavailable", 503, Some(60)),
            (Outcome::InvalidToken, 401, "session_expired", 401, None),
            (Outcome::MissingCachedUser, 401, "session_expired", 401, None),
            (Outcome::PatientNotFound, 404, "patient_not_found", 4, None),
            (Outcome::NotConnected, 404, "not_connected", 4, None),
            (Outcome::UnknownRegion { region: "xx".into() }, 502, "unknown_region", 502, None),
            (Outcome::AccountIdMismatch, 502, "account_id_mismatch", 502, None),
            (Outcome::RequiredHeaderMissing, 502, "required_header_missing", 502, None),
            (Outcome::Malformed { reason: MalformedReason::NotJson }, 502, "malformed", 502, Some(60)),
            (Outcome::Unexpected { http_status: 400, message: "x".into() }, 502, "unexpected", 502, Some(60)),
        ];
        for (outcome, http, code, llu, retry) in cases {
            let error = ApiError::from_outcome(&outcome);
            assert_eq!(
                (error.http, error.code.as_str(), error.llu_status, error.retry_after_secs),
                (http, code, llu, retry)
            );
            assert!(!error.message.is_empty());
            let body = error.body();
            assert_eq!(body["error"]["code"], code);
            assert_ne!(body["status"], 0, "an error must never look like LLU's success");
        }
    }

    #[test]
    fn seal_errors_are_all_401_with_distinct_codes() {
        let codes: Vec<_> = [SealError::Malformed, SealError::ForeignKey, SealError::Expired]
            .into_iter()
            .map(|e| {
                let error = ApiError::from_seal(e);
                assert_eq!(error.http, 401);
                error.code
            })
            .collect();
        assert_eq!(codes, [Code::SessionInvalid, Code::SessionRevoked, Code::SessionExpired]);
    }

    #[test]
    fn errors_cross_between_objects_unchanged() {
        for error in [ApiError::login_paused(42), ApiError::internal(), ApiError::from_outcome(&Outcome::Maintenance)] {
            assert_eq!(wire::from_json::<ApiError>(&wire::to_json(&error)), Some(error));
        }
        assert_eq!(wire::from_json::<ApiError>(r#"{"http":70000,"code":"x","message":"m","llu_status":1}"#), None);
        // As earlier builds wrote it (inside a hold an account's `Hub` stores).
        let stored = r#"{"code":"login_paused","http":429,"llu_status":429,"message":"Wait before trying again:
            LibreLinkUp locks the account after 3 wrong passwords in a minute.","retry_after_secs":42}"#
            .replace("\n            ", " ");
        assert_eq!(wire::from_json::<ApiError>(&stored), Some(ApiError::login_paused(42)));
        assert_eq!(wire::to_value(&ApiError::login_paused(42)), wire::parse(&stored).unwrap());
    }

    #[test]
    fn retry_after_is_in_the_body() {
        let body = ApiError::login_paused(42).body();
        assert_eq!(body["error"]["retryAfterSecs"], 42);
        assert_eq!(body["status"], 429);
    }

    #[test]
    fn a_configuration_error_tells_the_caller_nothing_of_the_configuration() {
        let error = ApiError::not_configured("SESSION_KEY is not random (make one with `openssl rand -hex 32`)");
        let (public, detail) = error.for_caller();
        assert_eq!((public.http, public.code.as_str()), (500, "not_configured"));
        assert!(!public.message.contains("SESSION_KEY") && !public.body().to_string().contains("SESSION_KEY"));
        assert!(detail.is_some_and(|d| d.contains("SESSION_KEY is not random")), "the operator's log has it");
        let other = ApiError::bad_request("Send JSON.");
        assert_eq!(other.clone().for_caller(), (other, None), "any other error is told as it is");
    }
}
