//! The family's night shift: an ordered list of the people whose phones get a patient's alarms, who is on duty
//! now (a weekly schedule, or someone who took over), and whom an alarm nobody answered reaches next.
//!
//! An alarm of a kind the rota covers (urgent low unless the owner chose more) opens an [`Escalation`]: it reaches
//! the person on duty first; without "I'm on it" after [`Rota::wait_min`] minutes it reaches the next person as
//! well, and after as long again everyone who follows the patient. Whoever answers ends the ladder for everyone,
//! and the others are told who is on it. Every step goes in the patient's [`Step`] log. All of it is pure: the
//! worker's watch book calls it each minute and stores what it returns.

use serde::{Deserialize, Serialize};

use crate::alarm::{AlarmKind, Alert};
pub use crate::time::weekday;
use crate::time::{DAY, MINUTE, UtcTime};

#[cfg(test)]
mod tests;

/// How long an unanswered alarm waits before it reaches the next rung, by default (minutes).
pub const DEFAULT_WAIT_MIN: u16 = 5;
/// The shortest and longest waits an owner can choose (minutes).
pub const WAIT_MIN_RANGE: core::ops::RangeInclusive<u16> = 1..=30;
/// People in one rota at most.
pub const MAX_PEOPLE: usize = 8;
/// Shifts in one rota at most.
pub const MAX_SHIFTS: usize = 21;
/// A person's name, characters at most.
pub const MAX_NAME_CHARS: usize = 40;
/// Steps kept in a patient's log at most (the latest).
pub const MAX_LOG: usize = 100;
/// Steps older than this are dropped from the log (seconds).
pub const KEEP_LOG_SECS: i64 = 7 * DAY;
/// "I take over" lasts at most this long (seconds).
pub const MAX_TAKE_OVER_SECS: i64 = DAY;

/// One person in the rota: their phone (a subscription's id) and what the others call them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Person {
    /// The phone's subscription id.
    pub phone: String,
    /// "Mum", "Sam", "Grandma".
    pub name: String,
}

/// A regular turn: `phone` is on duty on the days in `days` from `from_min` to `to_min` (minutes after local
/// midnight). A turn whose end is before its start runs past midnight and belongs to the day it starts on.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Shift {
    /// Whose turn.
    pub phone: String,
    /// Bit 0 Monday … bit 6 Sunday.
    pub days: u8,
    /// Starts, minutes after local midnight (0–1439).
    pub from_min: u16,
    /// Ends, minutes after local midnight (0–1439); equal to `from_min`: the whole day.
    pub to_min: u16,
}

/// "I take over tonight": `phone` is on duty until `until`, whatever the schedule says.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TakeOver {
    /// Who took over.
    pub phone: String,
    /// Until when, Unix seconds.
    pub until: i64,
}

/// A patient's rota. Every field may be absent in JSON (the default: nobody, urgent lows only, 5 minutes).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Rota {
    /// The people, in the order the alarm goes round them.
    pub people: Vec<Person>,
    /// Regular turns; the first that covers the moment decides (none: the first person).
    pub shifts: Vec<Shift>,
    /// Someone who took over, until when.
    pub take_over: Option<TakeOver>,
    /// Minutes an unanswered alarm waits before it reaches further.
    pub wait_min: u16,
    /// The alarms that go round the rota (the others reach every phone at once, as without a rota).
    pub kinds: Vec<AlarmKind>,
    /// The UTC offset, in minutes, of the family's clock the shifts are read on.
    pub utc_offset_min: i16,
}

impl Default for Rota {
    fn default() -> Self {
        Rota {
            people: Vec::new(),
            shifts: Vec::new(),
            take_over: None,
            wait_min: DEFAULT_WAIT_MIN,
            kinds: vec![AlarmKind::UrgentLow],
            utc_offset_min: 0,
        }
    }
}

/// Why a rota cannot be saved.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RotaError {
    /// No one, or more than [`MAX_PEOPLE`].
    People,
    /// The same phone twice.
    Twice(String),
    /// A name empty, too long or with control characters.
    Name(String),
    /// A shift for a phone not in the rota, with no day, or a minute past the day.
    Shift,
    /// More than [`MAX_SHIFTS`].
    Shifts,
    /// A wait outside [`WAIT_MIN_RANGE`].
    Wait,
    /// No alarm kind, or a sensor notice (those never wake anyone).
    Kinds,
    /// An offset more than 14 hours from UTC.
    Offset,
}

impl core::fmt::Display for RotaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RotaError::People => write!(f, "A rota has between 1 and {MAX_PEOPLE} people."),
            RotaError::Twice(name) => write!(f, "{name}'s phone is in the rota twice."),
            RotaError::Name(name) => {
                write!(f, "\"{name}\" cannot be a name: 1 to {MAX_NAME_CHARS} characters, on one line.")
            }
            RotaError::Shift => f.write_str("Each turn needs a person from the rota, a day, and times within the day."),
            RotaError::Shifts => write!(f, "A rota has at most {MAX_SHIFTS} turns."),
            RotaError::Wait => write!(
                f,
                "The wait before the next person is {} to {} minutes.",
                WAIT_MIN_RANGE.start(),
                WAIT_MIN_RANGE.end()
            ),
            RotaError::Kinds => f.write_str("Choose at least one alarm for the rota (sensor notices cannot be)."),
            RotaError::Offset => f.write_str("The family's clock is more than 14 hours from UTC."),
        }
    }
}

impl Rota {
    /// Whether the rota can be kept as it is.
    pub fn check(&self) -> Result<(), RotaError> {
        if self.people.is_empty() || self.people.len() > MAX_PEOPLE {
            return Err(RotaError::People);
        }
        for (i, person) in self.people.iter().enumerate() {
            let chars = person.name.chars().count();
            if chars == 0 || chars > MAX_NAME_CHARS || person.name.chars().any(char::is_control) {
                return Err(RotaError::Name(person.name.chars().take(MAX_NAME_CHARS).collect()));
            }
            if self.people.iter().take(i).any(|p| p.phone == person.phone) {
                return Err(RotaError::Twice(person.name.clone()));
            }
        }
        if self.shifts.len() > MAX_SHIFTS {
            return Err(RotaError::Shifts);
        }
        let in_day = |m: u16| i64::from(m) < DAY / MINUTE;
        if self
            .shifts
            .iter()
            .any(|s| self.person(&s.phone).is_none() || s.days & 0x7f == 0 || !in_day(s.from_min) || !in_day(s.to_min))
        {
            return Err(RotaError::Shift);
        }
        if !WAIT_MIN_RANGE.contains(&self.wait_min) {
            return Err(RotaError::Wait);
        }
        if self.kinds.is_empty() || self.kinds.iter().any(|k| !k.wakes()) {
            return Err(RotaError::Kinds);
        }
        if self.utc_offset_min.unsigned_abs() > 14 * 60 {
            return Err(RotaError::Offset);
        }
        Ok(())
    }

    /// The person with this phone.
    pub fn person(&self, phone: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.phone == phone)
    }

    /// Whether alarms of `kind` go round the rota.
    pub fn covers(&self, kind: AlarmKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Who is on duty at `now`: whoever took over (until then), else the first turn that covers the moment on the
    /// family's clock, else the first person. `None` only for a rota with nobody.
    pub fn on_duty(&self, now: i64) -> Option<&Person> {
        let took_over = self.take_over.as_ref().filter(|t| now < t.until).and_then(|t| self.person(&t.phone));
        took_over
            .or_else(|| {
                let local = now + i64::from(self.utc_offset_min) * MINUTE;
                let day = local.div_euclid(DAY);
                let minute = (local.rem_euclid(DAY) / MINUTE) as u16;
                self.shifts.iter().find(|s| s.covers(day, minute)).and_then(|s| self.person(&s.phone))
            })
            .or_else(|| self.people.first())
    }

    /// The phones an alarm of an escalation that began with `first` reaches at `rung`: the person on duty, then
    /// the next in the rota's order as well (after the last, the first), then everyone (`None`).
    pub fn reached(&self, first: &str, rung: u8) -> Option<Vec<String>> {
        if usize::from(rung) >= self.last_rung() {
            return None;
        }
        // A phone taken out of the rota since the alarm began: everyone at once.
        let start = self.people.iter().position(|p| p.phone == first)?;
        let named = usize::from(rung) + 1;
        Some(
            self.people
                .iter()
                .cycle()
                .skip(start)
                .take(named.min(self.people.len()))
                .map(|p| p.phone.clone())
                .collect(),
        )
    }

    /// The rung at which an escalation reaches everyone: 2 (on duty, then the next, then all), or 1 with one
    /// person in the rota.
    pub fn last_rung(&self) -> usize {
        if self.people.len() > 1 { 2 } else { 1 }
    }

    /// The rung an escalation opened at `started` has reached at `now`, without an answer.
    pub fn rung_at(&self, started: i64, now: i64) -> u8 {
        let wait = i64::from(self.wait_min.max(1)) * MINUTE;
        let rungs = (now - started).max(0) / wait;
        rungs.min(self.last_rung() as i64) as u8
    }
}

impl Shift {
    /// Whether this turn covers `minute` of the day numbered `day` (days since 1970-01-01, a Thursday).
    fn covers(&self, day: i64, minute: u16) -> bool {
        let on = |day: i64| self.days & (1 << weekday(day)) != 0;
        if self.from_min == self.to_min {
            on(day)
        } else if self.from_min < self.to_min {
            on(day) && (self.from_min..self.to_min).contains(&minute)
        } else {
            // Past midnight: the evening of a day it is on, or the early hours after one.
            (on(day) && minute >= self.from_min) || (on(day - 1) && minute < self.to_min)
        }
    }
}

/// Who answered an escalation, and when.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct OnIt {
    /// Their phone.
    pub phone: String,
    /// Their name.
    pub name: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// An alarm going round the rota.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Escalation {
    /// The alert that opened it (the last one fired for its kind).
    pub alert: Alert,
    /// Whose phone it reached first.
    pub first: String,
    /// When it reached them, Unix seconds.
    pub started: i64,
    /// The rung it has reached.
    pub rung: u8,
    /// Who said "I'm on it".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_it: Option<OnIt>,
}

/// What happened, for the patient's night log.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// The alarm reached [`Step::names`].
    Reached,
    /// Nobody answered: it reached every phone.
    Everyone,
    /// [`Step::names`]' one person said "I'm on it".
    OnIt,
    /// The episode is over.
    Over,
    /// [`Step::names`]' one person took over the duty, until [`Step::until`].
    TookOver,
    /// [`Step::names`]' one phone stopped getting alarms: its push service ended it.
    Lost,
    /// [`Step::names`]' one phone has not confirmed the alarms sent to it since [`Step::until`].
    Missed,
    /// The alarm went to [`Step::names`]' loud channels (ntfy, Pushover, a webhook): the last rung.
    Loud,
    /// [`Step::names`]' one loud channel refused the alarm or did not answer.
    LoudFailed,
}

/// One line of the night log. (A plain struct, not an enum with data: serde's tagged enums cost the worker
/// kilobytes of code each.)
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Step {
    /// When, Unix seconds.
    pub at: i64,
    /// Which alarm (none for a change of duty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AlarmKind>,
    /// What happened.
    pub what: What,
    /// Who: the people reached, or the one who answered or took over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Until when someone took over, or since when a phone has not confirmed its alarms ([`What::Missed`]), Unix
    /// seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

impl Step {
    /// A step about alarm `kind` at `at`.
    pub fn new(at: i64, kind: Option<AlarmKind>, what: What, names: Vec<String>) -> Step {
        Step { at, kind, what, names, until: None }
    }
}

/// Adds `step` to `log`, dropping what is older than [`KEEP_LOG_SECS`] and beyond [`MAX_LOG`].
pub fn record(log: &mut Vec<Step>, step: Step) {
    log.retain(|s| step.at - s.at < KEEP_LOG_SECS);
    if log.len() >= MAX_LOG {
        let extra = log.len() + 1 - MAX_LOG;
        log.drain(..extra);
    }
    log.push(step);
}

/// What a phone that was woken, or may be, is told once someone is on it: "Sam is on it (02:14)".
pub fn on_it_text(on_it: &OnIt, utc_offset_min: i16) -> String {
    let at = UtcTime::from_unix_secs(on_it.at).wall_clock(i32::from(utc_offset_min));
    format!("{} is on it ({at})", on_it.name)
}

/// What a patient's rota looks like now: what the worker answers to `GET /api/push/rota` and the owner's app reads.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct RotaView {
    /// The patient.
    pub patient_id: String,
    /// The patient's first name.
    pub name: String,
    /// The rota (none yet: every phone gets every alarm at once).
    pub rota: Option<Rota>,
    /// Who is on duty now (a name).
    pub on_duty: Option<String>,
    /// Alarms going round the rota now.
    pub open: Vec<Escalation>,
    /// The night log, the latest last.
    pub log: Vec<Step>,
    /// "Tonight's alarm test", if the family set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_test: Option<crate::phones::AlarmTest>,
}
