//! Everything specific to LibreLinkUp's v4 (`/llu/*`) API, and the only place its wire names appear.
//!
//! This module owns: the JSON shapes ([`wire`](crate::llu::wire): envelope, tickets, login, steps,
//! connections, graph, logbook, country config), their conversion into domain
//! [`Reading`](crate::reading::Reading)s, the closed list of [`Region`](crate::llu::Region)s and their hosts, and
//! [`classify`](crate::llu::classify()), which turns any upstream answer into one typed
//! [`Outcome`](crate::llu::Outcome) with a stable code and a retry policy. It does no I/O and reads no clock: the
//! proxy's upstream module sends the requests; this module only says what the answers mean. When Abbott retires
//! `/llu/*` (LLU 5 is encrypted), this module and that adapter are what change.

mod classify;
mod convert;
mod region;
pub mod wire;

pub use classify::{
    DEFAULT_LOCKOUT_SECS, DEFAULT_RATE_LIMIT_SECS, EDGE_BLOCK_RETRY_SECS, Endpoint, MAINTENANCE_RETRY_SECS,
    MAX_BODY_BYTES, MAX_WAIT_SECS, MalformedReason, Outcome, Payload, Retry, TRANSIENT_RETRY_SECS, classify,
    classify_envelope, decode,
};
pub use convert::{ALARM_WITHOUT_VALUE, Converted, Rejected, graph_sensor, graph_series, logbook_readings};
pub use region::Region;
pub use wire::*;

/// A patient's name as Tidewatch shows it: LLU's first and last name, or "Patient" when LLU sent neither.
pub fn display_name(first_name: &str, last_name: &str) -> String {
    let name = format!("{first_name} {last_name}");
    match name.trim() {
        "" => "Patient".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_is_first_and_last_or_patient() {
        assert_eq!(super::display_name("Alex", "Doe"), "Alex Doe");
        assert_eq!(super::display_name(" Alex", ""), "Alex");
        assert_eq!(super::display_name("", " "), "Patient");
    }
}
