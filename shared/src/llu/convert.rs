//! From LLU glucose items to domain [`Reading`]s.
//!
//! One bad item never sinks a whole response: the batch helpers convert what they can, and return every item they
//! had to reject with its reason, so nothing is dropped silently.

use serde_json::Number;

use crate::reading::{Origin, Reading, SensorRange, Series};
use crate::time::{parse_factory, wearer_offset_minutes};
use crate::trend::Direction;
use crate::units::{MgDl, SENSOR_MAX, SENSOR_MIN};
use crate::{Error, Result};

use crate::alarm::AlarmConfig;

use super::wire::{AlarmRule, Connection, GlucoseItem, GraphData, LogbookEntry};

/// The readings of an LLU graph envelope: its points and the current value, item by item (an item that does not
/// convert is left out, as the app does). Only the items go through LLU's wire types: deserialising the whole
/// `GraphData` would add its every type to the worker for nothing Nightscout needs.
pub fn graph_series(body: &serde_json::Value) -> Series {
    use serde_json::Value;

    let data = body.get("data");
    let points = data.and_then(|d| d.get("graphData")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let current = data.and_then(|d| d.get("connection")).and_then(|c| c.get("glucoseMeasurement"));
    let items = points.iter().map(|item| (item, Origin::Graph)).chain(current.map(|item| (item, Origin::Current)));
    Series::from_readings(items.filter_map(|(item, origin)| {
        crate::wire::from_value::<GlucoseItem>(item).and_then(|item| item.to_reading(origin).ok())
    }))
}

/// The patient's sensor from a graph answer's JSON (the worker reads it untyped): `data.connection.sensor`, or the
/// first of `data.activeSensors` when the connection's is missing, with `patientDevice.dtid` for the model, read
/// as the app reads the typed [`Connection`]. `None` without a usable sensor.
pub fn graph_sensor(body: &serde_json::Value) -> Option<crate::sensor::Sensor> {
    use serde_json::Value;
    let data = body.get("data")?;
    let connection = data.get("connection");
    let sensor = connection
        .and_then(|c| c.get("sensor"))
        .filter(|s| s.is_object())
        .or_else(|| data.pointer("/activeSensors/0/sensor"))?;
    let warmup = sensor.get("w").and_then(Value::as_u64).and_then(|w| u32::try_from(w).ok());
    let dtid = connection
        .and_then(|c| c.pointer("/patientDevice/dtid"))
        .and_then(Value::as_u64)
        .and_then(|d| u32::try_from(d).ok());
    crate::sensor::Sensor::from_llu(sensor.get("a")?.as_i64()?, warmup, dtid).ok()
}

/// LLU's `type` of a logbook alarm that carries no value.
pub const ALARM_WITHOUT_VALUE: i64 = 2;

impl GlucoseItem {
    /// This item as a reading from `origin`.
    ///
    /// The instant is `FactoryTimestamp` (strict, UTC), the value `ValueInMgPerDl` (1–600 mg/dL, a whole number),
    /// the range flag `isLow`/`isHigh`, the arrow `TrendArrow` when present, and the wearer's offset comes from
    /// `Timestamp`. A LO or HI item is never dropped for its value: when the value is missing or implausible it is
    /// recorded at the sensor's limit (40 or 500 mg/dL), because a LO is the reading that matters most.
    pub fn to_reading(&self, origin: Origin) -> Result<Reading> {
        let at = parse_factory(&self.factory_timestamp)?;
        let range = match (self.is_low, self.is_high) {
            (false, false) => SensorRange::InRange,
            (true, false) => SensorRange::Lo,
            (false, true) => SensorRange::Hi,
            (true, true) => return Err(Error::GlucoseItem("flagged both LO and HI")),
        };
        let value = self.value_in_mg_per_dl.as_ref().map(whole_mgdl);
        let mgdl = match (range, value) {
            (SensorRange::InRange, None) => return Err(Error::GlucoseItem("no ValueInMgPerDl")),
            (SensorRange::InRange, Some(v)) => MgDl::checked(v?)?,
            (SensorRange::Lo, v) => v.and_then(|v| v.ok()).and_then(|v| MgDl::checked(v).ok()).unwrap_or(SENSOR_MIN),
            (SensorRange::Hi, v) => v.and_then(|v| v.ok()).and_then(|v| MgDl::checked(v).ok()).unwrap_or(SENSOR_MAX),
        };
        let arrow = self.trend_arrow.map(|a| Direction::from_llu_arrow(u8::try_from(a).unwrap_or(0)));
        Ok(Reading { at, mgdl, range, arrow, wearer_offset_min: wearer_offset_minutes(&self.timestamp, at), origin })
    }
}

/// A JSON number that must be a whole, non-negative number of mg/dL (an integral float such as `115.0` counts).
fn whole_mgdl(n: &Number) -> Result<u32> {
    if let Some(u) = n.as_u64() {
        return Ok(u32::try_from(u).unwrap_or(u32::MAX));
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&f) => Ok(f as u32),
        _ => Err(Error::GlucoseItem("ValueInMgPerDl is not a whole number of mg/dL")),
    }
}

/// An item that could not become a reading.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rejected {
    /// Which list it came from.
    pub origin: Origin,
    /// Its position in that list (`None` for the single current value).
    pub index: Option<usize>,
    /// Its `FactoryTimestamp`, cut to 64 characters, to find it again.
    pub factory_timestamp: String,
    /// Why it was rejected.
    pub error: Error,
}

/// The readings of one response, merged, plus everything that did not make it.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Converted {
    /// The readings, sorted by instant, one per instant (the current value wins over a graph point).
    pub series: Series,
    /// Items that could not be converted, with reasons.
    pub rejected: Vec<Rejected>,
    /// Logbook alarms of type 2, which carry no value by design (counted, not rejected).
    pub alarms_without_value: usize,
}

impl Converted {
    fn push(&mut self, readings: &mut Vec<Reading>, item: &GlucoseItem, origin: Origin, index: Option<usize>) {
        match item.to_reading(origin) {
            Ok(r) => readings.push(r),
            Err(error) => self.rejected.push(Rejected {
                origin,
                index,
                factory_timestamp: item.factory_timestamp.chars().take(64).collect(),
                error,
            }),
        }
    }
}

impl Connection {
    /// The current value as LLU sent it: `glucoseMeasurement`, else `glucoseItem`.
    pub fn current_item(&self) -> Option<&GlucoseItem> {
        self.glucose_measurement.as_ref().or(self.glucose_item.as_ref())
    }

    /// The current value as a [`Origin::Current`] reading; `None` when LLU sent neither item.
    pub fn current_reading(&self) -> Option<Result<Reading>> {
        self.current_item().map(|i| i.to_reading(Origin::Current))
    }

    /// Alarm settings seeded from this patient's LibreLinkUp settings: the low and high thresholds of
    /// `alarmRules` (`l.th`, `h.th`) when they are switched on, else the patient's `targetLow`/`targetHigh`;
    /// everything else is clinical.md's default. Thresholds outside 40–400 mg/dL, or a low not below the high,
    /// are ignored. Urgent low stays at 55 mg/dL unless LLU's fixed low (`f.th`) is lower.
    pub fn alarm_defaults(&self) -> AlarmConfig {
        let mut config = AlarmConfig::default();
        let mgdl =
            |n: Option<&Number>| n.and_then(Number::as_f64).filter(|v| (40.0..=400.0).contains(v)).map(MgDl::round);
        let rule = |r: Option<&AlarmRule>| r.filter(|r| r.on != Some(false)).and_then(|r| mgdl(r.th.as_ref()));
        let rules = self.alarm_rules.as_ref();
        let profile = &mut config.day;
        if let Some(fixed) = rules.and_then(|r| r.f.as_ref()).and_then(|f| mgdl(f.th.as_ref())) {
            profile.urgent_low = profile.urgent_low.min(fixed);
        }
        let urgent_low = profile.urgent_low;
        let valid_low = |l: &MgDl| *l > urgent_low && *l < profile.urgent_high;
        if let Some(low) = rule(rules.and_then(|r| r.l.as_ref()))
            .filter(valid_low)
            .or_else(|| mgdl(Some(&self.target_low)).filter(valid_low))
        {
            profile.low = low;
        }
        let (low, urgent_high) = (profile.low, profile.urgent_high);
        let valid_high = |h: &MgDl| *h > low && *h < urgent_high;
        if let Some(high) = rule(rules.and_then(|r| r.h.as_ref()))
            .filter(valid_high)
            .or_else(|| mgdl(Some(&self.target_high)).filter(valid_high))
        {
            profile.high = high;
        }
        config
    }
}

impl GraphData {
    /// The history (`graphData`, [`Origin::Graph`]) merged with the current value ([`Origin::Current`]).
    pub fn readings(&self) -> Converted {
        let mut out = Converted::default();
        let points = self.graph_data.as_deref().unwrap_or_default();
        let mut readings = Vec::with_capacity(points.len() + 1);
        for (i, item) in points.iter().enumerate() {
            out.push(&mut readings, item, Origin::Graph, Some(i));
        }
        if let Some(item) = self.connection.current_item() {
            out.push(&mut readings, item, Origin::Current, None);
        }
        out.series = Series::from_readings(readings);
        out
    }
}

/// The readings of a logbook ([`Origin::Logbook`]); type-2 alarms without a value are counted, not converted.
pub fn logbook_readings(entries: &[LogbookEntry]) -> Converted {
    let mut out = Converted::default();
    let mut readings = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        if entry.item.kind == ALARM_WITHOUT_VALUE && entry.item.value_in_mg_per_dl.is_none() {
            out.alarms_without_value += 1;
            continue;
        }
        out.push(&mut readings, &entry.item, Origin::Logbook, Some(i));
    }
    out.series = Series::from_readings(readings);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::UtcTime;
    use proptest::prelude::*;

    fn item(json: &str) -> GlucoseItem {
        serde_json::from_str(json).unwrap()
    }

    const BASE: &str = r#""FactoryTimestamp":"12/30/2022 4:47:40 PM","Timestamp":"12/30/2022 5:47:40 PM","type":1"#;

    #[test]
    fn converts_items_table() {
        // (extra fields, expected mg/dL, range, arrow) — None = rejected
        type Want = Option<(u16, SensorRange, Option<Direction>)>;
        let cases: &[(&str, Want)] = &[
            (r#""ValueInMgPerDl":115,"TrendArrow":3"#, Some((115, SensorRange::InRange, Some(Direction::Flat)))),
            (r#""ValueInMgPerDl":115.0"#, Some((115, SensorRange::InRange, None))),
            (r#""ValueInMgPerDl":54,"TrendArrow":1"#, Some((54, SensorRange::InRange, Some(Direction::SingleDown)))),
            (r#""ValueInMgPerDl":90,"TrendArrow":0"#, Some((90, SensorRange::InRange, Some(Direction::NotComputable)))),
            (
                r#""ValueInMgPerDl":90,"TrendArrow":99999"#,
                Some((90, SensorRange::InRange, Some(Direction::NotComputable))),
            ),
            (r#""ValueInMgPerDl":39,"isLow":true"#, Some((39, SensorRange::Lo, None))),
            (r#""ValueInMgPerDl":0,"isLow":true"#, Some((40, SensorRange::Lo, None))),
            (r#""isLow":true"#, Some((40, SensorRange::Lo, None))),
            (r#""ValueInMgPerDl":501,"isHigh":true"#, Some((501, SensorRange::Hi, None))),
            (r#""ValueInMgPerDl":9000,"isHigh":true"#, Some((500, SensorRange::Hi, None))),
            (r#""ValueInMgPerDl":0"#, None),
            (r#""ValueInMgPerDl":601"#, None),
            (r#""ValueInMgPerDl":-5"#, None),
            (r#""ValueInMgPerDl":115.5"#, None),
            (r#""ValueInMgPerDl":18446744073709551615"#, None),
            (r#""Value":6.4"#, None),
            (r#""ValueInMgPerDl":100,"isLow":true,"isHigh":true"#, None),
        ];
        for (extra, want) in cases {
            let got = item(&format!("{{{BASE},{extra}}}")).to_reading(Origin::Current);
            match (want, got) {
                (Some((v, range, arrow)), Ok(r)) => {
                    assert_eq!((r.mgdl.get(), r.range, r.arrow), (*v, *range, *arrow), "{extra}");
                    assert_eq!(r.at, UtcTime::from_unix_secs(1_672_418_860));
                    assert_eq!(r.wearer_offset_min, Some(60));
                    assert_eq!(r.origin, Origin::Current);
                }
                (None, Err(_)) => {}
                (want, got) => panic!("{extra}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn bad_timestamps_are_rejected_and_bad_local_time_only_loses_the_offset() {
        let bad = item(r#"{"FactoryTimestamp":"2022-12-30T16:47:40Z","ValueInMgPerDl":100}"#);
        assert!(matches!(bad.to_reading(Origin::Graph), Err(Error::Timestamp { .. })));
        let no_local = item(r#"{"FactoryTimestamp":"12/30/2022 4:47:40 PM","Timestamp":"x","ValueInMgPerDl":100}"#);
        assert_eq!(no_local.to_reading(Origin::Graph).unwrap().wearer_offset_min, None);
    }

    #[test]
    fn graph_skips_and_reports_bad_points() {
        let json = format!(
            r#"{{"connection":{{"id":"c","patientId":"p","targetLow":70,"targetHigh":180,"glucoseMeasurement":{{{BASE},"ValueInMgPerDl":120,"TrendArrow":4}}}},
            "graphData":[
              {{"FactoryTimestamp":"12/30/2022 4:37:40 PM","ValueInMgPerDl":110}},
              {{"FactoryTimestamp":"bogus","ValueInMgPerDl":111}},
              {{"FactoryTimestamp":"12/30/2022 4:42:40 PM","ValueInMgPerDl":700}},
              {{"FactoryTimestamp":"12/30/2022 4:47:40 PM","ValueInMgPerDl":119}}
            ]}}"#
        );
        let graph: GraphData = serde_json::from_str(&json).unwrap();
        let out = graph.readings();
        let got: Vec<_> = out.series.as_slice().iter().map(|r| (r.mgdl.get(), r.origin)).collect();
        assert_eq!(got, [(110, Origin::Graph), (120, Origin::Current)]);
        assert_eq!(out.rejected.iter().map(|r| r.index).collect::<Vec<_>>(), [Some(1), Some(2)]);
        assert_eq!(out.rejected[1].error, Error::ImplausibleGlucose(700));
    }

    #[test]
    fn alarm_defaults_come_from_llu_rules_then_targets() {
        let connection = |extra: &str| -> Connection {
            serde_json::from_str(&format!(r#"{{"id":"c","patientId":"p","targetLow":80,"targetHigh":160{extra}}}"#))
                .unwrap()
        };
        let cases = [
            ("", (55, 80, 160)),
            (r#","alarmRules":{"l":{"on":true,"th":75},"h":{"on":true,"th":200},"f":{"th":50}}"#, (50, 75, 200)),
            (r#","alarmRules":{"l":{"on":false,"th":75},"h":{"th":900}}"#, (55, 80, 160)),
            (r#","alarmRules":{"h":{"th":60}}"#, (55, 80, 160)),
        ];
        for (extra, (urgent_low, low, high)) in cases {
            let day = connection(extra).alarm_defaults().day;
            assert_eq!((day.urgent_low.get(), day.low.get(), day.high.get()), (urgent_low, low, high), "{extra}");
        }
    }

    #[test]
    fn logbook_counts_alarms_without_value() {
        let entries: Vec<LogbookEntry> = serde_json::from_str(
            r#"[{"FactoryTimestamp":"1/2/2024 3:00:00 AM","type":2,"alarmType":0},
                {"FactoryTimestamp":"1/2/2024 3:05:00 AM","type":3,"ValueInMgPerDl":52,"alarmType":1,"TrendArrow":2},
                {"FactoryTimestamp":"1/2/2024 3:10:00 AM","type":1}]"#,
        )
        .unwrap();
        let out = logbook_readings(&entries);
        assert_eq!(out.alarms_without_value, 1);
        assert_eq!(out.series.len(), 1);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].error, Error::GlucoseItem("no ValueInMgPerDl"));
    }

    proptest! {
        #[test]
        fn any_item_json_converts_or_errors_without_panicking(
            ts in "\\PC{0,30}", v in proptest::num::i64::ANY, arrow in proptest::num::i64::ANY,
            lo in any::<bool>(), hi in any::<bool>(),
        ) {
            let json = serde_json::json!({"FactoryTimestamp": ts, "Timestamp": ts, "ValueInMgPerDl": v,
                "TrendArrow": arrow, "isLow": lo, "isHigh": hi});
            let item: GlucoseItem = serde_json::from_value(json).unwrap();
            if let Ok(r) = item.to_reading(Origin::Graph) {
                prop_assert!((1..=600).contains(&r.mgdl.get()));
            }
        }
    }
}
