//! The alarm engine: one explicit, pure state machine.
//!
//! This module owns the alarm rules of `clinical.md` (urgent low, low, predicted low, high, urgent high,
//! persistent high, not coming down, rebound, rising/falling fast, stale data, sensor ending), their
//! hysteresis, repeats, per-kind snoozes and acknowledgements, the day/night profiles (kept on chosen nights) and
//! the quiet window that urgent alarms break after [`QUIET_BREAK`]. It does not own how an
//! alarm is delivered (Web Push, a sound): it only says which [`AlarmEvent`]s happen.
//!
//! [`step`] takes `now`, the sorted series, the [`AlarmConfig`] and the caller's [`AlarmState`], and returns the
//! events and the next state. It is deterministic and idempotent: stepping twice at the same `now` with the same
//! readings emits nothing the second time, a `now` older than the last step is ignored, and stepping every
//! minute or every five minutes gives the same alarms up to that granularity (repeats are measured from when an
//! alarm was last sent, persistent high is anchored on when the high began in the data). It only looks at the
//! last 24 hours of readings, found with `partition_point`, so a 14-day series costs the same as a short one.
//!
//! Glucose alarms are evaluated only while the newest reading is at most [`ALARM_MAX_AGE`] old; on older data
//! their episodes are frozen (no repeats, no clearing) and the stale-data alarm is the only one that speaks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::forecast;
use crate::reading::{ALARM_MAX_AGE, Reading, format_age};
use crate::time::{DAY, HOUR, MINUTE, UtcTime};
use crate::trend::rate_of_change;
use crate::units::{GlucoseUnit, MgDl};

/// A reading up to this far in the future (clock skew between LLU and us) still counts as the newest one.
pub const CLOCK_SKEW: i64 = 2 * MINUTE;
/// How far back the engine looks at all.
pub const LOOKBACK: i64 = DAY;
/// On a fresh state, how much history the rebound tracker replays.
pub const EXCURSION_REPLAY: i64 = 6 * HOUR;
/// A gap longer than this between two readings ends a run of high readings.
pub const RUN_MAX_GAP: i64 = 30 * MINUTE;
/// The longest a snooze or an acknowledgement mutes urgent low.
pub const URGENT_LOW_MAX_MUTE: i64 = 15 * MINUTE;
/// The longest snooze of low, predicted low and stale data.
pub const LOW_MAX_SNOOZE: i64 = HOUR;
/// The longest snooze of any other alarm.
pub const OTHER_MAX_SNOOZE: i64 = 12 * HOUR;
/// Urgent alarms break a quiet window once they have lasted this long.
pub const QUIET_BREAK: i64 = 10 * MINUTE;
/// The longest quiet window.
pub const QUIET_MAX: i64 = 12 * HOUR;
/// The shortest repeat interval a config can ask for.
pub const MIN_REPEAT: i64 = MINUTE;
/// A rising/falling-fast episode ends when the rate drops this far (mg/dL/min) below the threshold.
pub const RATE_HYSTERESIS: f64 = 1.0;
/// A fast rate counts as sustained when it holds at the newest reading and this long before it.
pub const SUSTAINED_OFFSETS: [i64; 4] = [0, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE];
/// The two sensor-ending notices: this long before the sensor's end.
pub const SENSOR_NOTICE_DAY: i64 = DAY;
/// The second sensor-ending notice.
pub const SENSOR_NOTICE_SOON: i64 = 2 * HOUR;

mod config;
mod engine;
mod event;
mod kind;
mod state;
#[cfg(test)]
mod tests;

pub use self::config::*;
use self::engine::Engine;
pub use self::event::*;
pub use self::kind::*;
pub use self::state::*;
use self::state::{Cond, Excursion, KindState, Repeat};

/// Advances the alarm machine to `now`. `readings` are sorted oldest first (a [`crate::reading::Series`] slice);
/// only the last [`LOOKBACK`] is looked at. Returns the events of this step (in [`AlarmKind`] order) and the next
/// state. A `now` older than the previous step's is ignored (no events, state unchanged).
pub fn step(
    now: UtcTime,
    readings: &[Reading],
    config: &AlarmConfig,
    state: &AlarmState,
) -> (Vec<AlarmEvent>, AlarmState) {
    if state.last_step.is_some_and(|last| now < last) {
        return (Vec::new(), state.clone());
    }
    let mut next = state.clone();
    let events = Engine::new(now, readings, config).run(&mut next);
    (events, next)
}
