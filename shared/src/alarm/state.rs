//! What the machine remembers between steps: each kind's episode, snooze and acknowledgement, and the excursion
//! being replayed.

use super::*;

/// One kind's memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub(super) struct KindState {
    /// An episode is open.
    pub(super) active: bool,
    /// When the episode opened.
    pub(super) since: Option<UtcTime>,
    /// Alert slots used in this episode (sent or silenced by a stronger alarm).
    pub(super) fired: u32,
    /// Alerts actually sent in this episode.
    pub(super) sent: u32,
    /// The level of the last slot used.
    pub(super) last_level: Option<Level>,
    /// The last slot used, across episodes (no kind ever fires twice at one instant).
    pub(super) last_fired: Option<UtcTime>,
    /// When this episode was acknowledged.
    pub(super) acked_at: Option<UtcTime>,
    /// Snoozed until then (across episodes).
    pub(super) snoozed_until: Option<UtcTime>,
}

impl KindState {
    pub(super) fn muted(&self, kind: AlarmKind, now: UtcTime) -> bool {
        let snoozed = self.snoozed_until.is_some_and(|until| now < until);
        let acked = match (self.acked_at, kind) {
            (Some(at), AlarmKind::UrgentLow) => now.secs_since(at) < URGENT_LOW_MAX_MUTE,
            (Some(_), _) => true,
            (None, _) => false,
        };
        snoozed || acked
    }

    pub(super) fn close(&mut self) {
        *self = KindState { last_fired: self.last_fired, snoozed_until: self.snoozed_until, ..KindState::default() };
    }
}

/// Where the rebound tracker is in an excursion above target.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub(super) enum Excursion {
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
    pub(super) fn advance(self, value: MgDl, target: MgDl, config: &AlarmConfig) -> Excursion {
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
    pub(super) kinds: BTreeMap<AlarmKind, KindState>,
    pub(super) excursion: Excursion,
    pub(super) excursion_seen: Option<UtcTime>,
    pub(super) last_step: Option<UtcTime>,
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
pub(super) enum Cond {
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
pub(super) enum Repeat {
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
