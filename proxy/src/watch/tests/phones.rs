//! The watch book's phones: keys, links, who may act, the owner's list, the demo's visitors.

use super::*;
use shared::code::Code;

#[test]
fn viewers_lose_alarms_only_when_the_share_book_says_their_share_is_gone() {
    let mut book = book_with(&[("https://push.example/owner", "g")]);
    for (n, share) in ["live", "quiet", "revoked", "unasked"].iter().enumerate() {
        let viewer = new_sub_with(
            &format!("https://push.example/{share}"),
            "g",
            Access::Viewer { share_id: (*share).into(), from: "Alex".into(), acts_for_all: false },
        );
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
    let viewer = new_sub_with(
        "https://push.example/viewer",
        "acct:a:p",
        Access::Viewer { share_id: "s".into(), from: "Alex".into(), acts_for_all: false },
    );
    book.subscribe(viewer, "viewer".into(), "vkey".into(), T).unwrap();
    assert_eq!(book.renew_owner("a", "sealed-new"), 1);
    let access = |id: &str| book.subs.get(id).map(|s| s.setup.access.clone());
    assert_eq!(access("id0"), Some(Access::Owner { session: "sealed-new".into() }));
    assert_eq!(access("id1"), Some(Access::Owner { session: "sealed".into() }), "another account's phone");
    assert!(matches!(access("viewer"), Some(Access::Viewer { .. })), "a viewer reads through its share");
    assert_eq!(book.renew_owner("a", "sealed-new"), 0, "nothing to save the second time");
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
    assert_eq!(full.map(|_| ()).unwrap_err().code, Code::PushFull);
    book.remove("id0");
    assert!(!book.subs.contains_key("id0"));
}

fn with_keys(endpoint: &str, group: &str, p256dh: &str, presented: Option<&str>) -> NewSubscription {
    let mut new = NewSubscription { presented_key: presented.map(Into::into), ..new_sub(endpoint, group) };
    new.setup.p256dh = p256dh.into();
    new
}

#[test]
fn a_known_endpoint_with_other_keys_is_refused_unless_its_key_is_presented() {
    let mut book = book_with(&[("https://push.example/phone", "acct:a:p")]);
    let taken =
        book.subscribe(with_keys("https://push.example/phone", "demo:p", "other", None), "x".into(), "k".into(), T);
    assert_eq!(taken.map(|_| ()).unwrap_err().code, Code::PushEndpointTaken);
    let wrong = with_keys("https://push.example/phone", "demo:p", "other", Some("key1"));
    assert!(book.subscribe(wrong, "x".into(), "k".into(), T).is_err());
    let phone = book.subs.get("id0").unwrap();
    assert_eq!((phone.setup.p256dh.as_str(), phone.setup.group.as_str()), ("p", "acct:a:p"), "nothing changed");
    let renewed = with_keys("https://push.example/phone", "acct:a:p", "new", Some("key0"));
    let sub = book.subscribe(renewed, "x".into(), "k".into(), T).unwrap();
    assert_eq!((sub.id.as_str(), sub.setup.p256dh.as_str()), ("id0", "new"), "the phone's own key renews its keys");
}

fn viewer(endpoint: &str, group: &str, share: &str) -> NewSubscription {
    new_sub_with(endpoint, group, Access::Viewer { share_id: share.into(), from: "Alex".into(), acts_for_all: false })
}

#[test]
fn a_links_acknowledgement_never_silences_the_familys_phones() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    book.subscribe(viewer("v1", "g", "s1"), "v1".into(), "vk".into(), T).unwrap();
    book.groups.get_mut("g").unwrap().shared_ack = true;
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "the link's own phone");
    assert_eq!(book.act("v1", AlarmKind::Low, Action::Snooze(60), T).unwrap(), 1);
    let at = UtcTime::from_unix_secs(T);
    assert!(book.subs.get("id0").unwrap().state.snoozed_until(AlarmKind::Low, at).is_none());
    assert!(book.subs.get("v1").unwrap().state.snoozed_until(AlarmKind::Low, at).is_some());
    assert_eq!(book.act("id0", AlarmKind::Low, Action::Snooze(30), T).unwrap(), 3, "the owner's reaches all");
}

#[test]
fn links_cannot_fill_a_patients_phones_and_a_revoked_links_phones_go_at_once() {
    let mut book = book_with(&[("owner", "g")]);
    for n in 0..MAX_PER_SHARE {
        book.subscribe(viewer(&format!("a{n}"), "g", "s1"), format!("a{n}"), "k".into(), T).unwrap();
    }
    let sixth = book.subscribe(viewer("a-more", "g", "s1"), "a-more".into(), "k".into(), T);
    assert_eq!(sixth.map(|_| ()).unwrap_err().code, Code::PushFull, "one link's phones are capped");
    // More links fill the group up to the owner's reserved places.
    for n in MAX_PER_SHARE..MAX_PER_GROUP - OWNER_RESERVED {
        let share = format!("s{}", 2 + n / MAX_PER_SHARE);
        book.subscribe(viewer(&format!("b{n}"), "g", &share), format!("b{n}"), "k".into(), T).unwrap();
    }
    let full = book.subscribe(viewer("c", "g", "s99"), "c".into(), "k".into(), T);
    assert_eq!(full.map(|_| ()).unwrap_err().code, Code::PushFull, "links leave the owner's places free");
    // A phone first subscribed elsewhere (the demo) cannot move in through a link past the caps either, and
    // a refused request changes nothing.
    book.subscribe(new_sub("elsewhere", "demo:p"), "e".into(), "k".into(), T).unwrap();
    let moved = NewSubscription { shared_ack: Some(true), ..viewer("elsewhere", "g", "s1") };
    assert_eq!(book.subscribe(moved, "x".into(), "k".into(), T).map(|_| ()).unwrap_err().code, Code::PushFull);
    assert_eq!(book.subs.get("e").unwrap().setup.group, "demo:p");
    assert!(!book.groups.get("g").unwrap().shared_ack);
    book.subscribe(new_sub("owner2", "g"), "o2".into(), "k".into(), T).unwrap();
    assert_eq!(book.forget_share("s1"), MAX_PER_SHARE);
    assert!(book.subs.values().all(|s| s.setup.access.share_id() != Some("s1")));
    assert!(book.subs.contains_key("id0") && book.subs.contains_key("o2"));
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
    assert_eq!(book.remove_phone(&mine, "id1", T).unwrap_err().code, Code::PushNotFound, "another account's");
    book.remove_phone(&mine, "id0", T).unwrap();
    assert_eq!(ids(&book, &mine), ["v1"]);
    // Signing in again renews what is there; the removed phone cannot come back with its old subscription.
    assert_eq!(book.renew_owner("a", "sealed-new"), 0);
    let again = book.subscribe(new_sub("https://push.example/a1", "acct:a:p"), "x".into(), "k".into(), T);
    assert_eq!(again.map(|_| ()).unwrap_err().code, Code::PhoneRemoved);
    let stored = WatchBook::from_storage(book.to_storage()).0;
    assert_eq!(stored.removed.len(), 1, "remembered across a restart");
    // A new subscription of that browser (alarms turned off and on there) is welcome.
    book.subscribe(new_sub("https://push.example/a1-new", "acct:a:p"), "x".into(), "k".into(), T).unwrap();
}

#[test]
fn a_demo_visitor_sees_only_its_own_phones() {
    let mut book = WatchBook::default();
    for (n, session) in ["visitor-1", "visitor-2"].iter().enumerate() {
        let new = new_sub_with(
            &format!("https://push.example/demo{n}"),
            "demo:p",
            Access::Owner { session: (*session).into() },
        );
        book.subscribe(new, format!("d{n}"), "k".into(), T).unwrap();
    }
    let visitor = Holder::Demo("visitor-1".into());
    assert_eq!(book.phones(&visitor).into_iter().map(|p| p.id).collect::<Vec<_>>(), ["d0"]);
    assert_eq!(book.remove_phone(&visitor, "d1", T).unwrap_err().code, Code::PushNotFound);
    assert!(!format!("{visitor:?}").contains("visitor-1"));
}

#[test]
fn a_phones_device_and_last_delivery_are_kept_and_stored_as_before_when_unknown() {
    let mut book = book_with(&[("e1", "g")]);
    let plain = wire::to_json(book.subs.get("id0").unwrap());
    assert!(!plain.contains("device") && !plain.contains("delivered"), "{plain}");
    book.subs.get_mut("id0").unwrap().device = "Chrome on Android".into();
    let message = test_message(book.subs.get("id0").unwrap(), "Lee", T);
    book.delivered(&message, Delivery::Accepted, T + 5);
    let sub: Subscription = wire::from_json(&wire::to_json(book.subs.get("id0").unwrap())).unwrap();
    assert_eq!((sub.device.as_str(), sub.delivered), ("Chrome on Android", Some(T + 5)));
    assert_eq!(book.phones(&Holder::Account("x".into())).len(), 0);
}

#[test]
fn a_link_the_owner_trusts_may_acknowledge_for_everyone_when_acknowledgement_is_shared() {
    let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
    let mut trusted = viewer("v1", "g", "s1");
    trusted.setup.access = Access::Viewer { share_id: "s1".into(), from: "Alex".into(), acts_for_all: true };
    book.subscribe(trusted, "v1".into(), "vk".into(), T).unwrap();
    book.subscribe(viewer("v2", "g", "s2"), "v2".into(), "vk".into(), T).unwrap();
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "not shared: its own");
    book.groups.get_mut("g").unwrap().shared_ack = true;
    assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 4, "shared: every phone");
    assert_eq!(book.act("v2", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "another link: its own");
    let stored = wire::to_value(book.subs.get("v1").unwrap());
    assert_eq!(stored["access"]["viewer"]["acts_for_all"], true, "{stored}");
    assert_eq!(
        wire::from_json::<Subscription>(&stored.to_string()).unwrap().setup.access,
        book.subs.get("v1").unwrap().setup.access
    );
    assert!(
        wire::to_value(book.subs.get("v2").unwrap())["access"]["viewer"].get("acts_for_all").is_none(),
        "stored as before"
    );
}

#[test]
fn a_demo_visitors_phone_goes_by_itself_when_the_visit_would_have_ended() {
    let mut book =
        book_with(&[("https://push.example/visitor", "demo:p"), ("https://push.example/family", "acct:a:p")]);
    assert_eq!(book.expire_demo_phones(T + DEMO_PHONE_SECS), 0, "not before");
    assert_eq!(book.expire_demo_phones(T + DEMO_PHONE_SECS + 1), 1);
    assert_eq!(book.subs.keys().cloned().collect::<Vec<_>>(), ["id1"], "a family's phone stays however old");
}
