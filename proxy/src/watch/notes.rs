//! The watch book's notes: the family writes what happened ("15 g juice", "sensor changed") on a patient that has
//! phones, and every follower reads them (the night log, the graph's markers, Nightscout's treatments).
//! `shared::notes` checks and keeps them; this finds the patient.

use shared::notes::{self, Note};

use super::*;
use shared::code::Code;

impl WatchBook {
    /// Adds `note` to the patient `group_key` (a group that has phones).
    pub fn add_note(&mut self, group_key: &str, note: Note, now: i64) -> Result<(), ApiError> {
        let group = self.groups.get_mut(group_key).ok_or_else(no_group)?;
        notes::keep(&mut group.notes, note, now);
        Ok(())
    }

    /// Removes the note `id` of the patient `group_key`.
    pub fn remove_note(&mut self, group_key: &str, id: &str) -> Result<(), ApiError> {
        let group = self.groups.get_mut(group_key).ok_or_else(no_group)?;
        if notes::remove(&mut group.notes, id) {
            Ok(())
        } else {
            Err(ApiError::new(404, Code::NotFound, "There is no such note."))
        }
    }

    /// The notes of the patient `group_key` from the two weeks before `now`, oldest first (none without phones).
    pub fn notes(&self, group_key: &str, now: i64) -> Vec<Note> {
        let Some(group) = self.groups.get(group_key) else { return Vec::new() };
        group.notes.iter().filter(|n| now - n.at < notes::KEEP_SECS).cloned().collect()
    }
}

fn no_group() -> ApiError {
    ApiError::new(404, Code::PushNotFound, "Notes are kept with the alarms: turn on alarms on a phone first.")
}
