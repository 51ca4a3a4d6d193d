//! Golden tests on the repository's own LibreLinkUp fixtures (`fixtures/llu/`, made from the fake's answers by
//! `cargo run -p tidewatch-tests --bin make-fixtures`): each file classifies as the outcome it stands for, through
//! both the typed and the pass-through classification, and every success is read into its wire type and written
//! back without losing or inventing anything. A file without an expectation here fails the run. The real captures
//! beside the checkout are checked by `fixtures.rs` (the extra set).

// A test binary: its helpers (not only `#[test]` functions) should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::llu::{
    Connection, CountryConfig, Endpoint, Envelope, GraphData, LogbookEntry, LoginSuccess, Outcome, Payload, Region,
    StepKind, classify, classify_envelope, decode,
};

const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu");

/// The JSON re-emitted from the typed value equals the file's (nothing lost, nothing invented).
fn lossless<T: Serialize + DeserializeOwned>(bytes: &[u8]) {
    let env: Envelope<T> = decode(bytes).unwrap();
    let original: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(serde_json::to_value(&env).unwrap(), original);
}

/// File, the endpoint and HTTP status it answers, the outcome's code, and a check of the outcome.
type Expectation = (&'static str, Endpoint, u16, &'static str, fn(&[u8], &Outcome));

const EXPECTATIONS: &[Expectation] = &[
    ("login_redirect.json", Endpoint::Login, 200, "redirect", |_, o| {
        assert_eq!(*o, Outcome::Redirect { region: Region::Eu2 });
    }),
    ("login_success.json", Endpoint::Login, 200, "success", |b, _| {
        // `invitations: null` is read as no invitations, as in the real captures: typed, then the same again.
        let env: Envelope<LoginSuccess> = decode(b).unwrap();
        let again: Envelope<LoginSuccess> = decode(&serde_json::to_vec(&env).unwrap()).unwrap();
        assert_eq!(again, env);
        assert_eq!(env.data.unwrap().user.first_name.as_deref(), Some("Alex"));
    }),
    ("login_step_tou.json", Endpoint::Login, 200, "step_required", |_, o| {
        assert!(matches!(o, Outcome::Step { kind: StepKind::TermsOfUse, .. }), "{o:?}");
    }),
    ("login_step_pp.json", Endpoint::ContinueStep, 200, "step_required", |_, o| {
        assert!(matches!(o, Outcome::Step { kind: StepKind::PrivacyPolicy, .. }), "{o:?}");
    }),
    ("login_step_verify_email.json", Endpoint::Login, 200, "step_required", |_, o| {
        assert!(matches!(o, Outcome::Step { kind: StepKind::VerifyEmail, .. }), "{o:?}");
    }),
    ("login_bad_credentials.json", Endpoint::Login, 200, "bad_credentials", |_, _| {}),
    ("login_locked.json", Endpoint::Login, 200, "locked", |_, o| {
        assert_eq!(*o, Outcome::Locked { retry_after_secs: 300 });
    }),
    ("maintenance_911.json", Endpoint::Connections, 200, "maintenance", |_, _| {}),
    ("invalid_jwt.json", Endpoint::Graph, 401, "invalid_token", |_, _| {}),
    ("minimum_version.json", Endpoint::Connections, 403, "minimum_version", |_, o| {
        assert_eq!(*o, Outcome::MinimumVersion { version: Some("4.17.0".into()) });
    }),
    ("patient_not_found.json", Endpoint::Graph, 200, "patient_not_found", |_, _| {}),
    ("connections.json", Endpoint::Connections, 200, "success", |b, o| {
        lossless::<Vec<Connection>>(b);
        let Outcome::Success { payload: Payload::Connections(list), .. } = o else { panic!("{o:?}") };
        assert_eq!(list.len(), 2, "two people followed");
    }),
    ("graph_mgdl.json", Endpoint::Graph, 200, "success", |b, o| {
        lossless::<GraphData>(b);
        let Outcome::Success { payload: Payload::Graph(graph), .. } = o else { panic!("{o:?}") };
        assert_eq!(graph.connection.uom, 1);
        let read = graph.readings();
        assert!(read.rejected.is_empty() && read.series.len() > 100, "{}", read.series.len());
    }),
    ("graph_mmol.json", Endpoint::Graph, 200, "success", |b, o| {
        lossless::<GraphData>(b);
        let Outcome::Success { payload: Payload::Graph(graph), .. } = o else { panic!("{o:?}") };
        assert_eq!(graph.connection.uom, 0);
        assert!(graph.readings().rejected.is_empty());
    }),
    ("logbook.json", Endpoint::Logbook, 200, "success", |b, o| {
        lossless::<Vec<LogbookEntry>>(b);
        let Outcome::Success { payload: Payload::Logbook(entries), .. } = o else { panic!("{o:?}") };
        assert!(!entries.is_empty());
    }),
    ("config_country.json", Endpoint::CountryConfig, 200, "success", |b, o| {
        lossless::<CountryConfig>(b);
        let Outcome::Success { payload: Payload::CountryConfig(config), .. } = o else { panic!("{o:?}") };
        assert!(config.regional_map.len() >= 10);
    }),
    ("edge_block.html", Endpoint::Connections, 403, "edge_blocked", |_, _| {}),
    ("llu5_encrypted.json", Endpoint::Connections, 200, "protocol_changed", |_, o| {
        assert_eq!(*o, Outcome::ProtocolChanged { encrypted: true });
    }),
    ("llu5_error.json", Endpoint::Login, 400, "protocol_changed", |_, o| {
        assert_eq!(*o, Outcome::ProtocolChanged { encrypted: false });
    }),
];

#[test]
fn every_own_fixture_classifies_as_the_outcome_it_stands_for() {
    let mut names: Vec<String> = std::fs::read_dir(OWN)
        .unwrap_or_else(|e| panic!("{OWN}: {e}"))
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    names.sort();
    let mut expected: Vec<String> = EXPECTATIONS.iter().map(|e| e.0.to_owned()).collect();
    expected.sort();
    assert_eq!(names, expected, "every file needs exactly one expectation");
    for (name, endpoint, status, code, check) in EXPECTATIONS {
        let bytes = std::fs::read(Path::new(OWN).join(name)).unwrap();
        let content_type = if name.ends_with(".html") { "text/html" } else { "application/json" };
        let headers = [("content-type", content_type)];
        let outcome = classify(*endpoint, *status, &headers, &bytes);
        assert_eq!(outcome.code(), *code, "{name}: {outcome:?}");
        let passed = classify_envelope(*endpoint, *status, &headers, &bytes);
        assert_eq!(passed.code(), *code, "{name}: pass-through {passed:?}");
        check(&bytes, &outcome);
    }
}
