//! What a step says: an alert fired or an episode cleared, and the alarms open now.

use super::*;

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
