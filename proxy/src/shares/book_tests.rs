//! The share book's tests.

use super::sample::{NOW, book, share};
use super::*;
use shared::code::Code;

#[test]
fn opens_by_either_hash_and_notes_last_use_once_a_minute() {
    let mut book = book();
    let (opened, touched) = book.open(&Key::Sha256("AAAA".into()), NOW + 5).unwrap();
    assert_eq!((opened.id.as_str(), touched, opened.last_used), ("a1", true, Some(NOW + 5)));
    assert!(!book.open(&Key::Sha256("aaaa".into()), NOW + 30).unwrap().1);
    assert!(book.open(&Key::Sha256("aaaa".into()), NOW + 65).unwrap().1);
    assert_eq!(book.open(&Key::NightscoutSha1("sha1-bbbb".into()), NOW).unwrap().0.id, "b1");
}

#[test]
fn a_links_nightscout_token_opens_only_the_nightscout_reads() {
    let mut book = book();
    let token = Hashes { sha256: "nnnn".into(), sha1: "sha1-nnnn".into() };
    book.create(Share { nightscout: Some(token), ..share("c1", "owner-c", "cccc") }, NOW).unwrap();
    assert_eq!(book.open(&Key::NightscoutSha256("nnnn".into()), NOW).unwrap().0.id, "c1");
    assert_eq!(book.open(&Key::NightscoutSha1("sha1-nnnn".into()), NOW).unwrap().0.id, "c1");
    assert_eq!(book.open(&Key::Sha256("cccc".into()), NOW).unwrap().0.id, "c1", "the link opens the page");
    // The token is not the link (no page, no phones), and the link's secret no longer reads Nightscout.
    let gone = |key: Key, book: &mut Book| book.open(&key, NOW).unwrap_err().code;
    assert_eq!(gone(Key::Sha256("nnnn".into()), &mut book), Code::ShareGone);
    assert_eq!(gone(Key::NightscoutSha256("cccc".into()), &mut book), Code::ShareGone);
    assert_eq!(gone(Key::NightscoutSha1("sha1-cccc".into()), &mut book), Code::ShareGone);
    // A link made before links had a token keeps its Nightscout URL working.
    assert_eq!(book.open(&Key::NightscoutSha256("aaaa".into()), NOW).unwrap().0.id, "a1");
    // Revoking the link ends the token too.
    book.revoke("owner-c", "c1", NOW + 1).unwrap();
    assert_eq!(gone(Key::NightscoutSha256("nnnn".into()), &mut book), Code::ShareGone);
}

#[test]
fn unknown_revoked_and_expired_answer_the_same() {
    let mut book = book();
    book.revoke("owner-a", "a1", NOW + 1).unwrap();
    let revoked = book.open(&Key::Sha256("aaaa".into()), NOW + 2).unwrap_err();
    let unknown = book.open(&Key::Sha256("cccc".into()), NOW + 2).unwrap_err();
    let expires = NOW + DEFAULT_DAYS * 86_400;
    assert!(book.open(&Key::Sha256("bbbb".into()), expires - 1).is_ok());
    let expired = book.open(&Key::Sha256("bbbb".into()), expires).unwrap_err();
    assert_eq!(revoked, unknown);
    assert_eq!(expired, unknown);
    assert_eq!((unknown.http, unknown.code.as_str()), (410, "share_gone"));
    let states: Vec<ShareState> = book.list("owner-a", expires).iter().map(|s| s.state).collect();
    assert_eq!(states, [ShareState::Revoked]);
    assert_eq!(book.list("owner-b", expires)[0].state, ShareState::Expired);
}

#[test]
fn only_the_owner_revokes_and_lists() {
    let mut book = book();
    assert_eq!(book.revoke("owner-b", "a1", NOW).unwrap_err().code, Code::ShareNotFound);
    assert!(book.list("owner-b", NOW).iter().all(|s| s.id == "b1"));
    let listed = wire::to_json(&book.list("owner-a", NOW));
    assert!(!listed.contains("aaaa") && !listed.contains("sealed"), "{listed}");
}

#[test]
fn a_refused_session_marks_its_shares_until_the_owner_signs_in_again() {
    let mut book = book();
    book.create(share("a2", "owner-a", "dddd"), NOW).unwrap();
    assert!(book.signed_out("a1"));
    let states: Vec<ShareState> = book.list("owner-a", NOW).iter().map(|s| s.state).collect();
    assert_eq!(states, [ShareState::OwnerSignedOut, ShareState::OwnerSignedOut]);
    assert_eq!(book.list("owner-b", NOW)[0].state, ShareState::Active);
    let (opened, _) = book.open(&Key::Sha256("aaaa".into()), NOW).unwrap();
    assert!(opened.owner_signed_out, "the viewer is told to ask the owner");
    assert!(book.renew("owner-a", "sealed-new"));
    assert!(
        book.shares.iter().filter(|s| s.owner == "owner-a").all(|s| s.session == "sealed-new" && !s.owner_signed_out)
    );
}

#[test]
fn a_share_keeps_its_phones_while_its_owner_is_signed_out_but_not_once_it_ends() {
    let mut book = book();
    book.create(share("c1", "owner-c", "cccc"), NOW).unwrap();
    book.revoke("owner-b", "b1", NOW).unwrap();
    assert!(book.signed_out("a1"));
    let ids: Vec<String> = ["a1", "b1", "c1", "gone"].iter().map(|id| (*id).to_owned()).collect();
    let found = book.sessions(&ids, NOW + 1);
    assert_eq!(
        found,
        [
            ("a1".to_owned(), Some(("sealed-owner-a".to_owned(), true))),
            ("b1".to_owned(), None),
            ("c1".to_owned(), Some(("sealed-owner-c".to_owned(), true))),
            ("gone".to_owned(), None),
        ]
    );
    let expired = book.sessions(&ids, NOW + DEFAULT_DAYS * 86_400);
    assert!(expired.iter().all(|(_, found)| found.is_none()), "{expired:?}");
}

#[test]
fn live_shares_are_capped_and_old_ended_ones_pruned() {
    let mut book = Book::default();
    for i in 0..MAX_LIVE_SHARES {
        book.create(share(&format!("s{i}"), "o", &format!("h{i}")), NOW).unwrap();
    }
    assert_eq!(book.create(share("x", "o", "hx"), NOW).unwrap_err().code, Code::TooManyShares);
    book.revoke("o", "s0", NOW).unwrap();
    book.create(share("x", "o", "hx"), NOW).unwrap();
    book.create(share("y", "other", "hy"), NOW + KEEP_ENDED_SECS + 1).unwrap();
    assert!(!book.shares.iter().any(|s| s.id == "s0"), "revoked more than 30 days ago: dropped");
}

/// The book as serde's derive stored it before the hand-written JSON: it must read back whole.
pub const EARLIER_BOOK: &str = r#"{"shares":[{"id":"a1","sha256":"aaaa","sha1":"sha1-aaaa","owner":"owner-a","session":"sealed-owner-a","patient_id":"p","label":"Grandma «Oma» 👵 \"G\"","from":"Alex","alarms":true,"created":1800000000,"expires":1802592000,"revoked":null,"last_used":1800000060,"owner_signed_out":false},{"id":"b1","sha256":"bbbb","sha1":"sha1-bbbb","owner":"owner-b","session":"sealed-owner-b","patient_id":"p","label":"Grandma","from":"Alex","alarms":true,"created":1800000000,"expires":1802592000,"revoked":1800000001,"last_used":null,"owner_signed_out":true}]}"#;

#[test]
fn the_stored_book_reads_what_earlier_builds_wrote_and_writes_it_back_the_same() {
    let mut a1 = share("a1", "owner-a", "aaaa");
    a1.label = "Grandma «Oma» 👵 \"G\"".into();
    a1.last_used = Some(NOW + 60);
    let mut b1 = share("b1", "owner-b", "bbbb");
    b1.revoked = Some(NOW + 1);
    b1.owner_signed_out = true;
    let book: Book = wire::from_json(EARLIER_BOOK).unwrap();
    assert_eq!(book.shares, [a1, b1]);
    let again: Book = wire::from_json(&wire::to_json(&book)).unwrap();
    assert_eq!(again.shares, book.shares);
    assert_eq!(wire::parse(&wire::to_json(&book)), wire::parse(EARLIER_BOOK), "the same JSON, up to key order");
    let no_options = EARLIER_BOOK.replace(r#""revoked":null,"#, "");
    assert!(wire::from_json::<Book>(&no_options).is_some(), "an absent option is None");
    assert!(wire::from_json::<Book>(&EARLIER_BOOK.replace(r#""alarms":true"#, r#""alarms":1"#)).is_none());
}

#[test]
fn constant_time_eq_compares_whole_slices() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}

#[test]
fn a_change_writes_only_the_shares_it_touched() {
    let mut book = Book::new((0..2000).map(|i| share(&format!("s{i}"), &format!("o{i}"), &format!("h{i}"))).collect());
    assert_eq!(book.take_writes(), (vec![], vec![]), "reading the book writes nothing");
    book.revoke("o7", "s7", NOW + 1).unwrap();
    let (puts, deletes) = book.take_writes();
    assert_eq!((puts.len(), deletes.len()), (1, 0));
    let (key, text) = &puts[0];
    assert_eq!(key, "s:s7");
    assert!(text.len() < 2048, "one share's value, whatever the book's size: {} bytes", text.len());
    assert_eq!(wire::from_json::<Share>(text).unwrap().revoked, Some(NOW + 1));

    book.open(&Key::Sha256("h8".into()), NOW + 2).unwrap();
    assert_eq!(book.take_writes().0.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["s:s8"]);
    book.open(&Key::Sha256("h8".into()), NOW + 3).unwrap();
    let _ = book.list("o8", NOW + 3);
    let _ = book.open(&Key::Sha256("nope".into()), NOW + 3);
    assert_eq!(book.take_writes(), (vec![], vec![]), "a read, a list and a miss write nothing");

    // The revoked share is pruned once it ended long ago: its key is deleted, the new share's written.
    book.create(share("new", "o7", "hnew"), NOW + KEEP_ENDED_SECS + 5).unwrap();
    let (puts, deletes) = book.take_writes();
    assert_eq!(puts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["s:new"]);
    assert!(deletes.contains(&"s:s7".to_owned()), "{deletes:?}");
}

#[test]
fn demo_links_end_with_their_visitors_and_never_crowd_out_families() {
    let mut book = book();
    for i in 0..MAX_DEMO_SHARES + 5 {
        let demo =
            Share { created: NOW + i as i64, ..share(&format!("d{i}"), &format!("demo:{i}"), &format!("dh{i}")) };
        book.create(demo, NOW + i as i64).unwrap();
    }
    let demos = book.shares.iter().filter(|s| is_demo_owner(&s.owner)).count();
    assert_eq!(demos, MAX_DEMO_SHARES, "the demo's links are capped together");
    assert!(book.shares.iter().all(|s| !["d0", "d4"].contains(&s.id.as_str())), "the oldest gave way");
    let (_, deletes) = book.take_writes();
    assert!(deletes.contains(&"s:d0".to_owned()) && !deletes.contains(&"s:d5".to_owned()));
    book.create(share("family", "owner-a", "ffff"), NOW + 300).unwrap();
    assert!(book.shares.iter().any(|s| s.id == "family"), "a family's link is never refused for the demo's");

    // A demo link that ended is dropped at the next creation, not kept for a month like a family's.
    let day = 86_400;
    book.revoke("demo:6", "d6", NOW + 400).unwrap();
    book.revoke("owner-b", "b1", NOW + 400).unwrap();
    book.create(share("later", "owner-a", "llll"), NOW + day).unwrap();
    assert!(!book.shares.iter().any(|s| s.id == "d6"), "the revoked demo link is gone");
    assert!(book.shares.iter().any(|s| s.id == "b1"), "the family's revoked link stays listed");
}

#[test]
fn a_book_stored_whole_by_an_earlier_build_is_taken_over_share_by_share() {
    let own = share("a1", "owner-a", "aaaa");
    let values = vec![
        ("s:a1".to_owned(), wire::to_json(&own)),
        ("s:broken".to_owned(), "{".to_owned()),
        ("s:elsewhere".to_owned(), wire::to_json(&share("other-id", "o", "x"))),
    ];
    let legacy: Book = wire::from_json(EARLIER_BOOK).unwrap();
    let (mut book, unreadable) = Book::from_stored(values, Some(legacy));
    assert_eq!(unreadable, ["s:broken", "s:elsewhere"], "kept in storage, not used");
    assert_eq!(book.shares.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a1", "b1"]);
    assert_eq!(book.shares[0], own, "a share already under its own key wins over the old book's copy");
    let (puts, deletes) = book.take_writes();
    assert_eq!(puts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["s:b1"]);
    assert!(deletes.is_empty());
    let (fresh, none) = Book::from_stored(puts, None);
    assert_eq!((fresh.shares.len(), none.len()), (1, 0), "what was written reads back");
}

#[test]
fn the_book_of_earlier_builds_hands_an_owners_shares_over_whole() {
    let mut legacy = book();
    legacy.create(share("a2", "owner-a", "a2a2"), NOW).unwrap();
    let _ = legacy.take_writes();
    assert_eq!(legacy.owners(), ["owner-a", "owner-b"]);
    let moving = legacy.take_owner("owner-a");
    assert_eq!(moving.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a1", "a2"]);
    assert_eq!(legacy.take_writes(), (vec![], vec!["s:a1".to_owned(), "s:a2".to_owned()]));
    assert!(legacy.take_dropped_keys().is_empty(), "a share that moves keeps its index pointers");

    let mut own = Book::default();
    own.create(share("a2", "owner-a", "newer"), NOW).unwrap();
    let _ = own.take_writes();
    own.adopt(moving);
    let (puts, deletes) = own.take_writes();
    assert_eq!((puts.len(), deletes.len()), (1, 0), "only the share it did not have: {puts:?}");
    assert_eq!(own.open(&Key::Sha256("aaaa".into()), NOW).unwrap().0.id, "a1");
    assert_eq!(own.open(&Key::Sha256("newer".into()), NOW).unwrap().0.id, "a2", "its own share is not replaced");
}

#[test]
fn a_dropped_share_leaves_no_pointer_in_the_index() {
    let mut book = Book::default();
    for n in 0..MAX_DEMO_SHARES + 1 {
        let mut demo = share(&format!("d{n}"), &format!("demo:{n}"), &format!("h{n}"));
        demo.created = NOW + n as i64;
        book.create(demo, NOW + n as i64).unwrap();
    }
    assert_eq!(book.take_dropped_keys(), ["l:h0", "n:h0", "n1:sha1-h0"], "the oldest demo link gave way");
    assert!(book.take_dropped_keys().is_empty());
}
