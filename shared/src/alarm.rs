//! The alarm engine: one explicit, pure state machine.
//!
//! This module owns the alarm rules of `clinical.md` (urgent low, low, predicted low, high, urgent high,
//! persistent high, not coming down, rebound, rising/falling fast, stale data, sensor ending), their
//! hysteresis, repeats, per-kind snoozes and acknowledgements, and the day/night profiles. It does not own how an
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
use crate::reading::{ALARM_MAX_AGE, Reading};
use crate::time::{DAY, HOUR, MINUTE, UtcTime};
use crate::trend::rate_of_change;
use crate::units::MgDl;

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
/// The shortest repeat interval a config can ask for.
pub const MIN_REPEAT: i64 = MINUTE;
/// A rising/falling-fast episode ends when the rate drops this far (mg/dL/min) below the threshold.
pub const RATE_HYSTERESIS: f64 = 1.0;
/// The 15-minute rate window must span at least this long for a rate to count as sustained.
pub const SUSTAINED_SPAN: i64 = 14 * MINUTE;
/// The two sensor-ending notices: this long before the sensor's end.
pub const SENSOR_NOTICE_DAY: i64 = DAY;
/// The second sensor-ending notice.
pub const SENSOR_NOTICE_SOON: i64 = 2 * HOUR;

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
    const fn is_glucose(self) -> bool {
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

/// The volume a profile asks for (a hint for the notification; urgent alarms are always [`Volume::Loud`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
pub enum Volume {
    /// Vibrate or a soft tone.
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

/// A night window in local time with its own profile. The window may wrap midnight (22:00–07:00).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct NightProfile {
    /// Start of the window, minutes after local midnight (22:00 = 1320).
    pub starts_min: u16,
    /// End of the window (exclusive), minutes after local midnight (07:00 = 420).
    pub ends_min: u16,
    /// The thresholds and volume during the window.
    pub profile: Profile,
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
        }
    }
}

impl AlarmConfig {
    /// The profile in force at `now`, and which one it is.
    pub fn profile_at(&self, now: UtcTime) -> (&Profile, ProfileKind) {
        let local = now + i64::from(self.utc_offset_min) * MINUTE;
        let minute = (local.unix_secs().rem_euclid(DAY) / MINUTE) as u16;
        match &self.night {
            Some(night) if night.contains(minute) => (&night.profile, ProfileKind::Night),
            _ => (&self.day, ProfileKind::Day),
        }
    }

    /// Whether `kind` is switched on (urgent low always is).
    pub fn is_enabled(&self, kind: AlarmKind) -> bool {
        !kind.can_disable() || !self.disabled.contains(&kind)
    }
}

/// An alarm that fires.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlarmKind,
    /// How urgent.
    pub level: Level,
    /// When it fired (the step's `now`).
    pub at: UtcTime,
    /// The newest glucose value, for glucose alarms.
    pub value: Option<MgDl>,
    /// 0 for the first alert of an episode, then 1, 2, … (for persistent high: which 2-hour mark).
    pub repeat: u32,
    /// The volume hint (urgent alarms are always loud).
    pub volume: Volume,
    /// The profile in force.
    pub profile: ProfileKind,
}

/// What [`step`] reports.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum AlarmEvent {
    /// An alarm fires (first time or a repeat).
    Fired(Alert),
    /// An episode that had fired is over: withdraw its notification.
    Cleared {
        /// Which alarm.
        kind: AlarmKind,
        /// When it was seen to be over.
        at: UtcTime,
    },
}

impl AlarmEvent {
    /// The kind the event is about.
    pub const fn kind(&self) -> AlarmKind {
        match self {
            AlarmEvent::Fired(alert) => alert.kind,
            AlarmEvent::Cleared { kind, .. } => *kind,
        }
    }

    /// When it happened.
    pub const fn at(&self) -> UtcTime {
        match self {
            AlarmEvent::Fired(alert) => alert.at,
            AlarmEvent::Cleared { at, .. } => *at,
        }
    }

    /// The alert, when the event is one.
    pub const fn alert(&self) -> Option<&Alert> {
        match self {
            AlarmEvent::Fired(alert) => Some(alert),
            AlarmEvent::Cleared { .. } => None,
        }
    }
}

/// An open episode, for the app's banner.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ActiveAlarm {
    /// Which alarm.
    pub kind: AlarmKind,
    /// Its level when last sent (`None`: open but not sent yet, e.g. snoozed).
    pub level: Option<Level>,
    /// When the episode opened.
    pub since: UtcTime,
    /// When it was last sent.
    pub last_sent: Option<UtcTime>,
    /// Whether the current episode was acknowledged.
    pub acknowledged: bool,
    /// Until when it is snoozed, if it is.
    pub snoozed_until: Option<UtcTime>,
}

/// One kind's memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
struct KindState {
    /// An episode is open.
    active: bool,
    /// When the episode opened.
    since: Option<UtcTime>,
    /// Alert slots used in this episode (sent or silenced by a stronger alarm).
    fired: u32,
    /// Alerts actually sent in this episode.
    sent: u32,
    /// The level of the last slot used.
    last_level: Option<Level>,
    /// The last slot used, across episodes (no kind ever fires twice at one instant).
    last_fired: Option<UtcTime>,
    /// When this episode was acknowledged.
    acked_at: Option<UtcTime>,
    /// Snoozed until then (across episodes).
    snoozed_until: Option<UtcTime>,
}

impl KindState {
    fn muted(&self, kind: AlarmKind, now: UtcTime) -> bool {
        let snoozed = self.snoozed_until.is_some_and(|until| now < until);
        let acked = match (self.acked_at, kind) {
            (Some(at), AlarmKind::UrgentLow) => now.secs_since(at) < URGENT_LOW_MAX_MUTE,
            (Some(_), _) => true,
            (None, _) => false,
        };
        snoozed || acked
    }

    fn close(&mut self) {
        *self = KindState { last_fired: self.last_fired, snoozed_until: self.snoozed_until, ..KindState::default() };
    }
}

/// Where the rebound tracker is in an excursion above target.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
enum Excursion {
    /// In range or rising: remembers the highest value so far above target.
    Rising {
        /// The highest value of the excursion.
        peak: MgDl,
    },
    /// Fell at least `rebound_fall` from the peak: remembers the lowest value since.
    Falling {
        /// The lowest value since the fall.
        trough: MgDl,
    },
    /// Rose at least `rebound_rise` from the trough while above target: the rebound episode.
    Rebounded,
}

impl Default for Excursion {
    fn default() -> Self {
        Excursion::Rising { peak: MgDl::new(0) }
    }
}

impl Excursion {
    fn advance(self, value: MgDl, target: MgDl, config: &AlarmConfig) -> Excursion {
        let reset_below = target.get().saturating_sub(config.high_hysteresis.get());
        if value.get() <= reset_below {
            return Excursion::Rising { peak: value };
        }
        match self {
            Excursion::Rising { peak } if value > peak => Excursion::Rising { peak: value },
            Excursion::Rising { peak } if peak.get().saturating_sub(value.get()) >= config.rebound_fall.get() => {
                Excursion::Falling { trough: value }
            }
            Excursion::Falling { trough } if value < trough => Excursion::Falling { trough: value },
            Excursion::Falling { trough } if value.get().saturating_sub(trough.get()) >= config.rebound_rise.get() => {
                if value > target { Excursion::Rebounded } else { Excursion::Rising { peak: value } }
            }
            other => other,
        }
    }
}

/// The caller-owned memory of the alarm engine. Serialise it between steps (the worker keeps it in KV).
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlarmState {
    kinds: BTreeMap<AlarmKind, KindState>,
    excursion: Excursion,
    excursion_seen: Option<UtcTime>,
    last_step: Option<UtcTime>,
}

impl AlarmState {
    /// A state with nothing open.
    pub fn new() -> Self {
        AlarmState::default()
    }

    /// Snoozes `kind` from `now` until `until`, capped at the kind's [`AlarmKind::max_snooze`] (urgent low: 15
    /// min). Other kinds are not affected. Returns the effective end of the snooze.
    pub fn snooze(&mut self, kind: AlarmKind, now: UtcTime, until: UtcTime) -> UtcTime {
        let capped = until.min(now + kind.max_snooze());
        self.kinds.entry(kind).or_default().snoozed_until = Some(capped);
        capped
    }

    /// Ends a snooze early.
    pub fn unsnooze(&mut self, kind: AlarmKind) {
        if let Some(k) = self.kinds.get_mut(&kind) {
            k.snoozed_until = None;
        }
    }

    /// Acknowledges the open episode of `kind`: its repeats stop until the episode ends (urgent low: for at most
    /// 15 minutes, after which it repeats again while still urgent low). A later episode fires again. Returns
    /// whether an episode was open.
    pub fn acknowledge(&mut self, kind: AlarmKind, now: UtcTime) -> bool {
        match self.kinds.get_mut(&kind) {
            Some(k) if k.active => {
                k.acked_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Until when `kind` is snoozed at `now`, if it is.
    pub fn snoozed_until(&self, kind: AlarmKind, now: UtcTime) -> Option<UtcTime> {
        self.kinds.get(&kind).and_then(|k| k.snoozed_until).filter(|&until| now < until)
    }

    /// Whether an episode of `kind` is open.
    pub fn is_active(&self, kind: AlarmKind) -> bool {
        self.kinds.get(&kind).is_some_and(|k| k.active)
    }

    /// The open episodes, most urgent first (for the app's banner). Glucose episodes stay open, frozen, while
    /// the data are stale.
    pub fn active(&self) -> Vec<ActiveAlarm> {
        let mut open: Vec<ActiveAlarm> = self
            .kinds
            .iter()
            .filter(|(_, k)| k.active)
            .map(|(&kind, k)| ActiveAlarm {
                kind,
                level: k.last_level.filter(|_| k.sent > 0),
                since: k.since.unwrap_or_default(),
                last_sent: k.last_fired.filter(|_| k.sent > 0),
                acknowledged: k.acked_at.is_some(),
                snoozed_until: k.snoozed_until,
            })
            .collect();
        open.sort_by(|a, b| b.level.cmp(&a.level).then(a.kind.cmp(&b.kind)));
        open
    }
}

/// One evaluation of a rule at a step.
#[derive(Clone, Copy, Debug)]
enum Cond {
    /// Not evaluated (stale data): keep everything as it is.
    Frozen,
    /// The condition is false and past its hysteresis: close the episode.
    Off,
    /// Inside the hysteresis band (or unknown): keep the episode open, do not fire.
    Hold,
    /// The condition holds.
    On {
        /// The value to report.
        value: Option<MgDl>,
        /// When the episode began (used by anchored repeats).
        since: UtcTime,
        /// The level.
        level: Level,
    },
}

/// How an episode repeats.
#[derive(Clone, Copy, Debug)]
enum Repeat {
    /// Once per episode.
    Once,
    /// Again when this many seconds have passed since the last alert.
    Every(i64),
    /// At `since + first`, then every `every` seconds.
    Anchored {
        /// Delay of the first alert after the episode began.
        first: i64,
        /// Interval between alerts.
        every: i64,
    },
}

/// Advances the alarm machine to `now`. `readings` are sorted oldest first (a [`crate::reading::Series`] slice);
/// only the last [`LOOKBACK`] is looked at. Returns the events of this step (in [`AlarmKind`] order) and the next
/// state. A `now` older than the previous step's is ignored (no events, state unchanged).
pub fn step(now: UtcTime, readings: &[Reading], config: &AlarmConfig, state: &AlarmState) -> (Vec<AlarmEvent>, AlarmState) {
    if state.last_step.is_some_and(|last| now < last) {
        return (Vec::new(), state.clone());
    }
    let mut next = state.clone();
    let events = Engine::new(now, readings, config).run(&mut next);
    (events, next)
}

/// The inputs of one step, with what is computed once from them.
struct Engine<'a> {
    now: UtcTime,
    config: &'a AlarmConfig,
    profile: &'a Profile,
    profile_kind: ProfileKind,
    /// Readings of the last [`LOOKBACK`] up to `now` (+ skew).
    recent: &'a [Reading],
    newest: Option<&'a Reading>,
    /// The newest reading is young enough for glucose alarms.
    glucose_ok: bool,
}

impl<'a> Engine<'a> {
    fn new(now: UtcTime, readings: &'a [Reading], config: &'a AlarmConfig) -> Self {
        let end = readings.partition_point(|r| r.at <= now + CLOCK_SKEW);
        let start = readings.partition_point(|r| r.at < now - LOOKBACK).min(end);
        let recent = readings.get(start..end).unwrap_or_default();
        let newest = recent.last();
        let glucose_ok = newest.is_some_and(|r| now.secs_since(r.at) <= ALARM_MAX_AGE);
        let (profile, profile_kind) = config.profile_at(now);
        Engine { now, config, profile, profile_kind, recent, newest, glucose_ok }
    }

    fn run(&self, state: &mut AlarmState) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.track_excursion(state);
        for kind in AlarmKind::ALL {
            let cond = if !self.config.is_enabled(kind) {
                Cond::Off
            } else if kind.is_glucose() && !self.glucose_ok {
                Cond::Frozen
            } else {
                self.evaluate(kind, state)
            };
            let silenced = match kind {
                AlarmKind::Low => state.is_active(AlarmKind::UrgentLow),
                AlarmKind::High => state.is_active(AlarmKind::UrgentHigh),
                _ => false,
            };
            let entry = state.kinds.entry(kind).or_default();
            self.drive(kind, entry, cond, self.repeat(kind), silenced, &mut events);
        }
        // Drop expired snoozes and untouched entries so the stored state stays small.
        for k in state.kinds.values_mut() {
            if k.snoozed_until.is_some_and(|until| until <= self.now) {
                k.snoozed_until = None;
            }
        }
        state.kinds.retain(|_, k| *k != KindState::default());
        state.last_step = Some(self.now);
        events
    }

    fn repeat(&self, kind: AlarmKind) -> Repeat {
        let c = self.config;
        let every = |secs: i64| Repeat::Every(secs.max(MIN_REPEAT));
        match kind {
            AlarmKind::UrgentLow => Repeat::Every(c.urgent_low_repeat_secs.clamp(MIN_REPEAT, URGENT_LOW_MAX_MUTE)),
            AlarmKind::Low => every(c.low_repeat_secs),
            AlarmKind::PredictedLow => every(c.predicted_low_repeat_secs),
            AlarmKind::UrgentHigh => every(c.urgent_high_repeat_secs),
            AlarmKind::StaleData => every(c.stale_repeat_secs),
            AlarmKind::PersistentHigh => Repeat::Anchored {
                first: c.persistent_high_after_secs.max(0),
                every: c.persistent_high_every_secs.max(MIN_REPEAT),
            },
            AlarmKind::High
            | AlarmKind::NotComingDown
            | AlarmKind::Rebound
            | AlarmKind::RisingFast
            | AlarmKind::FallingFast
            | AlarmKind::SensorEndsInADay
            | AlarmKind::SensorEndsSoon => Repeat::Once,
        }
    }

    /// Applies one rule's condition to its state: opens, fires, repeats, closes.
    fn drive(&self, kind: AlarmKind, k: &mut KindState, cond: Cond, repeat: Repeat, silenced: bool, out: &mut Vec<AlarmEvent>) {
        let now = self.now;
        let (value, since, level) = match cond {
            Cond::Frozen | Cond::Hold => return,
            Cond::Off => {
                if k.active && k.sent > 0 {
                    out.push(AlarmEvent::Cleared { kind, at: now });
                }
                if k.active {
                    k.close();
                }
                return;
            }
            Cond::On { value, since, level } => (value, since, level),
        };
        if !k.active {
            k.close();
            k.active = true;
            k.since = Some(since);
        }
        if k.last_fired.is_some_and(|t| now <= t) || k.muted(kind, now) {
            return;
        }
        let escalated = k.fired > 0 && k.last_level.is_some_and(|l| level > l);
        let (due, repeat_no, slots) = match repeat {
            Repeat::Once => (k.fired == 0, k.fired, k.fired + 1),
            Repeat::Every(interval) => {
                let due = k.fired == 0 || k.last_fired.is_none_or(|t| now.secs_since(t) >= interval);
                (due, k.fired, k.fired + 1)
            }
            Repeat::Anchored { first, every } => {
                let elapsed = now.secs_since(since) - first;
                let passed = if elapsed < 0 { 0 } else { u32::try_from(elapsed / every + 1).unwrap_or(u32::MAX) };
                (passed > k.fired, passed.saturating_sub(1), passed.max(k.fired + 1))
            }
        };
        if !due && !escalated {
            return;
        }
        k.fired = slots;
        k.last_fired = Some(now);
        k.last_level = Some(level);
        if silenced {
            return;
        }
        k.sent += 1;
        let volume = if level == Level::Urgent { Volume::Loud } else { self.profile.volume };
        out.push(AlarmEvent::Fired(Alert { kind, level, at: now, value, repeat: repeat_no, volume, profile: self.profile_kind }));
    }

    /// Feeds the readings not seen yet to the rebound tracker.
    fn track_excursion(&self, state: &mut AlarmState) {
        let floor = self.now - EXCURSION_REPLAY;
        let start = match state.excursion_seen {
            Some(seen) if seen >= floor => self.recent.partition_point(|r| r.at <= seen),
            _ => self.recent.partition_point(|r| r.at < floor),
        };
        for r in self.recent.get(start..).unwrap_or_default() {
            state.excursion = state.excursion.advance(MgDl::round(r.value()), self.profile.high, self.config);
            state.excursion_seen = Some(r.at);
        }
    }

    fn evaluate(&self, kind: AlarmKind, state: &AlarmState) -> Cond {
        let now = self.now;
        match kind {
            AlarmKind::StaleData => self.stale(),
            AlarmKind::SensorEndsInADay => self.sensor_notice(SENSOR_NOTICE_DAY, SENSOR_NOTICE_SOON, Level::Info),
            AlarmKind::SensorEndsSoon => self.sensor_notice(SENSOR_NOTICE_SOON, 0, Level::Warning),
            _ => {
                let Some(newest) = self.newest else { return Cond::Frozen };
                let v = newest.value();
                let value = Some(newest.mgdl);
                let on = |level| Cond::On { value, since: newest.at, level };
                let p = self.profile;
                let low_hyst = self.config.low_hysteresis.as_f64();
                let high_hyst = self.config.high_hysteresis.as_f64();
                let below = |threshold: MgDl, level| {
                    if v < threshold.as_f64() {
                        on(level)
                    } else if v >= threshold.as_f64() + low_hyst {
                        Cond::Off
                    } else {
                        Cond::Hold
                    }
                };
                let above = |threshold: MgDl, level| {
                    if v > threshold.as_f64() {
                        on(level)
                    } else if v <= threshold.as_f64() - high_hyst {
                        Cond::Off
                    } else {
                        Cond::Hold
                    }
                };
                match kind {
                    AlarmKind::UrgentLow => below(p.urgent_low, Level::Urgent),
                    AlarmKind::Low => below(p.low, Level::Warning),
                    AlarmKind::UrgentHigh => above(p.urgent_high, Level::Urgent),
                    AlarmKind::High => above(p.high, Level::Warning),
                    AlarmKind::PredictedLow => self.predicted_low(v, value, newest.at),
                    AlarmKind::PersistentHigh => match self.high_since() {
                        Some(since) => Cond::On { value, since, level: Level::Warning },
                        None => Cond::Off,
                    },
                    AlarmKind::NotComingDown => self.not_coming_down(value),
                    AlarmKind::Rebound => match state.excursion {
                        Excursion::Rebounded => Cond::On { value, since: now, level: Level::Info },
                        _ => Cond::Off,
                    },
                    AlarmKind::RisingFast => self.fast(value, 1.0),
                    AlarmKind::FallingFast => self.fast(value, -1.0),
                    AlarmKind::StaleData | AlarmKind::SensorEndsInADay | AlarmKind::SensorEndsSoon => Cond::Frozen,
                }
            }
        }
    }

    fn stale(&self) -> Cond {
        let Some(newest) = self.newest else { return Cond::Frozen };
        let age = self.now.secs_since(newest.at);
        if age < self.config.stale_warning_secs {
            return Cond::Off;
        }
        let level = if age >= self.config.stale_urgent_secs { Level::Urgent } else { Level::Warning };
        Cond::On { value: None, since: newest.at + self.config.stale_warning_secs, level }
    }

    /// On while the sensor's end is at most `from` and more than `to` seconds away.
    fn sensor_notice(&self, from: i64, to: i64, level: Level) -> Cond {
        let Some(ends) = self.config.sensor_ends_at else { return Cond::Off };
        let left = ends.secs_since(self.now);
        if left <= from && left > to { Cond::On { value: None, since: ends - from, level } } else { Cond::Off }
    }

    fn predicted_low(&self, v: f64, value: Option<MgDl>, at: UtcTime) -> Cond {
        let low = self.profile.low.as_f64();
        if v < low {
            return Cond::Off;
        }
        let Some(predicted) = forecast::ar2(self.recent).and_then(|f| f.at_minutes(self.config.predicted_low_minutes))
        else {
            return Cond::Hold;
        };
        let predicted = f64::from(predicted);
        if predicted < low {
            Cond::On { value, since: at, level: Level::Warning }
        } else if predicted >= low + self.config.low_hysteresis.as_f64() {
            Cond::Off
        } else {
            Cond::Hold
        }
    }

    /// When the current high episode began: the first reading above `high` in the run of readings (no gap over
    /// [`RUN_MAX_GAP`]) that ends at the newest and stays above `high − hysteresis`. `None` outside an episode.
    fn high_since(&self) -> Option<UtcTime> {
        let high = self.profile.high.as_f64();
        let keep = high - self.config.high_hysteresis.as_f64();
        let mut first = self.recent.len();
        let mut later: Option<UtcTime> = None;
        for (i, r) in self.recent.iter().enumerate().rev() {
            let gap_ok = later.is_none_or(|t| t.secs_since(r.at) <= RUN_MAX_GAP);
            if r.value() <= keep || !gap_ok {
                break;
            }
            first = i;
            later = Some(r.at);
        }
        self.recent.get(first..)?.iter().find(|r| r.value() > high).map(|r| r.at)
    }

    /// Mean of the 15-minute least-squares slopes of the last 15 minutes and the 15 before (mg/dL/min).
    fn slope_30(&self) -> Option<f64> {
        let newest = self.newest?.at;
        let last = rate_of_change(self.recent)?;
        let end = self.recent.partition_point(|r| r.at <= newest - 15 * MINUTE);
        match self.recent.get(..end).and_then(rate_of_change) {
            Some(before) => Some((last + before) / 2.0),
            None => Some(last),
        }
    }

    fn not_coming_down(&self, value: Option<MgDl>) -> Cond {
        let Some(high_since) = self.high_since() else { return Cond::Off };
        // The rise began at the lowest reading in the 2 hours before the value crossed the high line.
        let from = self.recent.partition_point(|r| r.at < high_since - 2 * HOUR);
        let to = self.recent.partition_point(|r| r.at <= high_since);
        let rise_start = self
            .recent
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .fold(None::<&Reading>, |lowest, r| match lowest {
                Some(l) if l.value() < r.value() => Some(l),
                _ => Some(r),
            })
            .map_or(high_since, |r| r.at);
        let old_enough = self.now.secs_since(rise_start) >= self.config.not_coming_down_after_secs;
        let flat = self.slope_30().is_some_and(|s| s > self.config.not_coming_down_slope);
        if old_enough && flat { Cond::On { value, since: rise_start, level: Level::Info } } else { Cond::Hold }
    }

    /// Rising (`sign` 1) or falling (`sign` −1) fast.
    fn fast(&self, value: Option<MgDl>, sign: f64) -> Cond {
        let Some(newest) = self.newest else { return Cond::Hold };
        let Some(rate) = rate_of_change(self.recent).map(|r| r * sign) else { return Cond::Hold };
        let window = self.recent.partition_point(|r| newest.at.secs_since(r.at) > 15 * MINUTE);
        let sustained = self.recent.get(window).is_some_and(|first| newest.at.secs_since(first.at) >= SUSTAINED_SPAN);
        let level = if sign < 0.0 { Level::Warning } else { Level::Info };
        if rate > self.config.fast_rate && sustained {
            Cond::On { value, since: newest.at, level }
        } else if rate < self.config.fast_rate - RATE_HYSTERESIS {
            Cond::Off
        } else {
            Cond::Hold
        }
    }
}
