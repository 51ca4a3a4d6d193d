//! The alarm chain's health (issue 31, item 3) through the worker: each phone's service worker confirms the pushes
//! it gets (`POST /api/push/receipt`, as `sw.js` does); a phone that stops confirming is reported to the others by
//! a push and shown in the owner's list of phones, and each phone can ask when an alarm last reached it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::time::MINUTE;

use super::{Owner, client, cron, kinds, owner, owners_phone, present, stack};

#[tokio::test]
async fn a_phone_that_stops_confirming_its_alarms_is_reported_to_the_other_phones() {
    let Owner { _clock, t, account, token, patient } = owner("receipts", 45, 31 * MINUTE, 35 * MINUTE).await;
    let alex = owners_phone(&token, &patient).await;
    let sam = owners_phone(&token, &patient).await;
    // Both service workers have confirmed a push before (a test alarm, say).
    for phone in [&alex, &sam] {
        let (status, said) = present("/api/push/receipt", phone, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{said}");
    }
    let (_, status) = present("/api/push/status", &sam, json!({})).await;
    assert!(status["phone"]["received"].as_i64().is_some(), "Sam's phone knows an alarm reached it: {status}");

    // An urgent low reaches both; Alex's phone confirms it, Sam's never does (switched off).
    cron(&account, t).await;
    assert_eq!((kinds(&alex), kinds(&sam)), (vec!["UrgentLow".to_owned()], vec!["UrgentLow".to_owned()]));
    present("/api/push/receipt", &alex, json!({})).await;
    cron(&account, t + 31 * MINUTE).await;
    let told = kinds(&alex);
    assert!(told.contains(&"PhoneMissing".to_owned()), "Alex is told: {told:?}");
    assert!(!kinds(&sam).contains(&"PhoneMissing".to_owned()));

    // The owner's list shows it, on the phone that stopped.
    let list: Value =
        client().get(stack().url("/api/push/phones")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let phones = list["phones"].as_array().unwrap();
    let missing: Vec<&str> =
        phones.iter().filter(|p| p["missingSince"].is_i64()).map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(missing, [sam.id.as_str()], "{list}");

    // A receipt is the phone's own: a wrong key is refused and changes nothing; Sam's own receipt clears it.
    let (status, _) = present("/api/push/receipt", &sam, json!({"key": "0".repeat(32)})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    present("/api/push/receipt", &sam, json!({})).await;
    let list: Value =
        client().get(stack().url("/api/push/phones")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert!(list["phones"].as_array().unwrap().iter().all(|p| p["missingSince"].is_null()), "{list}");

    for phone in [&alex, &sam] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}

#[tokio::test]
async fn tonights_alarm_test_goes_silently_to_every_phone_at_its_time_and_finds_a_quiet_one() {
    let Owner { _clock, t, account, token, patient } = owner("alarm-test", 120, 30 * MINUTE, 35 * MINUTE).await;
    let alex = owners_phone(&token, &patient).await;
    let sam = owners_phone(&token, &patient).await;
    for phone in [&alex, &sam] {
        present("/api/push/receipt", phone, json!({})).await;
    }
    let set = |body: Value| {
        let token = token.clone();
        async move {
            let response = client()
                .post(stack().url("/api/push/alarm-test"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let minute = t.rem_euclid(24 * 3600) / 60;
    for wrong in [json!({"minute": 1440, "utcOffsetMin": 0}), json!("22:00"), json!({"minute": 5})] {
        let (status, said) = set(json!({"patientId": patient, "alarmTest": wrong})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}: {said}");
    }
    let (status, said) = set(json!({"patientId": patient, "alarmTest": {"minute": minute, "utcOffsetMin": 0}})).await;
    assert_eq!(status, StatusCode::OK, "{said}");

    // At its minute every phone gets it, silently; Alex's confirms, Sam's does not (its phone is off).
    cron(&account, t).await;
    for phone in [&alex, &sam] {
        let got = super::received(phone);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].payload["kind"].as_str(), got[0].payload["silent"].as_bool()),
            (Some("AlarmTest"), Some(true))
        );
    }
    present("/api/push/receipt", &alex, json!({})).await;
    // (The cron every ten minutes: a longer gap would be an interruption of the alarms, told to every phone.)
    for minutes in [10, 20, 30] {
        cron(&account, t + minutes * MINUTE).await;
    }
    assert_eq!(kinds(&alex), ["AlarmTest", "PhoneMissing"]);
    assert_eq!(kinds(&sam), ["AlarmTest"]);
    let rotas: Value =
        client().get(stack().url("/api/push/rota")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(rotas["rotas"][0]["alarm_test"], json!({"minute": minute, "utcOffsetMin": 0}), "{rotas}");

    for phone in [&alex, &sam] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}
