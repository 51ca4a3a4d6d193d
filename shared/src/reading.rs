//! A glucose reading, the merged series of them, and how fresh the newest one is.
//!
//! A [`Series`] is keyed by the reading's UTC instant (LLU's `FactoryTimestamp`): inserting a reading at an
//! instant already present replaces it (upsert), so graph points, the current value and logbook entries can be
//! merged in any order and any number of times. Freshness is never stored: it is computed from the newest
//! reading's age at `now`.

use serde::{Deserialize, Serialize};

use crate::time::{MINUTE, UtcTime};
use crate::trend::Direction;
use crate::units::{GlucoseUnit, MgDl, SENSOR_MAX, SENSOR_MIN};

/// The sensor's own out-of-range flag (LLU `isLow`/`isHigh`): the value is below or above what it can measure.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub enum SensorRange {
    /// Within 40–500 mg/dL: the value is a measurement.
    #[default]
    InRange,
    /// Below the sensor's range: show "LO".
    Lo,
    /// Above the sensor's range: show "HI".
    Hi,
}

/// Where a reading came from, which decides which copy wins when two describe the same instant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
pub enum Origin {
    /// A 5-minute historic graph point.
    #[default]
    Graph,
    /// A logbook entry (scan or alarm with a measurement).
    Logbook,
    /// The current, minute-by-minute value (the only one with LLU's trend arrow).
    Current,
}

/// One glucose reading.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Reading {
    /// When it was measured (LLU `FactoryTimestamp`, UTC).
    pub at: UtcTime,
    /// The value in mg/dL (LLU `ValueInMgPerDl`).
    pub mgdl: MgDl,
    /// The sensor's LO/HI flag.
    pub range: SensorRange,
    /// LLU's arrow when it sent one (current values only).
    pub arrow: Option<Direction>,
    /// The wearer's UTC offset in minutes at that moment (from LLU's `Timestamp`), for local-time display.
    pub wearer_offset_min: Option<i16>,
    /// Which LLU list it came from.
    pub origin: Origin,
}

impl Reading {
    /// A plain in-range reading from a graph: the usual way tests and the simulator build one.
    pub const fn new(at: UtcTime, mgdl: MgDl) -> Self {
        Reading { at, mgdl, range: SensorRange::InRange, arrow: None, wearer_offset_min: None, origin: Origin::Graph }
    }

    /// The value to compute with: LO counts as 40 and HI as 500 (the sensor's limits), so maths never sees a
    /// placeholder.
    pub fn value(&self) -> f64 {
        match self.range {
            SensorRange::Lo => self.mgdl.min(SENSOR_MIN).as_f64(),
            SensorRange::Hi => self.mgdl.max(SENSOR_MAX).as_f64(),
            SensorRange::InRange => self.mgdl.as_f64(),
        }
    }

    /// The value as a person reads it: `"LO"`, `"HI"`, or the number in `unit`.
    pub fn display(&self, unit: GlucoseUnit) -> String {
        match self.range {
            SensorRange::Lo => "LO".into(),
            SensorRange::Hi => "HI".into(),
            SensorRange::InRange => unit.format(self.mgdl.as_f64()),
        }
    }
}

/// How fresh the newest reading is. Computed from its age, never stored.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Freshness {
    /// Younger than 5 minutes.
    Current,
    /// 5 to 15 minutes old: show "signal loss"; glucose alarms stop at 10 minutes.
    SignalLoss,
    /// 15 minutes or older: the number is greyed, it must not look current.
    Stale,
    /// No reading at all.
    NoData,
}

/// From this age the newest reading is in "signal loss".
pub const SIGNAL_LOSS_AFTER: i64 = 5 * MINUTE;
/// From this age the newest reading is stale.
pub const STALE_AFTER: i64 = 15 * MINUTE;
/// Glucose alarms are not evaluated on a reading older than this.
pub const ALARM_MAX_AGE: i64 = 10 * MINUTE;

impl Freshness {
    /// The freshness of a reading `age_secs` old. A reading from the future (clock skew) counts as current.
    pub const fn from_age(age_secs: i64) -> Self {
        if age_secs < SIGNAL_LOSS_AFTER {
            Freshness::Current
        } else if age_secs < STALE_AFTER {
            Freshness::SignalLoss
        } else {
            Freshness::Stale
        }
    }
}

/// An age in words: "just now", "1 min ago", "12 min ago", "3 h 5 min ago", "2 days ago".
pub fn format_age(age_secs: i64) -> String {
    let minutes = age_secs.max(0) / MINUTE;
    match minutes {
        0 => "just now".into(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 if minutes % 60 == 0 => format!("{} h ago", minutes / 60),
        60..=1439 => format!("{} h {} min ago", minutes / 60, minutes % 60),
        1440..=2879 => "1 day ago".into(),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Readings ordered by instant, at most one per instant.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Series {
    readings: Vec<Reading>,
}

impl Series {
    /// An empty series.
    pub const fn new() -> Self {
        Series { readings: Vec::new() }
    }

    /// A series of `readings` in any order; of two at the same instant the one with the higher [`Origin`] wins,
    /// and between equal origins the later one in the iterator.
    pub fn from_readings(readings: impl IntoIterator<Item = Reading>) -> Self {
        let mut series = Series::new();
        series.merge(readings);
        series
    }

    /// The readings, oldest first.
    pub fn as_slice(&self) -> &[Reading] {
        &self.readings
    }

    /// How many readings there are.
    pub fn len(&self) -> usize {
        self.readings.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.readings.is_empty()
    }

    /// The newest reading.
    pub fn newest(&self) -> Option<&Reading> {
        self.readings.last()
    }

    /// Inserts or replaces the reading at `reading.at` (see [`Series::merge`] for which copy wins).
    pub fn upsert(&mut self, reading: Reading) {
        match self.readings.binary_search_by_key(&reading.at, |r| r.at) {
            Ok(i) => {
                if let Some(slot) = self.readings.get_mut(i) {
                    *slot = prefer(*slot, reading);
                }
            }
            Err(i) => self.readings.insert(i, reading),
        }
    }

    /// Merges many readings at once (sorted or not). A reading at an instant already present replaces it unless
    /// the present one has a higher [`Origin`] (a 5-minute graph point never overwrites the current value, which
    /// carries the trend arrow). Cost: O(log n + k + m log m) for m new readings that reach k readings back.
    pub fn merge(&mut self, readings: impl IntoIterator<Item = Reading>) {
        self.merge_all(readings.into_iter().collect());
    }

    /// [`Series::merge`] past its generic step: one copy of the merge (and of its sort) for every caller.
    fn merge_all(&mut self, mut incoming: Vec<Reading>) {
        if incoming.is_empty() {
            return;
        }
        // std's sort, not `crate::order`: this list can be 20,160 readings long (a fortnight rebuilt on start).
        incoming.sort_by_key(|r| r.at); // stable: equal instants keep their order
        let newest = self.readings.last().map(|r| r.at);
        let first_new = incoming.first().map(|r| r.at);
        if newest.is_none() || first_new > newest {
            // Fast path: everything is newer than what we have (the common refresh).
            self.readings.reserve(incoming.len());
            for r in incoming {
                self.push_or_replace_last(r);
            }
            return;
        }
        // Only the part at or after the oldest incoming reading can change (a refresh touches the last 12 h of
        // 14 days): merge that tail and leave the rest where it is.
        let split = first_new.map_or(0, |t| self.readings.partition_point(|r| r.at < t));
        let old = self.readings.split_off(split);
        self.readings.reserve(old.len() + incoming.len());
        let (mut a, mut b) = (old.into_iter().peekable(), incoming.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.at <= y.at => a.next(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => break,
            };
            if let Some(r) = next {
                self.push_or_replace_last(r);
            }
        }
    }

    fn push_or_replace_last(&mut self, reading: Reading) {
        match self.readings.last_mut() {
            Some(last) if last.at == reading.at => *last = prefer(*last, reading),
            _ => self.readings.push(reading),
        }
    }

    /// Seconds since the newest reading at `now`; `None` with no readings.
    pub fn age_at(&self, now: UtcTime) -> Option<i64> {
        self.newest().map(|r| now.secs_since(r.at))
    }

    /// How fresh the newest reading is at `now`.
    pub fn freshness_at(&self, now: UtcTime) -> Freshness {
        self.age_at(now).map_or(Freshness::NoData, Freshness::from_age)
    }

    /// The readings at or after `from` (oldest first).
    pub fn since(&self, from: UtcTime) -> &[Reading] {
        let start = self.readings.partition_point(|r| r.at < from);
        self.readings.get(start..).unwrap_or_default()
    }

    /// The readings in `[from, to)`.
    pub fn between(&self, from: UtcTime, to: UtcTime) -> &[Reading] {
        let start = self.readings.partition_point(|r| r.at < from);
        let end = self.readings.partition_point(|r| r.at < to).max(start);
        self.readings.get(start..end).unwrap_or_default()
    }

    /// Drops readings older than `keep_from` (the app keeps 14 days).
    pub fn retain_since(&mut self, keep_from: UtcTime) {
        let start = self.readings.partition_point(|r| r.at < keep_from);
        self.readings.drain(..start);
    }
}

/// Of two readings at the same instant, the one to keep: the higher origin wins, ties go to the newer write; an
/// LLU arrow is never lost to a copy without one.
fn prefer(existing: Reading, incoming: Reading) -> Reading {
    let mut kept = if incoming.origin >= existing.origin { incoming } else { existing };
    kept.arrow = kept.arrow.or(existing.arrow).or(incoming.arrow);
    kept.wearer_offset_min = kept.wearer_offset_min.or(existing.wearer_offset_min).or(incoming.wearer_offset_min);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_factory;
    use proptest::prelude::*;

    /// A series as earlier builds stored it (the `Watcher`'s `series:` records) still reads, and is written the
    /// same way.
    #[test]
    fn stored_series_are_the_json_earlier_builds_wrote() {
        let mut newer = Reading::new(UtcTime::from_unix_secs(1_709_510_820), MgDl::new(123));
        newer.arrow = Some(Direction::FortyFiveUp);
        newer.wearer_offset_min = Some(60);
        newer.origin = Origin::Current;
        let mut older = Reading::new(UtcTime::from_unix_secs(1_709_510_520), MgDl::new(39));
        older.range = SensorRange::Lo;
        let series = Series::from_readings([newer, older]);
        let stored = r#"{"readings":[{"arrow":null,"at":1709510520,"mgdl":39,"origin":"Graph","range":"Lo",
            "wearer_offset_min":null},{"arrow":"FortyFiveUp","at":1709510820,"mgdl":123,"origin":"Current",
            "range":"InRange","wearer_offset_min":60}]}"#;
        assert_eq!(crate::wire::to_value(&series), crate::wire::parse(stored).unwrap());
        assert_eq!(crate::wire::from_json::<Series>(stored), Some(series));
    }

    fn at(s: &str) -> UtcTime {
        parse_factory(s).unwrap()
    }

    fn r(t: i64, v: u16) -> Reading {
        Reading::new(UtcTime::from_unix_secs(t), MgDl::new(v))
    }

    #[test]
    fn merge_sorts_dedupes_and_upserts() {
        let mut s = Series::from_readings([r(300, 110), r(0, 100), r(600, 120)]);
        s.merge([r(300, 111), r(900, 130), r(0, 100)]);
        let values: Vec<_> = s.as_slice().iter().map(|r| (r.at.unix_secs(), r.mgdl.get())).collect();
        assert_eq!(values, [(0, 100), (300, 111), (600, 120), (900, 130)]);
    }

    #[test]
    fn current_value_is_not_overwritten_by_a_lagging_graph_point() {
        let mut current = r(600, 120);
        current.origin = Origin::Current;
        current.arrow = Some(Direction::FortyFiveUp);
        let mut s = Series::from_readings([current]);
        s.upsert(r(600, 119));
        s.merge([r(600, 118), r(300, 110)]);
        let newest = s.newest().unwrap();
        assert_eq!(newest.mgdl.get(), 120);
        assert_eq!(newest.arrow, Some(Direction::FortyFiveUp));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn survives_the_autumn_dst_fall_back() {
        // Europe/Berlin, 2023-10-29: local 02:00–03:00 happens twice. FactoryTimestamp keeps them apart.
        let readings = [
            ("10/29/2023 12:30:00 AM", 100), // local 02:30 CEST
            ("10/29/2023 12:45:00 AM", 105), // local 02:45 CEST
            ("10/29/2023 1:30:00 AM", 110),  // local 02:30 CET (again)
            ("10/29/2023 1:45:00 AM", 115),  // local 02:45 CET (again)
        ];
        let s = Series::from_readings(readings.iter().rev().map(|(f, v)| Reading::new(at(f), MgDl::new(*v))));
        let values: Vec<_> = s.as_slice().iter().map(|r| r.mgdl.get()).collect();
        assert_eq!(values, [100, 105, 110, 115]);
        assert_eq!(s.as_slice()[2].at.secs_since(s.as_slice()[1].at), 45 * 60);
    }

    #[test]
    fn age_and_freshness_at_now() {
        let s = Series::from_readings([r(0, 100), r(60, 101)]);
        let cases = [
            (60, Freshness::Current),
            (359, Freshness::Current),
            (360, Freshness::SignalLoss),
            (959, Freshness::SignalLoss),
            (960, Freshness::Stale),
            (-30, Freshness::Current),
        ];
        for (now, want) in cases {
            assert_eq!(s.freshness_at(UtcTime::from_unix_secs(now)), want, "now {now}");
        }
        assert_eq!(s.age_at(UtcTime::from_unix_secs(400)), Some(340));
        assert_eq!(Series::new().freshness_at(UtcTime::from_unix_secs(0)), Freshness::NoData);
    }

    #[test]
    fn ages_in_words() {
        let cases = [
            (0, "just now"),
            (59, "just now"),
            (60, "1 min ago"),
            (3 * 60 + 59, "3 min ago"),
            (3600, "1 h ago"),
            (3900, "1 h 5 min ago"),
            (86_400, "1 day ago"),
            (3 * 86_400, "3 days ago"),
            (-5, "just now"),
        ];
        for (age, text) in cases {
            assert_eq!(format_age(age), text);
        }
    }

    #[test]
    fn lo_and_hi_display_and_compute_at_the_sensor_limits() {
        let mut lo = r(0, 39);
        lo.range = SensorRange::Lo;
        let mut hi = r(0, 501);
        hi.range = SensorRange::Hi;
        assert_eq!(lo.display(GlucoseUnit::MgDl), "LO");
        assert_eq!(hi.display(GlucoseUnit::MmolL), "HI");
        assert_eq!(lo.value(), 39.0);
        assert_eq!(hi.value(), 501.0);
        let mut lo_placeholder = r(0, 45);
        lo_placeholder.range = SensorRange::Lo;
        assert_eq!(lo_placeholder.value(), 40.0);
        assert_eq!(r(0, 101).display(GlucoseUnit::MmolL), "5.6");
    }

    #[test]
    fn windows_and_pruning() {
        let mut s = Series::from_readings((0..10).map(|i| r(i * 60, 100)));
        assert_eq!(s.since(UtcTime::from_unix_secs(480)).len(), 2);
        assert_eq!(s.between(UtcTime::from_unix_secs(60), UtcTime::from_unix_secs(180)).len(), 2);
        assert_eq!(s.between(UtcTime::from_unix_secs(180), UtcTime::from_unix_secs(60)).len(), 0);
        s.retain_since(UtcTime::from_unix_secs(300));
        assert_eq!(s.len(), 5);
    }

    proptest! {
        #[test]
        fn merge_is_sorted_unique_and_order_independent(
            a in proptest::collection::vec((0i64..2000, 40u16..400), 0..60),
            b in proptest::collection::vec((0i64..2000, 40u16..400), 0..60),
        ) {
            let ra: Vec<_> = a.iter().map(|&(t, v)| r(t, v)).collect();
            let rb: Vec<_> = b.iter().map(|&(t, v)| r(t, v)).collect();
            let mut merged = Series::from_readings(ra.clone());
            merged.merge(rb.clone());
            let s = merged.as_slice();
            prop_assert!(s.windows(2).all(|w| w[0].at < w[1].at));
            // Same instants as the union of both inputs.
            let mut instants: Vec<_> = ra.iter().chain(rb.iter()).map(|r| r.at).collect();
            instants.sort();
            instants.dedup();
            prop_assert_eq!(s.iter().map(|r| r.at).collect::<Vec<_>>(), instants);
            // Upserting one at a time gives the same result as merging in bulk.
            let mut one_by_one = Series::new();
            for x in ra.iter().chain(rb.iter()) {
                one_by_one.upsert(*x);
            }
            prop_assert_eq!(one_by_one, merged);
        }
    }
}
