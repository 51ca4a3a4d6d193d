//! What the worker and the `Hub` say to each other: which data, the requests (sign in, admit a sign-in, read,
//! check or sign out a session) and the answers, with their JSON.

use serde_json::Value;
use shared::llu::{Endpoint, Region, Ticket};

use crate::error::{ApiError, ApiResult};
use crate::signout::Presented;
use crate::upstream::{LoginEnd, SignIn};
/// Which data an account asks for.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Data {
    /// `/llu/connections`.
    Connections,
    /// `/llu/connections/{patient}/graph`.
    Graph(String),
    /// `/llu/connections/{patient}/logbook`.
    Logbook(String),
}

impl Data {
    pub(super) fn endpoint(&self) -> Endpoint {
        match self {
            Data::Connections => Endpoint::Connections,
            Data::Graph(_) => Endpoint::Graph,
            Data::Logbook(_) => Endpoint::Logbook,
        }
    }

    pub(super) fn path(&self) -> String {
        match self {
            Data::Connections => "/llu/connections".to_owned(),
            Data::Graph(patient) => format!("/llu/connections/{patient}/graph"),
            Data::Logbook(patient) => format!("/llu/connections/{patient}/logbook"),
        }
    }
}

/// What the worker asks the hub.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubRequest {
    /// Sign in (to the `login:` object of this e-mail).
    Login {
        /// As typed, trimmed.
        email: String,
        /// The password; never stored.
        password: String,
        /// Where the sign-in starts: the global host, or Russia's or China's, which the global host does not know.
        #[serde(default = "global")]
        entry: Region,
    },
    /// Keep this sign-in for the alarms, or forget the one kept (to the `acct:` object).
    Keep(Option<super::keep::KeptSignIn>),
    /// May one more sign-in come from this client (to its `net:` object)? At most `limit` per
    /// [`super::CLIENT_WINDOW_SECS`].
    Admit {
        /// Sign-ins allowed per window.
        limit: u32,
    },
    /// A share lookup from this client found nothing (to its `net:` object): `Admitted` while it has had at most
    /// `limit` misses in `window_secs`, then `share_rate_limited` with the time left.
    ShareMiss {
        /// Misses allowed per window.
        limit: u32,
        /// The window, seconds.
        window_secs: u32,
    },
    /// The `version` LLU last asked for (to the `settings` object): remember this one if it is newer, and answer
    /// the one remembered.
    Version(Option<String>),
    /// What LLU answered in `region` (a success or an upstream error code), for `/api/health` (to `settings`).
    Report {
        /// The region code, or `login`.
        region: String,
        /// `success` or the error's code.
        code: String,
    },
    /// The health table and the adopted version (to `settings`).
    Health,
    /// Read data (to the `acct:` object of this account).
    Read {
        /// What.
        data: Data,
        /// The LLU token.
        token: String,
        /// The account's region.
        region: Region,
        /// The `account-id`.
        account_id: String,
        /// The caller's clock, Unix ms, when it is ahead of this object's (the Cron Trigger's scheduled minute): a
        /// cached answer older than [`CACHE_SECS`] on that clock is not served.
        at_ms: Option<f64>,
        /// The session a client presented, refused if it was signed out; `None` for the server's own reads (a
        /// link's, the alarms').
        presented: Option<Presented>,
        /// A viewer opened the graph: its history is read again when over a minute old, not only every
        /// [`super::GRAPH_SECS`].
        #[serde(default)]
        opened: bool,
    },
    /// Is this presented session still signed in (to the `acct:` object)? `Admitted` if so.
    Check(Presented),
    /// Sign out one session (`until`: when it would have expired), or every session signed in until now.
    #[serde(rename = "signout")]
    SignOut {
        /// The session.
        presented: Presented,
        /// When it would have expired, Unix seconds.
        until: i64,
        /// Every session of the account, not only this one.
        everywhere: bool,
    },
}

/// Never the password or the LLU token.
impl core::fmt::Debug for HubRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HubRequest::Login { .. } => f.write_str("HubRequest::Login { .. }"),
            HubRequest::Keep(kept) => f.debug_tuple("HubRequest::Keep").field(kept).finish(),
            HubRequest::Admit { limit } => f.debug_struct("HubRequest::Admit").field("limit", limit).finish(),
            HubRequest::Version(version) => f.debug_tuple("HubRequest::Version").field(version).finish(),
            HubRequest::Report { region, code } => {
                f.debug_struct("HubRequest::Report").field("region", region).field("code", code).finish()
            }
            HubRequest::Health => f.write_str("HubRequest::Health"),
            HubRequest::ShareMiss { limit, window_secs } => {
                f.debug_struct("HubRequest::ShareMiss").field("limit", limit).field("window_secs", window_secs).finish()
            }
            HubRequest::Read { data, region, .. } => {
                f.debug_struct("HubRequest::Read").field("data", data).field("region", region).finish_non_exhaustive()
            }
            HubRequest::Check(presented) => f.debug_tuple("HubRequest::Check").field(presented).finish(),
            HubRequest::SignOut { presented, until, everywhere } => f
                .debug_struct("HubRequest::SignOut")
                .field("presented", presented)
                .field("until", until)
                .field("everywhere", everywhere)
                .finish(),
        }
    }
}

/// What the hub answers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HubAnswer {
    /// LLU's envelope with its `ticket` removed, and how old it is.
    Data {
        /// The envelope.
        body: Value,
        /// Seconds since it was fetched.
        age_secs: u32,
        /// The account's newest LLU ticket the hub knows (LLU rolls one forward with every answer), for the worker
        /// to carry its sessions forward with; `None` before the first.
        ticket: Option<Ticket>,
    },
    /// LLU accepted the login: signed in, or a step first.
    #[serde(rename = "signin")]
    SignIn(SignIn),
    /// One more sign-in may come from this client; a presented session is still signed in; signed out.
    Admitted,
    /// The `version` the `settings` object remembers.
    Version(Option<String>),
    /// The `settings` object's health table and adopted version.
    Health {
        /// The table.
        table: super::health::Table,
        /// The adopted version.
        adopted: Option<String>,
    },
    /// It failed.
    Error(ApiError),
}

/// Where a sign-in from a message without one starts.
const fn global() -> Region {
    Region::Global
}

impl From<ApiResult<LoginEnd>> for HubAnswer {
    fn from(end: ApiResult<LoginEnd>) -> HubAnswer {
        match end {
            Ok(LoginEnd::Accepted(sign_in)) => HubAnswer::SignIn(sign_in),
            Ok(LoginEnd::Failed(outcome)) => HubAnswer::Error(ApiError::from_outcome(&outcome)),
            Err(error) => HubAnswer::Error(error),
        }
    }
}
