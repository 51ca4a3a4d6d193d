//! The fake's answers written out as the repository's own LibreLinkUp fixtures (`fixtures/llu/`, made by
//! `cargo run -p tidewatch-tests --bin make-fixtures`): one file per outcome the worker and the app tell apart, with
//! made-up people, ids and tokens at a fixed instant, so a clone with nothing beside it has LibreLinkUp-shaped
//! answers for its tests. The real, masked captures beside the checkout (`../shared/fixtures/llu/`), when they are
//! there, are the extra set that checks these shapes against LibreLinkUp itself.

use serde_json::Value;
use shared::llu::{Region, StepKind, Ticket};
use shared::simulate::{self, Patient};
use shared::time::UtcTime;
use shared::units::GlucoseUnit;

use super::bodies;
use super::model::Account;

/// The instant every fixture is made at (2026-03-01T08:00:00Z).
pub const AT: i64 = 1_772_352_000;
/// A made-up token in the shape of an LLU JWT (header, claims, signature), never a real one.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6ImZpeHR1cmUifQ.bWFkZS11cC1zaWduYXR1cmU";

/// Every fixture, as `(file name, body)`: the body is JSON except for the edge block, an HTML page.
pub fn fixtures() -> Vec<(&'static str, String)> {
    let now = UtcTime::from_unix_secs(AT);
    let account = Account { country: "DE".into(), ..Account::new("family@fixtures.invalid", "not-a-password") };
    let ticket = Ticket { token: TOKEN.into(), expires: AT + 180 * 86_400, duration: 180 * 86_400 * 1000 };
    let step_ticket = Ticket { token: TOKEN.into(), expires: AT + 3600, duration: 3_600_000 };
    let mgdl = Patient::demo();
    let mmol = Patient { unit: GlucoseUnit::MmolL, ..Patient::second() };
    let json: Vec<(&str, Value)> = vec![
        ("login_redirect.json", bodies::redirect(Region::Eu2)),
        ("login_success.json", bodies::login_success(&account, &ticket, now)),
        ("login_step_tou.json", bodies::step(&StepKind::TermsOfUse, &account, &step_ticket)),
        ("login_step_pp.json", bodies::step(&StepKind::PrivacyPolicy, &account, &step_ticket)),
        ("login_step_verify_email.json", bodies::step(&StepKind::VerifyEmail, &account, &step_ticket)),
        ("login_bad_credentials.json", bodies::bad_credentials()),
        ("login_locked.json", bodies::locked(3, 60, 300)),
        ("maintenance_911.json", bodies::status_911()),
        ("invalid_jwt.json", bodies::invalid_jwt()),
        ("minimum_version.json", bodies::minimum_version("4.17.0")),
        ("patient_not_found.json", bodies::could_not_load_patient()),
        ("connections.json", simulate::connections_json(&[mgdl.clone(), mmol.clone()], now, TOKEN)),
        ("graph_mgdl.json", simulate::graph_json(&mgdl, now, TOKEN)),
        ("graph_mmol.json", simulate::graph_json(&mmol, now, TOKEN)),
        ("logbook.json", simulate::logbook_json(&mgdl, now, TOKEN)),
        ("config_country.json", bodies::country_config("https://api.libreview.io", Region::Global)),
        ("llu5_encrypted.json", bodies::llu5_encrypted()),
        ("llu5_error.json", bodies::llu5_error()),
    ];
    let mut files: Vec<(&str, String)> = json
        .into_iter()
        .map(|(name, body)| (name, format!("{}\n", serde_json::to_string_pretty(&body).unwrap_or_default())))
        .collect();
    files.push(("edge_block.html", bodies::edge_block_html(bodies::CAPTURED_RAY)));
    files
}
