//! The simulated patient speaks LLU: its JSON goes through the same `llu::classify` and conversion as a real
//! answer, and the readings that come out are the simulator's own. This is what lets the demo and the fake
//! upstream exercise the app's real code path.
// Test helpers outside #[test] functions may fail loudly.
#![allow(clippy::expect_used, clippy::panic)]

use shared::llu::{Endpoint, Outcome, Payload, classify, logbook_readings};
use shared::reading::{Freshness, Origin, Series};
use shared::simulate::{self, DEMO_TICKET, Patient};
use shared::stats;
use shared::time::{HOUR, MINUTE, UtcTime};

/// 2026-11-21 03:17:25 UTC: a night, mid-minute.
const NOW: i64 = 1_795_231_045;

fn classify_json(endpoint: Endpoint, value: &serde_json::Value) -> Outcome {
    let body = serde_json::to_vec(value).expect("serialise");
    classify(endpoint, 200, &[("content-type", "application/json")], &body)
}

#[test]
fn connections_json_classifies_as_success_with_both_patients() {
    let now = UtcTime::from_unix_secs(NOW);
    let patients = [Patient::demo(), Patient::second()];
    let outcome = classify_json(Endpoint::Connections, &simulate::connections_json(&patients, now, DEMO_TICKET));
    let Outcome::Success { ticket, payload: Payload::Connections(connections) } = outcome else {
        panic!("not a connections success: {outcome:?}");
    };
    assert_eq!(ticket.map(|t| t.token), Some(DEMO_TICKET.to_string()));
    assert_eq!(connections.len(), 2);
    assert_eq!(connections[0].patient_id, patients[0].patient_id());
    assert!(connections[0].sensor.is_some());
    assert!(connections[1].sensor.is_none(), "the second patient has sensor: null");
    // The current value parsed through LLU's wire types is the simulator's current reading.
    let current = connections[0].current_reading().expect("has a measurement").expect("converts");
    let expected = simulate::current(&patients[0], now).expect("current");
    assert_eq!((current.at, current.mgdl, current.origin), (expected.at, expected.mgdl, Origin::Current));
    assert!(current.arrow.is_some(), "the current value carries LLU's arrow");
}

#[test]
fn graph_json_round_trips_into_the_same_readings() {
    let patient = Patient::demo();
    for hours in [0, 5, 11, 17, 23] {
        let now = UtcTime::from_unix_secs(NOW) + hours * HOUR;
        let outcome = classify_json(Endpoint::Graph, &simulate::graph_json(&patient, now, DEMO_TICKET));
        let Outcome::Success { payload: Payload::Graph(graph), .. } = outcome else {
            panic!("not a graph success at +{hours} h: {outcome:?}");
        };
        let converted = graph.readings();
        assert!(converted.rejected.is_empty(), "{:?}", converted.rejected);
        let series = converted.series;
        // The graph points are the simulator's, plus its current value.
        let mut expected = simulate::graph_points(&patient, now);
        expected.extend(simulate::current(&patient, now));
        let expected = Series::from_readings(expected);
        let pairs = |s: &Series| s.as_slice().iter().map(|r| (r.at, r.mgdl)).collect::<Vec<_>>();
        assert_eq!(pairs(&series), pairs(&expected), "at +{hours} h");
        // Enough for everything the app computes.
        assert_eq!(series.freshness_at(now), Freshness::Current);
        assert!(series.len() >= 100, "{} readings", series.len());
        assert!(stats::summarize(series.as_slice(), now - 12 * HOUR, now + MINUTE).is_some());
    }
}

#[test]
fn logbook_json_converts_without_rejections() {
    let patient = Patient::demo();
    let now = UtcTime::from_unix_secs(NOW);
    let outcome = classify_json(Endpoint::Logbook, &simulate::logbook_json(&patient, now, DEMO_TICKET));
    let Outcome::Success { payload: Payload::Logbook(entries), .. } = outcome else {
        panic!("not a logbook success: {outcome:?}");
    };
    assert!(!entries.is_empty());
    let converted = logbook_readings(&entries);
    assert!(converted.rejected.is_empty(), "{:?}", converted.rejected);
    assert_eq!(converted.series.len() + converted.alarms_without_value, entries.len());
    let expected = simulate::logbook(&patient, now);
    assert_eq!(entries.len(), expected.len());
}
