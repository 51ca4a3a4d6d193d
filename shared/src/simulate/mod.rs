//! A deterministic synthetic patient: the demo's data and the fake LibreLinkUp server's.
//!
//! The glucose is a pure function of the patient (its seed and profile) and the instant, so every call, for any
//! `now`, agrees about the past. The model, in the wearer's local time (a fixed UTC offset, no DST):
//! - a baseline that wanders smoothly from day to day (about 103–133 mg/dL) plus a dawn rise (up to +20
//!   between 4 and 9 a.m.);
//! - three meals a day at jittered times, each a carbohydrate rise (peak after ~55 min) minus a slower insulin
//!   fall (peak after ~120 min) of about equal area; the insulin/carb ratio varies, and now and then a bolus is
//!   too small, so some afternoons stay high and some meals end in a dip;
//! - on some nights (about one in four, and at least one a week) a slow drift down to 55–65 mg/dL around 3 a.m.;
//! - smooth correlated sensor noise (two octaves of value noise);
//! - signal gaps: in about one hour in twenty, a 10–30-minute window with no reading at all; and the 60-minute
//!   warm-up after each sensor change (sensors are replaced every lifetime from an anchor activation).
//!
//! Values stay within 40–400 mg/dL and change by less than 4 mg/dL between consecutive minutes. Randomness is a
//! hand-written splitmix64 keyed by (seed, stream, index): no `rand`, no state.
//!
//! Readings fall on one minute grid per patient (a seed-derived second within the minute, like real sensors).
//! The JSON functions answer like LLU: the current value (`type 1`, with `TrendArrow`), about 12 hours of
//! 5-minute graph points (`type 0`, oldest first, lagging the current value by at least 15 minutes), and 14 days
//! of logbook events (scans and low/high alarms, newest first).

use core::f64::consts::PI;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::reading::{Origin, Reading, SensorRange};
pub use crate::sensor::SensorModel;
use crate::time::{DAY, HOUR, MINUTE, UtcTime};
use crate::trend::Direction;
use crate::units::{GlucoseUnit, MgDl, SENSOR_MAX, SENSOR_MIN};

/// The placeholder LLU token the simulated answers carry unless the caller passes its own.
pub const DEMO_TICKET: &str = "tidewatch-simulated-llu-ticket";
/// How far the newest graph point lags the moment of the request, at least.
pub const GRAPH_LAG: i64 = 15 * MINUTE;
/// The spacing of graph points.
pub const GRAPH_STEP: i64 = 5 * MINUTE;
/// How many graph points a full 12-hour graph has (fewer when a gap falls inside it).
pub const GRAPH_POINTS: i64 = 144;
/// How far back the logbook reaches.
pub const LOGBOOK_SPAN: i64 = 14 * DAY;
/// A new sensor gives no reading for this long.
pub const WARM_UP: i64 = 60 * MINUTE;

/// The lowest value the simulator produces, mg/dL.
const FLOOR: f64 = 40.0;
/// The highest value the simulator produces, mg/dL.
const CEILING: f64 = 400.0;
/// How far back [`current`] looks for the last reading before a gap.
const MAX_LOOKBACK_MINUTES: i64 = 3 * 60;
/// The share of hours that contain a signal gap.
const GAP_PROBABILITY: f64 = 0.05;
/// LLU's "very high" colour starts here (mg/dL).
const COLOR_VERY_HIGH: u16 = 250;
/// Fixed (urgent) low alarm level, mg/dL, as LLU's `alarmRules.f`.
const FIXED_LOW: u16 = 55;
/// A low alarm re-arms this far above its threshold; a high one this far below.
const ALARM_HYSTERESIS: u16 = 10;
/// The LLU app version the simulated wearer runs.
const APP_VERSION: &str = "3.4.1.7374";
/// LLU's ticket lifetime, milliseconds (180 days).
const TICKET_DURATION_MS: i64 = 15_552_000_000;

/// A simulated Libre wearer: everything the simulator needs besides the instant.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Patient {
    /// Decides every random choice (meals, noise, gaps, lows) and the ids.
    pub seed: u64,
    /// First name, as LLU's `firstName`.
    pub first_name: String,
    /// Last name, as LLU's `lastName`.
    pub last_name: String,
    /// Two-letter country code, as LLU's `country`.
    pub country: String,
    /// Lower edge of the wearer's target range.
    pub target_low: MgDl,
    /// Upper edge of the wearer's target range.
    pub target_high: MgDl,
    /// Low alarm level.
    pub alarm_low: MgDl,
    /// High alarm level.
    pub alarm_high: MgDl,
    /// The unit of the wearer's account (LLU `uom`, and each item's `Value`).
    pub unit: GlucoseUnit,
    /// The wearer's UTC offset in minutes: `Timestamp` is `FactoryTimestamp` plus this.
    pub utc_offset_min: i16,
    /// The sensor model.
    pub sensor_model: SensorModel,
    /// One activation instant; the sensor in use at any time is the one activated a whole number of lifetimes
    /// from it.
    pub sensor_anchor: UtcTime,
    /// Whether `connection.sensor` is `null` (it happens in real answers; `activeSensors` still has it).
    pub sensor_null: bool,
    /// Levels that override the simulated day from an instant on (tests make a patient go low with it);
    /// empty for the demo. The latest hold at or before an instant wins, and held stretches have no signal gaps.
    pub script: Vec<Hold>,
}

/// From `from` on, the glucose is `level` (until a later [`Hold`] takes over).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Hold {
    /// The instant the hold starts.
    pub from: UtcTime,
    /// The glucose it holds.
    pub level: MgDl,
}

impl Patient {
    /// The demo patient: mg/dL, Libre 3, UTC+1.
    pub fn demo() -> Patient {
        Patient {
            seed: 0x7E1D_E0A7_C400_0001,
            first_name: "Demo".into(),
            last_name: "Patient".into(),
            country: "DE".into(),
            target_low: MgDl::new(70),
            target_high: MgDl::new(180),
            alarm_low: MgDl::new(70),
            alarm_high: MgDl::new(250),
            unit: GlucoseUnit::MgDl,
            utc_offset_min: 60,
            sensor_model: SensorModel::Libre3,
            sensor_anchor: UtcTime::from_unix_secs(1_700_000_000),
            sensor_null: false,
            script: Vec::new(),
        }
    }

    /// A second patient for multi-patient tests: mmol/L, Libre 2, UTC−5, `sensor: null` in the connection.
    pub fn second() -> Patient {
        Patient {
            seed: 0x5EC0_4D00_0000_0002,
            first_name: "Sam".into(),
            last_name: "Example".into(),
            country: "CA".into(),
            target_low: MgDl::new(72),
            target_high: MgDl::new(162),
            alarm_low: MgDl::new(72),
            alarm_high: MgDl::new(252),
            unit: GlucoseUnit::MmolL,
            utc_offset_min: -300,
            sensor_model: SensorModel::Libre2,
            sensor_anchor: UtcTime::from_unix_secs(1_700_500_000),
            sensor_null: true,
            script: Vec::new(),
        }
    }

    /// The demo profile with another seed (another person's day, same settings).
    pub fn with_seed(seed: u64) -> Patient {
        Patient { seed, ..Patient::demo() }
    }

    /// LLU's `patientId`: a UUID-shaped string derived from the seed.
    pub fn patient_id(&self) -> String {
        uuid(self.seed, Stream::PatientId)
    }

    /// LLU's connection `id`.
    pub fn connection_id(&self) -> String {
        uuid(self.seed, Stream::ConnectionId)
    }

    /// LLU's `patientDevice.did`.
    pub fn device_id(&self) -> String {
        uuid(self.seed, Stream::DeviceId)
    }

    /// When the sensor in use at `at` was activated.
    pub fn sensor_activation(&self, at: UtcTime) -> UtcTime {
        let life = self.sensor_model.lifetime_secs();
        self.sensor_anchor + at.secs_since(self.sensor_anchor).div_euclid(life) * life
    }

    /// The serial number of the sensor in use at `at` (10 characters, LLU's `sn`).
    pub fn sensor_serial(&self, at: UtcTime) -> String {
        const ALPHABET: &[u8] = b"0123456789ACDEFGHJKLMNPQRTUVWXYZ";
        let index = at.secs_since(self.sensor_anchor).div_euclid(self.sensor_model.lifetime_secs());
        let mut bits = hash(self.seed, Stream::Serial, index);
        let mut body = String::with_capacity(10);
        for _ in 0..8 {
            let c = ALPHABET.get((bits & 31) as usize).copied().unwrap_or(b'0');
            body.push(char::from(c));
            bits >>= 5;
        }
        match self.sensor_model {
            SensorModel::Libre2 => format!("MH{body}"),
            SensorModel::Libre2Plus => format!("01{body}"),
            SensorModel::Libre3 | SensorModel::Libre3Plus => format!("0{body}0"),
            SensorModel::Libre1 | SensorModel::Unknown => format!("0{body}"),
        }
    }

    /// The second within each minute at which this patient's readings fall.
    fn phase(&self) -> i64 {
        (hash(self.seed, Stream::Phase, 0) % 60) as i64
    }

    /// The instant of reading slot `slot` (one slot a minute).
    fn slot_time(&self, slot: i64) -> UtcTime {
        UtcTime::from_unix_secs(slot.saturating_mul(MINUTE).saturating_add(self.phase()))
    }

    /// The last slot at or before `t`.
    fn slot_at_or_before(&self, t: UtcTime) -> i64 {
        t.unix_secs().saturating_sub(self.phase()).div_euclid(MINUTE)
    }

    /// Whether slot `slot` has a reading (not in a signal gap, not in a sensor warm-up). A held stretch of the
    /// script has no signal gaps: a test that scripts a level means the sensor reads it, whatever the hour.
    fn has_reading(&self, slot: i64) -> bool {
        let at = self.slot_time(slot);
        let held = self.script.iter().any(|h| h.from <= at);
        (held || !in_gap(self.seed, slot)) && at.secs_since(self.sensor_activation(at)) >= WARM_UP
    }

    /// The reading of slot `slot` (whether or not the sensor delivered it).
    fn reading_at_slot(&self, slot: i64) -> Reading {
        let at = self.slot_time(slot);
        let value = glucose(self, at).round();
        let mgdl = MgDl::round(value);
        let range = if mgdl < SENSOR_MIN {
            SensorRange::Lo
        } else if mgdl > SENSOR_MAX {
            SensorRange::Hi
        } else {
            SensorRange::InRange
        };
        Reading { at, mgdl, range, arrow: None, wearer_offset_min: Some(self.utc_offset_min), origin: Origin::Graph }
    }

    /// The wearer's local wall clock at `at`, as seconds since the epoch read as UTC.
    fn local_secs(&self, at: UtcTime) -> i64 {
        at.unix_secs().saturating_add(i64::from(self.utc_offset_min) * MINUTE)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Randomness: splitmix64 keyed by (seed, stream, index).

mod llu_json;
mod noise;
mod physiology;
mod series;
#[cfg(test)]
mod tests;

pub use self::llu_json::*;
use self::noise::*;
pub use self::physiology::*;
pub use self::series::*;
