//! Which alarms there are, and how loud each one is.

use super::*;

/// What an alarm is about. The order is the order of evaluation and of the banner.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum AlarmKind {
    /// Below the urgent-low threshold (default 55 mg/dL). Cannot be disabled.
    UrgentLow,
    /// Below the low threshold (default 70 mg/dL).
    Low,
    /// The AR2 forecast goes below the low threshold while the value is not low yet.
    PredictedLow,
    /// Above the urgent-high threshold (default 250 mg/dL).
    UrgentHigh,
    /// Above the high threshold (default 180 mg/dL).
    High,
    /// Above the high threshold for a long time (default 2 h, then every 2 h).
    PersistentHigh,
    /// Still high and no longer falling 2 h after the rise began.
    NotComingDown,
    /// Fell from a peak, then rose again while above target.
    Rebound,
    /// Rising faster than the fast rate for 15 minutes.
    RisingFast,
    /// Falling faster than the fast rate for 15 minutes.
    FallingFast,
    /// No new reading for 15 minutes (warning) or 30 minutes (urgent).
    StaleData,
    /// The sensor ends within 24 hours.
    SensorEndsInADay,
    /// The sensor ends within 2 hours.
    SensorEndsSoon,
}

impl AlarmKind {
    /// Its name as JSON writes it (`UrgentLow`), which is also its push topic.
    pub fn name(self) -> String {
        match crate::wire::to_value(&self) {
            serde_json::Value::String(name) => name,
            _ => String::new(),
        }
    }

    /// Whether it may wake someone: every alarm but the sensor's notices (so it may go round a rota).
    pub const fn wakes(self) -> bool {
        !matches!(self, AlarmKind::SensorEndsInADay | AlarmKind::SensorEndsSoon)
    }

    /// Every kind, in evaluation order.
    pub const ALL: [AlarmKind; 13] = [
        AlarmKind::UrgentLow,
        AlarmKind::Low,
        AlarmKind::PredictedLow,
        AlarmKind::UrgentHigh,
        AlarmKind::High,
        AlarmKind::PersistentHigh,
        AlarmKind::NotComingDown,
        AlarmKind::Rebound,
        AlarmKind::RisingFast,
        AlarmKind::FallingFast,
        AlarmKind::StaleData,
        AlarmKind::SensorEndsInADay,
        AlarmKind::SensorEndsSoon,
    ];

    /// Words for a notification title.
    pub const fn label(self) -> &'static str {
        match self {
            AlarmKind::UrgentLow => "Urgent low",
            AlarmKind::Low => "Low",
            AlarmKind::PredictedLow => "Low predicted",
            AlarmKind::UrgentHigh => "Urgent high",
            AlarmKind::High => "High",
            AlarmKind::PersistentHigh => "Still high",
            AlarmKind::NotComingDown => "Not coming down",
            AlarmKind::Rebound => "Rising again",
            AlarmKind::RisingFast => "Rising fast",
            AlarmKind::FallingFast => "Falling fast",
            AlarmKind::StaleData => "No recent data",
            AlarmKind::SensorEndsInADay => "Sensor ends within 24 h",
            AlarmKind::SensorEndsSoon => "Sensor ends within 2 h",
        }
    }

    /// Whether a family may switch this alarm off (urgent low: never).
    pub const fn can_disable(self) -> bool {
        !matches!(self, AlarmKind::UrgentLow)
    }

    /// The longest this kind can be snoozed, in seconds.
    pub const fn max_snooze(self) -> i64 {
        match self {
            AlarmKind::UrgentLow => URGENT_LOW_MAX_MUTE,
            AlarmKind::Low | AlarmKind::PredictedLow | AlarmKind::StaleData => LOW_MAX_SNOOZE,
            _ => OTHER_MAX_SNOOZE,
        }
    }

    /// The snooze lengths to offer, in minutes (clinical.md: low 15/30/45/60, high 30/60/90/120).
    pub const fn snooze_choices_min(self) -> &'static [i64] {
        match self {
            AlarmKind::UrgentLow => &[5, 10, 15],
            AlarmKind::Low | AlarmKind::PredictedLow | AlarmKind::StaleData => &[15, 30, 45, 60],
            _ => &[30, 60, 90, 120],
        }
    }

    /// Whether this kind is about the glucose value (and so is not evaluated on stale data).
    pub(super) const fn is_glucose(self) -> bool {
        !matches!(self, AlarmKind::StaleData | AlarmKind::SensorEndsInADay | AlarmKind::SensorEndsSoon)
    }
}

/// How loud an alarm is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Level {
    /// Worth knowing; no sound needed.
    Info,
    /// Act soon.
    Warning,
    /// Act now.
    Urgent,
}
