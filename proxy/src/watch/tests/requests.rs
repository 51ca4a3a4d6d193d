//! The alarms' messages and what they never show, tested natively.

use shared::alarm::{AlarmConfig, AlarmKind};
use shared::units::GlucoseUnit;

use crate::watch::requests::WatchRequest;
use crate::wire;

#[test]
fn a_renewal_reaches_the_watcher_whole() {
    let renew = WatchRequest::Renew { account_id: "a".into(), session: "tw1.k.s\"".into() };
    let text = wire::to_json(&renew);
    assert!(
        matches!(wire::from_json(&text), Some(WatchRequest::Renew { account_id, session }) if account_id == "a" && session == "tw1.k.s\""),
        "{text}"
    );
    assert!(wire::from_json::<WatchRequest>(r#"{"renew":{"account_id":"a"}}"#).is_none());
}

#[test]
fn debug_output_never_shows_secrets() {
    use crate::hub::{Data, HubRequest};
    use crate::shares::Share;
    use crate::watch::{Access, NewSubscription, PhoneSetup};
    let secrets = ["SECRET-PASSWORD", "SECRET-TOKEN", "SECRET-KEY", "SECRET-P256", "SECRET-AUTH", "SECRET-SHA"];
    let new = NewSubscription {
        setup: PhoneSetup {
            endpoint: "https://fcm.googleapis.com/fcm/send/SECRET-KEY".into(),
            p256dh: "SECRET-P256".into(),
            auth: "SECRET-AUTH".into(),
            group: "g".into(),
            patient_id: "p".into(),
            access: Access::Owner { session: "SECRET-TOKEN".into() },
            config: AlarmConfig::default(),
            unit: GlucoseUnit::MgDl,
        },
        shared_ack: None,
        presented_key: Some("SECRET-KEY".into()),
        device: "Chrome on Android".into(),
        client: "203.0.113.7".into(),
    };
    let share = Share {
        id: "id".into(),
        sha256: "SECRET-SHA".into(),
        sha1: "SECRET-SHA".into(),
        nightscout: Some(crate::shares::Hashes { sha256: "SECRET-SHA".into(), sha1: "SECRET-SHA".into() }),
        owner: "o".into(),
        session: "SECRET-TOKEN".into(),
        patient_id: "p".into(),
        label: "Grandma".into(),
        from: "Alex".into(),
        alarms: true,
        acts_for_all: false,
        created: 0,
        expires: 1,
        revoked: None,
        last_used: None,
        owner_signed_out: false,
    };
    let texts = [
        format!(
            "{:?}",
            HubRequest::Login {
                email: "a@b.c".into(),
                password: "SECRET-PASSWORD".into(),
                entry: shared::llu::Region::Global
            }
        ),
        format!(
            "{:?}",
            HubRequest::Read {
                data: Data::Connections,
                token: "SECRET-TOKEN".into(),
                region: shared::llu::Region::Eu,
                account_id: "a".into(),
                at_ms: None,
                presented: None,
                opened: false,
            }
        ),
        format!(
            "{:?}",
            HubRequest::Keep(Some(crate::hub::KeptSignIn {
                email: "a@b.c".into(),
                password: "SECRET-PASSWORD".into(),
                entry: shared::llu::Region::Global,
            }))
        ),
        format!("{:?}", WatchRequest::Subscribe { new: new.clone(), id: "i".into(), key: "SECRET-KEY".into() }),
        format!(
            "{:?}",
            WatchRequest::Act { id: "i".into(), key: "SECRET-KEY".into(), kind: AlarmKind::Low, snooze_min: None }
        ),
        format!("{:?}", WatchRequest::Renew { account_id: "a".into(), session: "SECRET-TOKEN".into() }),
        format!("{:?}", crate::shares::ShareRequest::Create(share)),
        format!(
            "{:?}",
            crate::shares::ShareRequest::Open { key: crate::shares::Key::NightscoutSha1("SECRET-SHA".into()) }
        ),
        format!("{:?}", crate::shares::index::IndexRequest::Find("n1:SECRET-SHA".into())),
        format!("{:?}", crate::upstream::Answer { status: 200, headers: Vec::new(), body: b"SECRET-TOKEN".to_vec() }),
    ];
    for text in &texts {
        assert!(!secrets.iter().any(|s| text.contains(s)), "{text}");
    }
}
