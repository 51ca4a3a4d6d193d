use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_765_000_000;

fn note(id: &str, at: i64) -> Note {
    Note::checked(id.to_owned(), at, NoteKind::Note, "juice", None, "Sam", NOW).expect("a note")
}

#[test]
fn a_note_is_trimmed_signed_and_checked() {
    let n = Note::checked("a".into(), NOW - 60, NoteKind::Carbs, "  juice ", Some(15), "  Sam ", NOW).unwrap();
    assert_eq!((n.text.as_str(), n.carbs, n.by.as_str()), ("juice", Some(15), "Sam"));
    assert_eq!(n.summary(), "15 g carbs · juice");
    let sensor = Note::checked("b".into(), NOW, NoteKind::Sensor, "", Some(20), "", NOW).unwrap();
    assert_eq!((sensor.carbs, sensor.by.as_str(), sensor.summary().as_str()), (None, "Someone", "Sensor changed"));
    let check = |kind, text: &str, carbs, at| Note::checked("c".into(), at, kind, text, carbs, "Sam", NOW);
    assert_eq!(check(NoteKind::Note, "   ", None, NOW), Err(NoteError::Empty));
    assert_eq!(check(NoteKind::Note, &"x".repeat(141), None, NOW), Err(NoteError::TooLong));
    assert!(check(NoteKind::Note, &"é".repeat(140), None, NOW).is_ok(), "characters, not bytes");
    assert_eq!(check(NoteKind::Carbs, "juice", None, NOW), Err(NoteError::Carbs));
    assert_eq!(check(NoteKind::Carbs, "", Some(0), NOW), Err(NoteError::Carbs));
    assert_eq!(check(NoteKind::Carbs, "", Some(301), NOW), Err(NoteError::Carbs));
    assert_eq!(check(NoteKind::Note, "late", None, NOW - MAX_BACK_SECS - 1), Err(NoteError::When));
    assert_eq!(check(NoteKind::Note, "ahead", None, NOW + MAX_AHEAD_SECS + 1), Err(NoteError::When));
    let long_name = Note::checked("d".into(), NOW, NoteKind::Note, "x", None, &"n".repeat(60), NOW).unwrap();
    assert_eq!(long_name.by.chars().count(), MAX_BY);
}

#[test]
fn notes_are_kept_in_time_order_for_two_weeks_and_at_most_max_notes() {
    let mut notes = Vec::new();
    keep(&mut notes, note("b", NOW - 60), NOW);
    keep(&mut notes, note("a", NOW - 120), NOW);
    keep(&mut notes, note("c", NOW), NOW);
    assert_eq!(notes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    keep(&mut notes, note("b", NOW - 10), NOW);
    assert_eq!(notes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a", "b", "c"], "the same id replaces");
    assert_eq!(notes.iter().find(|n| n.id == "b").map(|n| n.at), Some(NOW - 10));
    assert!(remove(&mut notes, "a"));
    assert!(!remove(&mut notes, "a"));
    let later = NOW + KEEP_SECS + 1;
    keep(&mut notes, Note { at: later, ..note("d", NOW) }, later);
    assert_eq!(notes.len(), 1, "two-week-old notes go");
    for i in 0..(MAX_NOTES as i64 + 20) {
        keep(&mut notes, Note { at: later + i, ..note(&format!("n{i}"), NOW) }, later + i);
    }
    assert_eq!(notes.len(), MAX_NOTES);
    assert_eq!(notes.first().map(|n| n.id.as_str()), Some("n20"), "the oldest go first");
}

#[test]
fn treatments_are_nightscouts_newest_first() {
    let mut notes = Vec::new();
    keep(
        &mut notes,
        Note::checked("0".repeat(24), NOW - 600, NoteKind::Carbs, "juice", Some(15), "Sam", NOW).unwrap(),
        NOW,
    );
    keep(&mut notes, Note::checked("1".repeat(24), NOW - 300, NoteKind::Sensor, "", None, "Alex", NOW).unwrap(), NOW);
    keep(&mut notes, note(&"2".repeat(24), NOW), NOW);
    let all = treatments(&notes, None, 10);
    assert_eq!(
        all.iter().map(|t| t.event_type.as_str()).collect::<Vec<_>>(),
        ["Note", "Sensor Change", "Carb Correction"]
    );
    let json = serde_json::to_value(all.last().unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "_id": "0".repeat(24), "eventType": "Carb Correction", "created_at": UtcTime::from_unix_secs(NOW - 600).to_iso8601(),
            "mills": (NOW - 600) * 1000, "notes": "juice", "enteredBy": "Sam", "carbs": 15
        })
    );
    assert_eq!(treatments(&notes, Some(UtcTime::from_unix_secs(NOW - 300)), 10).len(), 2);
    assert_eq!(treatments(&notes, None, 1).len(), 1);
    assert!(treatments(&notes, Some(UtcTime::from_unix_secs(NOW + 1)), 10).is_empty());
}

proptest! {
    #[test]
    fn kept_notes_stay_in_order_unique_and_bounded(ats in proptest::collection::vec(0i64..3 * KEEP_SECS, 0..400)) {
        let mut notes = Vec::new();
        let mut now = 0;
        for (i, at) in ats.iter().enumerate() {
            now = now.max(*at);
            keep(&mut notes, Note { at: *at, ..note(&format!("{}", i % 200), NOW) }, now);
            prop_assert!(notes.len() <= MAX_NOTES);
            prop_assert!(notes.windows(2).all(|w| w[0].at <= w[1].at));
            prop_assert!(notes.iter().all(|n| now - n.at < KEEP_SECS || n.at == *at));
            let mut ids: Vec<&str> = notes.iter().map(|n| n.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), notes.len());
        }
    }
}
