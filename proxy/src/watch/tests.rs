//! The watch book's rules, tested natively.

use shared::reading::Origin;

use super::*;

const T: i64 = 1_800_000_000;

#[test]
fn topics_are_the_kind_names_phones_already_hold() {
    // Topics replace an earlier message with the same topic on the phone: they must not change between
    // versions. They were the variant names (`Debug`) before they were the wire names.
    for kind in AlarmKind::ALL {
        assert_eq!(topic_of(kind), format!("{kind:?}"));
        assert!(topic_of(kind).len() <= 32);
    }
}

fn new_sub(endpoint: &str, group: &str) -> NewSubscription {
    NewSubscription {
        endpoint: endpoint.into(),
        p256dh: "p".into(),
        auth: "a".into(),
        group: group.into(),
        patient_id: "patient".into(),
        access: Access::Owner { session: "sealed".into() },
        config: AlarmConfig::default(),
        unit: GlucoseUnit::MgDl,
        shared_ack: None,
        presented_key: None,
        device: String::new(),
        client: String::new(),
    }
}

fn book_with(phones: &[(&str, &str)]) -> WatchBook {
    let mut book = WatchBook::default();
    for (n, (endpoint, group)) in phones.iter().enumerate() {
        book.subscribe(new_sub(endpoint, group), format!("id{n}"), format!("key{n}"), T).unwrap();
    }
    book
}

#[test]
fn viewers_lose_alarms_only_when_the_share_book_says_their_share_is_gone() {
    let mut book = book_with(&[("https://push.example/owner", "g")]);
    for (n, share) in ["live", "quiet", "revoked", "unasked"].iter().enumerate() {
        let viewer = NewSubscription {
            access: Access::Viewer { share_id: (*share).into(), from: "Alex".into(), acts_for_all: false },
            ..new_sub(&format!("https://push.example/{share}"), "g")
        };
        book.subscribe(viewer, format!("viewer{n}"), format!("vkey{n}"), T).unwrap();
    }
    let answer = [
        ("live".to_owned(), Some(("sealed".to_owned(), true))),
        ("quiet".to_owned(), Some(("sealed".to_owned(), false))),
        ("revoked".to_owned(), None),
    ];
    let mut dropped = book.viewers_without_share(Some(&answer));
    dropped.sort();
    assert_eq!(dropped, ["viewer1", "viewer2"], "alarms off and revoked; never the owner or an unasked share");
    assert!(book.viewers_without_share(None).is_empty(), "an unreadable share book drops nobody");
}

#[test]
fn signing_in_again_gives_only_that_accounts_owner_phones_the_new_session() {
    let mut book = book_with(&[("https://push.example/a", "acct:a:p"), ("https://push.example/b", "acct:b:p")]);
    let viewer = NewSubscription {
        access: Access::Viewer { share_id: "s".into(), from: "Alex".into(), acts_for_all: false },
        ..new_sub("https://push.example/viewer", "acct:a:p")
    };
    book.subscribe(viewer, "viewer".into(), "vkey".into(), T).unwrap();
    assert_eq!(book.renew_owner("a", "sealed-new"), 1);
    let access = |id: &str| book.subs.get(id).map(|s| s.access.clone());
    assert_eq!(access("id0"), Some(Access::Owner { session: "sealed-new".into() }));
    assert_eq!(access("id1"), Some(Access::Owner { session: "sealed".into() }), "another account's phone");
    assert!(matches!(access("viewer"), Some(Access::Viewer { .. })), "a viewer reads through its share");
    assert_eq!(book.renew_owner("a", "sealed-new"), 0, "nothing to save the second time");
}

#[test]
fn the_sensor_notices_run_on_llus_sensor_not_the_phones_settings() {
    let mut book = book_with(&[("https://push.example/a", "g")]);
    let with_sensor = |now: i64, ends: Option<i64>| match data(120, now) {
        Read::Data { series, name, .. } => Read::Data { series, name, sensor_ends: ends },
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
fn data(level: u16, now: i64) -> Read {
    let readings = (0..60).map(|m| Reading {
        origin: if m == 0 { Origin::Current } else { Origin::Graph },
        ..Reading::new(UtcTime::from_unix_secs(now - m * MINUTE), shared::units::MgDl::new(level))
    });
    Read::Data { series: Series::from_readings(readings), name: "Lee".into(), sensor_ends: None }
}

fn tick(book: &mut WatchBook, group: &str, read: Read, now: i64) -> Vec<Message> {
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
    assert!(book.subs["id0"].state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_some());
    assert!(book.subs["id2"].state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_none());
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
            tries.push(minute);
            book.delivered(&message, Delivery::Retry(None), now);
        }
    }
    assert_eq!(tries, [1, 3, 7], "next minute, then 2, 4, … minutes later");
    assert!(book.due(T + 15 * MINUTE).is_empty(), "past its TTL (15 min) a warning is dropped");
    assert!(book.outbox.is_empty());
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
fn the_stored_book_comes_back_whole_and_a_bad_value_costs_only_itself() {
    let mut book = WatchBook::default();
    for n in 0..3 {
        book.subscribe(new_sub(&format!("e{n}"), "g"), format!("id{n}"), "k".into(), T).unwrap();
    }
    assert!(book.begin_tick(T));
    book.apply("g", data(45, T), T);
    book.act("id0", AlarmKind::UrgentLow, Action::Acknowledge, T + 30).unwrap();
    let waiting = book.due(T);
    book.delivered(&waiting[0], Delivery::Retry(Some(120)), T);
    assert!(!book.outbox.is_empty() && !book.groups["g"].series.as_slice().is_empty());
    let stored = book.to_storage();
    // This book as the build before the hand-written JSON stored it (serde's derive): it reads back whole,
    // and what is written now is the same JSON.
    let earlier: std::collections::BTreeMap<String, String> =
        serde_json::from_str(include_str!("../../tests/data/stored_watch_book.json")).unwrap();
    assert_eq!(WatchBook::from_storage(earlier.clone()), (book.clone(), vec![]));
    assert_eq!(earlier.keys().collect::<Vec<_>>(), stored.keys().collect::<Vec<_>>());
    for (key, text) in &earlier {
        assert_eq!(wire::parse(text), wire::parse(&stored[key.as_str()]), "{key}");
    }
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["meta", "series:g", "sub:id0", "sub:id1", "sub:id2"]);
    assert!(!stored["meta"].contains("\"mgdl\""), "readings are stored once, under series:");
    assert!(stored["series:g"].contains("\"mgdl\""));
    assert_eq!(WatchBook::from_storage(stored.clone()), (book.clone(), vec![]), "a restart loses nothing");
    let mut damaged = stored.clone();
    damaged.insert("sub:id1".into(), "{not json".into());
    damaged.insert("from-a-later-version".into(), "{}".into());
    let (restored, unreadable) = WatchBook::from_storage(damaged);
    assert_eq!(restored.subs.keys().collect::<Vec<_>>(), ["id0", "id2"]);
    assert_eq!((restored.outbox, restored.last_tick), (book.outbox.clone(), book.last_tick));
    assert_eq!(unreadable, ["from-a-later-version", "sub:id1"], "named, for the Watcher to keep");
    // An unreadable `meta` loses the groups' alarm states and the outbox, never the phones' alarms: each
    // subscription's group is there again, and the next read raises the low.
    let mut damaged = stored;
    damaged.insert("meta".into(), "{\"groups\": 42}".into());
    let (mut restored, unreadable) = WatchBook::from_storage(damaged);
    assert_eq!(unreadable, ["meta"]);
    assert_eq!(restored.groups.keys().collect::<Vec<_>>(), ["g"]);
    assert_eq!(restored.subs.len(), 3);
    assert!(restored.begin_tick(T + 10 * MINUTE));
    restored.apply("g", data(45, T + 10 * MINUTE), T + 10 * MINUTE);
    let fired = restored.due(T + 10 * MINUTE);
    // id0 acknowledged this low before the restart: its state is in its own value, and stays.
    assert_eq!(fired.iter().map(|m| m.sub.as_str()).collect::<Vec<_>>(), ["id1", "id2"]);
    assert!(fired.iter().all(|m| m.payload.kind == "UrgentLow"), "{fired:?}");
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

#[test]
fn resubscribing_keeps_the_phone_and_limits_hold() {
    let mut book = book_with(&[("e1", "g")]);
    let again = book.subscribe(new_sub("e1", "g"), "new".into(), "newkey".into(), T).unwrap();
    assert_eq!((again.id.as_str(), again.key.as_str()), ("id0", "key0"));
    assert!(book.authorised("id0", "key0").is_ok());
    assert!(book.authorised("id0", "key1").is_err());
    for n in 1..MAX_PER_GROUP {
        book.subscribe(new_sub(&format!("x{n}"), "g"), format!("x{n}"), "k".into(), T).unwrap();
    }
    let full = book.subscribe(new_sub("one-more", "g"), "y".into(), "k".into(), T);
    assert_eq!(full.map(|_| ()).unwrap_err().code, "push_full");
    book.remove("id0");
    assert!(!book.subs.contains_key("id0"));
}
fn with_keys(endpoint: &str, group: &str, p256dh: &str, presented: Option<&str>) -> NewSubscription {
    NewSubscription { p256dh: p256dh.into(), presented_key: presented.map(Into::into), ..new_sub(endpoint, group) }
}

#[test]
fn a_known_endpoint_with_other_keys_is_refused_unless_its_key_is_presented() {
    let mut book = book_with(&[("https://push.example/phone", "acct:a:p")]);
    let taken =
        book.subscribe(with_keys("https://push.example/phone", "demo:p", "other", None), "x".into(), "k".into(), T);
    assert_eq!(taken.map(|_| ()).unwrap_err().code, "push_endpoint_taken");
    let wrong = with_keys("https://push.example/phone", "demo:p", "other", Some("key1"));
    assert!(book.subscribe(wrong, "x".into(), "k".into(), T).is_err());
    let phone = &book.subs["id0"];
    assert_eq!((phone.p256dh.as_str(), phone.group.as_str()), ("p", "acct:a:p"), "nothing changed");
    let renewed = with_keys("https://push.example/phone", "acct:a:p", "new", Some("key0"));
    let sub = book.subscribe(renewed, "x".into(), "k".into(), T).unwrap();
    assert_eq!((sub.id.as_str(), sub.p256dh.as_str()), ("id0", "new"), "the phone's own key renews its keys");
}

fn viewer(endpoint: &str, group: &str, share: &str) -> NewSubscription {
    NewSubscription {
        access: Access::Viewer { share_id: share.into(), from: "Alex".into(), acts_for_all: false },
        ..new_sub(endpoint, group)
    }
}

#[test]
fn a_links_acknowledgement_never_silences_the_familys_phones() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    book.subscribe(viewer("v1", "g", "s1"), "v1".into(), "vk".into(), T).unwrap();
    book.groups.get_mut("g").unwrap().shared_ack = true;
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "the link's own phone");
    assert_eq!(book.act("v1", AlarmKind::Low, Action::Snooze(60), T).unwrap(), 1);
    let at = UtcTime::from_unix_secs(T);
    assert!(book.subs["id0"].state.snoozed_until(AlarmKind::Low, at).is_none());
    assert!(book.subs["v1"].state.snoozed_until(AlarmKind::Low, at).is_some());
    assert_eq!(book.act("id0", AlarmKind::Low, Action::Snooze(30), T).unwrap(), 3, "the owner's reaches all");
}

#[test]
fn links_cannot_fill_a_patients_phones_and_a_revoked_links_phones_go_at_once() {
    let mut book = book_with(&[("owner", "g")]);
    for n in 0..MAX_PER_SHARE {
        book.subscribe(viewer(&format!("a{n}"), "g", "s1"), format!("a{n}"), "k".into(), T).unwrap();
    }
    let sixth = book.subscribe(viewer("a-more", "g", "s1"), "a-more".into(), "k".into(), T);
    assert_eq!(sixth.map(|_| ()).unwrap_err().code, "push_full", "one link's phones are capped");
    // More links fill the group up to the owner's reserved places.
    for n in MAX_PER_SHARE..MAX_PER_GROUP - OWNER_RESERVED {
        let share = format!("s{}", 2 + n / MAX_PER_SHARE);
        book.subscribe(viewer(&format!("b{n}"), "g", &share), format!("b{n}"), "k".into(), T).unwrap();
    }
    let full = book.subscribe(viewer("c", "g", "s99"), "c".into(), "k".into(), T);
    assert_eq!(full.map(|_| ()).unwrap_err().code, "push_full", "links leave the owner's places free");
    // A phone first subscribed elsewhere (the demo) cannot move in through a link past the caps either, and
    // a refused request changes nothing.
    book.subscribe(new_sub("elsewhere", "demo:p"), "e".into(), "k".into(), T).unwrap();
    let moved = NewSubscription { shared_ack: Some(true), ..viewer("elsewhere", "g", "s1") };
    assert_eq!(book.subscribe(moved, "x".into(), "k".into(), T).map(|_| ()).unwrap_err().code, "push_full");
    assert_eq!(book.subs["e"].group, "demo:p");
    assert!(!book.groups["g"].shared_ack);
    book.subscribe(new_sub("owner2", "g"), "o2".into(), "k".into(), T).unwrap();
    assert_eq!(book.forget_share("s1"), MAX_PER_SHARE);
    assert!(book.subs.values().all(|s| s.access.share_id() != Some("s1")));
    assert!(book.subs.contains_key("id0") && book.subs.contains_key("o2"));
}

#[test]
fn a_save_writes_only_what_changed() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    let first = book.changes(&Keyed::new(), T);
    assert_eq!(first.puts.len(), 4, "meta, two phones and the group's readings");
    let mut written = first.written;
    let mut now = T;
    for minute in 1..=9 {
        now = T + minute * MINUTE;
        tick(&mut book, "g", data(120, T), now);
        let changes = book.changes(&written, now);
        if minute > 1 {
            assert!(changes.puts.is_empty() && changes.deletes.is_empty(), "nothing new at +{minute}: {changes:?}");
        }
        written = changes.written;
    }
    // New readings every minute: the readings are stored at most every 15 minutes, `meta` (the last tick) every
    // 10 as a heartbeat, nothing else.
    let (mut series_writes, mut meta_writes) = (0, 0);
    for minute in 10..=40 {
        now = T + minute * MINUTE;
        tick(&mut book, "g", data(120, now), now);
        let changes = book.changes(&written, now);
        for (key, _) in &changes.puts {
            match key.as_str() {
                "series:g" => series_writes += 1,
                "meta" => meta_writes += 1,
                other => panic!("{other} written with nothing changed"),
            }
        }
        written = changes.written;
    }
    assert_eq!((series_writes, meta_writes), (2, 3), "31 minutes of new readings: 2 + 3 writes");
    book.act("id0", AlarmKind::Low, Action::Snooze(30), now).unwrap();
    let changes = book.changes(&written, now);
    assert_eq!(changes.puts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["sub:id0"]);
    book.remove("id1");
    let changes = book.changes(&changes.written, now);
    assert_eq!(changes.deletes, ["sub:id1"]);
    assert!(changes.puts.is_empty());
}
#[test]
fn an_owner_lists_and_removes_the_accounts_phones_and_a_removed_phone_stays_removed() {
    let mut book = book_with(&[("https://push.example/a1", "acct:a:p"), ("https://push.example/b1", "acct:b:p")]);
    book.subscribe(viewer("https://push.example/grandma", "acct:a:p", "s1"), "v1".into(), "vk".into(), T).unwrap();
    let mine = Holder::Account("a".into());
    let ids = |book: &WatchBook, holder: &Holder| book.phones(holder).into_iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(ids(&book, &mine), ["id0", "v1"], "the owner's phone and its link's phone, not another account's");
    assert_eq!(book.phones(&mine)[1].share_id.as_deref(), Some("s1"));
    assert!(ids(&book, &Holder::Account("".into())).is_empty(), "an empty account id is nobody's");
    assert_eq!(book.remove_phone(&mine, "id1", T).unwrap_err().code, "push_not_found", "another account's");
    book.remove_phone(&mine, "id0", T).unwrap();
    assert_eq!(ids(&book, &mine), ["v1"]);
    // Signing in again renews what is there; the removed phone cannot come back with its old subscription.
    assert_eq!(book.renew_owner("a", "sealed-new"), 0);
    let again = book.subscribe(new_sub("https://push.example/a1", "acct:a:p"), "x".into(), "k".into(), T);
    assert_eq!(again.map(|_| ()).unwrap_err().code, "phone_removed");
    let stored = WatchBook::from_storage(book.to_storage()).0;
    assert_eq!(stored.removed.len(), 1, "remembered across a restart");
    // A new subscription of that browser (alarms turned off and on there) is welcome.
    book.subscribe(new_sub("https://push.example/a1-new", "acct:a:p"), "x".into(), "k".into(), T).unwrap();
}

#[test]
fn a_demo_visitor_sees_only_its_own_phones() {
    let mut book = WatchBook::default();
    for (n, session) in ["visitor-1", "visitor-2"].iter().enumerate() {
        let new = NewSubscription {
            access: Access::Owner { session: (*session).into() },
            ..new_sub(&format!("https://push.example/demo{n}"), "demo:p")
        };
        book.subscribe(new, format!("d{n}"), "k".into(), T).unwrap();
    }
    let visitor = Holder::Demo("visitor-1".into());
    assert_eq!(book.phones(&visitor).into_iter().map(|p| p.id).collect::<Vec<_>>(), ["d0"]);
    assert_eq!(book.remove_phone(&visitor, "d1", T).unwrap_err().code, "push_not_found");
    assert!(!format!("{visitor:?}").contains("visitor-1"));
}

#[test]
fn a_phones_device_and_last_delivery_are_kept_and_stored_as_before_when_unknown() {
    let mut book = book_with(&[("e1", "g")]);
    let plain = wire::encode(&book.subs["id0"]);
    assert!(!plain.contains("device") && !plain.contains("delivered"), "{plain}");
    book.subs.get_mut("id0").unwrap().device = "Chrome on Android".into();
    let message = test_message(&book.subs["id0"], "Lee", T);
    book.delivered(&message, Delivery::Accepted, T + 5);
    let sub: Subscription = wire::decode(&wire::encode(&book.subs["id0"])).unwrap();
    assert_eq!((sub.device.as_str(), sub.delivered), ("Chrome on Android", Some(T + 5)));
    assert_eq!(book.phones(&Holder::Account("x".into())).len(), 0);
}

#[test]
fn after_an_interruption_every_phone_is_told_from_when_to_when() {
    let mut book = book_with(&[("e1", "g"), ("e2", "other")]);
    book.subs.get_mut("id0").unwrap().config.utc_offset_min = 60;
    book.groups.get_mut("g").unwrap().name = "Lee".into();
    assert!(book.begin_tick(T) && book.begin_tick(T + 14 * MINUTE) && book.outbox.is_empty(), "a short gap");
    assert!(book.begin_tick(T + 54 * MINUTE));
    let told = book.due(T + 54 * MINUTE);
    assert_eq!(told.len(), 2, "every phone: {told:?}");
    let lee = told.iter().find(|m| m.sub == "id0").unwrap();
    assert_eq!(lee.payload.kind, "Interrupted");
    let (from, to) = (UtcTime::from_unix_secs(T + 14 * MINUTE + HOUR), UtcTime::from_unix_secs(T + 54 * MINUTE + HOUR));
    let hm = |t: UtcTime| {
        format!("{:02}:{:02}", t.unix_secs().rem_euclid(86_400) / 3600, t.unix_secs().rem_euclid(3600) / 60)
    };
    assert!(lee.payload.body.contains(&format!("Lee from {} to {}", hm(from), hm(to))), "{}", lee.payload.body);
    // A restart between ticks reads the last tick back (written at least every 10 minutes): not an interruption.
    book.outbox.clear();
    let mut storage = std::collections::BTreeMap::new();
    let mut written = Keyed::new();
    for minute in 55..=70 {
        let now = T + minute * MINUTE;
        assert!(book.begin_tick(now));
        let changes = book.changes(&written, now);
        storage.extend(changes.puts);
        written = changes.written;
    }
    let mut restarted = WatchBook::from_storage(storage).0;
    assert!(restarted.last_tick.is_some_and(|last| T + 70 * MINUTE - last < HEARTBEAT_SECS), "a stale tick");
    assert!(restarted.begin_tick(T + 71 * MINUTE));
    assert!(restarted.outbox.is_empty(), "{:?}", restarted.outbox);
}

#[test]
fn an_interruption_stays_in_the_owners_list_for_a_week_and_after_a_restart() {
    let mut book = book_with(&[("e1", "g")]);
    assert!(book.begin_tick(T) && book.begin_tick(T + 40 * MINUTE));
    let stretch = Interruption { from: T, to: T + 40 * MINUTE };
    assert_eq!(book.recent_interruptions(T + 41 * MINUTE), [stretch]);
    let stored: Vec<(String, String)> = book.changes(&Keyed::new(), T + 40 * MINUTE).puts;
    let restarted = WatchBook::from_storage(stored).0;
    assert_eq!(restarted.recent_interruptions(T + HOUR), [stretch], "it is stored with the book");
    assert!(book.recent_interruptions(T + 40 * MINUTE + KEEP_INTERRUPTIONS_SECS).is_empty(), "a week later");
    let mut now = T + 40 * MINUTE;
    for _ in 0..MAX_INTERRUPTIONS + 2 {
        now += HOUR;
        assert!(book.begin_tick(now));
    }
    let kept = book.recent_interruptions(now);
    assert_eq!(kept.len(), MAX_INTERRUPTIONS, "bounded");
    assert_eq!(kept.last(), Some(&Interruption { from: now - HOUR, to: now }), "the latest last");
}

#[test]
fn a_link_the_owner_trusts_may_acknowledge_for_everyone_when_acknowledgement_is_shared() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    let mut trusted = viewer("v1", "g", "s1");
    trusted.access = Access::Viewer { share_id: "s1".into(), from: "Alex".into(), acts_for_all: true };
    book.subscribe(trusted, "v1".into(), "vk".into(), T).unwrap();
    book.subscribe(viewer("v2", "g", "s2"), "v2".into(), "vk".into(), T).unwrap();
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "not shared: its own");
    book.groups.get_mut("g").unwrap().shared_ack = true;
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 4, "shared: every phone");
    assert_eq!(book.act("v2", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "another link: its own");
    let stored = book.subs["v1"].to_wire();
    assert_eq!(stored["access"]["viewer"]["acts_for_all"], true, "{stored}");
    assert_eq!(wire::decode::<Subscription>(&stored.to_string()).unwrap().access, book.subs["v1"].access);
    assert!(book.subs["v2"].to_wire()["access"]["viewer"].get("acts_for_all").is_none(), "stored as before");
}

/// What a tick costs in the free plan's two daily counts, for 1, 10 and 100 patient groups of 3 phones over two
/// hours of quiet minutes with a new reading each minute: Durable Object requests (one read of each group through
/// its account's hub; the cron's own request and the share book's are one each per minute, whatever the count)
/// and stored values written. The figures behind the README's "How many families one server carries".
#[test]
fn requests_and_writes_per_tick_for_1_10_and_100_groups() {
    for groups in [1_usize, 10, 100] {
        let phones: Vec<(String, String)> =
            (0..groups * 3).map(|n| (format!("https://push.example/{n}"), format!("acct:a:p{}", n / 3))).collect();
        let phones: Vec<(&str, &str)> = phones.iter().map(|(e, g)| (e.as_str(), g.as_str())).collect();
        let mut book = book_with(&phones);
        let mut written = book.changes(&Keyed::new(), T).written;
        let (mut reads, mut writes, mut pushes) = (0, 0, 0);
        for minute in 1..=120 {
            let now = T + minute * MINUTE;
            assert!(book.begin_tick(now));
            let to_read: Vec<String> = book.groups_to_read().into_iter().map(|(group, _)| group).collect();
            reads += to_read.len();
            for group in &to_read {
                book.apply(group, data(120, now), now);
            }
            let due = book.due(now);
            pushes += due.len();
            for message in &due {
                book.delivered(message, Delivery::Accepted, now);
            }
            let changes = book.changes(&written, now);
            writes += changes.puts.len() + changes.deletes.len();
            written = changes.written;
        }
        assert_eq!(reads, groups * 120, "one hub read per group per minute, {groups} groups");
        assert_eq!(pushes, 0, "a quiet patient sends nothing");
        // Each phone's first alarm state once; then each group's readings every 15 minutes (8 in two hours) and
        // the heartbeat every 10 (12, the first tick's `meta` among them): nothing more per phone.
        assert_eq!(writes, groups * 3 + groups * 8 + 12, "{groups} groups");
    }
}

#[test]
fn a_demo_visitors_phone_goes_by_itself_when_the_visit_would_have_ended() {
    let mut book =
        book_with(&[("https://push.example/visitor", "demo:p"), ("https://push.example/family", "acct:a:p")]);
    assert_eq!(book.expire_demo_phones(T + DEMO_PHONE_SECS), 0, "not before");
    assert_eq!(book.expire_demo_phones(T + DEMO_PHONE_SECS + 1), 1);
    assert_eq!(book.subs.keys().cloned().collect::<Vec<_>>(), ["id1"], "a family's phone stays however old");
}

#[test]
fn a_family_that_had_no_phone_for_a_while_was_not_interrupted() {
    let mut book = book_with(&[("e1", "g")]);
    assert!(book.begin_tick(T) && book.begin_tick(T + MINUTE));
    book.remove("id0");
    // Alarms turned on again three days later: the Watcher was out of the round meanwhile, and nobody was watched.
    let later = T + 3 * 24 * HOUR;
    book.subscribe(new_sub("e2", "g"), "id9".into(), "k".into(), later).unwrap();
    assert!(book.begin_tick(later + MINUTE));
    assert!(book.due(later + MINUTE).is_empty(), "no 'interrupted' push to a phone that just came");
    assert!(book.recent_interruptions(later + MINUTE).is_empty());
    // With a phone all along, the same gap is an interruption.
    let mut watched = book_with(&[("e1", "g")]);
    assert!(watched.begin_tick(T));
    watched.subscribe(new_sub("e2", "g"), "id9".into(), "k".into(), later).unwrap();
    assert!(watched.begin_tick(later));
    assert_eq!(watched.recent_interruptions(later).len(), 1);
}
