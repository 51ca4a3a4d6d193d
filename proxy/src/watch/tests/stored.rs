//! The watch book in storage: what comes back, what a save writes, interruptions told after a restart.

use super::*;

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
    assert!(!book.outbox.is_empty() && !book.groups.get("g").unwrap().series.as_slice().is_empty());
    let stored = book.to_storage();
    // This book as the build before the hand-written JSON stored it (serde's derive): it reads back whole,
    // and what is written now is the same JSON.
    let earlier: std::collections::BTreeMap<String, String> =
        serde_json::from_str(include_str!("../../../tests/data/stored_watch_book.json")).unwrap();
    assert_eq!(WatchBook::from_storage(earlier.clone()), (book.clone(), vec![]));
    assert_eq!(earlier.keys().collect::<Vec<_>>(), stored.keys().collect::<Vec<_>>());
    for (key, text) in &earlier {
        assert_eq!(wire::parse(text), wire::parse(stored.get(key.as_str()).unwrap()), "{key}");
    }
    assert_eq!(stored.keys().collect::<Vec<_>>(), ["meta", "series:g", "sub:id0", "sub:id1", "sub:id2"]);
    assert!(!stored.get("meta").unwrap().contains("\"mgdl\""), "readings are stored once, under series:");
    assert!(stored.get("series:g").unwrap().contains("\"mgdl\""));
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
fn after_an_interruption_every_phone_is_told_from_when_to_when() {
    let mut book = book_with(&[("e1", "g"), ("e2", "other")]);
    book.subs.get_mut("id0").unwrap().setup.config.utc_offset_min = 60;
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

/// A save that stored only some of its values (a write that failed part way, were the runtime's batches of one
/// write ever not atomic) loses no alarm: what storage holds reads back whole, and every phone either has its
/// alarm's new state stored (its push left that minute, from memory: pushes go out even when storing failed) or is
/// alarmed again the next minute. Whichever values were stored, in either order.
#[test]
fn a_save_that_stored_only_some_of_its_values_loses_no_alarm() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    let first = book.changes(&Keyed::new(), T);
    let sent = tick(&mut book, "g", data(45, T + MINUTE), T + MINUTE);
    let kinds = |sent: &[Message]| sent.iter().map(|m| (m.sub.clone(), m.topic.clone())).collect::<Vec<_>>();
    assert_eq!(kinds(&sent), [("id0".into(), "UrgentLow".into()), ("id1".into(), "UrgentLow".into())]);
    let changes = book.changes(&first.written, T + MINUTE);
    assert!(changes.puts.len() >= 3, "the phones' states and the book's meta: {changes:?}");
    for reversed in [false, true] {
        let mut order = changes.puts.clone();
        if reversed {
            order.reverse();
        }
        for stored_part in 0..=order.len() {
            let mut storage: std::collections::BTreeMap<String, String> = first.puts.iter().cloned().collect();
            storage.extend(order.iter().take(stored_part).cloned());
            let (mut again, unreadable) = WatchBook::from_storage(storage.clone());
            assert!(unreadable.is_empty() && again.subs.len() == 2, "read back whole: {unreadable:?}");
            let next = kinds(&tick(&mut again, "g", data(45, T + 2 * MINUTE), T + 2 * MINUTE));
            for id in ["id0", "id1"] {
                let state_stored = order.iter().take(stored_part).any(|(key, _)| *key == format!("sub:{id}"));
                let alarmed_again = next.contains(&(id.to_owned(), "UrgentLow".to_owned()));
                assert!(
                    state_stored || alarmed_again,
                    "{id} lost its alarm with {stored_part} of {} values stored (reversed: {reversed})",
                    order.len()
                );
            }
        }
    }
}
