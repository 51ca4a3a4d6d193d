//! The hub's rules and messages, tested natively.

use super::*;
use shared::code::Code;

#[test]
fn object_names_hide_the_email_and_ignore_case() {
    let name = login_object(" Parent@Example.com ");
    assert_eq!(name, login_object("parent@example.com"));
    assert!(!name.contains("example"), "{name}");
    assert_eq!(account_object("abc"), "acct:abc");
}

#[test]
fn only_waits_llu_asks_for_impose_a_hold() {
    use shared::llu::Outcome;
    for outcome in [
        Outcome::Locked { retry_after_secs: 300 },
        Outcome::RateLimited { retry_after_secs: 30 },
        Outcome::Maintenance,
        Outcome::EdgeBlocked,
    ] {
        assert!(Hold::imposed(0.0, &ApiError::from_outcome(&outcome), None).is_some(), "{outcome:?}");
    }
    for outcome in [Outcome::Unavailable { http_status: 502 }, Outcome::BadCredentials, Outcome::PatientNotFound] {
        assert!(Hold::imposed(0.0, &ApiError::from_outcome(&outcome), None).is_none(), "{outcome:?}");
    }
    assert!(Hold::imposed(0.0, &ApiError::upstream_unreachable(), None).is_none());
}

#[test]
fn a_hold_counts_down_and_ends() {
    let hold = Hold::new(1_000.0, 60, ApiError::login_paused(60));
    assert_eq!(hold.active(1_000.0).unwrap().retry_after_secs, Some(60));
    assert_eq!(hold.active(31_500.0).unwrap().retry_after_secs, Some(30));
    assert!(hold.active(61_000.0).is_none());
}

#[test]
fn hub_messages_round_trip_as_json() {
    let request = HubRequest::Read {
        data: Data::Graph("p".into()),
        token: "t".into(),
        region: Region::Eu2,
        account_id: "a".into(),
        at_ms: Some(1.0),
        presented: Some(Presented { id: "s1".into(), signed_in_ms: 9 }),
        opened: true,
    };
    let text = wire::to_json(&request);
    assert!(text.contains(r#""region":"eu2""#), "{text}");
    let Some(HubRequest::Read { data, token, region, account_id, at_ms, presented, opened }) = wire::from_json(&text)
    else {
        panic!("{text}")
    };
    assert_eq!(
        (data, token.as_str(), region, account_id.as_str(), at_ms, presented.map(|p| p.signed_in_ms), opened),
        (Data::Graph("p".into()), "t", Region::Eu2, "a", Some(1.0), Some(9), true)
    );
    // An earlier build's read (no `opened`) is still understood.
    let earlier = text.replace(r#","opened":true"#, "");
    assert!(matches!(wire::from_json(&earlier), Some(HubRequest::Read { opened: false, .. })), "{earlier}");
    let sign_out =
        HubRequest::SignOut { presented: Presented { id: "s2".into(), signed_in_ms: 3 }, until: 44, everywhere: true };
    assert!(matches!(
        wire::from_json(&wire::to_json(&sign_out)),
        Some(HubRequest::SignOut { presented, until: 44, everywhere: true }) if presented.id == "s2"
    ));
    let check = HubRequest::Check(Presented { id: "s3".into(), signed_in_ms: 4 });
    assert!(matches!(wire::from_json(&wire::to_json(&check)), Some(HubRequest::Check(p)) if p.id == "s3"));
    let login = wire::to_json(&HubRequest::Login { email: "e@x".into(), password: "p\"w".into(), entry: Region::Ru });
    assert!(
        matches!(wire::from_json(&login), Some(HubRequest::Login { email, password, entry: Region::Ru }) if email == "e@x" && password == "p\"w")
    );
    for data in [Data::Connections, Data::Logbook("q".into())] {
        assert_eq!(wire::from_json::<Data>(&wire::to_json(&data)), Some(data));
    }
    let kept = KeptSignIn { email: "e@x".into(), password: "p\"w".into(), entry: Region::Cn };
    for keep in [Some(kept), None] {
        let request = wire::to_json(&HubRequest::Keep(keep.clone()));
        assert!(matches!(wire::from_json(&request), Some(HubRequest::Keep(k)) if k == keep), "{request}");
    }
    for version in [None, Some("4.18.3".to_owned())] {
        let request = wire::to_json(&HubRequest::Version(version.clone()));
        assert!(matches!(wire::from_json(&request), Some(HubRequest::Version(v)) if v == version), "{request}");
        let answer = wire::to_json(&HubAnswer::Version(version.clone()));
        assert!(matches!(wire::from_json(&answer), Some(HubAnswer::Version(v)) if v == version), "{answer}");
    }
    let admit = wire::to_json(&HubRequest::Admit { limit: 20 });
    assert!(matches!(wire::from_json(&admit), Some(HubRequest::Admit { limit: 20 })), "{admit}");
    assert!(matches!(wire::from_json(&wire::to_json(&HubAnswer::Admitted)), Some(HubAnswer::Admitted)));
    assert_ne!(client_object("203.0.113.7"), client_object("203.0.113.8"));
    assert!(!client_object("203.0.113.7").contains("203"), "the address itself is not kept");
    let answer = HubAnswer::Error(ApiError::login_paused(5));
    assert!(
        matches!(wire::from_json(&wire::to_json(&answer)), Some(HubAnswer::Error(e)) if e.code == Code::LoginPaused)
    );
    let ticket = Some(shared::llu::Ticket { token: "jwt".into(), expires: 9, duration: 1_000 });
    let answer = HubAnswer::Data { body: serde_json::json!({"status": 0, "data": [1]}), age_secs: 7, ticket };
    assert!(
        matches!(wire::from_json(&wire::to_json(&answer)), Some(HubAnswer::Data { body, age_secs: 7, ticket: Some(t) }) if body["data"][0] == 1 && t.expires == 9)
    );
    for junk in ["", "{", r#"{"read":{}}"#, r#"{"sing":1}"#, r#"{"data":{"body":1,"age_secs":-1}}"#, "[1]"] {
        assert!(
            wire::from_json::<HubAnswer>(junk).is_none() && wire::from_json::<HubRequest>(junk).is_none(),
            "{junk}"
        );
    }
}

/// A hub of the build before and a worker of this one (or the other way round, during a deploy) understand each
/// other: every request and answer is the JSON the hand-written codec of earlier builds wrote, and reads back.
#[test]
fn hub_messages_are_the_json_earlier_builds_wrote() {
    let presented = Presented { id: "sid".into(), signed_in_ms: 1_700_000_000_000 };
    let ticket = shared::llu::Ticket { token: "tok".into(), expires: 1_800_000_000, duration: 15_552_000_000 };
    let read = |data| HubRequest::Read {
        data,
        token: "tok".into(),
        region: Region::Eu,
        account_id: "acc".into(),
        at_ms: None,
        presented: None,
        opened: false,
    };
    let requests = [
        HubRequest::Login { email: "a@b.c".into(), password: "pw".into(), entry: Region::Global },
        HubRequest::Keep(Some(KeptSignIn { email: "a@b.c".into(), password: "pw".into(), entry: Region::Global })),
        HubRequest::Keep(None),
        HubRequest::Admit { limit: 5 },
        HubRequest::ShareMiss { limit: 20, window_secs: 600 },
        HubRequest::Version(Some("4.16.0".into())),
        HubRequest::Version(None),
        HubRequest::Report { region: "eu".into(), code: "success".into() },
        HubRequest::Health,
        HubRequest::Read {
            data: Data::Graph("pid".into()),
            token: "tok".into(),
            region: Region::Eu,
            account_id: "acc".into(),
            at_ms: Some(1.7e12),
            presented: Some(presented.clone()),
            opened: true,
        },
        read(Data::Connections),
        read(Data::Logbook("pid".into())),
        HubRequest::Check(presented.clone()),
        HubRequest::SignOut { presented: presented.clone(), until: 1_800_000_000, everywhere: true },
    ];
    let requests_before = [
        r#"{"login":{"email":"a@b.c","entry":"global","password":"pw"}}"#,
        r#"{"keep":{"email":"a@b.c","entry":"global","password":"pw"}}"#,
        r#"{"keep":null}"#,
        r#"{"admit":{"limit":5}}"#,
        r#"{"share_miss":{"limit":20,"window_secs":600}}"#,
        r#"{"version":"4.16.0"}"#,
        r#"{"version":null}"#,
        r#"{"report":{"code":"success","region":"eu"}}"#,
        r#""health""#,
        r#"{"read":{"account_id":"acc","at_ms":1700000000000.0,"data":{"graph":"pid"},"opened":true,"presented":{"id":"sid","signed_in_ms":1700000000000},"region":"eu","token":"tok"}}"#,
        r#"{"read":{"account_id":"acc","at_ms":null,"data":"connections","opened":false,"presented":null,"region":"eu","token":"tok"}}"#,
        r#"{"read":{"account_id":"acc","at_ms":null,"data":{"logbook":"pid"},"opened":false,"presented":null,"region":"eu","token":"tok"}}"#,
        r#"{"check":{"id":"sid","signed_in_ms":1700000000000}}"#,
        r#"{"signout":{"everywhere":true,"presented":{"id":"sid","signed_in_ms":1700000000000},"until":1800000000}}"#,
    ];
    for (request, before) in requests.iter().zip(requests_before) {
        crate::golden::writes_and_reads(request, before);
    }
    let success = crate::upstream::SignIn::Success {
        region: Region::Eu2,
        user_id: "u".into(),
        ticket: ticket.clone(),
        body: serde_json::json!({"status": 0}),
    };
    let table: health::Table = wire::from_json(r#"{"eu": {"ok": 1.0, "error": null}}"#).unwrap();
    let answers = [
        HubAnswer::Data {
            body: serde_json::json!({"status": 0, "data": []}),
            age_secs: 12,
            ticket: Some(ticket.clone()),
        },
        HubAnswer::Data { body: serde_json::json!({"status": 0}), age_secs: 0, ticket: None },
        HubAnswer::SignIn(success),
        HubAnswer::Admitted,
        HubAnswer::Version(Some("4.16.0".into())),
        HubAnswer::Version(None),
        HubAnswer::Health { table, adopted: Some("4.16.0".into()) },
        HubAnswer::Error(ApiError::login_paused(42)),
    ];
    let answers_before = [
        r#"{"data":{"age_secs":12,"body":{"data":[],"status":0},"ticket":{"duration":15552000000,"expires":1800000000,"token":"tok"}}}"#,
        r#"{"data":{"age_secs":0,"body":{"status":0},"ticket":null}}"#,
        r#"{"signin":{"success":{"body":{"status":0},"region":"eu2","ticket":{"duration":15552000000,"expires":1800000000,"token":"tok"},"user_id":"u"}}}"#,
        r#""admitted""#,
        r#"{"version":"4.16.0"}"#,
        r#"{"version":null}"#,
        r#"{"health":{"adopted":"4.16.0","table":{"eu":{"error":null,"ok":1.0}}}}"#,
        r#"{"error":{"code":"login_paused","http":429,"llu_status":429,"message":"Wait before trying again: LibreLinkUp locks the account after 3 wrong passwords in a minute.","retry_after_secs":42}}"#,
    ];
    for (answer, before) in answers.iter().zip(answers_before) {
        crate::golden::writes_and_reads(answer, before);
    }
    let step = crate::upstream::SignIn::Step {
        region: Region::Us,
        kind: shared::llu::StepKind::Other("newThing".into()),
        ticket: None,
        body: serde_json::json!({}),
    };
    let before = r#"{"step":{"body":{},"kind":"newThing","region":"us","ticket":null}}"#;
    assert_eq!(wire::to_value(&step), wire::parse(before).unwrap());
    // The sign-in a family kept for the alarms, sealed in the account's `Hub` by an earlier build.
    let kept = KeptSignIn { email: "a@b.c".into(), password: "pw".into(), entry: Region::Ru };
    let stored = r#"{"email":"a@b.c","entry":"ru","password":"pw"}"#;
    assert_eq!(wire::to_value(&kept), wire::parse(stored).unwrap());
    assert_eq!(wire::from_json::<KeptSignIn>(stored), Some(kept));
}
