//! Nightscout's read shapes, so watchfaces and apps that speak Nightscout can follow a Tidewatch share:
//! `/api/v1/entries` entries and the `/pebble` object. Nightscout's names (directions, trend numbers, `sgv`,
//! `dateString`) appear only here.
//!
//! Choices that follow Nightscout: entries are newest first; a reading's direction is LLU's arrow when LLU sent one
//! and otherwise our own from the least-squares rate; `delta` is Nightscout's bucketed delta per 5 minutes at
//! that reading; a sensor LO is written as `sgv: 39` and a HI as `sgv: 401`, the values Nightscout shows as "LOW"
//! and "HIGH".

use serde::{Deserialize, Serialize};

use crate::reading::{Reading, SensorRange};
use crate::time::UtcTime;
use crate::trend::{self, Direction};
use crate::units::GlucoseUnit;

/// What Nightscout shows as "LOW".
pub const SGV_LOW: u16 = 39;
/// What Nightscout shows as "HIGH".
pub const SGV_HIGH: u16 = 401;

/// Nightscout's name for a direction.
pub const fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::DoubleUp => "DoubleUp",
        Direction::SingleUp => "SingleUp",
        Direction::FortyFiveUp => "FortyFiveUp",
        Direction::Flat => "Flat",
        Direction::FortyFiveDown => "FortyFiveDown",
        Direction::SingleDown => "SingleDown",
        Direction::DoubleDown => "DoubleDown",
        Direction::NotComputable => "NOT COMPUTABLE",
    }
}

/// Nightscout's trend number for a direction (`/pebble`, entries' `trend`).
pub const fn trend_number(direction: Direction) -> u8 {
    match direction {
        Direction::DoubleUp => 1,
        Direction::SingleUp => 2,
        Direction::FortyFiveUp => 3,
        Direction::Flat => 4,
        Direction::FortyFiveDown => 5,
        Direction::SingleDown => 6,
        Direction::DoubleDown => 7,
        Direction::NotComputable => 8,
    }
}

/// One `/api/v1/entries` entry of type `sgv`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// A stable, ObjectId-shaped identifier derived from the instant.
    #[serde(rename = "_id")]
    pub id: String,
    /// Always `"sgv"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value in mg/dL (39 for LO, 401 for HI).
    pub sgv: u16,
    /// Epoch milliseconds.
    pub date: i64,
    /// Epoch milliseconds (newer Nightscout clients read this).
    pub mills: i64,
    /// ISO 8601 UTC.
    pub date_string: String,
    /// ISO 8601 UTC (as `dateString`).
    pub sys_time: String,
    /// Nightscout's direction name.
    pub direction: String,
    /// Nightscout's trend number.
    pub trend: u8,
    /// Change per 5 minutes in mg/dL (three decimals), when computable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    /// Who uploaded it.
    pub device: String,
    /// The wearer's UTC offset in minutes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<i16>,
}

/// The entry for `readings[index]`, computing its direction and delta from the readings up to it.
fn entry_at(readings: &[Reading], index: usize, device: &str) -> Option<Entry> {
    let upto = readings.get(..=index)?;
    let reading = upto.last()?;
    let direction = reading.arrow.unwrap_or_else(|| trend::direction(upto));
    let sgv = match reading.range {
        SensorRange::Lo => SGV_LOW,
        SensorRange::Hi => SGV_HIGH,
        SensorRange::InRange => reading.mgdl.get(),
    };
    let iso = reading.at.to_iso8601();
    Some(Entry {
        id: object_id(reading.at),
        kind: "sgv".into(),
        sgv,
        date: reading.at.unix_millis(),
        mills: reading.at.unix_millis(),
        date_string: iso.clone(),
        sys_time: iso,
        direction: direction_name(direction).into(),
        trend: trend_number(direction),
        delta: trend::delta(upto)
            .filter(|d| d.recent_at == reading.at)
            .map(|d| (d.per_5_min * 1000.0).round() / 1000.0),
        device: device.into(),
        utc_offset: reading.wearer_offset_min,
    })
}

/// Entries for `/api/v1/entries`: newest first, at most `count`, only readings at or after `since` when given.
/// `readings` are sorted oldest first (a [`crate::reading::Series`] slice).
pub fn entries(readings: &[Reading], since: Option<UtcTime>, count: usize, device: &str) -> Vec<Entry> {
    let start = since.map_or(0, |t| readings.partition_point(|r| r.at < t));
    (start..readings.len()).rev().take(count).filter_map(|i| entry_at(readings, i, device)).collect()
}

/// A 24-hex-digit, MongoDB-ObjectId-shaped id: the instant's seconds, then a fixed Tidewatch marker.
fn object_id(at: UtcTime) -> String {
    format!("{:08x}7469646577617463", at.unix_secs().clamp(0, i64::from(u32::MAX)))
}

/// The `/pebble` answer.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Pebble {
    /// `[{"now": epoch ms}]`.
    pub status: Vec<PebbleStatus>,
    /// Newest first.
    pub bgs: Vec<PebbleBg>,
    /// Always empty (no calibrations with Libre).
    pub cals: Vec<serde_json::Value>,
}

/// `/pebble`'s server time.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct PebbleStatus {
    /// Epoch milliseconds.
    pub now: i64,
}

/// One `/pebble` glucose value.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct PebbleBg {
    /// The value as text in the requested unit (`"101"`, `"5.6"`, `"LO"`/`"HI"` are not used: 39/401 as entries).
    pub sgv: String,
    /// Nightscout's trend number.
    pub trend: u8,
    /// Nightscout's direction name.
    pub direction: String,
    /// Epoch milliseconds.
    pub datetime: i64,
    /// The delta per 5 minutes in the requested unit (first value only; 0 when not computable, as Nightscout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bgdelta: Option<f64>,
    /// Battery of the uploader (unknown: empty, first value only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub battery: Option<String>,
}

/// The `/pebble` object for `count` readings in `unit`, at `now`.
pub fn pebble(readings: &[Reading], now: UtcTime, count: usize, unit: GlucoseUnit) -> Pebble {
    let bgs = entries(readings, None, count, "")
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let first = i == 0;
            let delta_mgdl = e.delta.unwrap_or(0.0);
            PebbleBg {
                sgv: match unit {
                    GlucoseUnit::MgDl => e.sgv.to_string(),
                    GlucoseUnit::MmolL => unit.format(f64::from(e.sgv)),
                },
                trend: e.trend,
                direction: e.direction,
                datetime: e.date,
                bgdelta: first.then(|| unit.convert(delta_mgdl)),
                battery: first.then(String::new),
            }
        })
        .collect();
    Pebble { status: vec![PebbleStatus { now: now.unix_millis() }], bgs, cals: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::MINUTE;
    use crate::units::MgDl;

    fn series(points: &[(i64, u16)]) -> Vec<Reading> {
        points
            .iter()
            .map(|&(m, v)| Reading::new(UtcTime::from_unix_secs(1_700_000_000 + m * MINUTE), MgDl::new(v)))
            .collect()
    }

    #[test]
    fn names_and_numbers_match_nightscout() {
        let cases = [
            (Direction::DoubleUp, "DoubleUp", 1),
            (Direction::SingleUp, "SingleUp", 2),
            (Direction::FortyFiveUp, "FortyFiveUp", 3),
            (Direction::Flat, "Flat", 4),
            (Direction::FortyFiveDown, "FortyFiveDown", 5),
            (Direction::SingleDown, "SingleDown", 6),
            (Direction::DoubleDown, "DoubleDown", 7),
            (Direction::NotComputable, "NOT COMPUTABLE", 8),
        ];
        for (d, name, number) in cases {
            assert_eq!((direction_name(d), trend_number(d)), (name, number));
        }
        // LLU's five arrows land on Nightscout's single arrows.
        let llu: Vec<_> = (1..=5).map(|a| direction_name(Direction::from_llu_arrow(a))).collect();
        assert_eq!(llu, ["SingleDown", "FortyFiveDown", "Flat", "FortyFiveUp", "SingleUp"]);
    }

    #[test]
    fn entries_are_newest_first_with_delta_and_direction() {
        let mut readings = series(&[(0, 100), (5, 110), (10, 120), (15, 130)]);
        readings[3].arrow = Some(Direction::FortyFiveUp);
        let e = entries(&readings, None, 3, "tidewatch");
        assert_eq!(e.len(), 3);
        assert_eq!(e.iter().map(|e| e.sgv).collect::<Vec<_>>(), [130, 120, 110]);
        assert_eq!(e[0].direction, "FortyFiveUp"); // LLU's arrow wins
        assert_eq!(e[1].direction, "SingleUp"); // ours: +2 mg/dL/min over 10 min
        assert_eq!(e[0].delta, Some(10.0));
        assert_eq!(e[2].delta, Some(10.0));
        assert_eq!(e[0].kind, "sgv");
        assert_eq!(e[0].date, 1_700_000_900_000);
        assert_eq!(e[0].date_string, "2023-11-14T22:28:20.000Z");
        assert_eq!(e[0].id.len(), 24);
        assert_ne!(e[0].id, e[1].id);
        let json = serde_json::to_value(&e[0]).unwrap();
        for key in ["_id", "sgv", "date", "dateString", "direction", "trend", "delta", "type", "device"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn since_filter_and_lo_hi() {
        let mut readings = series(&[(0, 100), (5, 45), (10, 501)]);
        readings[1].range = SensorRange::Lo;
        readings[2].range = SensorRange::Hi;
        let since = Some(UtcTime::from_unix_secs(1_700_000_000 + 5 * MINUTE));
        let e = entries(&readings, since, 10, "x");
        assert_eq!(e.iter().map(|e| e.sgv).collect::<Vec<_>>(), [SGV_HIGH, SGV_LOW]);
        assert_eq!(entries(&readings, None, 0, "x").len(), 0);
        assert_eq!(entries(&[], None, 10, "x").len(), 0);
        let e = entries(&readings[..1], None, 10, "x");
        assert_eq!(e[0].delta, None);
        assert_eq!(e[0].direction, "NOT COMPUTABLE");
    }

    /// Nightscout clients (xDrip+, Loop, watch faces) read these names; an absent delta or offset is left out.
    #[test]
    fn entries_are_written_with_nightscouts_names() {
        let mut readings = series(&[(0, 100), (5, 45), (10, 130), (15, 128)]);
        readings[1].range = SensorRange::Lo;
        readings[2].wearer_offset_min = Some(-300);
        readings[3].arrow = Some(Direction::FortyFiveDown);
        let e = entries(&readings, None, 3, "tidewatch");
        let written = r#"[{"_id":"6553f4847469646577617463","date":1700000900000,
            "dateString":"2023-11-14T22:28:20.000Z","delta":-2.0,"device":"tidewatch","direction":"FortyFiveDown",
            "mills":1700000900000,"sgv":128,"sysTime":"2023-11-14T22:28:20.000Z","trend":5,"type":"sgv"},
            {"_id":"6553f3587469646577617463","date":1700000600000,"dateString":"2023-11-14T22:23:20.000Z",
            "delta":90.0,"device":"tidewatch","direction":"SingleUp","mills":1700000600000,"sgv":130,
            "sysTime":"2023-11-14T22:23:20.000Z","trend":2,"type":"sgv","utcOffset":-300},
            {"_id":"6553f22c7469646577617463","date":1700000300000,"dateString":"2023-11-14T22:18:20.000Z",
            "delta":-60.0,"device":"tidewatch","direction":"NOT COMPUTABLE","mills":1700000300000,"sgv":39,
            "sysTime":"2023-11-14T22:18:20.000Z","trend":8,"type":"sgv"}]"#;
        assert_eq!(crate::wire::to_value(&e), crate::wire::parse(written).unwrap());
        let first = entries(&readings, None, 4, "x").pop().unwrap();
        let first = crate::wire::to_value(&first);
        assert!(first.get("delta").is_none() && first.get("utcOffset").is_none(), "{first}");
    }

    #[test]
    fn pebble_in_mmol_has_delta_on_the_first_value_only() {
        let readings = series(&[(0, 100), (5, 110), (10, 120)]);
        let p = pebble(&readings, UtcTime::from_unix_secs(1_700_000_700), 2, GlucoseUnit::MmolL);
        assert_eq!(p.status[0].now, 1_700_000_700_000);
        assert_eq!(p.bgs.iter().map(|b| b.sgv.as_str()).collect::<Vec<_>>(), ["6.7", "6.1"]);
        assert_eq!(p.bgs[0].bgdelta, Some(0.6));
        assert_eq!(p.bgs[1].bgdelta, None);
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.starts_with(r#"{"status":[{"now":1700000700000}],"bgs":[{"sgv":"6.7","trend":"#), "{json}");
        let mgdl = pebble(&readings, UtcTime::from_unix_secs(0), 1, GlucoseUnit::MgDl);
        assert_eq!((mgdl.bgs[0].sgv.as_str(), mgdl.bgs[0].bgdelta), ("120", Some(10.0)));
    }
}
