//! The alarm chain's health in the book: receipts, and the phone that stops confirming its alarms.

use shared::rota::What;

use super::*;

const G: &str = "acct:family:patient";

/// Alex's and Sam's phones, each having confirmed a push at `T`.
fn family() -> WatchBook {
    let mut book = WatchBook::default();
    book.subscribe(new_sub("https://push.example/alex", G), "alex".into(), "ka".into(), T).unwrap();
    book.subscribe(new_sub("https://push.example/sam", G), "sam".into(), "ks".into(), T).unwrap();
    book.receipt("alex", T);
    book.receipt("sam", T);
    book
}

/// Ticks each minute from `from` to `to` at `level`; what each phone got, confirming for those in `confirming`.
fn minutes(
    book: &mut WatchBook,
    level: u16,
    (from, to): (i64, i64),
    confirming: &[&str],
) -> Vec<(i64, String, String)> {
    let mut got = Vec::new();
    for minute in from..=to {
        let now = T + minute * MINUTE;
        for m in tick(book, G, data(level, now), now) {
            if confirming.contains(&m.sub.as_str()) {
                book.receipt(&m.sub, now);
            }
            got.push((minute, m.sub.clone(), m.payload.kind.clone()));
        }
    }
    got
}

#[test]
fn a_phone_that_stops_confirming_its_alarms_is_reported_to_the_others_once() {
    let mut book = family();
    // An urgent low from minute 1: both phones get it; Sam's never confirms (switched off, say).
    let got = minutes(&mut book, 45, (1, 40), &["alex"]);
    let missing: Vec<_> = got.iter().filter(|(_, _, kind)| kind == "PhoneMissing").collect();
    assert_eq!(missing.len(), 1, "once: {got:?}");
    let (minute, to, _) = missing[0];
    assert_eq!((to.as_str(), *minute), ("alex", 31), "to the others, when the first unconfirmed push is 30 min old");
    assert!(book.outbox.is_empty(), "nothing else waits");
    let log = &book.groups.get(G).unwrap().log;
    assert!(log.iter().any(|s| s.what == What::Missed && s.until == Some(T)), "the night log says since when");
    let owner = Holder::Account("family".into());
    let sam = book.phones(&owner).into_iter().find(|p| p.id == "sam").unwrap();
    assert_eq!((sam.received, sam.missing_since), (Some(T), Some(T)), "the owner's list shows it");
    let alex = book.phones(&owner).into_iter().find(|p| p.id == "alex").unwrap();
    assert_eq!(alex.missing_since, None);
    assert!(alex.received > Some(T + 30 * MINUTE));

    // Sam's phone is back: its next receipt clears it, and a later silence is reported again.
    book.receipt("sam", T + 41 * MINUTE);
    let sam = book.phones(&owner).into_iter().find(|p| p.id == "sam").unwrap();
    assert_eq!(sam.missing_since, None);
    let later = minutes(&mut book, 45, (42, 80), &["alex"]);
    assert_eq!(later.iter().filter(|(_, _, kind)| kind == "PhoneMissing").count(), 1, "{later:?}");
}

#[test]
fn a_phone_that_never_confirmed_is_not_expected_to() {
    // A service worker from before receipts: nothing to report, ever.
    let mut book = WatchBook::default();
    book.subscribe(new_sub("https://push.example/alex", G), "alex".into(), "ka".into(), T).unwrap();
    book.subscribe(new_sub("https://push.example/old", G), "old".into(), "ko".into(), T).unwrap();
    let got = minutes(&mut book, 45, (1, 60), &[]);
    assert!(got.iter().all(|(_, _, kind)| kind != "PhoneMissing"), "{got:?}");
    assert!(book.subs.values().all(|s| s.awaiting.is_none()));
}

#[test]
fn a_phone_that_confirms_within_the_grace_is_never_reported() {
    let mut book = family();
    let got = minutes(&mut book, 45, (1, 90), &["alex", "sam"]);
    assert!(got.iter().all(|(_, _, kind)| kind != "PhoneMissing"), "{got:?}");
}

#[test]
fn tonights_alarm_test_reaches_every_phone_silently_and_finds_the_one_that_went_quiet() {
    use shared::phones::AlarmTest;
    let mut book = family();
    let owner = Holder::Account("family".into());
    // The owner's clock is UTC+1; the test is at the minute of T + 10 min on that clock.
    let local_minute = ((T + 10 * MINUTE + 60 * MINUTE).rem_euclid(24 * HOUR) / MINUTE) as u16;
    let test = AlarmTest { minute: local_minute, utc_offset_min: 60 };
    assert_eq!(book.set_alarm_test(&owner, "other", Some(test)).unwrap_err().http, 404);
    assert_eq!(book.set_alarm_test(&owner, "patient", Some(AlarmTest { minute: 1440, ..test })).unwrap_err().http, 400);
    assert_eq!(book.set_alarm_test(&Holder::Demo("t".into()), "patient", Some(test)).unwrap_err().http, 403);
    book.set_alarm_test(&owner, "patient", Some(test)).unwrap();

    // In range all along: the only pushes are the test, at its minute, silent, to both; then Sam's silence.
    let mut tests = Vec::new();
    for minute in 1..=45 {
        let now = T + minute * MINUTE;
        for m in tick(&mut book, G, data(120, now), now) {
            if m.sub == "alex" {
                book.receipt("alex", now);
            }
            tests.push((minute, m.sub.clone(), m.payload.kind.clone(), m.payload.silent, m.urgency));
        }
    }
    let at_ten: Vec<_> = tests.iter().filter(|t| t.2 == "AlarmTest").collect();
    assert_eq!(at_ten.len(), 2, "{tests:?}");
    assert!(at_ten.iter().all(|t| t.0 == 10 && t.3 && t.4 == Urgency::High), "{tests:?}");
    let missing: Vec<_> = tests.iter().filter(|t| t.2 == "PhoneMissing").map(|t| (t.0, t.1.as_str())).collect();
    assert_eq!(missing, [(40, "alex")], "Sam's phone did not confirm tonight's test: Alex is told");
    assert_eq!(book.rotas(&owner, T).first().and_then(|v| v.alarm_test), Some(test), "the owner's view shows it");
}

#[test]
fn a_receipt_that_comes_before_the_push_services_answer_counts() {
    let mut book = family();
    let now = T + MINUTE;
    assert!(book.begin_tick(now));
    book.apply(G, data(45, now), now);
    let due = book.due(now);
    // Sam's phone confirmed while the Watcher still waited for the push service's 201 (a later request, same minute).
    book.receipt("sam", now + 2);
    for message in &due {
        book.delivered(message, Delivery::Accepted, now + 3);
    }
    assert_eq!(book.subs.get("sam").and_then(|s| s.awaiting), None, "nothing owed: it came");
    assert_eq!(book.subs.get("alex").and_then(|s| s.awaiting), Some(now + 3), "Alex's phone owes its receipt");
}
