//! What an upstream answer means ([`Outcome`]), which call it answered ([`Endpoint`]) and what the caller may do
//! next ([`Retry`]).

use super::*;

/// Which upstream call produced the answer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Endpoint {
    /// `POST /llu/auth/login`.
    Login,
    /// `POST /auth/continue/{tou|pp}` with a step token.
    ContinueStep,
    /// `GET /llu/connections`.
    Connections,
    /// `GET /llu/connections/{patientId}/graph`.
    Graph,
    /// `GET /llu/connections/{patientId}/logbook`.
    Logbook,
    /// `GET /llu/config/country`.
    CountryConfig,
    /// Anything else (its `data` is not checked).
    Other,
}

impl Endpoint {
    /// Whether this call authenticates with credentials rather than a token.
    pub(super) const fn uses_credentials(self) -> bool {
        matches!(self, Endpoint::Login)
    }
}

/// The typed `data` of a successful answer, by [`Endpoint`].
#[derive(Clone, PartialEq, Debug)]
pub enum Payload {
    /// A login (or `/auth/continue/*`) that succeeded.
    Login(Box<LoginSuccess>),
    /// The patients.
    Connections(Vec<Connection>),
    /// One patient's graph.
    Graph(Box<GraphData>),
    /// One patient's logbook.
    Logbook(Vec<LogbookEntry>),
    /// The country configuration.
    CountryConfig(Box<CountryConfig>),
    /// `data` of an [`Endpoint::Other`] call, unchecked (`Null` when absent).
    Other(Value),
}

/// Why a body could not be read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum MalformedReason {
    /// No bytes at all.
    Empty,
    /// More than [`MAX_BODY_BYTES`].
    TooLarge,
    /// Not JSON (binary, text, cut off, nested too deep).
    NotJson,
    /// JSON, but the top level is not an object (`null`, a number, an array, …).
    NotAnObject,
    /// A JSON object without the members LLU always sends (e.g. no numeric `status`).
    MissingStatus,
    /// Status 0, but `data` does not have the endpoint's shape.
    WrongShape,
}

impl MalformedReason {
    /// A short machine code.
    pub const fn code(self) -> &'static str {
        match self {
            MalformedReason::Empty => "empty",
            MalformedReason::TooLarge => "too_large",
            MalformedReason::NotJson => "not_json",
            MalformedReason::NotAnObject => "not_an_object",
            MalformedReason::MissingStatus => "missing_status",
            MalformedReason::WrongShape => "wrong_shape",
        }
    }
}

/// What an upstream answer means.
#[derive(Clone, PartialEq, Debug)]
pub enum Outcome {
    /// Status 0: it worked.
    Success {
        /// The fresh token LLU sends with authenticated answers (and the `authTicket` of a login), if any.
        ticket: Option<Ticket>,
        /// The typed `data`.
        payload: Payload,
    },
    /// The account lives in another region: log in again there.
    Redirect {
        /// Where.
        region: Region,
    },
    /// A redirect to a region code we do not know. Never turned into a host.
    UnknownRegion {
        /// The code, cut to 16 characters.
        region: String,
    },
    /// Status 4 with a step: the user must accept documents or verify their e-mail.
    Step {
        /// What to do.
        kind: StepKind,
        /// The 1-hour step token for `/auth/continue/{type}`; `None` if LLU did not send one.
        ticket: Option<Ticket>,
    },
    /// Wrong e-mail or password. Never retried automatically: three failures lock the account.
    BadCredentials,
    /// Too many failed logins: the account is locked for a while.
    Locked {
        /// How long (from `data.data.lockout`, default [`DEFAULT_LOCKOUT_SECS`]).
        retry_after_secs: u32,
    },
    /// The `version` header is too old.
    MinimumVersion {
        /// The version LLU asks for, when it names a sane one (digits and dots only).
        version: Option<String>,
    },
    /// A required header (`account-id`) is missing: a bug on our side.
    RequiredHeaderMissing,
    /// The `account-id` header does not match the token's user.
    AccountIdMismatch,
    /// The token is invalid or expired: log in again (once).
    InvalidToken,
    /// LLU lost the session (`MissingCachedUser`): log in again (once). Also seen with a wrong id in the path.
    MissingCachedUser,
    /// `couldNotLoadPatient`: wrong patient id or wrong regional host.
    PatientNotFound,
    /// `followerNotConnectToPatient`.
    NotConnected,
    /// Status 911 or HTTP 911: maintenance, or a login at a foreign regional host.
    Maintenance,
    /// Cloudflare (or another edge) answered instead of LLU: an HTML page, a challenge.
    EdgeBlocked,
    /// LibreLinkUp answered in the protocol of LibreLinkUp 5 (April 2026, llu-protocol.md 0), which no public client
    /// can read: an encrypted envelope (`data` a string of three dot-separated parts beside a `signature`), or its
    /// error shape (`{"code": N, "errors": [...]}`, no `status`).
    ProtocolChanged {
        /// The encrypted envelope (else the error shape).
        encrypted: bool,
    },
    /// HTTP 430: LibreLinkUp wants the person to accept new documents in its app (sign out and in there, accept
    /// the new terms); seen at sign-in after Abbott published new terms (llu-protocol.md 2.5). Not a firewall.
    NewDocuments,
    /// HTTP 429 without the lockout body: too many requests for this account or IP.
    RateLimited {
        /// From `Retry-After` (seconds), default [`DEFAULT_RATE_LIMIT_SECS`].
        retry_after_secs: u32,
    },
    /// A 5xx that is not JSON and not an edge block: LLU is down.
    Unavailable {
        /// The HTTP status.
        http_status: u16,
    },
    /// A well-formed error we do not know (ProductMismatch, the LLU 5 error shape, status 1 or 3, …).
    Unexpected {
        /// The HTTP status.
        http_status: u16,
        /// What the body said, cut to 120 characters.
        message: String,
    },
    /// A body that is not an LLU answer.
    Malformed {
        /// Why.
        reason: MalformedReason,
    },
}

/// What a caller may do after an [`Outcome`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Retry {
    /// Nothing to retry (success, or a redirect to follow).
    NotNeeded,
    /// Never automatically: only after the user changes something (credentials, the call itself).
    Never,
    /// Only after the user acts in the LLU app or explicitly consents (a step).
    AfterUserAction,
    /// Log in again, then retry once.
    AfterLogin,
    /// Retry once with the `version` LLU asked for.
    WithNewVersion,
    /// Wait this many seconds, then retry.
    AfterSecs(u32),
}

impl Outcome {
    /// The stable code of this outcome ([`Code`]), for JSON errors, app messages and health reports.
    pub const fn error_code(&self) -> Code {
        match self {
            Outcome::Success { .. } => Code::Success,
            Outcome::Redirect { .. } => Code::Redirect,
            Outcome::UnknownRegion { .. } => Code::UnknownRegion,
            Outcome::Step { .. } => Code::StepRequired,
            Outcome::BadCredentials => Code::BadCredentials,
            Outcome::Locked { .. } => Code::Locked,
            Outcome::MinimumVersion { .. } => Code::MinimumVersion,
            Outcome::RequiredHeaderMissing => Code::RequiredHeaderMissing,
            Outcome::AccountIdMismatch => Code::AccountIdMismatch,
            Outcome::InvalidToken => Code::InvalidToken,
            Outcome::MissingCachedUser => Code::MissingCachedUser,
            Outcome::PatientNotFound => Code::PatientNotFound,
            Outcome::NotConnected => Code::NotConnected,
            Outcome::Maintenance => Code::Maintenance,
            Outcome::EdgeBlocked => Code::EdgeBlocked,
            Outcome::NewDocuments => Code::AcceptNewDocuments,
            Outcome::ProtocolChanged { .. } => Code::ProtocolChanged,
            Outcome::RateLimited { .. } => Code::RateLimited,
            Outcome::Unavailable { .. } => Code::Unavailable,
            Outcome::Unexpected { .. } => Code::Unexpected,
            Outcome::Malformed { .. } => Code::Malformed,
        }
    }

    /// [`Outcome::error_code`]'s name on the wire.
    pub const fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// What the caller may do next.
    pub const fn retry(&self) -> Retry {
        match self {
            Outcome::Success { .. } | Outcome::Redirect { .. } => Retry::NotNeeded,
            Outcome::BadCredentials
            | Outcome::UnknownRegion { .. }
            | Outcome::RequiredHeaderMissing
            | Outcome::AccountIdMismatch
            | Outcome::PatientNotFound
            | Outcome::NotConnected => Retry::Never,
            Outcome::Step { .. } => Retry::AfterUserAction,
            Outcome::InvalidToken | Outcome::MissingCachedUser => Retry::AfterLogin,
            Outcome::MinimumVersion { .. } => Retry::WithNewVersion,
            Outcome::Locked { retry_after_secs } | Outcome::RateLimited { retry_after_secs } => {
                Retry::AfterSecs(*retry_after_secs)
            }
            Outcome::Maintenance => Retry::AfterSecs(MAINTENANCE_RETRY_SECS),
            Outcome::EdgeBlocked => Retry::AfterSecs(EDGE_BLOCK_RETRY_SECS),
            Outcome::NewDocuments => Retry::AfterSecs(NEW_DOCUMENTS_RETRY_SECS),
            Outcome::ProtocolChanged { .. } => Retry::AfterSecs(PROTOCOL_CHANGED_RETRY_SECS),
            Outcome::Unavailable { .. } | Outcome::Unexpected { .. } | Outcome::Malformed { .. } => {
                Retry::AfterSecs(TRANSIENT_RETRY_SECS)
            }
        }
    }

    /// Whether the caller may ever repeat the call by itself (after a wait, a re-login or a version bump).
    /// `false` for bad credentials, steps, and errors only a person or a code change can fix.
    pub const fn may_retry_automatically(&self) -> bool {
        matches!(self.retry(), Retry::AfterLogin | Retry::WithNewVersion | Retry::AfterSecs(_))
    }

    /// Whether the fix is a fresh login (the token or the session is gone).
    pub const fn needs_login(&self) -> bool {
        matches!(self, Outcome::InvalidToken | Outcome::MissingCachedUser)
    }
}
