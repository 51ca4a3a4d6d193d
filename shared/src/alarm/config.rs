//! What a phone chose: thresholds, repeats, snoozes, the day and night profiles.

use super::*;

/// The volume a profile asks for non-urgent alarms (urgent alarms are always [`Volume::Loud`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
pub enum Volume {
    /// Shown without sound or vibration, and a closed phone is not woken for it (the push waits until the phone is
    /// awake anyway).
    Silent,
    /// Vibration without the app's sound. A closed phone shows it silently: Web Push cannot ask for vibration
    /// without the phone's notification sound.
    Quiet,
    /// The normal alarm sound.
    #[default]
    Normal,
    /// As loud as possible.
    Loud,
}

/// Which profile was in force.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum ProfileKind {
    /// The day profile (outside the night window, or no night profile).
    Day,
    /// The night profile.
    Night,
}

/// Thresholds and volume of one time-of-day profile.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Profile {
    /// Urgent low below this.
    pub urgent_low: MgDl,
    /// Low below this; also the predicted-low line.
    pub low: MgDl,
    /// High above this; also the top of the target range for rebound.
    pub high: MgDl,
    /// Urgent high above this.
    pub urgent_high: MgDl,
    /// The volume hint for non-urgent alarms.
    pub volume: Volume,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            urgent_low: MgDl::new(55),
            low: MgDl::new(70),
            high: MgDl::new(180),
            urgent_high: MgDl::new(250),
            volume: Volume::Normal,
        }
    }
}

/// Minutes after midnight of noon: a night window starting before it belongs to the evening before.
const NOON: u16 = 12 * 60;

/// Every day of the week, as [`NightProfile::days`] writes them (Monday bit 0 … Sunday bit 6).
pub const EVERY_DAY: u8 = 0x7f;
/// The school nights: the windows that start Sunday to Thursday.
pub const SCHOOL_NIGHTS: u8 = 0b100_1111;

/// The snooze a notification's "Snooze" button asks for, in minutes, by the groups of
/// [`AlarmKind::snooze_choices_min`] (the app's banner offers every choice).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Snoozes {
    /// Urgent low (at most 15).
    pub urgent_low: i64,
    /// Low, predicted low and stale data (at most 60).
    pub low: i64,
    /// Every other alarm (at most 720).
    pub other: i64,
}

impl Default for Snoozes {
    fn default() -> Self {
        Snoozes { urgent_low: 5, low: 15, other: 30 }
    }
}

impl Snoozes {
    fn is_default(&self) -> bool {
        *self == Snoozes::default()
    }
}

/// A night window in local time with its own profile. The window may wrap midnight (22:00–07:00), and may be kept
/// to some nights of the week (school nights).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NightProfile {
    /// Start of the window, minutes after local midnight (22:00 = 1320).
    pub starts_min: u16,
    /// End of the window (exclusive), minutes after local midnight (07:00 = 420).
    pub ends_min: u16,
    /// The thresholds and volume during the window.
    pub profile: Profile,
    /// The nights it is kept, by the day the window starts on (Monday bit 0 … Sunday bit 6); earlier builds kept
    /// it every night.
    #[serde(default = "every_day", skip_serializing_if = "is_every_day")]
    pub days: u8,
}

const fn every_day() -> u8 {
    EVERY_DAY
}

const fn is_every_day(days: &u8) -> bool {
    *days == EVERY_DAY
}

impl NightProfile {
    /// Whether local minute-of-day `minute` is inside the window. An empty window (start = end) never is.
    pub const fn contains(&self, minute: u16) -> bool {
        if self.starts_min <= self.ends_min {
            self.starts_min <= minute && minute < self.ends_min
        } else {
            minute >= self.starts_min || minute < self.ends_min
        }
    }

    /// Whether `minute` of the local day numbered `day` (days since 1970-01-01) is inside the window on a night it
    /// is kept. A night belongs to its evening: a window past midnight to the evening it started on, and a window
    /// that starts after midnight (01:00–06:00, before noon) to the evening before it.
    pub fn covers(&self, day: i64, minute: u16) -> bool {
        let kept = |day: i64| self.days & (1 << crate::time::weekday(day)) != 0;
        let wraps = self.starts_min > self.ends_min;
        if !self.contains(minute) {
            false
        } else if (wraps && minute < self.ends_min) || (!wraps && self.starts_min < NOON) {
            kept(day - 1)
        } else {
            kept(day)
        }
    }
}

/// Everything a family can change. Durations are seconds. `Default` is clinical.md's table.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct AlarmConfig {
    /// The day profile (always used when there is no night profile).
    pub day: Profile,
    /// The night window and profile, if any.
    pub night: Option<NightProfile>,
    /// The UTC offset, in minutes, of the clock the night window is read on (the follower's or the wearer's).
    pub utc_offset_min: i16,
    /// Alarms switched off. Urgent low is ignored here: it cannot be disabled.
    pub disabled: Vec<AlarmKind>,
    /// A low clears only this far above its threshold.
    pub low_hysteresis: MgDl,
    /// A high clears only this far below its threshold.
    pub high_hysteresis: MgDl,
    /// Urgent low repeats this often until acknowledged (clamped to 1–15 min).
    pub urgent_low_repeat_secs: i64,
    /// Low repeats this often.
    pub low_repeat_secs: i64,
    /// Predicted low repeats this often.
    pub predicted_low_repeat_secs: i64,
    /// Urgent high repeats this often.
    pub urgent_high_repeat_secs: i64,
    /// Stale data repeats this often.
    pub stale_repeat_secs: i64,
    /// Rising/falling fast above this many mg/dL per minute (least squares over 15 min).
    pub fast_rate: f64,
    /// Predicted low looks at the AR2 forecast this many minutes ahead (a multiple of 5, 5–65).
    pub predicted_low_minutes: i64,
    /// Persistent high first fires after being high this long.
    pub persistent_high_after_secs: i64,
    /// …and then again every this long, whatever the direction.
    pub persistent_high_every_secs: i64,
    /// Not coming down looks this long after the rise began.
    pub not_coming_down_after_secs: i64,
    /// Not coming down fires while the 30-minute slope is above this (mg/dL/min).
    pub not_coming_down_slope: f64,
    /// Rebound: the fall from the peak that arms it.
    pub rebound_fall: MgDl,
    /// Rebound: the rise from the trough that fires it.
    pub rebound_rise: MgDl,
    /// Stale-data warning after this long without a reading.
    pub stale_warning_secs: i64,
    /// Stale data becomes urgent after this long.
    pub stale_urgent_secs: i64,
    /// When the current sensor ends (see [`crate::sensor::SensorStatus::ends_at`]), for the sensor notices.
    pub sensor_ends_at: Option<UtcTime>,
    /// Quiet until then ("quiet for an hour"): a non-urgent alarm waits until it ends, an urgent one until it has
    /// lasted [`QUIET_BREAK`]. Ends by itself; an end more than [`QUIET_MAX`] ahead is not quiet at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quiet_until: Option<UtcTime>,
    /// The snooze each notification's "Snooze" button asks for.
    #[serde(skip_serializing_if = "Snoozes::is_default")]
    pub snooze: Snoozes,
}

impl Default for AlarmConfig {
    fn default() -> Self {
        AlarmConfig {
            day: Profile::default(),
            night: None,
            utc_offset_min: 0,
            disabled: Vec::new(),
            low_hysteresis: MgDl::new(5),
            high_hysteresis: MgDl::new(10),
            urgent_low_repeat_secs: 5 * MINUTE,
            low_repeat_secs: 15 * MINUTE,
            predicted_low_repeat_secs: 15 * MINUTE,
            urgent_high_repeat_secs: 30 * MINUTE,
            stale_repeat_secs: 15 * MINUTE,
            fast_rate: 2.0,
            predicted_low_minutes: 20,
            persistent_high_after_secs: 2 * HOUR,
            persistent_high_every_secs: 2 * HOUR,
            not_coming_down_after_secs: 2 * HOUR,
            not_coming_down_slope: -0.5,
            rebound_fall: MgDl::new(30),
            rebound_rise: MgDl::new(20),
            stale_warning_secs: 15 * MINUTE,
            stale_urgent_secs: 30 * MINUTE,
            sensor_ends_at: None,
            quiet_until: None,
            snooze: Snoozes::default(),
        }
    }
}

impl AlarmConfig {
    /// The profile in force at `now`, and which one it is.
    pub fn profile_at(&self, now: UtcTime) -> (&Profile, ProfileKind) {
        let local = (now + i64::from(self.utc_offset_min) * MINUTE).unix_secs();
        let minute = (local.rem_euclid(DAY) / MINUTE) as u16;
        match &self.night {
            Some(night) if night.covers(local.div_euclid(DAY), minute) => (&night.profile, ProfileKind::Night),
            _ => (&self.day, ProfileKind::Day),
        }
    }

    /// Whether `kind` is switched on (urgent low always is).
    pub fn is_enabled(&self, kind: AlarmKind) -> bool {
        !kind.can_disable() || !self.disabled.contains(&kind)
    }

    /// These settings as a server takes them at `now` (its own clock): a quiet window that has ended or ends more
    /// than [`QUIET_MAX`] ahead is dropped, so a phone's wrong clock or a forged setting cannot store a quiet window
    /// that would begin to count later, at a time nobody chose.
    pub fn with_quiet_checked(mut self, now: UtcTime) -> Self {
        self.quiet_until = self.quiet_until.filter(|&until| now < until && until.secs_since(now) <= QUIET_MAX);
        self
    }

    /// Whether a quiet window is on at `now`.
    pub fn quiet_at(&self, now: UtcTime) -> bool {
        self.quiet_until.is_some_and(|until| now < until && until.secs_since(now) <= QUIET_MAX)
    }

    /// The snooze a notification's "Snooze" button asks for `kind`, in minutes (within what `kind` allows).
    pub fn snooze_min(&self, kind: AlarmKind) -> i64 {
        let chosen = match kind {
            AlarmKind::UrgentLow => self.snooze.urgent_low,
            AlarmKind::Low | AlarmKind::PredictedLow | AlarmKind::StaleData => self.snooze.low,
            _ => self.snooze.other,
        };
        chosen.clamp(1, kind.max_snooze() / MINUTE)
    }
}
