//! The loud channel (issue 31, item 5) through the worker, against the fakes of ntfy, Pushover and a webhook
//! (`tidewatch_tests::loud_services`): a phone sets its own channel and tests it; an urgent low nobody answers
//! reaches every channel at the rota's last rung; a channel that refuses is logged and its phone is told.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::time::MINUTE;
use tidewatch_tests::loud_services::{NTFY_PROTECTED_TOPIC, NTFY_TOKEN, PUSHOVER_APP, PUSHOVER_USER};

use super::{Owner, Phone, client, cron, kinds, owner, owners_phone, present, received, stack};

/// Sets `phone`'s loud channel: the status and the answer.
async fn set_loud(phone: &Phone, loud: Value) -> (StatusCode, Value) {
    present("/api/push/loud", phone, json!({ "loud": loud })).await
}

/// The fake's calls since `from` of `service`.
fn calls(service: &str, from: usize) -> Vec<tidewatch_tests::loud_services::LoudCall> {
    stack().loud.received().into_iter().skip(from).filter(|c| c.service == service).collect()
}

#[tokio::test]
async fn each_loud_channel_gets_what_its_service_takes_and_a_test_says_what_it_answered() {
    let Owner { _clock, token, patient, .. } = owner("loud-test", 120, 0, 60 * MINUTE).await;
    let phone = owners_phone(&token, &patient).await;
    let from = stack().loud.received().len();

    // ntfy, a protected topic with its token: priority 5, as JSON at the server's root.
    let ntfy = json!({"Ntfy": {"server": stack().loud.ntfy(), "topic": NTFY_PROTECTED_TOPIC, "token": NTFY_TOKEN}});
    assert_eq!(set_loud(&phone, ntfy).await.0, StatusCode::OK);
    let (status, said) = present("/api/push/loud/test", &phone, json!({})).await;
    assert_eq!(
        (status, said["ok"].as_bool(), said["status"].as_u64()),
        (StatusCode::OK, Some(true), Some(200)),
        "{said}"
    );
    let sent = calls("ntfy", from);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].authorization.as_deref(), Some(format!("Bearer {NTFY_TOKEN}").as_str()));
    assert_eq!(
        (sent[0].body["topic"].as_str(), sent[0].body["priority"].as_u64()),
        (Some(NTFY_PROTECTED_TOPIC), Some(5))
    );
    assert_eq!(sent[0].content_type, "application/json");

    // Pushover with a user key it does not know: the test says the service refused it.
    let wrong = json!({"Pushover": {"user": "x".repeat(30), "token": PUSHOVER_APP}});
    assert_eq!(set_loud(&phone, wrong).await.0, StatusCode::OK);
    let (_, said) = present("/api/push/loud/test", &phone, json!({})).await;
    assert_eq!((said["ok"].as_bool(), said["status"].as_u64()), (Some(false), Some(400)), "{said}");
    let right = json!({"Pushover": {"user": PUSHOVER_USER, "token": PUSHOVER_APP}});
    assert_eq!(set_loud(&phone, right).await.0, StatusCode::OK);
    let (_, said) = present("/api/push/loud/test", &phone, json!({})).await;
    assert_eq!(said["status"].as_u64(), Some(200), "{said}");
    let sent = calls("pushover", from);
    let emergency = &sent.last().unwrap().body;
    assert_eq!(
        (emergency["priority"].as_u64(), emergency["retry"].as_u64(), emergency["expire"].as_u64()),
        (Some(2), Some(60), Some(3600))
    );

    // A webhook; the phone's status names the channel, never its secret.
    let hook = json!({"Webhook": {"url": stack().loud.hook("gran"), "secret": "s3cret-value"}});
    assert_eq!(set_loud(&phone, hook).await.0, StatusCode::OK);
    let (_, said) = present("/api/push/loud/test", &phone, json!({})).await;
    assert_eq!(said["status"].as_u64(), Some(204), "{said}");
    assert_eq!(calls("hook", from).last().unwrap().authorization.as_deref(), Some("Bearer s3cret-value"));
    let (_, status) = present("/api/push/status", &phone, json!({})).await;
    let loud = &status["phone"]["loud"];
    assert!(loud["channel"].as_str().unwrap().starts_with("Webhook: 127.0.0.1:"), "{status}");
    assert_eq!(loud["lastStatus"].as_u64(), Some(204));
    assert!(!status.to_string().contains("s3cret"), "{status}");

    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn a_loud_channel_is_refused_when_hostile_or_not_the_phones_own() {
    let Owner { _clock, token, patient, .. } = owner("loud-refused", 120, 0, 60 * MINUTE).await;
    let phone = owners_phone(&token, &patient).await;
    for hostile in [
        json!({"Webhook": {"url": "https://127.0.0.1/x"}}),
        json!({"Webhook": {"url": "https://localhost/x"}}),
        json!({"Webhook": {"url": "http://hooks.example/x"}}),
        json!({"Webhook": {"url": "https://user:pw@hooks.example/x"}}),
        json!({"Webhook": {"url": "https://hooks.example\\.evil.example/x"}}),
        json!({"Ntfy": {"server": "https://ntfy.sh", "topic": "a/b"}}),
        json!({"Pushover": {"user": "short", "token": PUSHOVER_APP}}),
        json!({"Sms": {"to": "+4412345"}}),
        json!("ntfy"),
    ] {
        let (status, said) = set_loud(&phone, hostile.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{hostile}: {said}");
        assert!(said["error"]["message"].is_string(), "a clear reason: {said}");
    }
    let (status, _) = present("/api/push/loud", &phone, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "\"loud\" must be said, even as null");
    let ok = json!({"Webhook": {"url": stack().loud.hook("a")}});
    let (status, _) = present("/api/push/loud", &phone, json!({"key": "0".repeat(32), "loud": ok.clone()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another phone's key");
    let (status, _) = present("/api/push/loud/test", &phone, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no channel to test");
    // A stranger who knows only the phone's id cannot use up its allowance: its own call still goes through.
    for _ in 0..12 {
        let (status, _) = present("/api/push/loud", &phone, json!({"key": "1".repeat(32), "loud": null})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, said) = present("/api/push/loud", &phone, json!({ "loud": ok })).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    let huge = json!({"Webhook": {"url": format!("https://hooks.example/{}", "a".repeat(100_000))}});
    let response = client()
        .post(stack().url("/api/push/loud"))
        .json(&json!({"id": phone.id, "key": phone.key, "loud": huge}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn an_urgent_low_nobody_answers_reaches_the_loud_channels_at_the_last_rung_and_a_refusing_one_is_told() {
    let Owner { _clock, t, account, token, patient } = owner("loud-ladder", 45, 12 * MINUTE, 15 * MINUTE).await;
    let alex = owners_phone(&token, &patient).await;
    let sam = owners_phone(&token, &patient).await;
    let people = json!([{"phone": alex.id, "name": "Alex"}, {"phone": sam.id, "name": "Sam"}]);
    let response = client()
        .post(stack().url("/api/push/rota"))
        .bearer_auth(&token)
        .json(&json!({"patientId": patient, "rota": {"people": people}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ntfy = json!({"Ntfy": {"server": stack().loud.ntfy(), "topic": "alex-loud"}});
    assert_eq!(set_loud(&alex, ntfy).await.0, StatusCode::OK);
    // Sam's Pushover application token was revoked: Pushover refuses it.
    let revoked = json!({"Pushover": {"user": PUSHOVER_USER, "token": "r".repeat(30)}});
    assert_eq!(set_loud(&sam, revoked).await.0, StatusCode::OK);
    let from = stack().loud.received().len();

    for minute in 0..10 {
        cron(&account, t + minute * MINUTE).await;
    }
    assert!(calls("ntfy", from).is_empty() && calls("pushover", from).is_empty(), "not loud before the last rung");
    cron(&account, t + 10 * MINUTE).await;
    let loud = calls("ntfy", from);
    assert_eq!(loud.len(), 1, "Alex's ntfy at the last rung");
    assert_eq!(loud[0].body["topic"], "alex-loud");
    assert!(loud[0].body["title"].as_str().unwrap().starts_with("Urgent low: "), "{}", loud[0].body);
    assert!(loud[0].body["message"].as_str().unwrap().starts_with("No answer from Alex and Sam"), "{}", loud[0].body);
    let refused = calls("pushover", from);
    assert_eq!((refused.len(), refused.first().map(|c| c.status)), (1, Some(400)));
    // Sam is told, by a push, that the channel did not take it; Alex is not.
    assert!(kinds(&sam).contains(&"LoudFailed".to_owned()), "{:?}", kinds(&sam));
    assert!(!kinds(&alex).contains(&"LoudFailed".to_owned()));
    let told = received(&sam).into_iter().find(|p| p.payload["kind"] == "LoudFailed").unwrap();
    assert!(told.payload["body"].as_str().unwrap().contains("refused it (HTTP 400)"), "{}", told.payload);
    // The night log says both.
    let rota: Value =
        client().get(stack().url("/api/push/rota")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let whats: Vec<&str> =
        rota["rotas"][0]["log"].as_array().unwrap().iter().filter_map(|s| s["what"].as_str()).collect();
    assert!(whats.contains(&"loud") && whats.contains(&"loud_failed"), "{rota}");

    for phone in [&alex, &sam] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}
