//! The patient's readings: every minute, the current value, the 5-minute graph and the logbook.

use super::*;

/// Every reading the sensor delivered in `[from, to)`, one a minute, oldest first; none inside gaps and warm-ups.
pub fn readings(patient: &Patient, from: UtcTime, to: UtcTime) -> Vec<Reading> {
    let first = patient.slot_at_or_before(from - 1) + 1;
    let last = patient.slot_at_or_before(to - 1);
    if last < first {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(usize::try_from(last - first + 1).unwrap_or(0));
    for slot in first..=last {
        if patient.has_reading(slot) {
            out.push(patient.reading_at_slot(slot));
        }
    }
    out
}

/// The current value at `now`: the reading of the minute `now` falls in, or during a gap the last reading before
/// it (so it ages, as a real one does). Carries LLU's arrow. `None` only if nothing came for three hours.
pub fn current(patient: &Patient, now: UtcTime) -> Option<Reading> {
    let newest = patient.slot_at_or_before(now);
    let slot = (0..=MAX_LOOKBACK_MINUTES).map(|back| newest - back).find(|&s| patient.has_reading(s))?;
    let mut reading = patient.reading_at_slot(slot);
    reading.origin = Origin::Current;
    reading.arrow = Some(Direction::from_llu_arrow(llu_arrow(rate_at(patient, reading.at))));
    Some(reading)
}

/// The 5-minute graph points LLU would list at `now`: 12 hours' worth, oldest first, the newest at least
/// [`GRAPH_LAG`] before `now`, none inside gaps, never the current value.
pub fn graph_points(patient: &Patient, now: UtcTime) -> Vec<Reading> {
    let newest = patient.slot_at_or_before(now - GRAPH_LAG);
    let step = GRAPH_STEP / MINUTE;
    let newest = newest - newest.rem_euclid(step);
    (0..GRAPH_POINTS)
        .rev()
        .map(|k| newest - k * step)
        .filter(|&slot| patient.has_reading(slot))
        .map(|slot| patient.reading_at_slot(slot))
        .collect()
}

/// What a logbook entry records.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LogbookKind {
    /// A scan (LLU `type 1`).
    Scan,
    /// A low alarm with its measurement (LLU `type 3`, `alarmType 1`).
    LowAlarm,
    /// A high alarm with its measurement (LLU `type 3`, `alarmType 2`).
    HighAlarm,
}

/// One logbook event.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LogbookEntry {
    /// The reading it carries (with LLU's arrow).
    pub reading: Reading,
    /// What it is.
    pub kind: LogbookKind,
}

/// The logbook at `now`: 2–4 scans a day and every low/high alarm (with hysteresis) over the last 14 days,
/// newest first, as LLU lists it.
pub fn logbook(patient: &Patient, now: UtcTime) -> Vec<LogbookEntry> {
    let from = now - LOGBOOK_SPAN;
    let mut entries = Vec::new();
    let entry = |slot: i64, kind| {
        let mut reading = patient.reading_at_slot(slot);
        reading.origin = Origin::Logbook;
        reading.arrow = Some(Direction::from_llu_arrow(llu_arrow(rate_at(patient, reading.at))));
        LogbookEntry { reading, kind }
    };
    // Scans: per UTC day, 2–4 at random minutes.
    let seed = patient.seed;
    for day in from.unix_secs().div_euclid(DAY)..=now.unix_secs().div_euclid(DAY) {
        let count = 2 + (unit(seed, Stream::Scan, day) * 3.0) as i64;
        for i in 0..count {
            let at =
                UtcTime::from_unix_secs(day * DAY + (unit(seed, Stream::ScanTime, day * 4 + i) * DAY as f64) as i64);
            let slot = patient.slot_at_or_before(at);
            let t = patient.slot_time(slot);
            if t >= from && t <= now && patient.has_reading(slot) {
                entries.push(entry(slot, LogbookKind::Scan));
            }
        }
    }
    // Alarms: a 5-minute scan, started a day early so the alarm state at the window's start is settled.
    let step = GRAPH_STEP / MINUTE;
    let first = patient.slot_at_or_before(from - DAY);
    let first = first - first.rem_euclid(step);
    let last = patient.slot_at_or_before(now);
    let (low, high) = (patient.alarm_low.get(), patient.alarm_high.get());
    let (mut low_armed, mut high_armed) = (true, true);
    let mut slot = first;
    while slot <= last {
        if patient.has_reading(slot) {
            let v = patient.reading_at_slot(slot).mgdl.get();
            let visible = patient.slot_time(slot) >= from;
            if v < low && low_armed {
                low_armed = false;
                if visible {
                    entries.push(entry(slot, LogbookKind::LowAlarm));
                }
            } else if v >= low.saturating_add(ALARM_HYSTERESIS) {
                low_armed = true;
            }
            if v > high && high_armed {
                high_armed = false;
                if visible {
                    entries.push(entry(slot, LogbookKind::HighAlarm));
                }
            } else if v <= high.saturating_sub(ALARM_HYSTERESIS) {
                high_armed = true;
            }
        }
        slot += step;
    }
    crate::order::sort_by_key(&mut entries, |e| core::cmp::Reverse(e.reading.at));
    entries
}

// ---------------------------------------------------------------------------------------------------------------
// LLU-shaped JSON.
