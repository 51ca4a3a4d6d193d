use proptest::prelude::*;

use super::*;
use crate::time::HOUR;

fn person(phone: &str, name: &str) -> Person {
    Person { phone: phone.into(), name: name.into() }
}

fn family() -> Rota {
    Rota { people: vec![person("a", "Alex"), person("b", "Sam"), person("c", "Grandma")], ..Rota::default() }
}

/// 2026-12-07 (a Monday) at `h:m` UTC.
fn monday(h: i64, m: i64) -> i64 {
    1_796_601_600 + h * HOUR + m * MINUTE
}

#[test]
fn the_epoch_day_numbers_fall_on_the_right_weekdays() {
    assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
    assert_eq!(weekday(monday(0, 0) / DAY), 0, "2026-12-07 is a Monday");
    assert_eq!(weekday(-1), 2, "1969-12-31 was a Wednesday");
}

#[test]
fn without_turns_the_first_person_is_on_duty() {
    assert_eq!(family().on_duty(monday(3, 0)).map(|p| p.name.as_str()), Some("Alex"));
    assert_eq!(Rota::default().on_duty(0), None);
}

#[test]
fn a_night_turn_runs_past_midnight_into_the_next_day() {
    // Sam has Monday nights 22:00–07:00; Alex the rest.
    let mut rota = family();
    rota.shifts = vec![Shift { phone: "b".into(), days: 1, from_min: 22 * 60, to_min: 7 * 60 }];
    let on = |at: i64| rota.on_duty(at).map(|p| p.name.clone());
    assert_eq!(on(monday(21, 59)).as_deref(), Some("Alex"));
    assert_eq!(on(monday(22, 0)).as_deref(), Some("Sam"));
    assert_eq!(on(monday(24 + 6, 59)).as_deref(), Some("Sam"), "Tuesday 06:59 is still Monday night");
    assert_eq!(on(monday(24 + 7, 0)).as_deref(), Some("Alex"));
    assert_eq!(on(monday(-1, 0)).as_deref(), Some("Alex"), "Sunday night is not Sam's");
}

#[test]
fn turns_are_read_on_the_family_clock() {
    // Sam's turn is Monday 22:00–23:00 in UTC+2, which is 20:00–21:00 UTC.
    let mut rota = family();
    rota.utc_offset_min = 120;
    rota.shifts = vec![Shift { phone: "b".into(), days: 1, from_min: 22 * 60, to_min: 23 * 60 }];
    assert_eq!(rota.on_duty(monday(20, 30)).map(|p| p.name.as_str()), Some("Sam"));
    assert_eq!(rota.on_duty(monday(22, 30)).map(|p| p.name.as_str()), Some("Alex"));
}

#[test]
fn taking_over_beats_the_schedule_until_it_ends() {
    let mut rota = family();
    rota.shifts = vec![Shift { phone: "b".into(), days: 0x7f, from_min: 0, to_min: 0 }];
    rota.take_over = Some(TakeOver { phone: "c".into(), until: monday(7, 0) });
    assert_eq!(rota.on_duty(monday(6, 59)).map(|p| p.name.as_str()), Some("Grandma"));
    assert_eq!(rota.on_duty(monday(7, 0)).map(|p| p.name.as_str()), Some("Sam"));
}

#[test]
fn an_unanswered_alarm_reaches_the_next_person_then_everyone() {
    let rota = family();
    let started = monday(2, 0);
    let at = |min: i64| rota.rung_at(started, started + min * MINUTE);
    assert_eq!((at(0), at(4), at(5), at(9), at(10), at(600)), (0, 0, 1, 1, 2, 2));
    assert_eq!(rota.reached("b", 0), Some(vec!["b".to_owned()]));
    assert_eq!(rota.reached("b", 1), Some(vec!["b".to_owned(), "c".to_owned()]));
    assert_eq!(rota.reached("c", 1), Some(vec!["c".to_owned(), "a".to_owned()]), "after the last, the first");
    assert_eq!(rota.reached("b", 2), None, "everyone");
    assert_eq!(rota.reached("gone", 0), None, "a phone no longer in the rota: everyone at once");
}

#[test]
fn a_rota_of_one_goes_from_that_person_to_everyone() {
    let rota = Rota { people: vec![person("a", "Alex")], ..Rota::default() };
    assert_eq!(rota.last_rung(), 1);
    assert_eq!(rota.reached("a", 0), Some(vec!["a".to_owned()]));
    assert_eq!(rota.reached("a", 1), None);
    assert_eq!(rota.rung_at(0, 3600), 1);
}

#[test]
fn a_rota_that_cannot_work_is_refused_with_its_reason() {
    let ok = family();
    assert_eq!(ok.check(), Ok(()));
    let with = |change: &dyn Fn(&mut Rota)| {
        let mut rota = ok.clone();
        change(&mut rota);
        rota.check()
    };
    assert_eq!(with(&|r| r.people.clear()), Err(RotaError::People));
    assert_eq!(with(&|r| r.people.push(person("a", "Again"))), Err(RotaError::Twice("Again".into())));
    assert_eq!(with(&|r| r.people[0].name = String::new()), Err(RotaError::Name(String::new())));
    assert_eq!(with(&|r| r.people[0].name = "a\nb".into()), Err(RotaError::Name("a\nb".into())));
    assert_eq!(
        with(&|r| r.shifts.push(Shift { phone: "zz".into(), days: 1, from_min: 0, to_min: 60 })),
        Err(RotaError::Shift)
    );
    assert_eq!(
        with(&|r| r.shifts.push(Shift { phone: "a".into(), days: 0, from_min: 0, to_min: 60 })),
        Err(RotaError::Shift)
    );
    assert_eq!(
        with(&|r| r.shifts.push(Shift { phone: "a".into(), days: 1, from_min: 0, to_min: 1440 })),
        Err(RotaError::Shift)
    );
    assert_eq!(with(&|r| r.wait_min = 0), Err(RotaError::Wait));
    assert_eq!(with(&|r| r.wait_min = 31), Err(RotaError::Wait));
    assert_eq!(with(&|r| r.kinds.clear()), Err(RotaError::Kinds));
    assert_eq!(with(&|r| r.kinds.push(AlarmKind::SensorEndsSoon)), Err(RotaError::Kinds));
    assert_eq!(with(&|r| r.utc_offset_min = 15 * 60), Err(RotaError::Offset));
}

#[test]
fn the_log_keeps_a_week_and_at_most_its_length() {
    let mut log = Vec::new();
    for i in 0..(MAX_LOG as i64 + 10) {
        record(&mut log, Step::new(i, None, What::Over, Vec::new()));
    }
    assert_eq!(log.len(), MAX_LOG);
    assert_eq!(log.first().map(|s| s.at), Some(10));
    record(&mut log, Step::new(10 + KEEP_LOG_SECS, None, What::Over, Vec::new()));
    assert!(log.iter().all(|s| s.at > 10), "a week old is gone");
}

#[test]
fn a_step_is_the_json_the_app_reads() {
    let step = Step::new(5, Some(AlarmKind::UrgentLow), What::OnIt, vec!["Sam".into()]);
    let json = crate::wire::to_json(&step);
    assert_eq!(json, r#"{"at":5,"kind":"UrgentLow","names":["Sam"],"what":"on_it"}"#);
    assert_eq!(crate::wire::from_json::<Step>(&json), Some(step));
}

#[test]
fn on_it_is_said_on_the_family_clock() {
    let on_it = OnIt { phone: "b".into(), name: "Sam".into(), at: monday(2, 14) };
    assert_eq!(on_it_text(&on_it, 60), "Sam is on it (03:14)");
}

fn arb_rota() -> impl Strategy<Value = Rota> {
    (
        1usize..=MAX_PEOPLE,
        1u16..=30,
        -840i16..=840,
        proptest::collection::vec((0usize..8, 1u8..128, 0u16..1440, 0u16..1440), 0..6),
    )
        .prop_map(|(n, wait_min, utc_offset_min, shifts)| Rota {
            people: (0..n).map(|i| person(&format!("p{i}"), &format!("Person {i}"))).collect(),
            shifts: shifts
                .into_iter()
                .map(|(who, days, from_min, to_min)| Shift { phone: format!("p{}", who % n), days, from_min, to_min })
                .collect(),
            take_over: None,
            wait_min,
            kinds: vec![AlarmKind::UrgentLow],
            utc_offset_min,
        })
}

proptest! {
    #[test]
    fn someone_in_the_rota_is_always_on_duty(rota in arb_rota(), now in 0i64..4_000_000_000) {
        prop_assert_eq!(rota.check(), Ok(()));
        let on = rota.on_duty(now).map(|p| p.phone.clone());
        prop_assert!(on.as_ref().is_some_and(|phone| rota.person(phone).is_some()));
    }

    #[test]
    fn the_ladder_only_widens_and_ends_with_everyone(rota in arb_rota(), first in 0usize..8, started in 0i64..4_000_000_000, late in 0i64..(4 * HOUR)) {
        let first = format!("p{}", first % rota.people.len());
        let mut before: Option<Vec<String>> = Some(Vec::new());
        let mut last = 0u8;
        for minute in 0..=(late / MINUTE) {
            let rung = rota.rung_at(started, started + minute * MINUTE);
            prop_assert!(rung >= last, "the rung never goes back");
            last = rung;
            let now = rota.reached(&first, rung);
            if let (Some(then), Some(now)) = (&before, &now) {
                prop_assert!(then.iter().all(|p| now.contains(p)), "nobody reached is dropped");
                prop_assert_eq!(now.first(), Some(&first), "the person on duty first");
            }
            prop_assert!(before.is_some() || now.is_none(), "once everyone, always everyone");
            before = now;
        }
        // However long nobody answers, everyone is reached after the last wait.
        let everyone_at = started + rota.last_rung() as i64 * i64::from(rota.wait_min) * MINUTE;
        prop_assert_eq!(rota.reached(&first, rota.rung_at(started, everyone_at)), None);
    }

    #[test]
    fn taking_over_puts_that_person_on_duty_until_it_ends(rota in arb_rota(), who in 0usize..8, now in 0i64..4_000_000_000, hours in 1i64..24) {
        let phone = format!("p{}", who % rota.people.len());
        let mut rota = rota;
        rota.take_over = Some(TakeOver { phone: phone.clone(), until: now + hours * HOUR });
        prop_assert_eq!(rota.on_duty(now).map(|p| p.phone.clone()), Some(phone.clone()));
        prop_assert_eq!(rota.on_duty(now + hours * HOUR - 1).map(|p| p.phone.clone()), Some(phone));
        rota.take_over = None;
        let scheduled = rota.on_duty(now + hours * HOUR).map(|p| p.phone.clone());
        let mut ended = rota.clone();
        ended.take_over = Some(TakeOver { phone: "p0".into(), until: now + hours * HOUR });
        prop_assert_eq!(ended.on_duty(now + hours * HOUR).map(|p| p.phone.clone()), scheduled);
    }
}
