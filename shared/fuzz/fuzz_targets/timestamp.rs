//! Fuzzes the strict LLU timestamp parser and the glucose-item → reading conversion.
//!
//! The input is used three ways: as a `FactoryTimestamp` string (anything accepted must print back to itself
//! after one normalising round trip), as a raw JSON glucose item, and as a timestamp inside a well-formed item, a
//! graph and a logbook (whatever converts must be a plausible reading).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::llu::{GlucoseItem, GraphData, LogbookEntry, logbook_readings};
use shared::reading::Origin;
use shared::time::parse_factory;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Ok(t) = parse_factory(&text) {
        let canonical = t.to_llu();
        assert_eq!(parse_factory(&canonical), Ok(t), "{text:?} -> {canonical:?}");
    }

    if let Ok(item) = serde_json::from_slice::<GlucoseItem>(data) {
        check(&item);
    }

    let mgdl = data.first().map_or(0, |b| u32::from(*b) * 3);
    let item = serde_json::json!({
        "FactoryTimestamp": text, "Timestamp": text, "type": 1, "ValueInMgPerDl": mgdl,
        "TrendArrow": data.get(1).copied().unwrap_or(0), "isLow": data.get(2) == Some(&1), "isHigh": data.get(2) == Some(&2),
    });
    if let Ok(item) = serde_json::from_value::<GlucoseItem>(item.clone()) {
        check(&item);
    }
    let graph = serde_json::json!({
        "connection": {"id": "c", "patientId": "p", "targetLow": 70, "targetHigh": 180, "glucoseMeasurement": item},
        "graphData": [item, item],
    });
    if let Ok(graph) = serde_json::from_value::<GraphData>(graph) {
        // Three copies of one item: all convert and merge into one reading, or all three are reported.
        let out = graph.readings();
        match out.rejected.len() {
            0 => assert_eq!(out.series.len(), 1),
            3 => assert!(out.series.is_empty()),
            n => panic!("{n} of 3 identical items rejected"),
        }
    }
    if let Ok(entries) = serde_json::from_value::<Vec<LogbookEntry>>(serde_json::json!([item])) {
        let out = logbook_readings(&entries);
        assert_eq!(out.series.len() + out.rejected.len() + out.alarms_without_value, 1);
    }
});

fn check(item: &GlucoseItem) {
    if let Ok(r) = item.to_reading(Origin::Graph) {
        assert!((1..=600).contains(&r.mgdl.get()));
        assert_eq!(parse_factory(&item.factory_timestamp), Ok(r.at));
    }
}
