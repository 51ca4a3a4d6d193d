//! The simulator's realism and determinism.

use super::*;
use crate::stats::summarize;
use crate::time::parse_factory;
use proptest::prelude::*;

/// 2024-03-10T12:34:56Z: an arbitrary "now".
const NOW: i64 = 1_710_074_096;

fn now() -> UtcTime {
    UtcTime::from_unix_secs(NOW)
}

struct Realism {
    tir: f64,
    coverage: f64,
    min: u16,
    max: u16,
    max_slope: u16,
    night_lows: usize,
    gaps: usize,
}

fn realism(patient: &Patient, to: UtcTime) -> Realism {
    let from = to - 14 * DAY;
    let r = readings(patient, from, to);
    let s = summarize(&r, from, to).unwrap();
    let mut max_slope = 0;
    let mut gaps = 0;
    for w in r.windows(2) {
        let dt = w[1].at.secs_since(w[0].at);
        if dt == MINUTE {
            max_slope = max_slope.max(w[1].mgdl.get().abs_diff(w[0].mgdl.get()));
        } else {
            gaps += 1;
        }
    }
    let night_lows = r
        .iter()
        .filter(|x| {
            let hour = patient.local_secs(x.at).rem_euclid(DAY) / HOUR;
            hour < 6 && x.mgdl.get() < 70
        })
        .count();
    Realism {
        tir: s.bands.in_range,
        coverage: s.coverage,
        min: r.iter().map(|x| x.mgdl.get()).min().unwrap(),
        max: r.iter().map(|x| x.mgdl.get()).max().unwrap(),
        max_slope,
        night_lows,
        gaps,
    }
}

#[test]
fn fourteen_days_look_like_a_real_type_1_wearer() {
    let cases = [
        ("demo", Patient::demo(), now()),
        ("second", Patient::second(), now()),
        ("demo a year later", Patient::demo(), now() + 365 * DAY),
        ("seed 1", Patient::with_seed(1), now()),
        ("seed 42", Patient::with_seed(42), now() - 100 * DAY),
    ];
    for (name, patient, to) in cases {
        let r = realism(&patient, to);
        println!(
            "{name}: TIR {:.1} %, coverage {:.1} %, min {}, max {}, max slope {}, night-low minutes {}, gaps {}",
            r.tir * 100.0,
            r.coverage * 100.0,
            r.min,
            r.max,
            r.max_slope,
            r.night_lows,
            r.gaps
        );
        assert!((0.55..=0.95).contains(&r.tir), "{name}: TIR {}", r.tir);
        assert!(r.coverage >= 0.90 && r.coverage < 1.0, "{name}: coverage {}", r.coverage);
        assert!(r.min >= 40 && r.max <= 400, "{name}: {}..{}", r.min, r.max);
        assert!(r.max_slope < 4, "{name}: slope {}", r.max_slope);
        assert!(r.night_lows > 0, "{name}: no night low");
        assert!(r.gaps > 0, "{name}: no gap");
    }
}

#[test]
fn graph_has_twelve_hours_of_lagging_five_minute_points() {
    let patient = Patient::demo();
    // The first whole hour from NOW whose graph window and current value contain no gap.
    let mut t = now();
    while graph_points(&patient, t).len() as i64 != GRAPH_POINTS
        || current(&patient, t).unwrap().at.secs_since(t) < -MINUTE
    {
        t = t + HOUR;
    }
    let json = graph_json(&patient, t, DEMO_TICKET);
    let points = json["data"]["graphData"].as_array().unwrap();
    assert!((141..=145).contains(&points.len()), "{}", points.len());
    let times: Vec<UtcTime> =
        points.iter().map(|p| parse_factory(p["FactoryTimestamp"].as_str().unwrap()).unwrap()).collect();
    assert!(times.windows(2).all(|w| w[1].secs_since(w[0]) == GRAPH_STEP), "5 min apart, oldest first");
    let current_at =
        parse_factory(json["data"]["connection"]["glucoseMeasurement"]["FactoryTimestamp"].as_str().unwrap()).unwrap();
    let lag = current_at.secs_since(*times.last().unwrap());
    assert!((10 * MINUTE..=20 * MINUTE).contains(&lag), "lag {lag}");
    assert!(times.first().unwrap().secs_since(t) >= -12 * HOUR - 30 * MINUTE);
    for p in points {
        assert_eq!(p["type"], 0);
        assert!(p.get("TrendArrow").is_none());
    }
    // Whatever the hour, gaps only remove points.
    for h in 0..48 {
        let n = graph_points(&patient, now() + h * HOUR).len();
        assert!((120..=145).contains(&n), "{h}: {n}");
    }
}

#[test]
fn the_past_does_not_depend_on_now() {
    let patient = Patient::demo();
    let (a, b) = (now(), now() + 7 * HOUR + 13);
    assert_eq!(graph_json(&patient, a, DEMO_TICKET), graph_json(&patient, a, DEMO_TICKET));
    assert_eq!(
        connections_json(std::slice::from_ref(&patient), a, "x"),
        connections_json(std::slice::from_ref(&patient), a, "x")
    );
    // Graph points both answers list have the same values.
    let ga = graph_points(&patient, a);
    let gb = graph_points(&patient, b);
    let overlap: Vec<_> = ga.iter().filter(|x| gb.iter().any(|y| y.at == x.at)).collect();
    assert!(!overlap.is_empty());
    for x in overlap {
        assert_eq!(Some(x), gb.iter().find(|y| y.at == x.at));
    }
    // The current value at a past instant, asked later, equals the minute reading there.
    let past = current(&patient, a).unwrap();
    let later = readings(&patient, a - HOUR, b);
    let same = later.iter().find(|r| r.at == past.at).unwrap();
    assert_eq!(same.mgdl, past.mgdl);
    // Logbook entries both windows cover agree.
    let la = logbook(&patient, a);
    let lb = logbook(&patient, b);
    for e in la.iter().filter(|e| e.reading.at > b - LOGBOOK_SPAN + DAY) {
        assert!(lb.contains(e), "{e:?}");
    }
    assert_eq!(glucose(&patient, a), glucose(&patient, a));
}

#[test]
fn different_seeds_differ() {
    let (a, b) = (Patient::with_seed(1), Patient::with_seed(2));
    let ra = readings(&a, now() - DAY, now());
    let rb = readings(&b, now() - DAY, now());
    let differing = ra.iter().zip(&rb).filter(|(x, y)| x.mgdl != y.mgdl).count();
    assert!(differing > ra.len() / 2, "{differing}");
    assert_ne!(a.patient_id(), b.patient_id());
    assert_ne!(a.patient_id(), a.connection_id());
}

#[test]
fn ids_are_uuid_shaped_and_stable() {
    for p in [Patient::demo(), Patient::second(), Patient::with_seed(0)] {
        for id in [p.patient_id(), p.connection_id(), p.device_id()] {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(parts.iter().map(|s| s.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
            assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{id}");
        }
        assert_eq!(p.patient_id(), p.clone().patient_id());
        assert_eq!(p.sensor_serial(now()).len(), 10);
    }
}

#[test]
fn current_value_during_a_gap_is_the_last_before_it() {
    let patient = Patient::demo();
    let mut slot = patient.slot_at_or_before(now());
    while patient.has_reading(slot) || !patient.has_reading(slot - 1) {
        slot += 1;
    }
    // `slot` is the first minute of a gap.
    let before = patient.slot_time(slot - 1);
    for minutes_in in [0, 5, 9] {
        let t = patient.slot_time(slot) + minutes_in * MINUTE + 30;
        let c = current(&patient, t).unwrap();
        assert_eq!(c.at, before, "{minutes_in} min into the gap");
        assert_eq!(c.origin, Origin::Current);
        assert!(c.arrow.is_some());
    }
    // Outside gaps the current value is the reading of `now`'s minute.
    let t = patient.slot_time(slot - 1) + 59;
    assert_eq!(current(&patient, t).unwrap().at, before);
}

#[test]
fn trend_arrow_thresholds() {
    let cases = [
        (-3.0, 1),
        (-2.0, 1),
        (-1.99, 2),
        (-1.0, 2),
        (-0.99, 3),
        (0.0, 3),
        (0.99, 3),
        (1.0, 4),
        (1.99, 4),
        (2.0, 5),
        (5.0, 5),
    ];
    for (rate, arrow) in cases {
        assert_eq!(llu_arrow(rate), arrow, "{rate}");
    }
}

#[test]
fn local_timestamp_is_shifted_by_the_wearers_offset() {
    for patient in [Patient::demo(), Patient::second()] {
        let json = connections_json(std::slice::from_ref(&patient), now(), DEMO_TICKET);
        let m = &json["data"][0]["glucoseMeasurement"];
        let factory = parse_factory(m["FactoryTimestamp"].as_str().unwrap()).unwrap();
        let local = m["Timestamp"].as_str().unwrap();
        assert_eq!(crate::time::wearer_offset_minutes(local, factory), Some(patient.utc_offset_min));
    }
}

#[test]
fn values_are_in_the_accounts_unit() {
    let mmol_patient = Patient::second();
    let json = graph_json(&mmol_patient, now(), DEMO_TICKET);
    assert_eq!(json["data"]["connection"]["uom"], 0);
    for p in json["data"]["graphData"].as_array().unwrap() {
        let mgdl = p["ValueInMgPerDl"].as_u64().unwrap() as f64;
        let value = p["Value"].as_f64().unwrap();
        assert_eq!(p["GlucoseUnits"], 0);
        assert!((value - mgdl / 18.0182).abs() <= 0.05 + 1e-9, "{value} vs {mgdl}");
        assert_eq!((value * 10.0).round() / 10.0, value);
    }
    let json = graph_json(&Patient::demo(), now(), DEMO_TICKET);
    for p in json["data"]["graphData"].as_array().unwrap() {
        assert_eq!(p["Value"], p["ValueInMgPerDl"]);
        assert!(p["Value"].is_u64());
    }
}

#[test]
fn measurement_colours_follow_the_targets() {
    let p = Patient::demo();
    let cases = [(69, 4), (70, 1), (180, 1), (181, 2), (249, 2), (250, 3), (320, 3)];
    for (v, colour) in cases {
        assert_eq!(measurement_color(&p, v), colour, "{v}");
    }
}

#[test]
fn logbook_has_scans_and_alarms_newest_first() {
    let patient = Patient::demo();
    let entries = logbook(&patient, now());
    assert!(entries.windows(2).all(|w| w[0].reading.at >= w[1].reading.at));
    assert!(entries.iter().all(|e| e.reading.at <= now() && e.reading.at >= now() - LOGBOOK_SPAN));
    let count = |k| entries.iter().filter(|e| e.kind == k).count();
    assert!((28..=60).contains(&count(LogbookKind::Scan)), "{}", count(LogbookKind::Scan));
    assert!(count(LogbookKind::LowAlarm) > 0);
    for e in &entries {
        let v = e.reading.mgdl;
        match e.kind {
            LogbookKind::LowAlarm => assert!(v < patient.alarm_low),
            LogbookKind::HighAlarm => assert!(v > patient.alarm_high),
            LogbookKind::Scan => {}
        }
    }
    let json = logbook_json(&patient, now(), "t");
    let data = json["data"].as_array().unwrap();
    assert_eq!(data.len(), entries.len());
    for item in data {
        match item["type"].as_u64().unwrap() {
            1 => assert!(item.get("alarmType").is_none()),
            3 => assert!(matches!(item["alarmType"].as_u64(), Some(1 | 2))),
            other => panic!("type {other}"),
        }
    }
}

#[test]
fn sensor_changes_every_lifetime_with_a_warm_up() {
    let patient = Patient::demo();
    let life = patient.sensor_model.lifetime_secs();
    let a = patient.sensor_activation(now());
    assert!(a <= now() && now().secs_since(a) < life);
    assert_eq!(a.secs_since(patient.sensor_anchor) % life, 0);
    let warm = readings(&patient, a, a + 2 * HOUR);
    assert!(warm.first().unwrap().at.secs_since(a) >= WARM_UP);
    assert_ne!(patient.sensor_serial(a), patient.sensor_serial(a - 1));
}

/// Every key and value kind in `fixture` is in `ours` and the other way round (nulls match anything).
fn shape_diff(ours: &Value, fixture: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, fixture) {
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Object(a), Value::Object(b)) => {
            for k in a.keys().chain(b.keys()) {
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => shape_diff(x, y, &format!("{path}.{k}"), out),
                    (Some(_), None) => out.push(format!("{path}.{k} only in ours")),
                    (None, _) => out.push(format!("{path}.{k} only in the fixture")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape_diff(x, y, &format!("{path}[0]"), out);
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => {}
        _ => out.push(format!("{path}: {ours} vs {fixture}")),
    }
}

fn fixture(path: &str) -> Value {
    let full = format!("{}/../../shared/fixtures/llu/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
}

fn assert_shape(ours: &Value, fixture: &Value, allowed: &[&str]) {
    let mut diff = Vec::new();
    shape_diff(ours, fixture, "", &mut diff);
    diff.retain(|d| !allowed.iter().any(|a| d.starts_with(a)));
    assert!(diff.is_empty(), "{diff:#?}");
}

#[test]
fn a_script_overrides_the_day_from_each_hold_on() {
    let t = |m: i64| now() + m * MINUTE;
    let hold = |m: i64, level: u16| Hold { from: t(m), level: MgDl::new(level) };
    let patient = Patient { script: vec![hold(10, 45), hold(0, 62)], ..Patient::demo() };
    assert_eq!(glucose(&patient, t(-1)), glucose(&Patient::demo(), t(-1)));
    assert_eq!(glucose(&patient, t(0)), 62.0);
    assert_eq!(glucose(&patient, t(9)), 62.0);
    assert_eq!(glucose(&patient, t(10)), 45.0);
    assert_eq!(glucose(&patient, t(600)), 45.0);
    let current = current(&patient, t(12) + 30).map(|r| r.mgdl);
    assert!(matches!(current, Some(v) if v == MgDl::new(45)) || current.is_none(), "{current:?}");
}

#[test]
fn a_held_stretch_has_no_signal_gaps() {
    let demo = Patient::demo();
    let warm = |at: UtcTime| at.secs_since(demo.sensor_activation(at)) >= WARM_UP;
    let first = demo.slot_at_or_before(now());
    let slot = (first..first + 30 * 24 * 60)
        .find(|&s| in_gap(demo.seed, s) && warm(demo.slot_time(s)))
        .expect("a gap within 30 days");
    let at = demo.slot_time(slot);
    assert!(!demo.has_reading(slot));
    let held = Patient { script: vec![Hold { from: at - HOUR, level: MgDl::new(62) }], ..demo };
    assert!(held.has_reading(slot), "a held stretch reads through the demo's gap");
    assert_eq!(current(&held, at + 30).map(|r| r.mgdl), Some(MgDl::new(62)));
}

#[test]
#[ignore = "the extra corpus beside the checkout (../shared/fixtures/llu): cargo xtask test runs it when it is there"]
fn json_has_the_fixtures_shape() {
    let patients = [Patient::demo(), Patient::second()];
    // Jane (the second fixture connection) has every optional field; John has a sensor object.
    let connections = fixture("nightscout-librelink-up/connections.json");
    let ours = connections_json(&patients, now(), DEMO_TICKET);
    assert_shape(&ours["data"][0], &connections["data"][1], &[]);
    assert_shape(&ours["data"][0]["sensor"], &connections["data"][0]["sensor"], &[]);
    assert!(ours["data"][1]["sensor"].is_null());
    assert_shape(&ours["ticket"], &connections["ticket"], &[]);
    assert_eq!(ours["ticket"]["token"], DEMO_TICKET);
    // The graph fixture's device lacks the optional "l"/"h" switches and "on" in the alarm rules.
    let graph = fixture("nightscout-librelink-up/graph.json");
    let ours = graph_json(&patients[0], now(), "tok");
    let optional = [
        ".data.connection.patientDevice.l ",
        ".data.connection.patientDevice.h ",
        ".data.activeSensors[0].device.l ",
        ".data.activeSensors[0].device.h ",
        ".data.connection.alarmRules.h.on",
        ".data.connection.alarmRules.l.on",
    ];
    assert_shape(&ours, &graph, &optional);
    let mmol_graph = fixture("libreview-unofficial/graph_mmol.json");
    assert_shape(&graph_json(&patients[1], now(), "tok")["data"]["graphData"], &mmol_graph["data"]["graphData"], &[]);
    // Logbook: alarms like LibreView's fixture, scans like pylibrelinkup's.
    let logbook = logbook_json(&patients[0], now(), "tok");
    let data = logbook["data"].as_array().unwrap();
    let alarm = data.iter().find(|e| e["type"] == 3).unwrap();
    let scan = data.iter().find(|e| e["type"] == 1).unwrap();
    assert_shape(alarm, &fixture("libreview-unofficial/logbook.json")["data"][0], &[]);
    assert_shape(scan, &fixture("pylibrelinkup/logbook_response.json")["data"][0], &[]);
}

proptest! {
    #[test]
    fn any_seed_any_minute_is_plausible(seed in any::<u64>(), minute in 0i64..40_000_000) {
        let patient = Patient::with_seed(seed);
        let at = UtcTime::from_unix_secs(minute * MINUTE);
        let v = glucose(&patient, at);
        prop_assert!(v.is_finite() && (40.0..=400.0).contains(&v));
        let step = (glucose(&patient, at + MINUTE) - v).abs();
        prop_assert!(step < 4.0, "{}", step);
    }
}
