//! The LLU v4 (`/llu/*`) JSON shapes, exactly as on the wire (llu-protocol.md sections 3–4).
//!
//! Every type deserialises the real captures in `fixtures/llu/` and serialises back to the same typed value, so
//! the proxy and the simulator can re-emit LLU JSON. Tolerance is deliberate and local: a field is optional only
//! where real responses vary (`sensor: null`, no `activeSensors`, no `graphData`, no `glucoseMeasurement`,
//! `alarmRules` members absent, `invitations: null`, no `patientDevice.u`). Unknown fields are ignored, except on
//! the login user and the country config, where they are kept (`extra`) because the proxy re-emits them.
//! Numbers that are sometimes integers and sometimes not, or whose unit nobody documents, stay
//! [`serde_json::Number`] so that re-emitted JSON keeps their exact form (`55` stays `55`, `3.3` stays `3.3`).
//!
//! Here the envelope and the ticket every answer has; `login.rs` the sign-in answers and steps, `connections.rs`
//! the patients, their graph and logbook, `config.rs` the other endpoints.

mod config;
mod connections;
mod login;

use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

pub use self::config::*;
pub use self::connections::*;
pub use self::login::*;

/// The envelope around every LLU answer: `{status, data, ticket, error}`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// 0 for success; 2 bad credentials, 4 action required / not loadable, 429 locked, 911 maintenance, 920 version.
    pub status: i64,
    /// The payload (absent in most error answers).
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// A freshly issued 180-day token, sent with every authenticated answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    /// `{"message": …}` on errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `Option::None` without requiring `T: Default` (serde's `default` on a generic field).
const fn none<T>() -> Option<T> {
    None
}

/// The `error` member of an envelope.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-ish text such as `couldNotLoadPatient` or `notAuthenticated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An LLU token with its expiry (`authTicket` in a login, `ticket` in every authenticated answer).
///
/// `Debug` does not print the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The HS256 JWT to send as `authorization: Bearer …`.
    pub token: String,
    /// When it expires, epoch **seconds**.
    pub expires: i64,
    /// Its lifetime in **milliseconds** (180 days for a login, 1 h for a step token).
    pub duration: i64,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .field("expires", &self.expires)
            .field("duration", &self.duration)
            .finish()
    }
}

/// Reads `null` (or absence, with `default`) as an empty list.
pub(super) fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Keeps a member that is present, even as `null` (`Some(Value::Null)`), so it is re-emitted exactly; absence
/// (with `default`) stays `None`.
pub(super) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}
