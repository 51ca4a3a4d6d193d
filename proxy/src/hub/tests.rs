//! The hub's rules and messages, tested natively.

use super::*;
use crate::wire::Wire;
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
    let text = wire::encode(&request);
    assert!(text.contains(r#""region":"eu2""#), "{text}");
    let Some(HubRequest::Read { data, token, region, account_id, at_ms, presented, opened }) = wire::decode(&text)
    else {
        panic!("{text}")
    };
    assert_eq!(
        (data, token.as_str(), region, account_id.as_str(), at_ms, presented.map(|p| p.signed_in_ms), opened),
        (Data::Graph("p".into()), "t", Region::Eu2, "a", Some(1.0), Some(9), true)
    );
    // An earlier build's read (no `opened`) is still understood.
    let earlier = text.replace(r#","opened":true"#, "");
    assert!(matches!(wire::decode(&earlier), Some(HubRequest::Read { opened: false, .. })), "{earlier}");
    let sign_out =
        HubRequest::SignOut { presented: Presented { id: "s2".into(), signed_in_ms: 3 }, until: 44, everywhere: true };
    assert!(matches!(
        wire::decode(&wire::encode(&sign_out)),
        Some(HubRequest::SignOut { presented, until: 44, everywhere: true }) if presented.id == "s2"
    ));
    let check = HubRequest::Check(Presented { id: "s3".into(), signed_in_ms: 4 });
    assert!(matches!(wire::decode(&wire::encode(&check)), Some(HubRequest::Check(p)) if p.id == "s3"));
    let login = wire::encode(&HubRequest::Login { email: "e@x".into(), password: "p\"w".into(), entry: Region::Ru });
    assert!(
        matches!(wire::decode(&login), Some(HubRequest::Login { email, password, entry: Region::Ru }) if email == "e@x" && password == "p\"w")
    );
    for data in [Data::Connections, Data::Logbook("q".into())] {
        assert_eq!(Data::from_wire(&data.to_wire()), Some(data));
    }
    let kept = KeptSignIn { email: "e@x".into(), password: "p\"w".into(), entry: Region::Cn };
    for keep in [Some(kept), None] {
        let request = wire::encode(&HubRequest::Keep(keep.clone()));
        assert!(matches!(wire::decode(&request), Some(HubRequest::Keep(k)) if k == keep), "{request}");
    }
    for version in [None, Some("4.18.3".to_owned())] {
        let request = wire::encode(&HubRequest::Version(version.clone()));
        assert!(matches!(wire::decode(&request), Some(HubRequest::Version(v)) if v == version), "{request}");
        let answer = wire::encode(&HubAnswer::Version(version.clone()));
        assert!(matches!(wire::decode(&answer), Some(HubAnswer::Version(v)) if v == version), "{answer}");
    }
    let admit = wire::encode(&HubRequest::Admit { limit: 20 });
    assert!(matches!(wire::decode(&admit), Some(HubRequest::Admit { limit: 20 })), "{admit}");
    assert!(matches!(wire::decode(&wire::encode(&HubAnswer::Admitted)), Some(HubAnswer::Admitted)));
    assert_ne!(client_object("203.0.113.7"), client_object("203.0.113.8"));
    assert!(!client_object("203.0.113.7").contains("203"), "the address itself is not kept");
    let answer = HubAnswer::Error(ApiError::login_paused(5));
    assert!(matches!(wire::decode(&wire::encode(&answer)), Some(HubAnswer::Error(e)) if e.code == Code::LoginPaused));
    let ticket = Some(shared::llu::Ticket { token: "jwt".into(), expires: 9, duration: 1_000 });
    let answer = HubAnswer::Data { body: serde_json::json!({"status": 0, "data": [1]}), age_secs: 7, ticket };
    assert!(
        matches!(wire::decode(&wire::encode(&answer)), Some(HubAnswer::Data { body, age_secs: 7, ticket: Some(t) }) if body["data"][0] == 1 && t.expires == 9)
    );
    for junk in ["", "{", r#"{"read":{}}"#, r#"{"sing":1}"#, r#"{"data":{"body":1,"age_secs":-1}}"#, "[1]"] {
        assert!(wire::decode::<HubAnswer>(junk).is_none() && wire::decode::<HubRequest>(junk).is_none(), "{junk}");
    }
}
