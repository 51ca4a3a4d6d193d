//! The family's notes in the book: kept with the patient's alarms, stored with the book and read back.

use shared::notes::{Note, NoteKind};

use super::*;

const G: &str = "acct:family:patient";

fn juice(id: &str, at: i64) -> Note {
    Note::checked(id.into(), at, NoteKind::Carbs, "juice", Some(15), "Sam", at).unwrap()
}

#[test]
fn a_note_needs_the_patients_alarms_and_is_kept_with_them() {
    let mut book = WatchBook::default();
    let refused = book.add_note(G, juice("a", T), T).unwrap_err();
    assert_eq!(refused.code, shared::code::Code::PushNotFound, "nowhere to keep it: said, not lost");
    book.subscribe(new_sub("https://push.example/alex", G), "alex".into(), "ka".into(), T).unwrap();
    book.add_note(G, juice("b", T + MINUTE), T + MINUTE).unwrap();
    book.add_note(G, juice("a", T), T + MINUTE).unwrap();
    let ids = |book: &WatchBook, now| book.notes(G, now).into_iter().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(ids(&book, T + MINUTE), ["a", "b"], "oldest first");
    assert!(book.notes("acct:family:other", T).is_empty());

    // Stored with the book and read back by the next instance of the object.
    let stored = book.changes(&Keyed::new(), T + MINUTE).puts;
    let (again, unreadable) = WatchBook::from_storage(stored);
    assert!(unreadable.is_empty());
    assert_eq!(ids(&again, T + MINUTE), ["a", "b"]);

    book.remove_note(G, "a").unwrap();
    assert_eq!(book.remove_note(G, "a").unwrap_err().http, 404);
    assert_eq!(ids(&book, T + MINUTE), ["b"]);
    assert!(book.notes(G, T + 15 * 24 * HOUR).is_empty(), "two weeks, then gone");
}

#[test]
fn a_notes_words_never_reach_a_log_line() {
    let request = WatchRequest::AddNote { group: G.into(), note: juice("a", T) };
    let logged = format!("{request:?}");
    assert!(logged.contains(G) && !logged.contains("juice") && !logged.contains("Sam"), "{logged}");
}
