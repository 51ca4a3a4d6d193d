//! What LibreLinkUp answered, region by region, for `/api/health`: the hubs report to the `settings` object
//! sparingly (an isolate reports a region's outcome when it changes, and otherwise at most every
//! [`REPORT_EVERY_MS`]), and the object keeps the table in its storage.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::{Value, json};
use shared::time::UtcTime;
use worker::Env;

use shared::code::Code;

use super::{HubAnswer, HubRequest, SETTINGS_OBJECT};

/// An unchanged outcome is reported again after this long (so "last success" stays within it of the truth).
pub const REPORT_EVERY_MS: f64 = 10.0 * 60_000.0;

/// The error codes that tell of LibreLinkUp (or its edge) itself, not of one account or one request.
const UPSTREAM_CODES: [Code; 11] = [
    Code::RedirectLoop,
    Code::EdgeBlocked,
    Code::Maintenance,
    Code::RateLimited,
    Code::Unavailable,
    Code::Malformed,
    Code::Unexpected,
    Code::ProtocolChanged,
    Code::MinimumVersion,
    Code::AcceptNewDocuments,
    Code::UpstreamUnreachable,
];

/// Whether an answer's code is worth reporting: a success, or one of [`UPSTREAM_CODES`].
pub fn reportable(code: Code) -> bool {
    code == Code::Success || UPSTREAM_CODES.contains(&code)
}

/// One region's last success and last error, stored as `{"ok": ms, "error": [code, ms]}`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionHealth {
    /// Unix ms.
    #[serde(rename = "ok")]
    pub last_success_ms: Option<f64>,
    /// The code and when, Unix ms.
    #[serde(rename = "error")]
    pub last_error: Option<(String, f64)>,
}

/// Every region's.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Table {
    /// By region code (`eu`, `us`, …; `login` for sign-ins, whose region is found on the way).
    pub regions: BTreeMap<String, RegionHealth>,
}

impl Table {
    /// Notes `code` for `region` at `at_ms`.
    pub fn record(&mut self, region: &str, code: &str, at_ms: f64) {
        let entry = self.regions.entry(region.to_owned()).or_default();
        if code == "success" {
            entry.last_success_ms = Some(at_ms);
        } else {
            entry.last_error = Some((code.to_owned(), at_ms));
        }
    }

    /// Whether every region's last word was a success.
    pub fn ok(&self) -> bool {
        self.regions
            .values()
            .all(|r| r.last_error.as_ref().is_none_or(|(_, at)| r.last_success_ms.is_some_and(|ok| ok > *at)))
    }

    /// The regions as `/api/health` shows them.
    pub fn to_json(&self) -> Value {
        let iso = |ms: f64| UtcTime::from_unix_millis(ms as i64).to_iso8601();
        let regions: serde_json::Map<String, Value> = self
            .regions
            .iter()
            .map(|(region, health)| {
                let error = health.last_error.as_ref().map(|(code, at)| json!({"code": code, "at": iso(*at)}));
                (region.clone(), json!({"lastSuccess": health.last_success_ms.map(iso), "lastError": error}))
            })
            .collect();
        Value::Object(regions)
    }
}

thread_local! {
    /// What this isolate last reported per region: the code and when, Unix ms.
    static REPORTED: RefCell<Vec<(String, String, f64)>> = const { RefCell::new(Vec::new()) };
}

/// Whether this isolate should report `code` for `region` now (and notes that it does).
pub fn due(region: &str, code: &str, now_ms: f64) -> bool {
    REPORTED.with_borrow_mut(|reported| {
        let last = reported.iter_mut().find(|(r, ..)| r == region);
        match last {
            Some((_, last_code, at)) if last_code == code && now_ms - *at < REPORT_EVERY_MS => false,
            Some(entry) => {
                *entry = (region.to_owned(), code.to_owned(), now_ms);
                true
            }
            None => {
                reported.push((region.to_owned(), code.to_owned(), now_ms));
                true
            }
        }
    })
}

/// Reports what LibreLinkUp answered for `region` to the `settings` object, when it is due (a failure is logged).
pub async fn report(env: &Env, region: &str, code: Code) {
    let now = worker::Date::now().as_millis() as f64;
    if !reportable(code) || !due(region, code.as_str(), now) {
        return;
    }
    let code = code.as_str();
    let request = HubRequest::Report { region: region.to_owned(), code: code.to_owned() };
    if !matches!(super::ask(env, SETTINGS_OBJECT, &request).await, Ok(HubAnswer::Admitted)) {
        worker::console_error!("health: LibreLinkUp's answer for {region} could not be noted");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;

    #[test]
    fn a_region_is_well_when_its_last_word_was_a_success() {
        let mut table = Table::default();
        table.record("eu", "success", 1_000.0);
        assert!(table.ok());
        table.record("eu", "edge_blocked", 2_000.0);
        assert!(!table.ok());
        table.record("us", "success", 2_500.0);
        table.record("eu", "success", 3_000.0);
        assert!(table.ok());
        let shown = table.to_json();
        assert_eq!(shown["eu"]["lastError"]["code"], "edge_blocked");
        assert!(shown["us"]["lastError"].is_null());
        assert_eq!(wire::from_json::<Table>(&wire::to_json(&table)), Some(table));
    }

    /// The health table as earlier builds stored it (in the `settings` object) still reads.
    #[test]
    fn the_stored_table_is_the_json_earlier_builds_wrote() {
        let mut table = Table::default();
        table.record("eu", "success", 1.0e12);
        table.record("eu", "locked", 1.1e12);
        table.record("login", "success", 1.2e12);
        let stored = r#"{"eu":{"error":["locked",1100000000000.0],"ok":1000000000000.0},
            "login":{"error":null,"ok":1200000000000.0}}"#;
        assert_eq!(wire::to_value(&table), wire::parse(stored).unwrap());
        assert_eq!(wire::from_json::<Table>(stored), Some(table));
    }

    #[test]
    fn an_isolate_reports_a_change_at_once_and_the_same_outcome_sparingly() {
        assert!(due("test-region", "success", 0.0));
        assert!(!due("test-region", "success", 60_000.0), "the same, a minute later");
        assert!(due("test-region", "edge_blocked", 61_000.0), "a change");
        assert!(due("test-region", "success", 62_000.0), "and back");
        assert!(due("test-region", "success", 62_000.0 + REPORT_EVERY_MS), "the same, ten minutes later");
        assert!(
            !reportable(Code::BadCredentials) && !reportable(Code::SessionRevoked) && reportable(Code::Maintenance)
        );
    }
}
