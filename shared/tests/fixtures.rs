//! The extra set: golden tests on the real, masked LLU captures in `../shared/fixtures/llu/`, beside the checkout
//! (ignored in a plain `cargo test`; `cargo xtask test` runs them when the folder is there): every file is parsed into its wire
//! type, round-tripped through serde, classified, and checked for concrete values. A fixture without an
//! expectation here fails the run, so a new capture cannot be skipped silently.

// A test binary: its helpers (not only `#[test]` functions) should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::llu::{
    AccountData, Endpoint, Envelope, GraphData, MalformedReason, NotificationSettings, Outcome, Payload, Region,
    StepKind, classify, classify_envelope, decode, graph_sensor, logbook_readings,
};
use shared::reading::{Origin, SensorRange};
use shared::time::parse_factory;
use shared::trend::Direction;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/llu");
/// Files in the fixture folder that are documentation, not captures.
const NOT_CAPTURES: &[&str] = &["SOURCES.md"];

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Parses `bytes` as `Envelope<T>`, re-serialises it, parses that again, and checks the typed value survived.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) -> Envelope<T> {
    let env: Envelope<T> = decode(bytes).unwrap();
    let again = serde_json::to_vec(&env).unwrap();
    let back: Envelope<T> = decode(&again).unwrap();
    assert_eq!(back, env);
    env
}

/// Like [`round_trip`], and the re-emitted JSON equals the original JSON value (nothing lost or invented).
fn lossless<T: Serialize + DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) -> Envelope<T> {
    let env = round_trip::<T>(bytes);
    let original: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(serde_json::to_value(&env).unwrap(), original);
    env
}

fn success(outcome: Outcome) -> Payload {
    match outcome {
        Outcome::Success { payload, .. } => payload,
        other => panic!("expected success, got {other:?}"),
    }
}

/// The endpoint each capture answers, what it must classify as, and its value checks.
/// A capture's endpoint, expected outcome code, and value checks (given the bytes and the outcome).
type Expectation = (Endpoint, &'static str, fn(&[u8], Outcome));

fn expectation(rel: &str) -> Option<Expectation> {
    Some(match rel {
        "libreview-unofficial/account.json" => (Endpoint::Other, "success", |b, _| {
            let env = round_trip::<AccountData>(b);
            let user = env.data.unwrap().user;
            assert_eq!(user.id, "1fd5514c-8345-11eb-9fbc-0242ac110003");
            assert_eq!(user.uom.as_deref(), Some("0"));
            assert_eq!(env.ticket.unwrap().expires, 1_702_788_948);
        }),
        "libreview-unofficial/config_country.json" => (Endpoint::CountryConfig, "success", |b, o| {
            let Payload::CountryConfig(mut config) = success(o) else { panic!("not a config") };
            assert_eq!(config.min_version.as_deref(), Some("4.7.0"));
            assert_eq!(config.regional_map.len(), 10);
            for (code, hosts) in &config.regional_map {
                let region = Region::from_code(code).unwrap_or_else(|| panic!("unknown region {code}"));
                assert_eq!(hosts.lsl_api, format!("{}/", region.host()));
            }
            // The proxy's rewrite: hosts change, everything else is re-emitted as it came.
            for hosts in config.regional_map.values_mut() {
                hosts.lsl_api = "https://proxy.example/".into();
            }
            let out = serde_json::to_value(&*config).unwrap();
            assert_eq!(out["regionalMap"]["eu2"]["lslApi"], "https://proxy.example/");
            assert_eq!(out["regionalMap"]["eu2"]["socketHub"], "https://api-eu2.libreview.io/poll/");
            assert_eq!(out["CountryList"]["countries"][0]["ValueMember"], "AR");
            assert_eq!(out["passwordRules"]["rules"]["min"]["value"], "8");
            lossless::<shared::llu::CountryConfig>(b);
        }),
        "libreview-unofficial/graph_mmol.json" => (Endpoint::Graph, "success", |b, o| {
            lossless::<shared::llu::GraphData>(b);
            let Payload::Graph(graph) = success(o) else { panic!("not a graph") };
            assert_eq!(graph.connection.uom, 0);
            let points = graph.graph_data.as_deref().unwrap();
            assert_eq!(points.len(), 140);
            assert!(points.iter().all(|p| p.glucose_units == Some(0)));
            // Value is mmol/L (9.7); the reading uses ValueInMgPerDl (174).
            assert_eq!(points[0].value.as_ref().unwrap().as_f64(), Some(9.7));
            let out = graph.readings();
            assert!(out.rejected.is_empty());
            assert_eq!(out.series.len(), 141);
            assert_eq!(out.series.as_slice()[0].mgdl.get(), 174);
            let newest = out.series.newest().unwrap();
            assert_eq!((newest.mgdl.get(), newest.origin, newest.arrow), (125, Origin::Current, Some(Direction::Flat)));
            assert!(out.series.as_slice().iter().all(|r| r.wearer_offset_min == Some(120)));
        }),
        "libreview-unofficial/logbook.json" => (Endpoint::Logbook, "success", |b, o| {
            lossless::<Vec<shared::llu::LogbookEntry>>(b);
            let Payload::Logbook(entries) = success(o) else { panic!("not a logbook") };
            assert_eq!(entries.len(), 70);
            assert!(entries.iter().all(|e| e.item.kind == 3));
            let out = logbook_readings(&entries);
            assert!(out.rejected.is_empty());
            assert_eq!((out.series.len(), out.alarms_without_value), (70, 0));
            assert!(out.series.as_slice().windows(2).all(|w| w[0].at < w[1].at), "sorted oldest first");
            for (entry, want) in [(1, 24), (2, 46)] {
                assert_eq!(entries.iter().filter(|e| e.alarm_type == Some(entry)).count(), want);
            }
            // alarmType 1 = low, 2 = high (the fixture contradicts DiaBLE's comment).
            for e in &entries {
                let mgdl = e.item.to_reading(Origin::Logbook).unwrap().mgdl.get();
                match e.alarm_type {
                    Some(1) => assert!(mgdl < 70, "{mgdl}"),
                    Some(2) => assert!(mgdl >= 250, "{mgdl}"),
                    other => panic!("{other:?}"),
                }
            }
            // The midnight-crossing entry: local 12:49 AM on the 20th is 10:49 PM UTC on the 19th.
            let first = entries[0].item.to_reading(Origin::Logbook).unwrap();
            assert_eq!(first.at, parse_factory("6/19/2023 10:49:13 PM").unwrap());
            assert_eq!(first.wearer_offset_min, Some(120));
        }),
        "libreview-unofficial/login_LoginRedirect.json" | "pylibrelinkup/redirect_response.json" => {
            (Endpoint::Login, "redirect", |b, o| {
                let env = lossless::<shared::llu::LoginRedirect>(b);
                let region = Region::from_code(&env.data.unwrap().region).unwrap();
                assert_eq!(o, Outcome::Redirect { region });
                assert!(matches!(region, Region::Eu | Region::Eu2));
            })
        }
        "libreview-unofficial/login_LoginTerms.json" => (Endpoint::Login, "step_required", |b, o| {
            lossless::<shared::llu::LoginStep>(b);
            let Outcome::Step { kind: StepKind::TermsOfUse, ticket: Some(t) } = o else { panic!("{o:?}") };
            assert_eq!((t.expires, t.duration), (1_686_818_182, 3_600_000));
        }),
        "libreview-unofficial/login_User.json" => (Endpoint::Login, "success", |b, o| {
            round_trip::<shared::llu::LoginSuccess>(b);
            let Payload::Login(login) = success(o) else { panic!("not a login") };
            assert_eq!(login.invitations, [":censored:"]);
            assert_eq!(login.user.uom.as_deref(), Some("0"));
            assert_eq!(login.user.country.as_deref(), Some("NL"));
            assert_eq!(login.auth_ticket.duration, 15_552_000_000);
        }),
        "libreview-unofficial/notifications_settings.json" => (Endpoint::Other, "success", |b, _| {
            let env = lossless::<NotificationSettings>(b);
            let settings = env.data.unwrap();
            let rules = settings.alarm_rules.unwrap();
            assert_eq!(rules.h.unwrap().th.unwrap().as_u64(), Some(250));
            assert_eq!(rules.nd.unwrap().on, Some(true));
            assert_eq!(settings.patient_device.unwrap().dtid, Some(40068));
        }),
        "nightscout-librelink-up/connections.json" => (Endpoint::Connections, "success", |b, o| {
            lossless::<Vec<shared::llu::Connection>>(b);
            let Payload::Connections(list) = success(o) else { panic!("not connections") };
            assert_eq!(list.len(), 2);
            assert_eq!(list[0].sensor.as_ref().unwrap().serial, "ABCDEF1234");
            assert_eq!(list[0].sensor.as_ref().unwrap().streaming, Some(true));
            assert!(list[1].sensor.is_none());
            assert_eq!(list[1].patient_device.as_ref().unwrap().l, Some(true));
            assert_eq!(list[1].target_high.as_u64(), Some(180));
            let current: Vec<_> = list.iter().map(|c| c.current_reading().unwrap().unwrap()).collect();
            assert_eq!(current.iter().map(|r| r.mgdl.get()).collect::<Vec<_>>(), [115, 103]);
            assert!(current.iter().all(|r| r.arrow == Some(Direction::Flat) && r.origin == Origin::Current));
            assert_eq!(current[0].at, parse_factory("12/30/2022 4:47:40 PM").unwrap());
            assert_eq!(current[0].wearer_offset_min, Some(60));
        }),
        "nightscout-librelink-up/graph.json" => (Endpoint::Graph, "success", |b, o| {
            lossless::<shared::llu::GraphData>(b);
            let Outcome::Success { ticket: Some(ticket), payload: Payload::Graph(graph) } = o else { panic!() };
            assert_eq!(ticket.expires, 1_687_970_889);
            let points = graph.graph_data.as_deref().unwrap();
            assert_eq!(points.len(), 141);
            assert!(points.iter().all(|p| p.kind == 0 && p.trend_arrow.is_none()));
            let out = graph.readings();
            assert!(out.rejected.is_empty());
            let series = out.series.as_slice();
            assert_eq!(series.len(), 142, "141 history points plus the current value");
            let history: Vec<_> = series.iter().filter(|r| r.origin == Origin::Graph).collect();
            assert_eq!(history.len(), 141);
            assert!(history.windows(2).all(|w| (298..=302).contains(&w[1].at.secs_since(w[0].at))));
            assert_eq!(history.last().unwrap().at.secs_since(history[0].at), 11 * 3600 + 40 * 60 + 1);
            let newest = series.last().unwrap();
            assert_eq!((newest.mgdl.get(), newest.origin, newest.arrow), (115, Origin::Current, Some(Direction::Flat)));
            assert_eq!(newest.at.secs_since(history.last().unwrap().at), 17 * 60 - 1);
            assert!(series.iter().all(|r| r.range == SensorRange::InRange && r.wearer_offset_min == Some(60)));
        }),
        "nightscout-librelink-up/login-failed.json" => (Endpoint::Login, "bad_credentials", |b, _| {
            let env = lossless::<Value>(b);
            assert_eq!((env.status, env.error.unwrap().message.as_deref()), (2, Some("notAuthenticated")));
            // The same body on a data call is not about credentials.
            assert_eq!(classify(Endpoint::Graph, 200, &[], b).code(), "unexpected");
        }),
        "nightscout-librelink-up/login.json" => (Endpoint::Login, "success", |b, o| {
            round_trip::<shared::llu::LoginSuccess>(b);
            let Outcome::Success { ticket: Some(ticket), payload: Payload::Login(login) } = o else { panic!() };
            assert_eq!(ticket.expires, 1_687_970_889);
            assert_eq!(login.user.id, "7ad66b40-ba9b-401e-9845-4f49f998cf16");
            assert_eq!(login.user.uom.as_deref(), Some("1"));
            assert!(login.invitations.is_empty(), "null invitations read as empty");
            assert_eq!(login.user.extra["devices"].as_object().unwrap().len(), 6);
        }),
        "pylibrelinkup/email_verification_response.json" => (Endpoint::Login, "step_required", |b, o| {
            lossless::<shared::llu::LoginStep>(b);
            let Outcome::Step { kind: StepKind::VerifyEmail, ticket: Some(t) } = o else { panic!("{o:?}") };
            assert_eq!(t.expires, 1_730_651_432);
            assert!(!StepKind::VerifyEmail.can_continue());
        }),
        "pylibrelinkup/privacy_policy_response.json" => (Endpoint::Login, "step_required", |b, o| {
            let env = lossless::<shared::llu::LoginStep>(b);
            assert!(env.data.unwrap().user.unwrap().country.is_some());
            let Outcome::Step { kind: StepKind::PrivacyPolicy, ticket: Some(t) } = o else { panic!("{o:?}") };
            assert_eq!(t.duration, 3_600_000);
        }),
        "pylibrelinkup/graph_response.json"
        | "pylibrelinkup/graph_response_no_alarm_rules_c.json"
        | "pylibrelinkup/graph_response_no_sd.json"
        | "pylibrelinkup/graph_response_no_u.json" => (Endpoint::Graph, "success", |b, o| {
            lossless::<shared::llu::GraphData>(b);
            let Payload::Graph(graph) = success(o) else { panic!("not a graph") };
            assert_eq!(graph.active_sensors.as_ref().unwrap().len(), 3);
            let out = graph.readings();
            assert!(out.rejected.is_empty());
            assert_eq!(out.series.len(), 9);
            let newest = out.series.newest().unwrap();
            assert_eq!((newest.mgdl.get(), newest.origin), (91, Origin::Current));
            assert!(out.series.as_slice().iter().all(|r| r.wearer_offset_min == Some(120)));
            // The variants: exactly the documented absences.
            let rules = graph.connection.alarm_rules.as_ref().unwrap();
            let device = graph.connection.patient_device.as_ref().unwrap();
            let std_sd = rules.std.as_ref().unwrap().get("sd").is_some();
            match (rules.c, device.u, std_sd, newest.arrow) {
                (Some(true), Some(_), true, Some(Direction::SingleDown)) => {} // graph_response
                (None, Some(_), false, Some(Direction::Flat)) => {}            // no_alarm_rules_c
                (Some(true), Some(_), false, Some(Direction::Flat)) => {}      // no_sd
                (Some(true), None, false, Some(Direction::Flat)) => {}         // no_u
                other => panic!("unexpected variant {other:?}"),
            }
        }),
        "pylibrelinkup/logbook_response.json" => (Endpoint::Logbook, "success", |b, o| {
            lossless::<Vec<shared::llu::LogbookEntry>>(b);
            let Payload::Logbook(entries) = success(o) else { panic!("not a logbook") };
            let out = logbook_readings(&entries);
            let got: Vec<_> =
                out.series.as_slice().iter().map(|r| (r.mgdl.get(), r.arrow, r.wearer_offset_min)).collect();
            assert_eq!(
                got,
                [
                    (159, Some(Direction::Flat), Some(0)),
                    (181, Some(Direction::FortyFiveUp), Some(0)),
                    (197, Some(Direction::Flat), Some(0)),
                ]
            );
        }),
        "pylibrelinkup/login_response.json" => (Endpoint::Login, "success", |b, o| {
            round_trip::<shared::llu::LoginSuccess>(b);
            let Payload::Login(login) = success(o) else { panic!("not a login") };
            assert_eq!(login.invitations, ["cxxx"]);
            assert_eq!(login.user.country.as_deref(), Some("CA"));
            assert_eq!(login.auth_ticket.token, "parp");
        }),
        "pylibrelinkup/patient_not_found.json" => (Endpoint::Graph, "patient_not_found", |b, o| {
            lossless::<Value>(b);
            assert_eq!(o.retry(), shared::llu::Retry::Never);
        }),
        "pylibrelinkup/realworldevidence_consent_response.json" => (Endpoint::Login, "success", |b, o| {
            round_trip::<shared::llu::LoginSuccess>(b);
            let Payload::Login(login) = success(o) else { panic!("not a login") };
            assert!(login.invitations.is_empty(), "invitations: null");
            assert_eq!(login.user.country.as_deref(), Some("GB"));
            assert!(login.user.extra["consents"].get("llu").is_none());
        }),
        // Decision: the mangled capture still says status 4 / step `tou`, and its step parses; only the step token
        // is missing. It classifies as a ToU step with no ticket, so the user is told to accept the terms in the
        // LLU app (the right action) instead of seeing a generic error and retrying a login (which risks the
        // 3-failure lock). Without a ticket the proxy cannot call /auth/continue/tou, which is the safe default.
        "pylibrelinkup/terms_of_use_response.json" => (Endpoint::Login, "step_required", |b, o| {
            lossless::<shared::llu::LoginStep>(b);
            assert_eq!(o, Outcome::Step { kind: StepKind::TermsOfUse, ticket: None });
        }),
        "reconstructed/error_and_status_shapes.json" => (Endpoint::Other, "malformed", |b, o| {
            // The file itself is a list of cases, not an LLU answer: a top-level array is malformed.
            assert_eq!(o, Outcome::Malformed { reason: MalformedReason::NotAnObject });
            reconstructed_cases(b);
        }),
        _ => return None,
    })
}

/// Every case of `reconstructed/error_and_status_shapes.json`, classified with its documented HTTP status (both
/// statuses where the source allows either).
fn reconstructed_cases(bytes: &[u8]) {
    let cases: Vec<Value> = serde_json::from_slice(bytes).unwrap();
    type Want = (&'static str, Endpoint, &'static [u16], &'static str);
    let table: &[Want] = &[
        ("login: account lives in another region (redirect)", Endpoint::Login, &[200], "redirect"),
        ("login: wrong e-mail/password", Endpoint::Login, &[200], "bad_credentials"),
        ("login: not authenticated (older wording)", Endpoint::Login, &[200], "bad_credentials"),
        ("login: too many failed logins -> temporary lock", Endpoint::Login, &[200, 429], "locked"),
        ("login: terms of use must be (re)accepted", Endpoint::Login, &[200], "step_required"),
        (
            "login (or after accepting tou): privacy policy must be (re)accepted",
            Endpoint::ContinueStep,
            &[200],
            "step_required",
        ),
        ("login: e-mail not verified", Endpoint::Login, &[200], "step_required"),
        ("data call: client version header too old", Endpoint::Connections, &[403, 200], "minimum_version"),
        (
            "data call: Account-Id header missing (version >= 4.11)",
            Endpoint::Connections,
            &[400],
            "required_header_missing",
        ),
        (
            "data call: Account-Id header does not match the token's user",
            Endpoint::Connections,
            &[400],
            "account_id_mismatch",
        ),
        (
            "any authenticated call / auth/continue with a bad or expired token",
            Endpoint::Graph,
            &[401],
            "invalid_token",
        ),
        ("graph call: server lost the session / wrong id in path", Endpoint::Graph, &[200, 401], "missing_cached_user"),
        ("graph call: patient not loadable (e.g. wrong regional host)", Endpoint::Graph, &[200], "patient_not_found"),
        ("graph call: follower not connected to that patient", Endpoint::Graph, &[200], "not_connected"),
        ("maintenance, or login at a foreign regional server", Endpoint::Login, &[200, 911], "maintenance"),
        ("LibreView /glucoseHistory called with an llu product token", Endpoint::Other, &[400], "unexpected"),
        (
            "LLU 5 API (lluapi-c-{cc}.libreview.io/v1/login) with a country not in that API region",
            Endpoint::Login,
            &[400],
            "protocol_changed",
        ),
    ];
    let names: BTreeSet<&str> = cases.iter().map(|c| c["case"].as_str().unwrap()).collect();
    let covered: BTreeSet<&str> = table.iter().map(|w| w.0).collect();
    assert_eq!(names, covered, "every reconstructed case needs exactly one expectation");
    for case in &cases {
        let name = case["case"].as_str().unwrap();
        let (_, endpoint, statuses, code) = table.iter().find(|w| w.0 == name).unwrap();
        if let Some(documented) = case["http_status"].as_u64() {
            assert!(statuses.contains(&u16::try_from(documented).unwrap()), "{name}: documented {documented}");
        }
        let body = serde_json::to_vec(&case["body"]).unwrap();
        for status in *statuses {
            let outcome = classify(*endpoint, *status, &[("content-type", "application/json")], &body);
            assert_eq!(outcome.code(), *code, "{name} with HTTP {status}: {outcome:?}");
        }
    }
    // Concrete values of the ones that carry numbers.
    let body = |i: usize| serde_json::to_vec(&cases[i]["body"]).unwrap();
    assert_eq!(classify(Endpoint::Login, 200, &[], &body(0)), Outcome::Redirect { region: Region::Fr });
    assert_eq!(classify(Endpoint::Login, 200, &[], &body(3)), Outcome::Locked { retry_after_secs: 300 });
    assert_eq!(
        classify(Endpoint::Connections, 403, &[], &body(7)),
        Outcome::MinimumVersion { version: Some("4.16.0".into()) }
    );
}

#[test]
#[ignore = "the extra corpus beside the checkout (../shared/fixtures/llu): cargo xtask test runs it when it is there"]
fn every_fixture_is_parsed_and_classified() {
    let mut files = Vec::new();
    files_under(Path::new(FIXTURES), &mut files);
    files.sort();
    assert!(files.len() >= 26, "fixture folder not found or incomplete: {FIXTURES}");
    let mut missing = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(FIXTURES).unwrap().to_str().unwrap().replace('\\', "/");
        if NOT_CAPTURES.contains(&rel.as_str()) {
            continue;
        }
        let Some((endpoint, code, check)) = expectation(&rel) else {
            missing.push(rel);
            continue;
        };
        let bytes = read(&rel);
        let outcome = classify(endpoint, 200, &[("content-type", "application/json")], &bytes);
        assert_eq!(outcome.code(), code, "{rel}: {outcome:?}");
        // The proxy's pass-through classification agrees on every outcome and keeps non-login data as it came.
        let passed = classify_envelope(endpoint, 200, &[("content-type", "application/json")], &bytes);
        assert_eq!(passed.code(), code, "{rel}: envelope {passed:?}");
        if let Outcome::Success { payload, .. } = &passed {
            let login = matches!(endpoint, Endpoint::Login | Endpoint::ContinueStep);
            assert_eq!(matches!(payload, Payload::Other(_)), !login, "{rel}: {payload:?}");
            if let (Payload::Other(data), false) = (payload, login) {
                let original: Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(data, &original["data"], "{rel}: data is kept as it came");
            }
        }
        check(&bytes, outcome);
    }
    assert!(missing.is_empty(), "fixtures without an expectation: {missing:?}");
}

#[test]
#[ignore = "the extra corpus beside the checkout (../shared/fixtures/llu): cargo xtask test runs it when it is there"]
fn edge_and_transport_failures_around_real_bodies() {
    let graph = read("nightscout-librelink-up/graph.json");
    let cf_page = b"<!DOCTYPE html><html lang=\"en-US\"><head><title>Attention Required! | Cloudflare</title></head>\
        <body><h1>Sorry, you have been blocked</h1><p>You are unable to access libreview.io</p></body></html>";
    let html = [("content-type", "text/html; charset=UTF-8"), ("cf-ray", "7d1a-FRA"), ("server", "cloudflare")];
    for status in [403, 200] {
        assert_eq!(classify(Endpoint::Login, status, &html, cf_page), Outcome::EdgeBlocked, "{status}");
        assert_eq!(classify(Endpoint::Graph, status, &[], cf_page), Outcome::EdgeBlocked, "{status}");
    }
    // A cut-off graph, at several lengths.
    let end = graph.trim_ascii_end().len();
    for cut in [1, 100, end / 2, end - 1] {
        let outcome = classify(Endpoint::Graph, 200, &[("cf-ray", "x")], &graph[..cut]);
        assert!(
            matches!(outcome, Outcome::Malformed { reason: MalformedReason::NotJson }),
            "cut at {cut}: {}",
            outcome.code()
        );
    }
    // A 10 MB body made of a real graph repeated.
    let mut huge = Vec::with_capacity(10 * 1024 * 1024);
    while huge.len() < 10 * 1024 * 1024 {
        huge.extend_from_slice(&graph);
    }
    assert_eq!(classify(Endpoint::Graph, 200, &[], &huge), Outcome::Malformed { reason: MalformedReason::TooLarge });
    // A real graph answer on the wrong endpoint is the wrong shape.
    assert_eq!(
        classify(Endpoint::Connections, 200, &[], &graph),
        Outcome::Malformed { reason: MalformedReason::WrongShape }
    );
    // Binary junk, empty, JSON scalars.
    let junk: Vec<u8> = graph.iter().map(|b| b.wrapping_mul(31) ^ 0xA5).collect();
    assert_eq!(classify(Endpoint::Graph, 200, &[], &junk).code(), "malformed");
    for (body, reason) in [
        (&b""[..], MalformedReason::Empty),
        (b"null", MalformedReason::NotAnObject),
        (b"17", MalformedReason::NotAnObject),
        (b"[{\"status\":0}]", MalformedReason::NotAnObject),
    ] {
        assert_eq!(classify(Endpoint::Graph, 200, &[], body), Outcome::Malformed { reason });
    }
}

/// The worker's untyped reading of a capture's sensor is the app's typed one (`connection.sensor` and
/// `patientDevice.dtid` through `Sensor::from_llu`); `activeSensors` stands in when the connection's is null; a
/// missing or broken sensor is none.
#[test]
#[ignore = "the extra corpus beside the checkout (../shared/fixtures/llu): cargo xtask test runs it when it is there"]
fn graph_sensor_reads_a_capture_as_the_typed_path_does() {
    for file in ["pylibrelinkup/graph_response.json", "libreview-unofficial/graph_mmol.json"] {
        let bytes = read(file);
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let connection = decode::<GraphData>(&bytes).unwrap().data.unwrap().connection;
        let sensor = connection.sensor.unwrap();
        let dtid = connection.patient_device.and_then(|d| d.dtid).and_then(|d| u32::try_from(d).ok());
        let warmup = sensor.warmup_minutes.and_then(|w| u32::try_from(w).ok());
        let typed = shared::sensor::Sensor::from_llu(sensor.activated, warmup, dtid).unwrap();
        assert_eq!(graph_sensor(&body), Some(typed), "{file}");
        let mut only_active = body.clone();
        only_active["data"]["connection"]["sensor"] = Value::Null;
        assert_eq!(graph_sensor(&only_active), Some(typed), "{file}: activeSensors stands in");
    }
    for broken in [
        serde_json::json!({}),
        serde_json::json!({"data": {"connection": {"sensor": null}}}),
        serde_json::json!({"data": {"connection": {"sensor": {"a": 0}}}}),
    ] {
        assert_eq!(graph_sensor(&broken), None, "{broken}");
    }
}
