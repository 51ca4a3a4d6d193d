//! Sensor age, time left and warm-up.
//!
//! This module owns what a follower is told about the wearer's sensor: from LLU's activation time (`sensor.a`,
//! epoch seconds), its warm-up (`sensor.w`, minutes) and the model's lifetime, the sensor's age, when it ends,
//! whether it is warming up, and the words for it. The model read from LLU (`patientDevice.dtid`) is only a
//! guess (a Libre 2 and a Libre 2 Plus look alike), so every status carries the lifetime it assumed and whether
//! it was assumed; the app shows that assumption next to "ends in".

use serde::{Deserialize, Serialize};

use crate::time::{DAY, HOUR, MINUTE, UtcTime};
use crate::{Error, Result};

/// The warm-up of every Libre sensor (LLU `sensor.w` = 60), used when LLU sends none or nonsense.
pub const DEFAULT_WARMUP_MIN: u32 = 60;
/// The longest warm-up believed from LLU; anything longer is replaced by [`DEFAULT_WARMUP_MIN`].
pub const MAX_WARMUP_MIN: u32 = 24 * 60;

/// A Libre sensor model, as far as it is known.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum SensorModel {
    /// FreeStyle Libre (14 days).
    Libre1,
    /// FreeStyle Libre 2 (14 days).
    Libre2,
    /// FreeStyle Libre 2 Plus (15 days).
    Libre2Plus,
    /// FreeStyle Libre 3 (14 days).
    Libre3,
    /// FreeStyle Libre 3 Plus (15 days).
    Libre3Plus,
    /// Not known: assumed to last 14 days.
    Unknown,
}

impl SensorModel {
    /// A best-effort guess from LLU's `patientDevice.dtid` (40068 Libre 3, 40067 Libre 2, 40066 Libre 1 /
    /// LibreLink). It cannot tell a Plus from its base model.
    pub const fn from_dtid(dtid: u32) -> Self {
        match dtid {
            40068 => SensorModel::Libre3,
            40067 => SensorModel::Libre2,
            40066 => SensorModel::Libre1,
            _ => SensorModel::Unknown,
        }
    }

    /// The model's lifetime in days (unknown: 14).
    pub const fn lifetime_days(self) -> i64 {
        match self {
            SensorModel::Libre2Plus | SensorModel::Libre3Plus => 15,
            SensorModel::Libre1 | SensorModel::Libre2 | SensorModel::Libre3 | SensorModel::Unknown => 14,
        }
    }

    /// The model's lifetime in seconds.
    pub const fn lifetime_secs(self) -> i64 {
        self.lifetime_days() * DAY
    }

    /// LLU's `patientDevice.dtid` for the wearer's app (what [`SensorModel::from_dtid`] reads back; 0 unknown).
    pub const fn device_type_id(self) -> u32 {
        match self {
            SensorModel::Libre1 => 40066,
            SensorModel::Libre2 | SensorModel::Libre2Plus => 40067,
            SensorModel::Libre3 | SensorModel::Libre3Plus => 40068,
            SensorModel::Unknown => 0,
        }
    }

    /// LLU's `sensor.pt` (product type: 0 Libre 1, 3 Libre 2, 4 Libre 3; unreliable upstream).
    pub const fn product_type(self) -> u8 {
        match self {
            SensorModel::Libre1 | SensorModel::Unknown => 0,
            SensorModel::Libre2 | SensorModel::Libre2Plus => 3,
            SensorModel::Libre3 | SensorModel::Libre3Plus => 4,
        }
    }

    /// The model's name.
    pub const fn label(self) -> &'static str {
        match self {
            SensorModel::Libre1 => "FreeStyle Libre",
            SensorModel::Libre2 => "FreeStyle Libre 2",
            SensorModel::Libre2Plus => "FreeStyle Libre 2 Plus",
            SensorModel::Libre3 => "FreeStyle Libre 3",
            SensorModel::Libre3Plus => "FreeStyle Libre 3 Plus",
            SensorModel::Unknown => "unknown sensor",
        }
    }
}

/// Where the model came from, which decides whether its lifetime is an assumption.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum ModelSource {
    /// Someone in the family said which sensor it is.
    Confirmed,
    /// Guessed from LLU's device type: the lifetime is an assumption.
    Guessed,
}

/// A sensor as LLU describes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Sensor {
    /// When it was activated (LLU `sensor.a`).
    pub activated_at: UtcTime,
    /// Its warm-up in minutes (LLU `sensor.w`).
    pub warmup_min: u32,
    /// The model.
    pub model: SensorModel,
    /// Whether the model is known or guessed.
    pub source: ModelSource,
}

impl Sensor {
    /// A sensor from LLU's fields: `activation` (`sensor.a`, epoch seconds, must be positive), `warmup_min`
    /// (`sensor.w`; missing, 0 or over a day → 60) and `dtid` (`patientDevice.dtid`; the model is guessed).
    pub fn from_llu(activation: i64, warmup_min: Option<u32>, dtid: Option<u32>) -> Result<Self> {
        if activation <= 0 {
            return Err(Error::SensorActivation(activation));
        }
        let warmup_min = warmup_min.filter(|&w| w > 0 && w <= MAX_WARMUP_MIN).unwrap_or(DEFAULT_WARMUP_MIN);
        Ok(Sensor {
            activated_at: UtcTime::from_unix_secs(activation),
            warmup_min,
            model: dtid.map_or(SensorModel::Unknown, SensorModel::from_dtid),
            source: ModelSource::Guessed,
        })
    }

    /// The same sensor with the model a person confirmed (its lifetime is then no longer an assumption).
    pub const fn with_confirmed_model(self, model: SensorModel) -> Self {
        Sensor { model, source: ModelSource::Confirmed, ..self }
    }

    /// When it ends: activation + the model's lifetime.
    pub fn ends_at(&self) -> UtcTime {
        self.activated_at + self.model.lifetime_secs()
    }

    /// When warm-up is over.
    pub fn ready_at(&self) -> UtcTime {
        self.activated_at + i64::from(self.warmup_min) * MINUTE
    }

    /// Its state at `now`.
    pub fn status(&self, now: UtcTime) -> SensorStatus {
        let ends_at = self.ends_at();
        let ready_at = self.ready_at();
        let phase = if now >= ends_at {
            SensorPhase::Expired
        } else if now < ready_at {
            SensorPhase::WarmingUp { ready_at }
        } else {
            SensorPhase::Active
        };
        SensorStatus {
            phase,
            age_secs: now.secs_since(self.activated_at).max(0),
            ends_at,
            left_secs: ends_at.secs_since(now).max(0),
            model: self.model,
            lifetime_days: self.model.lifetime_days(),
            lifetime_assumed: self.source == ModelSource::Guessed,
        }
    }
}

/// Where a sensor is in its life.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum SensorPhase {
    /// Activated, not giving readings yet (also when `now` is before activation: clock skew).
    WarmingUp {
        /// When readings start.
        ready_at: UtcTime,
    },
    /// Giving readings.
    Active,
    /// Past its lifetime.
    Expired,
}

/// A sensor's state at one instant, with the words for it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct SensorStatus {
    /// Warming up, active or expired.
    pub phase: SensorPhase,
    /// Seconds since activation (0 before it).
    pub age_secs: i64,
    /// When it ends (activation + lifetime). Give this to [`crate::alarm::AlarmConfig::sensor_ends_at`].
    pub ends_at: UtcTime,
    /// Seconds until it ends (0 once expired).
    pub left_secs: i64,
    /// The model the lifetime comes from.
    pub model: SensorModel,
    /// The lifetime used, in days.
    pub lifetime_days: i64,
    /// Whether that lifetime is an assumption (the model was guessed); the app must show it.
    pub lifetime_assumed: bool,
}

impl SensorStatus {
    /// The one line to show: "ends in 3 days 4 h", "warming up, ready in 23 min" or "expired".
    pub fn summary(&self, now: UtcTime) -> String {
        match self.phase {
            SensorPhase::Expired => "expired".into(),
            SensorPhase::WarmingUp { ready_at } => {
                format!("warming up, ready in {}", format_duration(ready_at.secs_since(now)))
            }
            SensorPhase::Active => format!("ends in {}", format_duration(self.left_secs)),
        }
    }

    /// Which day of its life the sensor is on, "day 3 of 14" (the day of expiry counts as past the lifetime).
    pub fn day_text(&self) -> String {
        let day = (self.age_secs / DAY + 1).min(self.lifetime_days);
        format!("day {day} of {}", self.lifetime_days)
    }

    /// The lifetime assumption to show next to "ends in": "assuming a 14-day sensor", or `None` when the model
    /// was confirmed.
    pub fn assumption_text(&self) -> Option<String> {
        self.lifetime_assumed.then(|| format!("assuming a {}-day sensor", self.lifetime_days))
    }
}

/// A positive span in words at the scale that matters, rounded up to the minute: "3 days 4 h", "1 day",
/// "5 h 10 min", "2 h", "23 min", "1 min".
pub fn format_duration(secs: i64) -> String {
    let minutes = (secs.max(0) + MINUTE - 1) / MINUTE;
    let minutes = minutes.max(1);
    let (days, hours, mins) = (minutes / (DAY / MINUTE), minutes % (DAY / MINUTE) / (HOUR / MINUTE), minutes % 60);
    let day_word = if days == 1 { "day" } else { "days" };
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} {day_word}"),
        (d, h, _) => format!("{d} {day_word} {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACTIVATED: i64 = 1_700_000_000;

    fn at(offset: i64) -> UtcTime {
        UtcTime::from_unix_secs(ACTIVATED + offset)
    }

    #[test]
    fn models_from_dtid_and_their_lifetimes() {
        let cases = [
            (40068, SensorModel::Libre3, 14),
            (40067, SensorModel::Libre2, 14),
            (40066, SensorModel::Libre1, 14),
            (40069, SensorModel::Unknown, 14),
            (0, SensorModel::Unknown, 14),
        ];
        for (dtid, model, days) in cases {
            assert_eq!(SensorModel::from_dtid(dtid), model, "{dtid}");
            assert_eq!(model.lifetime_days(), days);
        }
        assert_eq!(SensorModel::Libre2Plus.lifetime_days(), 15);
        assert_eq!(SensorModel::Libre3Plus.lifetime_days(), 15);
    }

    #[test]
    fn phases_and_text_at_the_boundaries() {
        let s = Sensor::from_llu(ACTIVATED, Some(60), Some(40068)).unwrap();
        let end = 14 * DAY;
        let cases: [(i64, &str, SensorPhase); 11] = [
            (-5 * MINUTE, "warming up, ready in 1 h 5 min", SensorPhase::WarmingUp { ready_at: at(HOUR) }),
            (0, "warming up, ready in 1 h", SensorPhase::WarmingUp { ready_at: at(HOUR) }),
            (37 * MINUTE, "warming up, ready in 23 min", SensorPhase::WarmingUp { ready_at: at(HOUR) }),
            (HOUR - 1, "warming up, ready in 1 min", SensorPhase::WarmingUp { ready_at: at(HOUR) }),
            (HOUR, "ends in 13 days 23 h", SensorPhase::Active),
            (end - 3 * DAY - 4 * HOUR, "ends in 3 days 4 h", SensorPhase::Active),
            (end - DAY, "ends in 1 day", SensorPhase::Active),
            (end - 5 * HOUR - 10 * MINUTE, "ends in 5 h 10 min", SensorPhase::Active),
            (end - 1, "ends in 1 min", SensorPhase::Active),
            (end, "expired", SensorPhase::Expired),
            (end + 3 * DAY, "expired", SensorPhase::Expired),
        ];
        for (offset, text, phase) in cases {
            let status = s.status(at(offset));
            assert_eq!(status.phase, phase, "offset {offset}");
            assert_eq!(status.summary(at(offset)), text, "offset {offset}");
        }
    }

    #[test]
    fn ends_in_comes_from_activation_plus_lifetime_with_the_assumption_visible() {
        let guessed = Sensor::from_llu(ACTIVATED, Some(60), Some(40067)).unwrap();
        let status = guessed.status(at(DAY));
        assert_eq!(status.ends_at, at(14 * DAY));
        assert_eq!(status.left_secs, 13 * DAY);
        assert_eq!(status.age_secs, DAY);
        assert!(status.lifetime_assumed);
        assert_eq!(status.assumption_text().as_deref(), Some("assuming a 14-day sensor"));
        assert_eq!(status.day_text(), "day 2 of 14");

        let confirmed = guessed.with_confirmed_model(SensorModel::Libre2Plus);
        let status = confirmed.status(at(DAY));
        assert_eq!(status.ends_at, at(15 * DAY));
        assert!(!status.lifetime_assumed);
        assert_eq!(status.assumption_text(), None);
        assert_eq!(status.summary(at(DAY)), "ends in 14 days");
        assert_eq!(confirmed.status(at(15 * DAY - 1)).day_text(), "day 15 of 15");

        let unknown = Sensor::from_llu(ACTIVATED, None, None).unwrap();
        assert_eq!(unknown.model, SensorModel::Unknown);
        assert_eq!(unknown.status(at(0)).assumption_text().as_deref(), Some("assuming a 14-day sensor"));
    }

    #[test]
    fn warmup_falls_back_to_sixty_minutes() {
        let cases = [(None, 60), (Some(0), 60), (Some(30), 30), (Some(60), 60), (Some(24 * 60 + 1), 60)];
        for (w, want) in cases {
            assert_eq!(Sensor::from_llu(ACTIVATED, w, None).unwrap().warmup_min, want, "{w:?}");
        }
    }

    #[test]
    fn rejects_a_missing_activation() {
        assert_eq!(Sensor::from_llu(0, Some(60), None), Err(Error::SensorActivation(0)));
        assert!(Sensor::from_llu(-5, Some(60), None).is_err());
    }

    #[test]
    fn durations_in_words() {
        let cases = [
            (0, "1 min"),
            (1, "1 min"),
            (60, "1 min"),
            (61, "2 min"),
            (59 * MINUTE, "59 min"),
            (HOUR, "1 h"),
            (HOUR + 1, "1 h 1 min"),
            (2 * DAY, "2 days"),
            (DAY + 59 * MINUTE, "1 day"),
            (DAY + HOUR, "1 day 1 h"),
        ];
        for (secs, text) in cases {
            assert_eq!(format_duration(secs), text, "{secs}");
        }
    }

    proptest! {
        #[test]
        fn status_is_consistent(offset in -DAY..20 * DAY, dtid in 40060u32..40070) {
            let s = Sensor::from_llu(ACTIVATED, Some(60), Some(dtid)).unwrap();
            let st = s.status(at(offset));
            prop_assert!(st.age_secs >= 0 && st.left_secs >= 0);
            prop_assert_eq!(st.phase == SensorPhase::Expired, st.left_secs == 0);
            prop_assert!(!st.summary(at(offset)).is_empty());
        }
    }
}

#[cfg(test)]
mod wire_id_tests {
    use super::SensorModel;

    #[test]
    fn device_type_ids_read_back_as_the_base_model() {
        let cases = [
            (SensorModel::Libre1, SensorModel::Libre1),
            (SensorModel::Libre2, SensorModel::Libre2),
            (SensorModel::Libre2Plus, SensorModel::Libre2),
            (SensorModel::Libre3, SensorModel::Libre3),
            (SensorModel::Libre3Plus, SensorModel::Libre3),
            (SensorModel::Unknown, SensorModel::Unknown),
        ];
        for (model, read_back) in cases {
            assert_eq!(SensorModel::from_dtid(model.device_type_id()), read_back, "{model:?}");
        }
        assert_eq!(SensorModel::Libre3Plus.lifetime_secs(), 15 * 86_400);
    }
}
