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

/// Signs `email` (password `pw`) in on `stack` and subscribes a phone to its first patient: the phone's inbox at the
/// fake push service and its browser keys.
async fn sign_in_and_subscribe(stack: &Stack, email: &str, name: &str) -> (String, Value) {
    let http = client();
    let login: Value = http
        .post(stack.url("/llu/auth/login"))
        .json(&json!({"email": email, "password": "pw"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: Value =
        http.get(stack.url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let patient = list["data"][0]["patientId"].as_str().unwrap().to_owned();
    let keys = push_tool(&["keys"], None);
    let inbox = format!("{name}-{}", std::process::id());
    let body = json!({
        "subscription": {"endpoint": stack.push.endpoint(&inbox), "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}},
        "patientId": patient,
        "unit": "mgdl",
    });
    let subscribed = http.post(stack.url("/api/push/subscribe")).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(subscribed.status(), StatusCode::OK);
    (inbox, keys)
}

/// What each push `inbox` received says (its `kind`), opened with the phone's `keys`.
fn kinds(stack: &Stack, inbox: &str, keys: &Value) -> Vec<String> {
    stack
        .push
        .received(inbox)
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
        .collect()
}

#[tokio::test]
async fn a_watcher_the_round_lost_ticks_by_itself_rejoins_the_round_and_the_urgent_low_goes_out() {
    let own = Stack::start_worker_only(&[("WATCHDOG_SECS", "3")]).expect("a stack of its own");
    let now = real_now();
    let email = format!("watchdog-{}@tidewatch.test", std::process::id());
    let account = Account { patients: vec![steady_patient(45, now, now + HOUR)], ..Account::new(&email, "pw") };
    own.fake.add_account(account);
    let (inbox, keys) = sign_in_and_subscribe(&own, &email, "watchdog-phone").await;

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
    let told = kinds(&own, &inbox, &keys);
    assert_eq!(told.first().map(String::as_str), Some("UrgentLow"), "{told:?}");
    assert!(until(Duration::from_secs(30), in_round).await, "the object asked to be in the round again");
}

/// The alarms' own copy of the owner's session rolls onto LibreLinkUp's newer tickets too: with tokens that last
/// 150 s, a family's phone keeps being watched past the first token's end (a read after it, none refused), and
/// nobody is told to sign in again. (Driven by the Watcher's own minute, on the real clock, as in the test above.)
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
    let (inbox, keys) = sign_in_and_subscribe(&own, &email, "rolling-phone").await;
    let signed_in = Instant::now();
    // The alarms' reads of the patient (the list every minute, the graph every 5 minutes, issue 29 item 8): one
    // that comes after the first token's end (150 s after the sign-in) shows the alarms read on.
    let reads = || {
        let calls = own.fake.calls(&email).into_iter();
        calls.filter(|c| matches!(c.kind, CallKind::Graph | CallKind::Connections)).collect::<Vec<_>>()
    };
    let token_end = Duration::from_secs(150);
    let mut before_end = usize::MAX;
    let read_on = until(Duration::from_secs(300), || {
        let ok = reads().iter().filter(|c| c.status == 200).count();
        if signed_in.elapsed() <= token_end {
            before_end = ok;
            return false;
        }
        ok > before_end
    })
    .await;
    assert!(
        read_on,
        "the alarms stopped reading after {:?}: {:?} (log: {})",
        signed_in.elapsed(),
        reads(),
        own.log.display()
    );
    assert!(reads().iter().all(|c| c.status == 200), "LibreLinkUp never refused a token: {:?}", reads());
    let told = kinds(&own, &inbox, &keys);
    assert!(!told.iter().any(|kind| kind == "SignedOut"), "nobody is told to sign in again: {told:?}");
}
