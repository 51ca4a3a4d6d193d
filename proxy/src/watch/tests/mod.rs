//! The watch book's rules, tested natively: the minute's alarms and pushes here, phones and storage beside.

use shared::reading::Origin;

use super::requests::{WatchAnswer, WatchRequest};
use super::*;
use shared::units::MgDl;

mod loud;
mod notes;
mod phones;
mod receipts;
mod requests;
mod rota;
mod stored;

pub(super) const T: i64 = 1_800_000_000;

#[test]
fn topics_are_the_kind_names_phones_already_hold() {
    // Topics replace an earlier message with the same topic on the phone: they must not change between
    // versions. They were the variant names (`Debug`) before they were the wire names.
    for kind in AlarmKind::ALL {
        assert_eq!(topic_of(kind), format!("{kind:?}"));
        assert!(topic_of(kind).len() <= 32);
    }
}

pub(super) fn new_sub(endpoint: &str, group: &str) -> NewSubscription {
    NewSubscription {
        setup: PhoneSetup {
            endpoint: endpoint.into(),
            p256dh: "p".into(),
            auth: "a".into(),
            group: group.into(),
            patient_id: "patient".into(),
            access: Access::Owner { session: "sealed".into() },
            config: AlarmConfig::default(),
            unit: GlucoseUnit::MgDl,
        },
        shared_ack: None,
        presented_key: None,
        device: String::new(),
        client: String::new(),
    }
}

/// `new_sub` reading its patient with `access`.
pub(super) fn new_sub_with(endpoint: &str, group: &str, access: Access) -> NewSubscription {
    let mut new = new_sub(endpoint, group);
    new.setup.access = access;
    new
}

pub(super) fn book_with(phones: &[(&str, &str)]) -> WatchBook {
    let mut book = WatchBook::default();
    for (n, (endpoint, group)) in phones.iter().enumerate() {
        book.subscribe(new_sub(endpoint, group), format!("id{n}"), format!("key{n}"), T).unwrap();
    }
    book
}

#[test]
fn the_sensor_notices_run_on_llus_sensor_not_the_phones_settings() {
    let mut book = book_with(&[("https://push.example/a", "g")]);
    let with_sensor = |now: i64, ends: Option<i64>| match data(120, now) {
        Read::Data { series, name, .. } => Read::Data { series, name, sensor_ends: ends, session_ends: None },
        other => other,
    };
    let ends = T + 20 * HOUR;
    let due = tick(&mut book, "g", with_sensor(T, Some(ends)), T);
    let topics: Vec<&str> = due.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(topics, ["SensorEndsInADay"], "the phone sent no sensor end (it never does)");
    // A read without a sensor keeps the end seen last: no notice again, none cleared.
    assert!(tick(&mut book, "g", with_sensor(T + MINUTE, None), T + MINUTE).is_empty());
    assert_eq!(book.groups.get("g").map(|g| g.sensor_ends), Some(Some(ends)));
    let (restored, unreadable) = WatchBook::from_storage(book.to_storage());
    assert!(unreadable.is_empty());
    assert_eq!(restored.groups.get("g").map(|g| g.sensor_ends), Some(Some(ends)), "stored with the book");
    let due = tick(&mut book, "g", with_sensor(ends - 2 * HOUR, None), ends - 2 * HOUR);
    let mut topics: Vec<&str> = due.iter().map(|m| m.topic.as_str()).collect();
    topics.sort_unstable();
    assert_eq!(topics, ["Interrupted", "SensorEndsSoon"], "18 hours without a tick is an interruption too");
}

/// A steady patient at `level` for the last hour before `now`, one reading a minute.
pub(super) fn data(level: u16, now: i64) -> Read {
    let readings = (0..60).map(|m| Reading {
        origin: if m == 0 { Origin::Current } else { Origin::Graph },
        ..Reading::new(UtcTime::from_unix_secs(now - m * MINUTE), shared::units::MgDl::new(level))
    });
    Read::Data { series: Series::from_readings(readings), name: "Lee".into(), sensor_ends: None, session_ends: None }
}

pub(super) fn tick(book: &mut WatchBook, group: &str, read: Read, now: i64) -> Vec<Message> {
    assert!(book.begin_tick(now));
    book.apply(group, read, now);
    let due = book.due(now);
    for message in &due {
        book.delivered(message, Delivery::Accepted, now);
    }
    due
}

#[test]
fn a_double_delivered_tick_is_refused() {
    let mut book = book_with(&[("e1", "g")]);
    assert!(book.begin_tick(T));
    assert!(!book.begin_tick(T));
    assert!(!book.begin_tick(T - 60));
    assert!(book.begin_tick(T + 60));
}

#[test]
fn a_low_is_one_message_then_repeats_and_an_acknowledged_urgent_low_waits_fifteen_minutes() {
    let mut book = book_with(&[("e1", "g")]);
    let sent = tick(&mut book, "g", data(62, T), T);
    assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["Low"]);
    assert_eq!(sent[0].payload.title, "Low: 62 mg/dL");
    assert_eq!((sent[0].urgency, sent[0].ttl), (Urgency::High, 15 * MINUTE));
    assert!(tick(&mut book, "g", data(62, T + 60), T + 60).is_empty());
    let sent = tick(&mut book, "g", data(45, T + 120), T + 120);
    assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["UrgentLow"]);
    assert!(sent[0].payload.urgent && sent[0].ttl == 5 * MINUTE);
    assert_eq!(book.act("id0", AlarmKind::UrgentLow, Action::Acknowledge, T + 130).unwrap(), 1);
    for minute in 3..=17 {
        let now = T + minute * MINUTE;
        assert!(tick(&mut book, "g", data(45, now), now).is_empty(), "muted at +{minute} min");
    }
    let now = T + 18 * MINUTE;
    assert_eq!(tick(&mut book, "g", data(45, now), now).len(), 1, "urgent low is muted 15 minutes at most");
}

#[test]
fn shared_acknowledgement_reaches_every_phone_of_the_patient_only() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g"), ("e3", "other")]);
    assert_eq!(book.act("id0", AlarmKind::Low, Action::Acknowledge, T).unwrap(), 1);
    book.groups.get_mut("g").unwrap().shared_ack = true;
    assert_eq!(book.act("id1", AlarmKind::Low, Action::Snooze(30), T).unwrap(), 2);
    assert!(book.subs.get("id0").unwrap().state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_some());
    assert!(book.subs.get("id2").unwrap().state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_none());
}

#[test]
fn busy_push_services_get_the_message_again_with_back_off_and_gone_ones_lose_the_phone() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    assert!(book.begin_tick(T));
    book.apply("g", data(62, T), T);
    let due = book.due(T);
    assert_eq!(due.len(), 2);
    book.delivered(&due[0], Delivery::Retry(None), T);
    book.delivered(&due[1], Delivery::Gone, T);
    assert!(!book.subs.contains_key(&due[1].sub), "410 removes the phone");
    let mut tries = Vec::new();
    for minute in 1..=10 {
        let now = T + minute * MINUTE;
        for message in book.due(now) {
            // (The other phone is told the gone one stopped getting alarms: a message of its own, not counted.)
            if message.topic == "Low" {
                tries.push(minute);
            }
            book.delivered(&message, Delivery::Retry(None), now);
        }
    }
    assert_eq!(tries, [1, 3, 7], "next minute, then 2, 4, … minutes later");
    assert!(book.due(T + 15 * MINUTE).iter().all(|m| m.topic != "Low"), "past its TTL (15 min) a warning is dropped");
    assert!(book.outbox.iter().all(|m| m.topic == "PhoneLost"));
    // A Retry-After longer than the back-off is honoured.
    let mut book = book_with(&[("e1", "g")]);
    assert!(book.begin_tick(T));
    book.apply("g", data(62, T), T);
    let due = book.due(T);
    book.delivered(&due[0], Delivery::Retry(Some(240)), T);
    assert!(book.due(T + 180).is_empty());
    assert_eq!(book.due(T + 240).len(), 1);
}

#[test]
fn a_newer_alarm_replaces_a_waiting_one_and_sends_are_capped_most_urgent_first() {
    let mut book = WatchBook::default();
    let groups = ["urgent", "warn-a", "warn-b"];
    for n in 0..(SENDS_PER_INVOCATION + 5) {
        let group = if n < 5 { groups[0] } else { groups[1 + n % 2] };
        book.subscribe(new_sub(&format!("e{n}"), group), format!("id{n:02}"), "k".into(), T).unwrap_or_else(|_| {
            panic!("subscribe {n}");
        });
    }
    assert!(book.begin_tick(T));
    book.apply("warn-a", data(62, T), T);
    book.apply("warn-b", data(62, T), T);
    book.apply("urgent", data(45, T), T);
    let due = book.due(T);
    assert_eq!(due.len(), SENDS_PER_INVOCATION);
    assert!(due.iter().take(5).all(|m| m.payload.kind == "UrgentLow"), "urgent first");
    let waiting = book.outbox.len();
    let first = book.outbox[0].clone();
    book.queue(Message { created: T + 1, ..first.clone() });
    assert_eq!(book.outbox.len(), waiting, "one waiting message per topic per phone");
}

#[test]
fn a_backlog_leaves_in_further_invocations_of_the_same_minute_and_retries_wait() {
    let mut book = WatchBook::default();
    let phones = SENDS_PER_INVOCATION + 5;
    for n in 0..phones {
        let group = if n < MAX_PER_GROUP { "a" } else { "b" };
        book.subscribe(new_sub(&format!("e{n}"), group), format!("id{n:02}"), "k".into(), T).unwrap();
    }
    assert!(book.begin_tick(T));
    book.apply("a", data(45, T), T);
    book.apply("b", data(45, T), T);
    let first = book.due(T);
    assert_eq!(first.len(), SENDS_PER_INVOCATION);
    for message in &first[1..] {
        book.delivered(message, Delivery::Accepted, T);
    }
    // The push service was busy for one: it waits for its back-off, not for the next invocation.
    book.delivered(&first[0], Delivery::Retry(None), T);
    assert!(book.more_due(T), "{} phones, one batch sent", phones);
    let second = book.due(T);
    assert_eq!(second.len(), phones - SENDS_PER_INVOCATION);
    assert!(second.iter().all(|m| first.iter().all(|f| f.sub != m.sub)), "each phone once");
    // While they are in flight, an overlapping invocation (the next cron) is not handed them again.
    assert!(book.due(T).is_empty());
    assert!(!book.more_due(T));
    for message in &second {
        book.delivered(message, Delivery::Accepted, T);
    }
    assert!(!book.more_due(T), "nothing left this minute: the invocations stop");
    assert!(book.more_due(T + MINUTE), "the busy one is tried again next minute");
}

#[test]
fn the_watchdog_speaks_once_after_thirty_minutes_and_again_when_data_is_back() {
    let mut book = book_with(&[("e1", "g")]);
    assert!(tick(&mut book, "g", data(120, T), T).is_empty());
    let mut kinds = Vec::new();
    for minute in 1..=35 {
        let now = T + minute * MINUTE;
        kinds.extend(tick(&mut book, "g", Read::Unreachable, now).into_iter().map(|m| (minute, m.payload.kind)));
    }
    let outage: Vec<_> = kinds.iter().filter(|(_, k)| k == "Outage").collect();
    // Reads fail from minute 1: thirty minutes of failure is minute 31.
    assert_eq!(outage, [&(31, "Outage".to_owned())]);
    assert!(kinds.iter().any(|(m, k)| k == "StaleData" && *m == 15), "{kinds:?}");
    let back = T + 36 * MINUTE;
    let sent = tick(&mut book, "g", data(120, back), back);
    assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["Recovered"]);
    let signed_out = T + 37 * MINUTE;
    let sent = tick(&mut book, "g", Read::SignedOut, signed_out);
    assert_eq!(sent[0].payload.kind, "SignedOut");
    assert!(sent[0].payload.body.starts_with("Open Tidewatch and sign in again"));
}

/// A session whose LLU ticket stopped rolling forward: each phone is told once, a week ahead and without waking
/// anyone; a renewal ends it quietly; a session that did end is said at once, loudly.
#[test]
fn a_week_before_the_alarms_session_ends_each_phone_is_told_once() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    let with_session = |now: i64, ends: i64| match data(120, now) {
        Read::Data { series, name, sensor_ends, .. } => {
            Read::Data { series, name, sensor_ends, session_ends: Some(ends) }
        }
        other => other,
    };
    // The ticks below are days apart, which is an interruption too: that notice is left out here.
    let told =
        |sent: Vec<Message>| -> Vec<Message> { sent.into_iter().filter(|m| m.payload.kind != "Interrupted").collect() };
    let ends = T + 10 * 24 * HOUR;
    assert!(tick(&mut book, "g", with_session(T, ends), T).is_empty(), "ten days ahead: nothing yet");
    let week_before = ends - 7 * 24 * HOUR;
    let sent = told(tick(&mut book, "g", with_session(week_before, ends), week_before));
    assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["SessionEnds", "SessionEnds"]);
    let notice = &sent[0];
    assert!(!notice.payload.urgent && notice.urgency == Urgency::Normal, "read in the morning, not at 3 a.m.");
    assert!(notice.payload.body.starts_with("Open Tidewatch and sign in again before "), "{}", notice.payload.body);
    let (restored, _) = WatchBook::from_storage(book.to_storage());
    assert_eq!(restored.groups.get("g").and_then(|g| g.session_ends), Some(ends), "stored with the book");
    let later = week_before + HOUR;
    assert!(told(tick(&mut book, "g", with_session(later, ends), later)).is_empty(), "once");
    // Signed in again: a new session, far from its end. Nothing stopped, so nothing is said.
    let renewed = later + MINUTE;
    assert!(told(tick(&mut book, "g", with_session(renewed, renewed + 180 * 24 * HOUR), renewed)).is_empty());
    assert!(book.subs.values().all(|s| s.told.is_none()));
    // That one is never renewed: a week ahead again, then its end.
    let second_ends = renewed + 180 * 24 * HOUR;
    let warned = second_ends - 6 * 24 * HOUR;
    assert_eq!(told(tick(&mut book, "g", with_session(warned, second_ends), warned)).len(), 2);
    let sent = told(tick(&mut book, "g", Read::SignedOut, second_ends + MINUTE));
    let kinds: Vec<&str> = sent.iter().map(|m| m.payload.kind.as_str()).collect();
    assert!(
        kinds.iter().filter(|k| **k == "SignedOut").count() == 2 && sent.iter().all(|m| m.payload.urgent),
        "{kinds:?}"
    );
}

pub(super) fn golden_book() -> WatchBook {
    let mut book = book_with(&[("https://push.example/a", "acct:u1:p1"), ("https://push.example/b", "acct:u1:p1")]);
    let viewer = book.subs.get_mut("id1").unwrap();
    viewer.setup.access = Access::Viewer { share_id: "s1".into(), from: "f".into(), acts_for_all: true };
    viewer.device = "Pixel".into();
    viewer.delivered = Some(1_800_000_100);
    viewer.told = Some(Notice::SessionEnds);
    let group = book.groups.get_mut("acct:u1:p1").unwrap();
    group.name = "Mia".into();
    group.failure = Some(Notice::Outage);
    group.failing_since = Some(1_800_000_000);
    group.sensor_ends = Some(1_800_900_000);
    group.series = Series::from_readings([Reading::new(UtcTime::from_unix_secs(1_800_000_000), MgDl::new(99))]);
    book.outbox.push(Message {
        sub: "id0".into(),
        topic: "Low".into(),
        payload: Payload {
            v: 1,
            sub: "id0".into(),
            key: "key0".into(),
            kind: "Low".into(),
            title: "Low".into(),
            body: "62 mg/dL".into(),
            tag: "tw-Low".into(),
            urgent: false,
            silent: false,
            snooze_min: 15,
            at: 1_800_000_000,
        },
        urgency: Urgency::High,
        ttl: 600,
        created: 1_800_000_000,
        next_try: 1_800_000_060,
        tries: 1,
    });
    book.last_tick = Some(1_800_000_060);
    book.removed.insert("gone".into(), 1_800_000_000);
    book.interruptions.push(Interruption { from: 1_799_990_000, to: 1_799_999_000 });
    book
}

/// The book as earlier builds stored it (one `meta`, a `sub:` per phone, a `series:` per patient) opens as it was
/// and is written back the same way, so a deploy neither silences a phone nor loses its alarm state.
#[test]
fn the_stored_book_is_the_json_earlier_builds_wrote() {
    for (book, before) in [
        (golden_book(), [
            ("meta", r#"{"groups":{"acct:u1:p1":{"failing_since":1800000000,"failure":"outage","name":"Mia","sensor_ends":1800900000,"series":{"readings":[]},"shared_ack":false}},"interruptions":[{"from":1799990000,"to":1799999000}],"last_tick":1800000060,"outbox":[{"created":1800000000,"next_try":1800000060,"payload":{"at":1800000000,"body":"62 mg/dL","key":"key0","kind":"Low","silent":false,"snooze_min":15,"sub":"id0","tag":"tw-Low","title":"Low","urgent":false,"v":1},"sub":"id0","topic":"Low","tries":1,"ttl":600,"urgency":"high"}],"removed":{"gone":1800000000},"subs":{}}"#),
            ("series:acct:u1:p1", r#"{"readings":[{"arrow":null,"at":1800000000,"mgdl":99,"origin":"Graph","range":"InRange","wearer_offset_min":null}]}"#),
            ("sub:id0", r#"{"access":{"owner":{"session":"sealed"}},"auth":"a","config":{"day":{"high":180,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Normal"},"disabled":[],"fast_rate":2.0,"high_hysteresis":10,"low_hysteresis":5,"low_repeat_secs":900,"night":null,"not_coming_down_after_secs":7200,"not_coming_down_slope":-0.5,"persistent_high_after_secs":7200,"persistent_high_every_secs":7200,"predicted_low_minutes":20,"predicted_low_repeat_secs":900,"rebound_fall":30,"rebound_rise":20,"sensor_ends_at":null,"stale_repeat_secs":900,"stale_urgent_secs":1800,"stale_warning_secs":900,"urgent_high_repeat_secs":1800,"urgent_low_repeat_secs":300,"utc_offset_min":0},"created":1800000000,"endpoint":"https://push.example/a","group":"acct:u1:p1","id":"id0","key":"key0","p256dh":"p","patient_id":"patient","state":{"excursion":{"Rising":{"peak":0}},"excursion_seen":null,"kinds":{},"last_step":null},"told":null,"unit":"mgdl"}"#),
            ("sub:id1", r#"{"access":{"viewer":{"acts_for_all":true,"from":"f","share_id":"s1"}},"auth":"a","config":{"day":{"high":180,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Normal"},"disabled":[],"fast_rate":2.0,"high_hysteresis":10,"low_hysteresis":5,"low_repeat_secs":900,"night":null,"not_coming_down_after_secs":7200,"not_coming_down_slope":-0.5,"persistent_high_after_secs":7200,"persistent_high_every_secs":7200,"predicted_low_minutes":20,"predicted_low_repeat_secs":900,"rebound_fall":30,"rebound_rise":20,"sensor_ends_at":null,"stale_repeat_secs":900,"stale_urgent_secs":1800,"stale_warning_secs":900,"urgent_high_repeat_secs":1800,"urgent_low_repeat_secs":300,"utc_offset_min":0},"created":1800000000,"delivered":1800000100,"device":"Pixel","endpoint":"https://push.example/b","group":"acct:u1:p1","id":"id1","key":"key1","p256dh":"p","patient_id":"patient","state":{"excursion":{"Rising":{"peak":0}},"excursion_seen":null,"kinds":{},"last_step":null},"told":"session_ends","unit":"mgdl"}"#),
        ].as_slice()),
        (book_with(&[("https://push.example/a", "acct:u1:p1")]), [
            ("meta", r#"{"groups":{"acct:u1:p1":{"failing_since":null,"failure":null,"name":"","series":{"readings":[]},"shared_ack":false}},"last_tick":null,"outbox":[],"subs":{}}"#),
            ("series:acct:u1:p1", r#"{"readings":[]}"#),
            ("sub:id0", r#"{"access":{"owner":{"session":"sealed"}},"auth":"a","config":{"day":{"high":180,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Normal"},"disabled":[],"fast_rate":2.0,"high_hysteresis":10,"low_hysteresis":5,"low_repeat_secs":900,"night":null,"not_coming_down_after_secs":7200,"not_coming_down_slope":-0.5,"persistent_high_after_secs":7200,"persistent_high_every_secs":7200,"predicted_low_minutes":20,"predicted_low_repeat_secs":900,"rebound_fall":30,"rebound_rise":20,"sensor_ends_at":null,"stale_repeat_secs":900,"stale_urgent_secs":1800,"stale_warning_secs":900,"urgent_high_repeat_secs":1800,"urgent_low_repeat_secs":300,"utc_offset_min":0},"created":1800000000,"endpoint":"https://push.example/a","group":"acct:u1:p1","id":"id0","key":"key0","p256dh":"p","patient_id":"patient","state":{"excursion":{"Rising":{"peak":0}},"excursion_seen":null,"kinds":{},"last_step":null},"told":null,"unit":"mgdl"}"#),
        ].as_slice()),
    ] {
        let written = book.to_storage();
        assert_eq!(written.len(), before.len());
        for (key, value) in before {
            assert_eq!(written.get(*key).and_then(|w| wire::parse(w)), wire::parse(value), "{key}");
        }
        let (read, unreadable) = WatchBook::from_storage(before.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(read, book);
    }
}

/// A `Watcher` of the build before and a worker of this one understand each other during a deploy.
#[test]
fn watch_messages_are_the_json_earlier_builds_wrote() {
    let requests = [
        WatchRequest::Subscribe {
            new: new_sub("https://push.example/a", "acct:u1:p1"),
            id: "i".into(),
            key: "k".into(),
        },
        WatchRequest::Unsubscribe { id: "i".into(), key: "k".into() },
        WatchRequest::Test { id: "i".into(), key: "k".into() },
        WatchRequest::Act { id: "i".into(), key: "k".into(), kind: AlarmKind::Low, snooze_min: Some(30) },
        WatchRequest::Act { id: "i".into(), key: "k".into(), kind: AlarmKind::High, snooze_min: None },
        WatchRequest::Tick { now: 5 },
        WatchRequest::Phones { holder: Holder::Account("u1".into()) },
        WatchRequest::RemovePhone { holder: Holder::Demo("d".into()), id: "i".into() },
        WatchRequest::ForgetShare { share_id: "s".into() },
        WatchRequest::Renew { account_id: "u1".into(), session: "sealed".into() },
        WatchRequest::ForgetEndpoint { endpoint: "https://e".into() },
    ];
    let requests_before = [
        r#"{"subscribe":{"id":"i","key":"k","new":{"access":{"owner":{"session":"sealed"}},"auth":"a","client":"","config":{"day":{"high":180,"low":70,"urgent_high":250,"urgent_low":55,"volume":"Normal"},"disabled":[],"fast_rate":2.0,"high_hysteresis":10,"low_hysteresis":5,"low_repeat_secs":900,"night":null,"not_coming_down_after_secs":7200,"not_coming_down_slope":-0.5,"persistent_high_after_secs":7200,"persistent_high_every_secs":7200,"predicted_low_minutes":20,"predicted_low_repeat_secs":900,"rebound_fall":30,"rebound_rise":20,"sensor_ends_at":null,"stale_repeat_secs":900,"stale_urgent_secs":1800,"stale_warning_secs":900,"urgent_high_repeat_secs":1800,"urgent_low_repeat_secs":300,"utc_offset_min":0},"device":"","endpoint":"https://push.example/a","group":"acct:u1:p1","p256dh":"p","patient_id":"patient","presented_key":null,"shared_ack":null,"unit":"mgdl"}}}"#,
        r#"{"unsubscribe":{"id":"i","key":"k"}}"#,
        r#"{"test":{"id":"i","key":"k"}}"#,
        r#"{"act":{"id":"i","key":"k","kind":"Low","snooze_min":30}}"#,
        r#"{"act":{"id":"i","key":"k","kind":"High","snooze_min":null}}"#,
        r#"{"tick":{"now":5}}"#,
        r#"{"phones":{"account":"u1"}}"#,
        r#"{"remove_phone":{"demo_session":"d","id":"i"}}"#,
        r#"{"forget_share":{"share_id":"s"}}"#,
        r#"{"renew":{"account_id":"u1","session":"sealed"}}"#,
        r#"{"forget_endpoint":{"endpoint":"https://e"}}"#,
    ];
    for (request, before) in requests.iter().zip(requests_before) {
        crate::golden::writes_and_reads(request, before);
    }
    let phone = PhoneInfo {
        id: "i".into(),
        patient_id: "p".into(),
        device: "d".into(),
        share_id: Some("s".into()),
        created: 1,
        delivered: None,
        received: None,
        missing_since: None,
        loud: None,
    };
    let answers = [
        WatchAnswer::Subscribed { id: "i".into(), key: "k".into(), shared_ack: true },
        WatchAnswer::Done(2),
        WatchAnswer::Phones {
            phones: vec![phone],
            interruptions: vec![Interruption { from: 1, to: 2 }],
            lost: Vec::new(),
        },
        WatchAnswer::Sent(201),
        WatchAnswer::Ticked { ran: true, groups: 1, subs: 2, sent: 3 },
        WatchAnswer::Error(ApiError::internal()),
    ];
    let answers_before = [
        r#"{"subscribed":{"id":"i","key":"k","shared_ack":true}}"#,
        r#"{"done":2}"#,
        r#"{"phones":{"interruptions":[{"from":1,"to":2}],"phones":[{"created":1,"delivered":null,"device":"d","id":"i","patientId":"p","shareId":"s"}]}}"#,
        r#"{"sent":201}"#,
        r#"{"ticked":{"groups":1,"ran":true,"sent":3,"subs":2}}"#,
        r#"{"error":{"code":"internal","http":500,"llu_status":500,"message":"Something went wrong inside Tidewatch's server.","retry_after_secs":null}}"#,
    ];
    for (answer, before) in answers.iter().zip(answers_before) {
        crate::golden::writes_and_reads(answer, before);
    }
    for junk in [r#"{"phones":{}}"#, r#"{"tick":{}}"#, "[]"] {
        assert!(wire::from_json::<WatchRequest>(junk).is_none(), "{junk}");
    }
}
