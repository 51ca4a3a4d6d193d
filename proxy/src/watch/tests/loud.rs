//! The loud channel in the book: the last rung of the ladder reaches every channel of the patient's phones, and a
//! channel that refuses or never answers is logged and told to its phone.

use shared::loud::Loud;
use shared::rota::What;

use super::rota::{G, family, log, minutes};
use super::*;
use crate::watch::LOUD_TRIES;

fn ntfy() -> Loud {
    Loud::Ntfy { server: "https://ntfy.example".into(), topic: "lee".into(), token: Some("tk_alex".into()) }
}

fn hook() -> Loud {
    Loud::Webhook { url: "https://hooks.example/gran".into(), secret: None }
}

/// The family with Alex's ntfy and Grandma's webhook, and an urgent low nobody answers for ten minutes.
fn unanswered() -> WatchBook {
    let mut book = family();
    book.set_loud("alex", "ka", Some(ntfy()), &[]).unwrap();
    book.set_loud("gran", "kg", Some(hook()), &[]).unwrap();
    minutes(&mut book, 45, 0, 9);
    assert!(book.loud_due(T + 9 * MINUTE).is_empty(), "nothing loud while the ladder climbs");
    minutes(&mut book, 45, 10, 10);
    book
}

#[test]
fn when_nobody_answers_the_last_rung_sends_the_alarm_to_every_loud_channel_of_the_patient() {
    let mut book = unanswered();
    let now = T + 10 * MINUTE;
    let due = book.loud_due(now);
    let to: Vec<(&str, &Loud)> = due.iter().map(|(m, loud)| (m.sub.as_str(), loud)).collect();
    assert_eq!(to, [("alex", &ntfy()), ("gran", &hook())]);
    let (message, _) = &due[0];
    assert_eq!((message.alarm.kind.as_str(), message.alarm.patient.as_str()), ("UrgentLow", "Lee"));
    assert!(message.alarm.body.starts_with("No answer from Alex and Sam · Lee"), "{}", message.alarm.body);
    assert!(message.alarm.title.starts_with("Urgent low"), "{}", message.alarm.title);
    let last = log(&book).pop();
    assert_eq!(last.map(|(what, names)| (what, names.len())), Some((What::Loud, 2)));
    // In flight: not handed out twice in the same minute.
    assert!(book.loud_due(now).is_empty());
    for (message, _) in &due {
        book.loud_answered(message, 200, now);
    }
    assert!(book.loud_outbox.is_empty());
    let alex = book.subs.get("alex").unwrap();
    assert_eq!((alex.loud_at, alex.loud_status), (Some(now), Some(200)));
    assert_eq!(crate::watch::book::phone_info(alex).loud.map(|l| l.channel), Some("ntfy: ntfy.example/lee".to_owned()));
}

#[test]
fn a_channel_that_refuses_is_logged_and_its_phone_is_told_to_check_it() {
    let mut book = unanswered();
    let now = T + 10 * MINUTE;
    let due = book.loud_due(now);
    let _ = book.due(now);
    let (alex, _) = due.iter().find(|(m, _)| m.sub == "alex").unwrap();
    book.loud_answered(alex, 401, now);
    assert!(book.loud_outbox.iter().all(|m| m.sub != "alex"), "a refusal is not tried again");
    assert_eq!(log(&book).pop(), Some((What::LoudFailed, vec!["Alex".to_owned()])));
    let told = book.due(now).into_iter().find(|m| m.sub == "alex" && m.payload.kind == "LoudFailed").unwrap();
    assert!(told.payload.body.contains("ntfy: ntfy.example/lee refused it (HTTP 401)"), "{}", told.payload.body);
    assert!(!told.payload.body.contains("tk_alex"), "never the token");
}

#[test]
fn a_channel_that_does_not_answer_is_tried_again_with_back_off_then_its_phone_is_told() {
    let mut book = unanswered();
    let mut now = T + 10 * MINUTE;
    let mut tries = Vec::new();
    for _ in 0..60 {
        let due: Vec<_> = book.loud_due(now).into_iter().filter(|(m, _)| m.sub == "gran").collect();
        for (message, _) in &due {
            tries.push((now - T) / MINUTE);
            book.loud_answered(message, 503, now);
        }
        now += MINUTE;
    }
    assert_eq!(tries.len(), LOUD_TRIES as usize, "{tries:?}");
    assert!(tries.windows(2).all(|w| w[1] - w[0] >= 2), "each retry waits longer: {tries:?}");
    assert!(book.loud_outbox.iter().all(|m| m.sub != "gran"));
    assert!(log(&book).iter().any(|(what, _)| *what == What::LoudFailed));
    assert!(book.outbox.iter().any(|m| m.sub == "gran" && m.payload.kind == "LoudFailed"));
}

#[test]
fn a_loud_channel_is_the_phones_own_checked_and_stored() {
    let mut book = family();
    assert_eq!(book.set_loud("alex", "wrong", Some(ntfy()), &[]).map_err(|e| e.http), Err(404));
    let bad = Loud::Ntfy { server: "http://ntfy.example".into(), topic: "lee".into(), token: None };
    assert_eq!(book.set_loud("alex", "ka", Some(bad), &[]).map_err(|e| e.http), Err(400));
    book.set_loud("alex", "ka", Some(ntfy()), &[]).unwrap();
    let (stored, unreadable) = WatchBook::from_storage(book.to_storage());
    assert!(unreadable.is_empty());
    assert_eq!(stored.subs.get("alex").and_then(|s| s.loud.clone()), Some(ntfy()));
    // Settings sent again (a new threshold) keep the channel; `null` removes it.
    book.subscribe(new_sub("https://push.example/alex", G), "x".into(), "y".into(), T).unwrap();
    assert_eq!(book.subs.get("alex").and_then(|s| s.loud.clone()), Some(ntfy()));
    book.set_loud("alex", "ka", None, &[]).unwrap();
    assert_eq!(book.subs.get("alex").and_then(|s| s.loud.clone()), None);
    // A phone without a channel is not sent to: an urgent low nobody answers queues nothing loud.
    minutes(&mut book, 45, 0, 10);
    assert!(book.loud_due(T + 10 * MINUTE).is_empty());
}

#[test]
fn loud_messages_go_when_their_alarm_is_answered_or_their_phone_or_channel_is_gone() {
    // "I'm on it": what waits for the channels goes (a Pushover emergency would repeat it for an hour).
    let mut book = unanswered();
    assert_eq!(book.loud_outbox.len(), 2);
    book.on_it("sam", AlarmKind::UrgentLow, T + 10 * MINUTE).unwrap();
    assert!(book.loud_outbox.is_empty(), "answered: nothing loud left");

    // A phone removed, a channel removed: their messages go, so the outbox stays bounded.
    let mut book = unanswered();
    book.remove("gran");
    assert!(book.loud_outbox.iter().all(|m| m.sub != "gran"));
    book.set_loud("alex", "ka", None, &[]).unwrap();
    assert!(book.loud_due(T + 10 * MINUTE).is_empty());
    assert!(book.loud_outbox.is_empty());

    // Nobody answers and nothing is ever sent (the object stopped): too old to matter, it goes.
    let mut book = unanswered();
    let later = T + 10 * MINUTE + crate::watch::LOUD_TTL_SECS;
    assert!(book.loud_due(later).is_empty());
    assert!(book.loud_outbox.is_empty());
}

#[test]
fn a_phone_the_ladder_wakes_rings_at_least_normally_whatever_silent_night_raised_the_alarm() {
    // The escalation carries the alert of whichever phone raised it last; Sam's night is silent. The ladder's call
    // to Sam must still ring: a silent push would leave the low unanswered.
    let mut book = family();
    for phone in ["alex", "sam"] {
        if let Some(sub) = book.subs.get_mut(phone) {
            sub.setup.config.day.volume = shared::alarm::Volume::Silent;
        }
    }
    let mut rota = book.groups.get(G).unwrap().rota.clone().unwrap();
    rota.kinds.push(AlarmKind::Low);
    book.set_rota(&Holder::Account("family".into()), "patient", Some(rota)).unwrap();
    let mut sam_low = None;
    for minute in 0..=6 {
        let now = T + minute * MINUTE;
        for m in tick(&mut book, G, data(64, now), now) {
            if m.sub == "sam" && m.payload.kind == "Low" {
                sam_low.get_or_insert(m);
            }
        }
    }
    let sam_low = sam_low.expect("Sam is woken for the low nobody answered");
    assert!(!sam_low.payload.silent, "woken by the ladder: at least a normal alarm");
    assert_eq!(sam_low.urgency, Urgency::High);
}
