//! Alarms that do not hang on the minute's round alone (issue 28, item 1): a `Watcher` with phones keeps its own
//! Durable Object alarm, so when the round stops reaching it (the cron failed, the round lost it, or the round is
//! larger than one cron invocation reaches), it ticks by itself, asks to be in the round again, and the family's
//! urgent low still goes out. On a stack of its own, with a watchdog of a few seconds and no cron run at all.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::time::HOUR;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::stored;
use tidewatch_tests::{Account, CallKind};

use super::{client, push_tool, real_now, steady_patient};

/// Waits (at most `limit`) until `done` says so; what it last said.
async fn until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    true
}

#[tokio::test]
async fn a_watcher_the_round_lost_ticks_by_itself_rejoins_the_round_and_the_urgent_low_goes_out() {
    let own = Stack::start_worker_only(&[("WATCHDOG_SECS", "3")]).expect("a stack of its own");
    let now = real_now();
    let email = format!("watchdog-{}@tidewatch.test", std::process::id());
    let account = Account { patients: vec![steady_patient(45, now, now + HOUR)], ..Account::new(&email, "pw") };
    own.fake.add_account(account);
    let http = client();
    let login: Value = http
        .post(own.url("/llu/auth/login"))
        .json(&json!({"email": email, "password": "pw"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: Value =
        http.get(own.url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let patient = list["data"][0]["patientId"].as_str().unwrap().to_owned();
    let keys = push_tool(&["keys"], None);
    let inbox = format!("watchdog-phone-{}", std::process::id());
    let body = json!({
        "subscription": {"endpoint": own.push.endpoint(&inbox), "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}},
        "patientId": patient,
        "unit": "mgdl",
    });
    let subscribed = http.post(own.url("/api/push/subscribe")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(subscribed.status(), StatusCode::OK);

    // The round loses every object (as if its storage had been lost), and no cron runs from here on.
    own.restart_with(|state| {
        for file in stored::objects(state, "Rounds") {
            let keys: Vec<String> = stored::values(state, "Rounds")
                .into_iter()
                .filter(|v| v.file == file && v.key.starts_with("o:"))
                .map(|v| v.key)
                .collect();
            stored::delete_values(&file, &keys)?;
        }
        let left = stored::values(state, "Rounds").into_iter().filter(|v| v.key.starts_with("o:watch:")).count();
        assert_eq!(left, 0, "the round has lost the family's object");
        Ok(())
    })
    .unwrap();
    let state = own.state();
    let in_round = || stored::values(&state, "Rounds").iter().any(|v| v.key.starts_with("o:watch:"));

    let arrived = until(Duration::from_secs(90), || !own.push.received(&inbox).is_empty()).await;
    assert!(arrived, "no push came: the object did not tick by itself (log: {})", own.log.display());
    let first = &own.push.received(&inbox)[0];
    let request = json!({
        "private": keys["private"],
        "auth": keys["auth"],
        "body": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &first.body),
        "authorization": first.headers.get("authorization").cloned().unwrap_or_default(),
    });
    let opened = push_tool(&["open"], Some(&request));
    let payload: Value = serde_json::from_str(opened["plaintext"].as_str().unwrap()).unwrap();
    assert_eq!(payload["kind"], "UrgentLow", "{payload}");
    assert!(until(Duration::from_secs(30), in_round).await, "the object asked to be in the round again");
}

/// The alarms' own copy of the owner's session rolls onto LibreLinkUp's newer tickets too: with tokens that last
/// 150 s, a family's phone keeps being watched well past the first token's end, and nobody is told to sign in
/// again. (Driven by the Watcher's own minute, on the real clock, as in the test above.)
#[tokio::test]
async fn the_alarms_read_on_past_the_first_tokens_end() {
    let own = Stack::start_worker_only(&[("WATCHDOG_SECS", "3")]).expect("a stack of its own");
    let now = real_now();
    let email = format!("watch-rolling-{}@tidewatch.test", std::process::id());
    let account = Account {
        patients: vec![steady_patient(120, now, now + HOUR)],
        token_secs: Some(150),
        ..Account::new(&email, "pw")
    };
    own.fake.add_account(account);
    let http = client();
    let login: Value = http
        .post(own.url("/llu/auth/login"))
        .json(&json!({"email": email, "password": "pw"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: Value =
        http.get(own.url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let patient = list["data"][0]["patientId"].as_str().unwrap().to_owned();
    let keys = push_tool(&["keys"], None);
    let inbox = format!("rolling-phone-{}", std::process::id());
    let body = json!({
        "subscription": {"endpoint": own.push.endpoint(&inbox), "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}},
        "patientId": patient,
        "unit": "mgdl",
    });
    let subscribed = http.post(own.url("/api/push/subscribe")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(subscribed.status(), StatusCode::OK);
    let signed_in = Instant::now();
    // Four minutes' reads by the alarms: the fourth is past the first token's end (150 s after the sign-in).
    let graph_reads = || own.fake.calls(&email).into_iter().filter(|c| c.kind == CallKind::Graph).collect::<Vec<_>>();
    let four = until(Duration::from_secs(300), || graph_reads().iter().filter(|c| c.status == 200).count() >= 4).await;
    assert!(
        four,
        "the alarms stopped reading after {:?}: {:?} (log: {})",
        signed_in.elapsed(),
        graph_reads(),
        own.log.display()
    );
    assert!(signed_in.elapsed() > Duration::from_secs(150), "the fourth read came after the first token's end");
    assert!(graph_reads().iter().all(|c| c.status == 200), "LibreLinkUp never refused a token: {:?}", graph_reads());
    let told: Vec<String> = own
        .push
        .received(&inbox)
        .iter()
        .map(|r| {
            let request = json!({
                "private": keys["private"],
                "auth": keys["auth"],
                "body": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &r.body),
                "authorization": r.headers.get("authorization").cloned().unwrap_or_default(),
            });
            let opened = push_tool(&["open"], Some(&request));
            let payload: Value = serde_json::from_str(opened["plaintext"].as_str().unwrap()).unwrap();
            payload["kind"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert!(!told.iter().any(|kind| kind == "SignedOut"), "nobody is told to sign in again: {told:?}");
}
