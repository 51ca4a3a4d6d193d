//! The night shift in the book: the ladder, "I'm on it", taking over, the log.

use shared::rota::{Person, Rota, What};

use super::*;

pub(super) const G: &str = "acct:family:patient";

/// Alex's and Sam's phones in the rota (in that order), and Grandma's link phone outside it.
pub(super) fn family() -> WatchBook {
    let mut book = WatchBook::default();
    book.subscribe(new_sub("https://push.example/alex", G), "alex".into(), "ka".into(), T).unwrap();
    book.subscribe(new_sub("https://push.example/sam", G), "sam".into(), "ks".into(), T).unwrap();
    let link = Access::Viewer { share_id: "share".into(), from: "Alex".into(), acts_for_all: false };
    book.subscribe(new_sub_with("https://push.example/gran", G, link), "gran".into(), "kg".into(), T).unwrap();
    let rota = Rota {
        people: vec![
            Person { phone: "alex".into(), name: "Alex".into() },
            Person { phone: "sam".into(), name: "Sam".into() },
        ],
        ..Rota::default()
    };
    book.set_rota(&Holder::Account("family".into()), "patient", Some(rota)).unwrap();
    book
}

/// Each minute from `from` to `to` (inclusive) at `level`: who got what, in order.
pub(super) fn minutes(book: &mut WatchBook, level: u16, from: i64, to: i64) -> Vec<(i64, String, String)> {
    let mut got = Vec::new();
    for minute in from..=to {
        let now = T + minute * MINUTE;
        for m in tick(book, G, data(level, now), now) {
            got.push((minute, m.sub.clone(), m.payload.kind.clone()));
        }
    }
    got
}

/// The log as (what, who) pairs.
pub(super) fn log(book: &WatchBook) -> Vec<(What, Vec<String>)> {
    book.groups.get(G).unwrap().log.iter().map(|s| (s.what, s.names.clone())).collect()
}

fn names(names: &[&str]) -> (What, Vec<String>) {
    (What::Reached, names.iter().map(|n| (*n).to_owned()).collect())
}

fn just(what: What) -> (What, Vec<String>) {
    (what, Vec::new())
}

#[test]
fn an_unanswered_urgent_low_reaches_the_person_on_duty_then_the_next_then_everyone() {
    let mut book = family();
    let got = minutes(&mut book, 45, 0, 10);
    let first = |who: &str| got.iter().find(|(_, sub, kind)| sub == who && kind == "UrgentLow").map(|g| g.0);
    assert_eq!(first("alex"), Some(0), "the person on duty at once");
    assert_eq!(first("sam"), Some(5), "the next after five minutes without an answer");
    assert_eq!(first("gran"), Some(10), "everyone after five more");
    assert_eq!(log(&book), [names(&["Alex"]), names(&["Sam"]), just(What::Everyone)]);
}

#[test]
fn the_next_person_is_told_who_did_not_answer() {
    let mut book = family();
    minutes(&mut book, 45, 0, 4);
    let now = T + 5 * MINUTE;
    assert!(book.begin_tick(now));
    book.apply(G, data(45, now), now);
    let sam = book.due(now).into_iter().find(|m| m.sub == "sam").expect("Sam is woken");
    assert!(sam.payload.body.starts_with("No answer from Alex · Lee"), "{}", sam.payload.body);
    assert!(sam.payload.urgent);
}

#[test]
fn im_on_it_ends_the_ladder_and_tells_whoever_was_woken_who_is_on_it() {
    let mut book = family();
    minutes(&mut book, 45, 0, 6);
    let on_it = T + 6 * MINUTE + 30;
    assert_eq!(book.act("sam", AlarmKind::UrgentLow, Action::Acknowledge, on_it).unwrap(), 3, "every phone");
    let told = book.due(on_it);
    assert_eq!(told.iter().map(|m| m.sub.as_str()).collect::<Vec<_>>(), ["alex"], "Grandma was never woken");
    let alex = &told[0];
    assert_eq!((alex.payload.kind.as_str(), alex.payload.tag.as_str()), ("OnIt", "tw-UrgentLow"));
    assert!(alex.payload.title.starts_with("Sam is on it ("), "{}", alex.payload.title);
    assert_eq!(alex.payload.body, "Urgent low: 45 mg/dL");
    assert!(alex.payload.silent && !alex.payload.urgent, "it replaces the alarm quietly");
    for m in &told {
        book.delivered(m, Delivery::Accepted, on_it);
    }
    // Nobody else is woken while Sam is on it.
    let got = minutes(&mut book, 45, 7, 12);
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(log(&book), [names(&["Alex"]), names(&["Sam"]), (What::OnIt, vec!["Sam".to_owned()])]);
}

#[test]
fn when_on_it_runs_out_the_alarm_goes_back_to_whoever_said_it_first() {
    let mut book = family();
    minutes(&mut book, 45, 0, 5);
    book.act("sam", AlarmKind::UrgentLow, Action::Acknowledge, T + 5 * MINUTE + 30).unwrap();
    let _ = book.due(T + 5 * MINUTE + 30);
    // Still urgent low 15 minutes later: the alarm is back, at Sam alone.
    let got = minutes(&mut book, 45, 6, 21);
    let woken: Vec<&str> = got.iter().filter(|g| g.2 == "UrgentLow").map(|g| g.1.as_str()).collect();
    assert_eq!(woken.first(), Some(&"sam"), "{got:?}");
    assert!(!woken.contains(&"gran"), "{got:?}");
    assert_eq!(log(&book).last(), Some(&names(&["Sam"])));
}

#[test]
fn a_link_outside_the_rota_answers_for_itself_only() {
    let mut book = family();
    minutes(&mut book, 45, 0, 10);
    assert_eq!(book.act("gran", AlarmKind::UrgentLow, Action::Acknowledge, T + 10 * MINUTE + 30).unwrap(), 1);
    assert!(book.groups.get(G).unwrap().escalations.iter().all(|e| e.on_it.is_none()));
}

#[test]
fn the_ladder_ends_with_the_episode_and_says_so() {
    let mut book = family();
    minutes(&mut book, 45, 0, 2);
    minutes(&mut book, 120, 3, 3);
    let group = book.groups.get(G).unwrap();
    assert!(group.escalations.is_empty());
    assert_eq!(log(&book), [names(&["Alex"]), just(What::Over)]);
    // The next one starts again at the person on duty.
    let got = minutes(&mut book, 45, 4, 4);
    assert_eq!(got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(), ["alex"]);
}

#[test]
fn alarms_the_rota_does_not_cover_reach_every_phone_at_once() {
    let mut book = family();
    let got = minutes(&mut book, 62, 0, 0);
    let mut low: Vec<&str> = got.iter().filter(|g| g.2 == "Low").map(|g| g.1.as_str()).collect();
    low.sort_unstable();
    assert_eq!(low, ["alex", "gran", "sam"]);
}

#[test]
fn taking_over_puts_that_phone_first_and_is_logged() {
    let mut book = family();
    assert_eq!(book.take_over("sam", 10, T).unwrap(), "Sam");
    let got = minutes(&mut book, 45, 1, 1);
    assert_eq!(got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(), ["sam"]);
    let took = book.groups.get(G).unwrap().log.first().cloned().unwrap();
    assert_eq!((took.what, took.names, took.until), (What::TookOver, vec!["Sam".to_owned()], Some(T + 10 * HOUR)));
    assert!(book.take_over("gran", 10, T).is_err(), "a phone outside the rota cannot take over");
}

#[test]
fn a_rota_names_only_phones_of_its_patient_and_not_in_the_demo() {
    let mut book = family();
    book.subscribe(new_sub("https://push.example/other", "acct:family:other"), "other".into(), "ko".into(), T).unwrap();
    let holder = Holder::Account("family".into());
    let stranger = Rota { people: vec![Person { phone: "other".into(), name: "Pat".into() }], ..Rota::default() };
    assert_eq!(book.set_rota(&holder, "patient", Some(stranger)).unwrap_err().http, 400);
    let empty = Rota::default();
    assert_eq!(book.set_rota(&holder, "patient", Some(empty)).unwrap_err().http, 400);
    let demo = Holder::Demo("sealed".into());
    assert!(book.set_rota(&demo, "patient", None).is_err());
    assert_eq!(book.set_rota(&Holder::Account("someone-else".into()), "patient", None).unwrap_err().http, 404);
}

#[test]
fn the_rota_and_its_log_are_stored_with_the_book() {
    let mut book = family();
    minutes(&mut book, 45, 0, 5);
    let (restored, unreadable) = WatchBook::from_storage(book.to_storage());
    assert!(unreadable.is_empty());
    assert_eq!(restored.groups.get(G), book.groups.get(G));
    let views = restored.rotas(&Holder::Account("family".into()), T + 5 * MINUTE);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].on_duty.as_deref(), Some("Alex"));
    assert_eq!(views[0].open.len(), 1);
    assert_eq!(views[0].log.len(), 2);
}

#[test]
fn when_the_phone_on_duty_is_gone_the_alarm_goes_on_to_the_next_at_once() {
    let mut book = family();
    minutes(&mut book, 45, 0, 1);
    // Alex's push service ends the subscription while the alarm rings.
    book.remove("alex");
    let got = minutes(&mut book, 45, 2, 2);
    assert_eq!(got.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(), ["sam"], "not five minutes later");
    assert_eq!(log(&book), [names(&["Alex"]), names(&["Sam"])]);
}

#[test]
fn a_phone_whose_push_service_ends_it_is_shown_to_the_other_phones_and_the_owner() {
    let mut book = family();
    minutes(&mut book, 120, 0, 0);
    book.subs.get_mut("sam").unwrap().delivered = Some(T - HOUR);
    let now = T + MINUTE;
    let test = test_message(book.subs.get("sam").unwrap(), "Robin", now);
    book.delivered(&test, Delivery::Gone, now);
    assert!(!book.subs.contains_key("sam"), "the phone goes");
    let told = book.due(now);
    let mut to: Vec<&str> = told.iter().map(|m| m.sub.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["alex", "gran"], "every other phone of the patient is told");
    let alex = told.iter().find(|m| m.sub == "alex").unwrap();
    assert_eq!(
        (alex.payload.kind.as_str(), alex.payload.title.as_str()),
        ("PhoneLost", "Sam's phone no longer gets alarms for Lee")
    );
    assert!(alex.payload.body.contains("The last alarm reached it at"), "{}", alex.payload.body);
    let lost = book.lost(&Holder::Account("family".into()), now);
    assert_eq!(lost.len(), 1);
    assert_eq!((lost[0].name.as_str(), lost[0].at, lost[0].last_reached), ("Sam", now, Some(T - HOUR)));
    assert_eq!(log(&book).last(), Some(&(What::Lost, vec!["Sam".to_owned()])));
    assert!(book.lost(&Holder::Account("family".into()), now + 8 * shared::time::DAY).is_empty(), "a week");
    assert!(book.lost(&Holder::Account("someone-else".into()), now).is_empty());
    // With Sam's phone gone, an urgent low goes from Alex straight on to everyone after the wait.
    let got = minutes(&mut book, 45, 2, 7);
    let gran = got.iter().find(|g| g.1 == "gran" && g.2 == "UrgentLow").map(|g| g.0);
    assert_eq!(gran, Some(7), "{got:?}");
}

#[test]
fn saving_the_rota_again_keeps_whoever_took_over_on_duty() {
    let mut book = family();
    book.take_over("sam", 10, T).unwrap();
    let holder = Holder::Account("family".into());
    let again = book.groups.get(G).unwrap().rota.clone().map(|r| Rota { take_over: None, ..r });
    book.set_rota(&holder, "patient", again).unwrap();
    let views = book.rotas(&holder, T + HOUR);
    assert_eq!(views[0].on_duty.as_deref(), Some("Sam"));
    // Not once Sam is out of the rota.
    let without_sam = Rota { people: vec![Person { phone: "alex".into(), name: "Alex".into() }], ..Rota::default() };
    book.set_rota(&holder, "patient", Some(without_sam)).unwrap();
    assert_eq!(book.rotas(&holder, T + HOUR)[0].on_duty.as_deref(), Some("Alex"));
}
