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
use crate::reading::{ALARM_MAX_AGE, Reading, format_age};
use crate::time::{DAY, HOUR, MINUTE, UtcTime};
use crate::trend::rate_of_change;
use crate::units::{GlucoseUnit, MgDl};
use crate::wire::{self, Value, Wire};

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
/// A fast rate counts as sustained when it holds at the newest reading and this long before it.
pub const SUSTAINED_OFFSETS: [i64; 4] = [0, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE];
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

    /// The snooze a notification's "Snooze" button asks for: the shortest one offered.
    pub const fn notification_snooze_min(self) -> i64 {
        match self.snooze_choices_min().first() {
            Some(&minutes) => minutes,
            None => 15,
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

impl Alert {
    /// What a phone's notification for this alert says, the same whether the open app or the server's push shows
    /// it: the title (`Urgent low: 45 mg/dL`) and the body (`Lee · falling · 3 min ago`). `who` is the wearer's
    /// name (empty when unknown) and `newest` the newest reading.
    pub fn notification(
        &self,
        who: &str,
        newest: Option<&Reading>,
        unit: GlucoseUnit,
        now: UtcTime,
    ) -> (String, String) {
        let title = match self.value {
            Some(value) => format!("{}: {} {}", self.kind.label(), unit.format(value.as_f64()), unit.label()),
            None => self.kind.label().to_owned(),
        };
        let who = if who.is_empty() { "Glucose" } else { who };
        let age = newest.map_or_else(|| "no reading".to_owned(), |r| format_age(now.unix_secs() - r.at.unix_secs()));
        let trend = newest.and_then(|r| r.arrow).map(|d| format!(" · {}", d.label())).unwrap_or_default();
        let body = match self.kind {
            AlarmKind::StaleData => format!("{who}: no new reading since {age}. Check on them."),
            AlarmKind::SensorEndsInADay | AlarmKind::SensorEndsSoon => format!("{who}'s sensor ends soon."),
            _ => format!("{who}{trend} · {age}"),
        };
        (title, body)
    }
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
                if value > target {
                    Excursion::Rebounded
                } else {
                    Excursion::Rising { peak: value }
                }
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
        crate::order::sort_by(&mut open, |a, b| b.level.cmp(&a.level).then(a.kind.cmp(&b.kind)));
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
        // Whether urgent low and urgent high are past their thresholds now (`ALL` has each before the alarm it
        // covers). Only then do they silence low and high: an urgent low episode held open by its hysteresis
        // (55–59 mg/dL after 50) does not repeat, so low, which still holds, must be heard.
        let (mut urgent_low_on, mut urgent_high_on) = (false, false);
        for kind in AlarmKind::ALL {
            let cond = if !self.config.is_enabled(kind) {
                Cond::Off
            } else if kind.is_glucose() && !self.glucose_ok {
                Cond::Frozen
            } else {
                self.evaluate(kind, state)
            };
            let on = matches!(cond, Cond::On { .. });
            match kind {
                AlarmKind::UrgentLow => urgent_low_on = on,
                AlarmKind::UrgentHigh => urgent_high_on = on,
                _ => {}
            }
            let silenced = match kind {
                AlarmKind::Low => urgent_low_on,
                AlarmKind::High => urgent_high_on,
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
    fn drive(
        &self,
        kind: AlarmKind,
        k: &mut KindState,
        cond: Cond,
        repeat: Repeat,
        silenced: bool,
        out: &mut Vec<AlarmEvent>,
    ) {
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
                // From the episode's start: a signal gap (which holds the episode open) restarts the run of
                // readings the condition sees, but not the count of alerts already sent.
                let start = k.since.map_or(since, |opened| opened.min(since));
                let elapsed = now.secs_since(start) - first;
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
        out.push(AlarmEvent::Fired(Alert {
            kind,
            level,
            at: now,
            value,
            repeat: repeat_no,
            volume,
            profile: self.profile_kind,
        }));
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
        // Of equal lows, the latest (`rev` + `min_by`, which keeps the first minimum it meets).
        let rise_start = self
            .recent
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .rev()
            .min_by(|a, b| a.value().total_cmp(&b.value()))
            .map_or(high_since, |r| r.at);
        let old_enough = self.now.secs_since(rise_start) >= self.config.not_coming_down_after_secs;
        let flat = self.slope_30().is_some_and(|s| s > self.config.not_coming_down_slope);
        if old_enough && flat { Cond::On { value, since: rise_start, level: Level::Info } } else { Cond::Hold }
    }

    /// Rising (`sign` 1) or falling (`sign` −1) fast: the 15-minute least-squares rate has been beyond the
    /// threshold at the newest reading and at the readings 5, 10 and 15 minutes before it (sustained for 15
    /// minutes). The episode ends when the rate at the newest reading is [`RATE_HYSTERESIS`] below the threshold.
    fn fast(&self, value: Option<MgDl>, sign: f64) -> Cond {
        let Some(newest) = self.newest else { return Cond::Hold };
        let rate_at = |back: i64| {
            let end = self.recent.partition_point(|r| r.at <= newest.at - back);
            let upto = self.recent.get(..end)?;
            // The reading that stands for "back minutes ago" must be close to it, or the data have a gap.
            let last = upto.last()?;
            (newest.at.secs_since(last.at) <= back + 2 * MINUTE)
                .then(|| rate_of_change(upto))
                .flatten()
                .map(|r| r * sign)
        };
        let Some(rate) = rate_at(0) else { return Cond::Hold };
        let threshold = self.config.fast_rate;
        let sustained = SUSTAINED_OFFSETS.iter().all(|&back| rate_at(back).is_some_and(|r| r > threshold));
        let level = if sign < 0.0 { Level::Warning } else { Level::Info };
        if sustained {
            Cond::On { value, since: newest.at, level }
        } else if rate < threshold - RATE_HYSTERESIS {
            Cond::Off
        } else {
            Cond::Hold
        }
    }
}

crate::wire_names!(AlarmKind {
    UrgentLow => "UrgentLow",
    Low => "Low",
    PredictedLow => "PredictedLow",
    UrgentHigh => "UrgentHigh",
    High => "High",
    PersistentHigh => "PersistentHigh",
    NotComingDown => "NotComingDown",
    Rebound => "Rebound",
    RisingFast => "RisingFast",
    FallingFast => "FallingFast",
    StaleData => "StaleData",
    SensorEndsInADay => "SensorEndsInADay",
    SensorEndsSoon => "SensorEndsSoon",
});
crate::wire_names!(Level { Info => "Info", Warning => "Warning", Urgent => "Urgent" });
crate::wire_names!(Volume { Quiet => "Quiet", Normal => "Normal", Loud => "Loud" });

impl Wire for Profile {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("urgent_low", self.urgent_low.to_wire()),
            ("low", self.low.to_wire()),
            ("high", self.high.to_wire()),
            ("urgent_high", self.urgent_high.to_wire()),
            ("volume", self.volume.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Profile> {
        Some(Profile {
            urgent_low: wire::get(value, "urgent_low")?,
            low: wire::get(value, "low")?,
            high: wire::get(value, "high")?,
            urgent_high: wire::get(value, "urgent_high")?,
            volume: wire::get(value, "volume")?,
        })
    }
}

impl Wire for NightProfile {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("starts_min", self.starts_min.to_wire()),
            ("ends_min", self.ends_min.to_wire()),
            ("profile", self.profile.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<NightProfile> {
        Some(NightProfile {
            starts_min: wire::get(value, "starts_min")?,
            ends_min: wire::get(value, "ends_min")?,
            profile: wire::get(value, "profile")?,
        })
    }
}

/// Every field may be absent (the default's value), as with `#[serde(default)]`.
impl Wire for AlarmConfig {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("day", self.day.to_wire()),
            ("night", self.night.to_wire()),
            ("utc_offset_min", self.utc_offset_min.to_wire()),
            ("disabled", self.disabled.to_wire()),
            ("low_hysteresis", self.low_hysteresis.to_wire()),
            ("high_hysteresis", self.high_hysteresis.to_wire()),
            ("urgent_low_repeat_secs", self.urgent_low_repeat_secs.to_wire()),
            ("low_repeat_secs", self.low_repeat_secs.to_wire()),
            ("predicted_low_repeat_secs", self.predicted_low_repeat_secs.to_wire()),
            ("urgent_high_repeat_secs", self.urgent_high_repeat_secs.to_wire()),
            ("stale_repeat_secs", self.stale_repeat_secs.to_wire()),
            ("fast_rate", self.fast_rate.to_wire()),
            ("predicted_low_minutes", self.predicted_low_minutes.to_wire()),
            ("persistent_high_after_secs", self.persistent_high_after_secs.to_wire()),
            ("persistent_high_every_secs", self.persistent_high_every_secs.to_wire()),
            ("not_coming_down_after_secs", self.not_coming_down_after_secs.to_wire()),
            ("not_coming_down_slope", self.not_coming_down_slope.to_wire()),
            ("rebound_fall", self.rebound_fall.to_wire()),
            ("rebound_rise", self.rebound_rise.to_wire()),
            ("stale_warning_secs", self.stale_warning_secs.to_wire()),
            ("stale_urgent_secs", self.stale_urgent_secs.to_wire()),
            ("sensor_ends_at", self.sensor_ends_at.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<AlarmConfig> {
        if !value.is_object() {
            return None;
        }
        let d = AlarmConfig::default();
        Some(AlarmConfig {
            day: wire::get_or(value, "day", d.day)?,
            night: wire::get_or(value, "night", d.night)?,
            utc_offset_min: wire::get_or(value, "utc_offset_min", d.utc_offset_min)?,
            disabled: wire::get_or(value, "disabled", d.disabled)?,
            low_hysteresis: wire::get_or(value, "low_hysteresis", d.low_hysteresis)?,
            high_hysteresis: wire::get_or(value, "high_hysteresis", d.high_hysteresis)?,
            urgent_low_repeat_secs: wire::get_or(value, "urgent_low_repeat_secs", d.urgent_low_repeat_secs)?,
            low_repeat_secs: wire::get_or(value, "low_repeat_secs", d.low_repeat_secs)?,
            predicted_low_repeat_secs: wire::get_or(value, "predicted_low_repeat_secs", d.predicted_low_repeat_secs)?,
            urgent_high_repeat_secs: wire::get_or(value, "urgent_high_repeat_secs", d.urgent_high_repeat_secs)?,
            stale_repeat_secs: wire::get_or(value, "stale_repeat_secs", d.stale_repeat_secs)?,
            fast_rate: wire::get_or(value, "fast_rate", d.fast_rate)?,
            predicted_low_minutes: wire::get_or(value, "predicted_low_minutes", d.predicted_low_minutes)?,
            persistent_high_after_secs: wire::get_or(
                value,
                "persistent_high_after_secs",
                d.persistent_high_after_secs,
            )?,
            persistent_high_every_secs: wire::get_or(
                value,
                "persistent_high_every_secs",
                d.persistent_high_every_secs,
            )?,
            not_coming_down_after_secs: wire::get_or(
                value,
                "not_coming_down_after_secs",
                d.not_coming_down_after_secs,
            )?,
            not_coming_down_slope: wire::get_or(value, "not_coming_down_slope", d.not_coming_down_slope)?,
            rebound_fall: wire::get_or(value, "rebound_fall", d.rebound_fall)?,
            rebound_rise: wire::get_or(value, "rebound_rise", d.rebound_rise)?,
            stale_warning_secs: wire::get_or(value, "stale_warning_secs", d.stale_warning_secs)?,
            stale_urgent_secs: wire::get_or(value, "stale_urgent_secs", d.stale_urgent_secs)?,
            sensor_ends_at: wire::get_or(value, "sensor_ends_at", d.sensor_ends_at)?,
        })
    }
}

impl Wire for KindState {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("active", self.active.to_wire()),
            ("since", self.since.to_wire()),
            ("fired", self.fired.to_wire()),
            ("sent", self.sent.to_wire()),
            ("last_level", self.last_level.to_wire()),
            ("last_fired", self.last_fired.to_wire()),
            ("acked_at", self.acked_at.to_wire()),
            ("snoozed_until", self.snoozed_until.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<KindState> {
        Some(KindState {
            active: wire::get(value, "active")?,
            since: wire::get(value, "since")?,
            fired: wire::get(value, "fired")?,
            sent: wire::get(value, "sent")?,
            last_level: wire::get(value, "last_level")?,
            last_fired: wire::get(value, "last_fired")?,
            acked_at: wire::get(value, "acked_at")?,
            snoozed_until: wire::get(value, "snoozed_until")?,
        })
    }
}

impl Wire for Excursion {
    fn to_wire(&self) -> Value {
        match self {
            Excursion::Rising { peak } => wire::variant("Rising", Some(wire::object(vec![("peak", peak.to_wire())]))),
            Excursion::Falling { trough } => {
                wire::variant("Falling", Some(wire::object(vec![("trough", trough.to_wire())])))
            }
            Excursion::Rebounded => wire::variant("Rebounded", None),
        }
    }

    fn from_wire(value: &Value) -> Option<Excursion> {
        match wire::read_variant(value)? {
            ("Rising", content) => Some(Excursion::Rising { peak: wire::get(content, "peak")? }),
            ("Falling", content) => Some(Excursion::Falling { trough: wire::get(content, "trough")? }),
            ("Rebounded", Value::Null) => Some(Excursion::Rebounded),
            _ => None,
        }
    }
}

/// Every field may be absent, as with `#[serde(default)]`; the kinds are an object keyed by kind name.
impl Wire for AlarmState {
    fn to_wire(&self) -> Value {
        let mut kinds = wire::Map::new();
        for (kind, state) in &self.kinds {
            kinds.insert(kind_name(*kind), state.to_wire());
        }
        wire::object(vec![
            ("kinds", Value::Object(kinds)),
            ("excursion", self.excursion.to_wire()),
            ("excursion_seen", self.excursion_seen.to_wire()),
            ("last_step", self.last_step.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<AlarmState> {
        if !value.is_object() {
            return None;
        }
        let mut kinds = BTreeMap::new();
        if let Some(stored) = value.get("kinds") {
            for (name, state) in stored.as_object()? {
                kinds.insert(AlarmKind::from_wire(&Value::from(name.as_str()))?, KindState::from_wire(state)?);
            }
        }
        Some(AlarmState {
            kinds,
            excursion: wire::get_or(value, "excursion", Excursion::default())?,
            excursion_seen: wire::get_or(value, "excursion_seen", None)?,
            last_step: wire::get_or(value, "last_step", None)?,
        })
    }
}

/// An alarm kind's name (`UrgentLow`).
fn kind_name(kind: AlarmKind) -> String {
    kind.to_wire().as_str().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Civil;
    use proptest::prelude::*;

    /// Minute 0 of the scenarios: 2024-03-04T00:00:00Z.
    fn t0() -> i64 {
        Civil { year: 2024, month: 3, day: 4, hour: 0, minute: 0, second: 0 }.unix_secs_as_utc()
    }

    fn t(minute: i64) -> UtcTime {
        UtcTime::from_unix_secs(t0() + minute * MINUTE)
    }

    fn minute_of(at: UtcTime) -> i64 {
        at.secs_since(t(0)) / MINUTE
    }

    /// A scenario: readings from `curve` (minute → mg/dL, `None` = no reading) every `reading_every` minutes,
    /// stepped every `step_every` minutes over `minutes`, with `act` run on the state before each step.
    struct Scenario {
        config: AlarmConfig,
        readings: Vec<Reading>,
        state: AlarmState,
        events: Vec<AlarmEvent>,
    }

    impl Scenario {
        fn new(
            config: AlarmConfig,
            minutes: core::ops::Range<i64>,
            reading_every: i64,
            curve: impl Fn(i64) -> Option<u16>,
        ) -> Self {
            let readings = minutes
                .clone()
                .filter(|m| m.rem_euclid(reading_every) == 0)
                .filter_map(|m| curve(m).map(|v| Reading::new(t(m), MgDl::new(v))))
                .collect();
            Scenario { config, readings, state: AlarmState::new(), events: Vec::new() }
        }

        fn step_at(&mut self, minute: i64) {
            let now = t(minute);
            let visible = self.readings.partition_point(|r| r.at <= now);
            let (events, next) = step(now, &self.readings[..visible], &self.config, &self.state);
            self.events.extend(events);
            self.state = next;
        }

        fn run(
            mut self,
            minutes: core::ops::Range<i64>,
            step_every: i64,
            mut act: impl FnMut(i64, &mut AlarmState),
        ) -> Self {
            for m in minutes.filter(|m| m.rem_euclid(step_every) == 0) {
                act(m, &mut self.state);
                self.step_at(m);
            }
            self
        }

        /// (minute, repeat, level) of each alert of `kind`.
        fn fired(&self, kind: AlarmKind) -> Vec<(i64, u32, Level)> {
            self.events
                .iter()
                .filter_map(|e| e.alert())
                .filter(|a| a.kind == kind)
                .map(|a| (minute_of(a.at), a.repeat, a.level))
                .collect()
        }

        fn fired_minutes(&self, kind: AlarmKind) -> Vec<i64> {
            self.fired(kind).into_iter().map(|(m, _, _)| m).collect()
        }

        fn cleared(&self, kind: AlarmKind) -> Vec<i64> {
            self.events
                .iter()
                .filter(|e| matches!(e, AlarmEvent::Cleared { .. }) && e.kind() == kind)
                .map(|e| minute_of(e.at()))
                .collect()
        }
    }

    fn no_action(_: i64, _: &mut AlarmState) {}

    /// Piecewise-linear curve through (minute, mg/dL) points, flat outside them.
    fn linear(points: &'static [(i64, f64)]) -> impl Fn(i64) -> Option<u16> {
        move |m| {
            let mut value = points.first().map_or(100.0, |p| p.1);
            for w in points.windows(2) {
                let ((m0, v0), (m1, v1)) = (w[0], w[1]);
                if m >= m0 && m <= m1 {
                    value = v0 + (v1 - v0) * (m - m0) as f64 / (m1 - m0) as f64;
                }
                if m > m1 {
                    value = v1;
                }
            }
            Some(value.round() as u16)
        }
    }

    #[test]
    fn urgent_low_repeats_every_5_min_until_acknowledged_then_stops() {
        let curve = |m| Some(if m < 10 { 100 } else { 50 });
        let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, |m, st| {
            if m == 27 {
                assert!(st.acknowledge(AlarmKind::UrgentLow, t(m)));
            }
        });
        // 10, 15, 20, 25; acknowledged at 27: silent for 15 min, then it repeats again because it is still < 55.
        assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [10, 15, 20, 25, 42, 47, 52, 57]);
        assert!(s.fired(AlarmKind::UrgentLow).iter().all(|&(_, _, level)| level == Level::Urgent));
        assert_eq!(s.fired(AlarmKind::UrgentLow).iter().map(|f| f.1).collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 7]);
        // Low is covered by urgent low: no second notification for the same value.
        assert!(s.fired(AlarmKind::Low).is_empty());

        // Acknowledged, and it comes back up within the 15 minutes: nothing more, and the episode clears.
        let curve = |m| Some(if (10..35).contains(&m) { 50 } else { 100 });
        let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, |m, st| {
            if m == 27 {
                st.acknowledge(AlarmKind::UrgentLow, t(m));
            }
        });
        assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [10, 15, 20, 25]);
        assert_eq!(s.cleared(AlarmKind::UrgentLow), [35]);
    }

    #[test]
    fn low_is_heard_while_an_urgent_low_is_held_open_just_above_55() {
        // 10 min at 50, then 2 h at 57: urgent low's episode stays open (57 is inside its hysteresis) but does not
        // repeat there; low, which 57 is, takes over with its own repeats instead of going quiet for two hours.
        let curve = |m| Some(if m < 10 { 50 } else { 57 });
        let s = Scenario::new(AlarmConfig::default(), 0..130, 1, curve).run(0..130, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [0, 5]);
        assert_eq!(s.fired_minutes(AlarmKind::Low), [15, 30, 45, 60, 75, 90, 105, 120]);
        // At 62, out of urgent low's band, the same: low repeats.
        let curve = |m| Some(if m < 10 { 50 } else { 62 });
        let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::Low), [15, 30]);
    }

    #[test]
    fn urgent_low_cannot_be_snoozed_longer_than_15_min_nor_muted_by_other_snoozes() {
        let curve = |m| Some(if m < 10 { 100 } else { 50 });
        let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, |m, st| {
            if m == 0 {
                let until = st.snooze(AlarmKind::UrgentLow, t(0), t(120));
                assert_eq!(until, t(15));
                st.snooze(AlarmKind::Low, t(0), t(60));
                st.snooze(AlarmKind::High, t(0), t(120));
            }
        });
        assert_eq!(s.fired_minutes(AlarmKind::UrgentLow), [15, 20, 25, 30, 35]);
        assert!(
            AlarmConfig { disabled: vec![AlarmKind::UrgentLow], ..AlarmConfig::default() }
                .is_enabled(AlarmKind::UrgentLow)
        );
    }

    #[test]
    fn wobbling_on_70_gives_one_low_alarm_not_ten() {
        let wobble = [69, 71, 68, 72, 69, 73, 69, 71, 68, 72, 69, 71, 69, 72];
        let curve = move |m: i64| {
            Some(if (10..24).contains(&m) {
                wobble[(m - 10) as usize]
            } else if m < 10 {
                80
            } else {
                90
            })
        };
        let s = Scenario::new(AlarmConfig::default(), 0..40, 1, curve).run(0..40, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::Low), [10]);
        assert_eq!(s.cleared(AlarmKind::Low), [24]);

        // The control: without hysteresis the same data flaps.
        let config = AlarmConfig { low_hysteresis: MgDl::new(0), ..AlarmConfig::default() };
        let s = Scenario::new(config, 0..40, 1, curve).run(0..40, 1, no_action);
        assert!(s.fired(AlarmKind::Low).len() >= 5, "{:?}", s.fired(AlarmKind::Low));
    }

    #[test]
    fn high_wobbling_on_180_clears_only_10_below() {
        let curve = |m: i64| {
            Some(match m {
                0..10 => 150,
                10..30 => {
                    if m % 2 == 0 {
                        182
                    } else {
                        175
                    }
                }
                30..40 => 171,
                _ => 170,
            })
        };
        let s = Scenario::new(AlarmConfig::default(), 0..50, 1, curve).run(0..50, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::High), [10]);
        assert_eq!(s.cleared(AlarmKind::High), [40]);
    }

    #[test]
    fn a_snoozed_high_does_not_mute_a_later_low() {
        static POINTS: [(i64, f64); 3] = [(0, 220.0), (30, 220.0), (90, 60.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..120, 1, linear(&POINTS)).run(0..120, 1, |m, st| {
            if m == 0 {
                st.snooze(AlarmKind::High, t(0), t(120));
            }
        });
        assert!(s.fired(AlarmKind::High).is_empty());
        let low = s.fired_minutes(AlarmKind::Low);
        // 220 − 160·(m−30)/60 < 70 from minute 87 on.
        assert_eq!(low.first(), Some(&87));
    }

    #[test]
    fn stale_data_warns_at_15_and_is_urgent_at_30_and_silences_glucose_alarms() {
        let curve = |m| (m <= 30).then_some(65);
        let s = Scenario::new(AlarmConfig::default(), 0..100, 1, curve).run(0..100, 1, no_action);
        assert_eq!(
            s.fired(AlarmKind::StaleData),
            [(45, 0, Level::Warning), (60, 1, Level::Urgent), (75, 2, Level::Urgent), (90, 3, Level::Urgent)]
        );
        // Low repeated while the data were fresh, then nothing on data older than 10 minutes (and no clearing).
        assert_eq!(s.fired_minutes(AlarmKind::Low), [0, 15, 30]);
        assert!(s.cleared(AlarmKind::Low).is_empty());
        assert!(s.state.is_active(AlarmKind::Low));

        // A low reading that is 20 minutes old: stale warning only.
        let readings = [Reading::new(t(0), MgDl::new(60))];
        let (events, _) = step(t(20), &readings, &AlarmConfig::default(), &AlarmState::new());
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].kind(), AlarmKind::StaleData);
        assert_eq!(events[0].alert().map(|a| a.level), Some(Level::Warning));
        // 10 minutes old is still evaluated; 11 is not.
        let (events, _) = step(t(10), &readings, &AlarmConfig::default(), &AlarmState::new());
        assert_eq!(events.iter().map(|e| e.kind()).collect::<Vec<_>>(), [AlarmKind::Low]);
        let (events, _) = step(t(11), &readings, &AlarmConfig::default(), &AlarmState::new());
        assert!(events.is_empty(), "{events:?}");
    }

    #[test]
    fn stale_clears_when_data_come_back() {
        let curve = |m| (!(10..40).contains(&m)).then_some(120);
        let s = Scenario::new(AlarmConfig::default(), 0..60, 1, curve).run(0..60, 1, no_action);
        // Last reading at 9: warning at 24, urgent at 39 (30 min), cleared by the reading at 40.
        assert_eq!(s.fired(AlarmKind::StaleData), [(24, 0, Level::Warning), (39, 1, Level::Urgent)]);
        assert_eq!(s.cleared(AlarmKind::StaleData), [40]);
    }

    #[test]
    fn rising_and_falling_fast_fire_once_per_episode() {
        static POINTS: [(i64, f64); 8] = [
            (0, 100.0),
            (20, 100.0),
            (60, 220.0),
            (100, 220.0),
            (130, 130.0),
            (170, 130.0),
            (200, 220.0),
            (260, 220.0),
        ];
        let s = Scenario::new(AlarmConfig::default(), 0..260, 1, linear(&POINTS)).run(0..260, 1, no_action);
        let rising = s.fired_minutes(AlarmKind::RisingFast);
        assert_eq!(rising.len(), 2, "{rising:?}");
        // The rate passes 2 mg/dL/min about 10 minutes into a 3 mg/dL/min rise and must then hold 15 minutes.
        assert!((44..=46).contains(&rising[0]) && (194..=196).contains(&rising[1]), "{rising:?}");
        let falling = s.fired_minutes(AlarmKind::FallingFast);
        assert_eq!(falling.len(), 1, "{falling:?}");
        assert!((124..=126).contains(&falling[0]), "{falling:?}");
        assert_eq!(s.fired(AlarmKind::FallingFast)[0].2, Level::Warning);
    }

    #[test]
    fn a_slow_rise_is_not_fast() {
        static POINTS: [(i64, f64); 3] = [(0, 100.0), (20, 100.0), (80, 220.0)]; // 2 mg/dL/min, not more
        let s = Scenario::new(AlarmConfig::default(), 0..100, 1, linear(&POINTS)).run(0..100, 1, no_action);
        assert!(s.fired(AlarmKind::RisingFast).is_empty());
        // A fast rise of only 15 minutes is not sustained for 15 minutes at more than 2 mg/dL/min.
        static SHORT: [(i64, f64); 3] = [(0, 100.0), (20, 100.0), (35, 145.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..100, 1, linear(&SHORT)).run(0..100, 1, no_action);
        assert!(s.fired(AlarmKind::RisingFast).is_empty());
    }

    #[test]
    fn predicted_low_fires_before_the_low_and_not_when_already_low() {
        static FALLING: [(i64, f64); 3] = [(0, 130.0), (10, 130.0), (70, 40.0)]; // −1.5 mg/dL/min
        let s = Scenario::new(AlarmConfig::default(), 0..80, 1, linear(&FALLING)).run(0..80, 1, no_action);
        let predicted = s.fired_minutes(AlarmKind::PredictedLow);
        let low = s.fired_minutes(AlarmKind::Low);
        assert_eq!(predicted.len(), 1, "{predicted:?}");
        assert_eq!(low.first(), Some(&51)); // 130 − 1.5·41 = 68.5 → 69
        assert!(predicted[0] < 51 && predicted[0] >= 30, "{predicted:?}");
        assert_eq!(s.cleared(AlarmKind::PredictedLow), [51]);

        static ALREADY_LOW: [(i64, f64); 3] = [(0, 65.0), (10, 65.0), (30, 45.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..40, 1, linear(&ALREADY_LOW)).run(0..40, 1, no_action);
        assert!(s.fired(AlarmKind::PredictedLow).is_empty());
        assert_eq!(s.fired_minutes(AlarmKind::Low).first(), Some(&0));
    }

    #[test]
    fn not_coming_down_fires_once_two_hours_after_the_rise_began() {
        // Meal at 60: 110 → 200 by 120, down to 185 by 150, then flat.
        static MEAL: [(i64, f64); 5] = [(0, 110.0), (60, 110.0), (120, 200.0), (150, 185.0), (300, 185.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..300, 1, linear(&MEAL)).run(0..300, 1, no_action);
        assert_eq!(s.fired(AlarmKind::NotComingDown), [(180, 0, Level::Info)]);
        // Persistent high counts from the crossing of 180 (minute 107), so it is a different moment.
        assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [227]);

        // Peak 250, then falling 0.6 mg/dL/min: it is coming down, no alarm.
        static FALLING: [(i64, f64); 4] = [(0, 110.0), (60, 110.0), (120, 250.0), (260, 166.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..300, 1, linear(&FALLING)).run(0..300, 1, no_action);
        assert!(s.fired(AlarmKind::NotComingDown).is_empty());
    }

    /// Post-meal: 110 → 230, down to 185, up again to 215, down to 185, up to 210, then back in range.
    static REBOUND: [(i64, f64); 8] =
        [(0, 110.0), (30, 110.0), (110, 230.0), (155, 185.0), (185, 215.0), (215, 185.0), (240, 210.0), (285, 120.0)];

    #[test]
    fn post_meal_rise_falls_rises_again_gives_exactly_one_rebound() {
        for (reading_every, step_every) in [(1, 1), (1, 5), (5, 1), (5, 5)] {
            let s = Scenario::new(AlarmConfig::default(), 0..320, reading_every, linear(&REBOUND)).run(
                0..320,
                step_every,
                no_action,
            );
            // Trough 185 at 155; +20 → 205 at 175.
            assert_eq!(s.fired(AlarmKind::Rebound), [(175, 0, Level::Info)], "{reading_every}/{step_every}");
            // Cleared once back at or below 170 (210 − 2·(m − 240) ≤ 170 from 260).
            assert_eq!(s.cleared(AlarmKind::Rebound), [260], "{reading_every}/{step_every}");
        }
    }

    #[test]
    fn a_fall_into_range_and_a_new_rise_is_not_a_rebound() {
        static POINTS: [(i64, f64); 5] = [(0, 110.0), (60, 230.0), (120, 150.0), (160, 200.0), (200, 200.0)];
        let s = Scenario::new(AlarmConfig::default(), 0..220, 1, linear(&POINTS)).run(0..220, 1, no_action);
        assert!(s.fired(AlarmKind::Rebound).is_empty());
        assert_eq!(s.fired(AlarmKind::High).len(), 2); // two separate high episodes instead
    }

    #[test]
    fn hand_written_json_reads_partial_and_refuses_wrong_shapes_as_serde_does() {
        let partial = serde_json::json!({"low_repeat_secs": 600, "night": null});
        let expected = AlarmConfig { low_repeat_secs: 600, ..AlarmConfig::default() };
        assert_eq!(serde_json::from_value::<AlarmConfig>(partial.clone()).ok(), Some(expected.clone()));
        assert_eq!(AlarmConfig::from_wire(&partial), Some(expected));
        for wrong in [
            serde_json::json!({"low_repeat_secs": "600"}),
            serde_json::json!({"day": {"low": 70}}),
            serde_json::json!({"disabled": ["Nope"]}),
            serde_json::json!({"low_hysteresis": -1}),
            serde_json::json!([1]),
        ] {
            assert!(serde_json::from_value::<AlarmConfig>(wrong.clone()).is_err(), "{wrong}");
            assert_eq!(AlarmConfig::from_wire(&wrong), None, "{wrong}");
        }
        let empty = serde_json::json!({});
        assert_eq!(AlarmState::from_wire(&empty), serde_json::from_value(empty).ok());
        let state =
            serde_json::json!({"excursion": "Rebounded", "kinds": {"Low": {"active": true, "fired": 1, "sent": 1}}});
        assert_eq!(AlarmState::from_wire(&state), serde_json::from_value(state.clone()).ok());
        assert!(AlarmState::from_wire(&state).is_some());
    }

    fn night_config(night_high: u16, volume: Volume) -> AlarmConfig {
        AlarmConfig {
            night: Some(NightProfile {
                starts_min: 22 * 60,
                ends_min: 7 * 60,
                profile: Profile { high: MgDl::new(night_high), volume, ..Profile::default() },
            }),
            ..AlarmConfig::default()
        }
    }

    #[test]
    fn above_180_all_night_alerts_every_two_hours_until_morning() {
        // 21:00 (minute −180) to 08:00; high from 22:00 (−120) to 07:00 (420).
        let curve = |m: i64| Some(if (-120..420).contains(&m) { 200 } else { 120 });
        for step_every in [1, 5] {
            let s = Scenario::new(night_config(180, Volume::Quiet), -180..480, 5, curve).run(
                -180..480,
                step_every,
                no_action,
            );
            assert_eq!(s.fired(AlarmKind::High), [(-120, 0, Level::Warning)]);
            assert_eq!(
                s.fired(AlarmKind::PersistentHigh),
                [(0, 0, Level::Warning), (120, 1, Level::Warning), (240, 2, Level::Warning), (360, 3, Level::Warning)],
                "step every {step_every}"
            );
            assert_eq!(s.cleared(AlarmKind::PersistentHigh), [420]);
            assert_eq!(s.cleared(AlarmKind::High), [420]);
            let alert = s.events.iter().filter_map(|e| e.alert()).find(|a| a.kind == AlarmKind::PersistentHigh);
            assert_eq!(alert.map(|a| (a.profile, a.volume)), Some((ProfileKind::Night, Volume::Quiet)));
        }
    }

    #[test]
    fn persistent_high_repeats_whatever_the_direction() {
        // High from 0, wandering up and down between 190 and 240 for 7 hours.
        let curve = |m: i64| Some(if m < 420 { 215 + ((m as f64 / 20.0).sin() * 25.0) as u16 } else { 120 });
        let s = Scenario::new(AlarmConfig::default(), 0..480, 1, curve).run(0..480, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [120, 240, 360]);
    }

    #[test]
    fn persistent_high_keeps_its_pace_across_a_signal_gap() {
        // High from 0, no readings from 300 to 335 (the sensor out of range), high again after.
        let curve = |m: i64| (!(300..335).contains(&m)).then_some(220);
        let s = Scenario::new(AlarmConfig::default(), 0..620, 1, curve).run(0..620, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::PersistentHigh), [120, 240, 360, 480, 600]);
    }

    #[test]
    fn day_and_night_thresholds() {
        // 190 from 21:00 to 08:00; the night profile's high is 200.
        let curve = |_| Some(190);
        let s = Scenario::new(night_config(200, Volume::Normal), -180..480, 5, curve).run(-180..480, 1, no_action);
        // Day: high at 21:00; night: 190 is 10 below 200, so it clears at 22:00; day again at 07:00.
        assert_eq!(s.fired_minutes(AlarmKind::High), [-180, 420]);
        assert_eq!(s.cleared(AlarmKind::High), [-120]);
        let profiles: Vec<_> = s
            .events
            .iter()
            .filter_map(|e| e.alert())
            .filter(|a| a.kind == AlarmKind::High)
            .map(|a| a.profile)
            .collect();
        assert_eq!(profiles, [ProfileKind::Day, ProfileKind::Day]);
        // And a night value above the night threshold alarms with the night profile.
        let s =
            Scenario::new(night_config(200, Volume::Normal), -180..480, 5, |_| Some(215)).run(-180..480, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::High), [-180]);
    }

    #[test]
    fn urgent_high_repeats_every_30_min() {
        let curve = |m| Some(if (10..80).contains(&m) { 270 } else { 150 });
        let s = Scenario::new(AlarmConfig::default(), 0..100, 1, curve).run(0..100, 1, no_action);
        assert_eq!(s.fired_minutes(AlarmKind::UrgentHigh), [10, 40, 70]);
        assert!(s.fired(AlarmKind::High).is_empty(), "covered by urgent high");
        assert_eq!(s.cleared(AlarmKind::UrgentHigh), [80]);
    }

    #[test]
    fn low_repeats_every_15_min_and_snooze_and_acknowledge_work_per_episode() {
        let curve = |m| Some(if (10..60).contains(&m) || (80..100).contains(&m) { 65 } else { 100 });
        let s = Scenario::new(AlarmConfig::default(), 0..110, 1, curve).run(0..110, 1, |m, st| {
            if m == 30 {
                assert!(st.acknowledge(AlarmKind::Low, t(m)));
            }
        });
        // 10, 25; acknowledged at 30: no more repeats in this episode; a new episode at 80 fires again.
        assert_eq!(s.fired_minutes(AlarmKind::Low), [10, 25, 80, 95]);
        assert!(!AlarmState::new().acknowledge(AlarmKind::Low, t(0)), "nothing open to acknowledge");

        let s = Scenario::new(AlarmConfig::default(), 0..110, 1, curve).run(0..110, 1, |m, st| {
            if m == 0 {
                assert_eq!(st.snooze(AlarmKind::Low, t(0), t(180)), t(60), "low snoozes at most 60 min");
            }
        });
        assert_eq!(s.fired_minutes(AlarmKind::Low), [80, 95]);
    }

    #[test]
    fn sensor_ending_notices_fire_once_each() {
        let ends = t(3 * 24 * 60);
        let config = AlarmConfig { sensor_ends_at: Some(ends), ..AlarmConfig::default() };
        let s = Scenario::new(config, 0..(3 * 24 * 60 + 60), 5, |_| Some(120)).run(0..(3 * 24 * 60 + 60), 1, no_action);
        assert_eq!(s.fired(AlarmKind::SensorEndsInADay), [(2 * 24 * 60, 0, Level::Info)]);
        assert_eq!(s.fired(AlarmKind::SensorEndsSoon), [(3 * 24 * 60 - 120, 0, Level::Warning)]);
        assert_eq!(s.cleared(AlarmKind::SensorEndsInADay), [3 * 24 * 60 - 120]);
        assert_eq!(s.cleared(AlarmKind::SensorEndsSoon), [3 * 24 * 60]);
        // The sensor status feeds it.
        let sensor = crate::sensor::Sensor::from_llu(t(0).unix_secs(), Some(60), Some(40068)).unwrap();
        assert_eq!(sensor.status(t(0)).ends_at, t(14 * 24 * 60));
    }

    /// A scenario with most alarms in it: lows, highs, a gap, a rebound.
    fn busy_curve(m: i64) -> Option<u16> {
        match m {
            40..70 => None,
            _ => linear(&REBOUND)(m).map(|v| if (300..340).contains(&m) { 50 } else { v }),
        }
    }

    #[test]
    fn double_delivery_emits_nothing_new() {
        let once = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve).run(0..400, 1, no_action);
        let mut twice = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve);
        for m in 0..400 {
            twice.step_at(m);
            let before = twice.events.len();
            twice.step_at(m);
            assert_eq!(twice.events.len(), before, "minute {m}: {:?}", &twice.events[before..]);
        }
        assert_eq!(once.events, twice.events);
        assert!(once.events.len() > 10, "the scenario exercises the machine: {:?}", once.events);
    }

    #[test]
    fn a_step_back_in_time_is_ignored() {
        let s = Scenario::new(AlarmConfig::default(), 0..30, 1, |_| Some(50)).run(0..30, 1, no_action);
        let (events, next) = step(t(10), &s.readings, &s.config, &s.state);
        assert!(events.is_empty());
        assert_eq!(next, s.state);
    }

    #[test]
    fn state_round_trips_through_json_and_carries_on_identically() {
        let mut a = Scenario::new(AlarmConfig::default(), 0..400, 1, busy_curve).run(0..200, 1, |m, st| {
            if m == 150 {
                st.snooze(AlarmKind::High, t(m), t(m + 90));
            }
        });
        let json = serde_json::to_string(&a.state).unwrap();
        let back: AlarmState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a.state);
        let mut b =
            Scenario { config: a.config.clone(), readings: a.readings.clone(), state: back, events: Vec::new() };
        a.events.clear();
        for m in 200..400 {
            a.step_at(m);
            b.step_at(m);
        }
        assert_eq!(a.events, b.events);
        // Config and events serialise too.
        let config: AlarmConfig =
            serde_json::from_str(&serde_json::to_string(&night_config(200, Volume::Quiet)).unwrap()).unwrap();
        assert_eq!(config, night_config(200, Volume::Quiet));
        let partial: AlarmConfig = serde_json::from_str(r#"{"low_repeat_secs": 600}"#).unwrap();
        assert_eq!(partial.low_repeat_secs, 600);
        assert_eq!(partial.day, Profile::default());
    }

    #[test]
    fn disabled_alarms_stay_silent_and_active_lists_open_episodes() {
        let config =
            AlarmConfig { disabled: vec![AlarmKind::High, AlarmKind::PersistentHigh], ..AlarmConfig::default() };
        let s = Scenario::new(config, 0..200, 1, |_| Some(200)).run(0..200, 1, no_action);
        assert!(s.fired(AlarmKind::High).is_empty() && s.fired(AlarmKind::PersistentHigh).is_empty());

        let s = Scenario::new(AlarmConfig::default(), 0..30, 1, |m| Some(if m < 10 { 100 } else { 50 })).run(
            0..30,
            1,
            no_action,
        );
        let active = s.state.active();
        let kinds: Vec<_> = active.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [AlarmKind::UrgentLow, AlarmKind::Low]);
        assert_eq!(active[0].level, Some(Level::Urgent));
        assert_eq!(active[0].since, t(10));
        assert_eq!(active[1].level, None, "low was covered by urgent low, never sent");
    }

    #[test]
    fn night_window_wraps_midnight() {
        let night = NightProfile { starts_min: 22 * 60, ends_min: 7 * 60, profile: Profile::default() };
        let cases =
            [(0, true), (6 * 60 + 59, true), (7 * 60, false), (12 * 60, false), (21 * 60 + 59, false), (22 * 60, true)];
        for (minute, inside) in cases {
            assert_eq!(night.contains(minute), inside, "{minute}");
        }
        // The offset moves the window: 22:00 local at UTC+2 is 20:00 UTC.
        let config = AlarmConfig { utc_offset_min: 120, ..night_config(200, Volume::Quiet) };
        assert_eq!(config.profile_at(t(20 * 60)).1, ProfileKind::Night);
        assert_eq!(config.profile_at(t(20 * 60 - 1)).1, ProfileKind::Day);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_input_never_panics_and_never_duplicates(
            points in proptest::collection::btree_map(-100i64..400, 1u16..=600, 0..120),
            nows in proptest::collection::vec(-50i64..500, 1..80),
            lo_hi in proptest::collection::vec(0u8..3, 120),
            snooze_at in 0usize..80,
        ) {
            let readings: Vec<Reading> = points.iter().zip(lo_hi.iter().cycle()).map(|((&m, &v), &flag)| {
                let mut r = Reading::new(t(m), MgDl::new(v));
                r.range = match flag { 1 => crate::reading::SensorRange::Lo, 2 => crate::reading::SensorRange::Hi, _ => r.range };
                r
            }).collect();
            let mut nows = nows;
            nows.sort_unstable();
            let config = AlarmConfig { sensor_ends_at: Some(t(200)), ..night_config(200, Volume::Quiet) };
            let mut state = AlarmState::new();
            let mut seen = std::collections::HashSet::new();
            for (i, &m) in nows.iter().enumerate() {
                if i == snooze_at {
                    state.snooze(AlarmKind::Low, t(m), t(m + 30));
                    state.acknowledge(AlarmKind::High, t(m));
                }
                for _ in 0..2 {
                    let (events, next) = step(t(m), &readings, &config, &state);
                    for e in events {
                        let fired = matches!(e, AlarmEvent::Fired(_));
                        prop_assert!(seen.insert((e.kind(), e.at(), fired)), "duplicate {:?}", e);
                    }
                    state = next;
                }
            }
        }

        #[test]
        fn hand_written_json_is_serde_json_for_states_configs_and_readings(
            points in proptest::collection::btree_map(-100i64..400, 1u16..=600, 0..80),
            nows in proptest::collection::vec(-50i64..500, 1..40),
            flags in proptest::collection::vec((0u8..3, 0u8..9, proptest::option::of(-720i16..840), 0u8..3), 80),
            numbers in (1u16..400, 0u16..1440, proptest::option::of(0i64..2_000_000_000), -3.5f64..4.0),
            snooze_at in 0usize..40,
        ) {
            use crate::reading::{Origin, SensorRange, Series};
            use crate::trend::Direction;
            const ARROWS: [Direction; 8] = [Direction::DoubleDown, Direction::SingleDown, Direction::FortyFiveDown,
                Direction::Flat, Direction::FortyFiveUp, Direction::SingleUp, Direction::DoubleUp,
                Direction::NotComputable];
            let readings: Vec<Reading> = points.iter().zip(flags.iter().cycle()).map(|((&m, &v), &(range, arrow, offset, origin))| {
                let mut r = Reading::new(t(m), MgDl::new(v));
                r.range = [SensorRange::InRange, SensorRange::Lo, SensorRange::Hi][usize::from(range)];
                r.arrow = ARROWS.get(usize::from(arrow)).copied();
                r.wearer_offset_min = offset;
                r.origin = [Origin::Graph, Origin::Logbook, Origin::Current][usize::from(origin)];
                r
            }).collect();
            let (mgdl, minute, ends, rate) = numbers;
            let mut config = night_config(mgdl.max(100), Volume::Loud);
            config.utc_offset_min = i16::try_from(minute).unwrap_or(0) - 720;
            config.sensor_ends_at = ends.map(UtcTime::from_unix_secs);
            config.fast_rate = rate;
            config.disabled = vec![AlarmKind::Rebound, AlarmKind::StaleData];
            let series = Series::from_readings(readings.iter().copied());
            for (ours, serde) in [
                (config.to_wire(), serde_json::to_value(&config).unwrap()),
                (AlarmConfig::default().to_wire(), serde_json::to_value(AlarmConfig::default()).unwrap()),
                (series.to_wire(), serde_json::to_value(&series).unwrap()),
            ] {
                prop_assert_eq!(ours, serde);
            }
            prop_assert_eq!(AlarmConfig::from_wire(&serde_json::to_value(&config).unwrap()), Some(config.clone()));
            prop_assert_eq!(Series::from_wire(&serde_json::to_value(&series).unwrap()), Some(series.clone()));
            let mut nows = nows;
            nows.sort_unstable();
            let mut state = AlarmState::new();
            for (i, &m) in nows.iter().enumerate() {
                if i == snooze_at {
                    state.snooze(AlarmKind::Low, t(m), t(m + 30));
                    state.acknowledge(AlarmKind::High, t(m));
                }
                state = step(t(m), series.as_slice(), &config, &state).1;
                let serde = serde_json::to_value(&state).unwrap();
                prop_assert_eq!(&state.to_wire(), &serde);
                prop_assert_eq!(AlarmState::from_wire(&serde), Some(state.clone()));
            }
        }

        #[test]
        fn every_cleared_follows_a_fired_episode(points in proptest::collection::vec(40u16..=400, 10..200)) {
            let readings: Vec<Reading> = points.iter().enumerate().map(|(i, &v)| Reading::new(t(i as i64), MgDl::new(v))).collect();
            let mut state = AlarmState::new();
            let mut open = std::collections::HashSet::new();
            for m in 0..(points.len() as i64 + 40) {
                let (events, next) = step(t(m), &readings, &AlarmConfig::default(), &state);
                for e in events {
                    match e {
                        AlarmEvent::Fired(a) => { open.insert(a.kind); }
                        AlarmEvent::Cleared { kind, .. } => prop_assert!(open.remove(&kind), "cleared {:?} never fired", kind),
                    }
                }
                state = next;
            }
        }
    }

    #[test]
    fn a_fortnight_of_minute_data_is_cheap() {
        // 14 days of 1-minute readings (20,160); the machine looks only at the tail.
        let readings: Vec<Reading> =
            (0..20_160).map(|m| Reading::new(t(m), MgDl::new(100 + (m % 150) as u16))).collect();
        let (_, state) = step(t(20_159), &readings, &AlarmConfig::default(), &AlarmState::new());
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.len() < 2_000, "state stays small: {} bytes", json.len());
    }

    #[test]
    fn a_notification_says_which_alarm_what_value_and_how_old_in_the_followers_unit() {
        let alert = |kind, value: Option<u16>| Alert {
            kind,
            level: Level::Urgent,
            at: t(10),
            value: value.map(MgDl::new),
            repeat: 0,
            volume: Volume::Loud,
            profile: ProfileKind::Day,
        };
        let mut newest = Reading::new(t(7), MgDl::new(45));
        newest.arrow = Some(crate::trend::Direction::FortyFiveDown);
        let urgent = alert(AlarmKind::UrgentLow, Some(45));
        assert_eq!(
            urgent.notification("Lee", Some(&newest), GlucoseUnit::MgDl, t(10)),
            ("Urgent low: 45 mg/dL".to_owned(), "Lee · falling · 3 min ago".to_owned())
        );
        assert_eq!(urgent.notification("", Some(&newest), GlucoseUnit::MmolL, t(7)).0, "Urgent low: 2.5 mmol/L");
        assert_eq!(urgent.notification("", None, GlucoseUnit::MgDl, t(7)).1, "Glucose · no reading");
        assert_eq!(
            alert(AlarmKind::StaleData, None).notification("Lee", Some(&newest), GlucoseUnit::MgDl, t(27)),
            ("No recent data".to_owned(), "Lee: no new reading since 20 min ago. Check on them.".to_owned())
        );
    }
}
