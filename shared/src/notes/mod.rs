//! The family's notes on a patient: "15 g juice", "sensor changed", with when and who. They sit in the night log
//! beside the rota's steps, as markers on the graph, and go to Nightscout clients as `/api/v1/treatments`
//! (Nightscout's names appear only in [`Treatment`]).

use serde::{Deserialize, Serialize};

use crate::time::UtcTime;

/// The longest note, in characters.
pub const MAX_TEXT: usize = 140;
/// The longest name a note is signed with, in characters.
pub const MAX_BY: usize = 40;
/// The most carbohydrate one note may say, grams.
pub const MAX_CARBS: u16 = 300;
/// How long notes are kept: two weeks, the graph's and the statistics' longest window.
pub const KEEP_SECS: i64 = 14 * 24 * 3600;
/// The most notes kept per patient (the oldest go first).
pub const MAX_NOTES: usize = 150;
/// How far from now a note may be dated: a day back (written the morning after), a few minutes ahead (clocks).
pub const MAX_BACK_SECS: i64 = 24 * 3600;
/// See [`MAX_BACK_SECS`].
pub const MAX_AHEAD_SECS: i64 = 5 * 60;

/// What a note is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Anything ("woke up sweaty", "school trip").
    #[default]
    Note,
    /// Carbohydrate given, with its grams ("15 g juice").
    Carbs,
    /// The sensor was changed.
    Sensor,
}

/// One note.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Note {
    /// An id the note keeps (24 hex digits, Nightscout's `_id` shape).
    pub id: String,
    /// When it happened, Unix seconds.
    pub at: i64,
    /// What it is about.
    #[serde(default)]
    pub kind: NoteKind,
    /// The words (may be empty for carbs or a sensor change).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Grams of carbohydrate, for [`NoteKind::Carbs`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carbs: Option<u16>,
    /// Who wrote it.
    pub by: String,
}

/// Why a note was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum NoteError {
    /// Nothing to say.
    #[error("Write what happened.")]
    Empty,
    /// Over [`MAX_TEXT`] characters.
    #[error("A note is at most 140 characters.")]
    TooLong,
    /// Carbs without grams, or outside 1..=[`MAX_CARBS`].
    #[error("Carbs are 1 to 300 grams.")]
    Carbs,
    /// Dated more than a day back or in the future.
    #[error("A note is dated within the last day.")]
    When,
}

impl Note {
    /// A note checked: its words trimmed, within [`MAX_TEXT`]; grams for carbs (and only then); dated within a
    /// day before `now`; its signature trimmed to [`MAX_BY`] (empty: "Someone").
    pub fn checked(
        id: String,
        at: i64,
        kind: NoteKind,
        text: &str,
        carbs: Option<u16>,
        by: &str,
        now: i64,
    ) -> Result<Note, NoteError> {
        let text = text.trim();
        if text.chars().count() > MAX_TEXT {
            return Err(NoteError::TooLong);
        }
        let carbs = match kind {
            NoteKind::Carbs => Some(carbs.filter(|g| (1..=MAX_CARBS).contains(g)).ok_or(NoteError::Carbs)?),
            NoteKind::Note | NoteKind::Sensor => None,
        };
        if kind == NoteKind::Note && text.is_empty() {
            return Err(NoteError::Empty);
        }
        if at < now - MAX_BACK_SECS || at > now + MAX_AHEAD_SECS {
            return Err(NoteError::When);
        }
        let by: String = by.trim().chars().take(MAX_BY).collect();
        let by = if by.is_empty() { "Someone".to_owned() } else { by };
        Ok(Note { id, at, kind, text: text.to_owned(), carbs, by })
    }

    /// What the note says, in a line: "15 g carbs · juice", "Sensor changed", or its words.
    pub fn summary(&self) -> String {
        let head = match (self.kind, self.carbs) {
            (NoteKind::Carbs, Some(g)) => Some(format!("{g} g carbs")),
            (NoteKind::Sensor, _) => Some("Sensor changed".to_owned()),
            _ => None,
        };
        match (head, self.text.is_empty()) {
            (Some(head), true) => head,
            (Some(head), false) => format!("{head} · {}", self.text),
            (None, _) => self.text.clone(),
        }
    }
}

/// Adds `note` to `notes` in time order, dropping what is older than [`KEEP_SECS`] before `now` and the oldest
/// beyond [`MAX_NOTES`].
pub fn keep(notes: &mut Vec<Note>, note: Note, now: i64) {
    notes.retain(|n| now - n.at < KEEP_SECS && n.id != note.id);
    let at = notes.partition_point(|n| n.at <= note.at);
    notes.insert(at, note);
    if notes.len() > MAX_NOTES {
        let extra = notes.len() - MAX_NOTES;
        notes.drain(..extra);
    }
}

/// Removes the note `id`; whether there was one.
pub fn remove(notes: &mut Vec<Note>, id: &str) -> bool {
    let before = notes.len();
    notes.retain(|n| n.id != id);
    notes.len() != before
}

/// One Nightscout treatment (`/api/v1/treatments`), as Nightscout's apps read them.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Treatment {
    /// The note's id.
    #[serde(rename = "_id")]
    pub id: String,
    /// `"Note"`, `"Carb Correction"` or `"Sensor Change"`.
    #[serde(rename = "eventType")]
    pub event_type: String,
    /// When, ISO 8601 UTC.
    pub created_at: String,
    /// When, Unix milliseconds.
    pub mills: i64,
    /// The words.
    pub notes: String,
    /// Who wrote it.
    #[serde(rename = "enteredBy")]
    pub entered_by: String,
    /// Grams of carbohydrate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carbs: Option<u16>,
}

/// Treatments for `/api/v1/treatments`: newest first, at most `count`, only notes at or after `since` when given.
/// `notes` are in time order, oldest first.
pub fn treatments(notes: &[Note], since: Option<UtcTime>, count: usize) -> Vec<Treatment> {
    let start = since.map_or(0, |t| notes.partition_point(|n| n.at < t.unix_secs()));
    notes.get(start..).unwrap_or_default().iter().rev().take(count).map(treatment).collect()
}

fn treatment(note: &Note) -> Treatment {
    let at = UtcTime::from_unix_secs(note.at);
    let event_type = match note.kind {
        NoteKind::Note => "Note",
        NoteKind::Carbs => "Carb Correction",
        NoteKind::Sensor => "Sensor Change",
    };
    Treatment {
        id: note.id.clone(),
        event_type: event_type.to_owned(),
        created_at: at.to_iso8601(),
        mills: at.unix_millis(),
        notes: note.text.clone(),
        entered_by: note.by.clone(),
        carbs: note.carbs,
    }
}

#[cfg(test)]
mod tests;
