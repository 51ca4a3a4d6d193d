//! The session the alarms read with (issue 29, item 4): LibreLinkUp's tickets roll it forward while it is read, so
//! in practice it never ends; but when they stop (or, as here, LibreLinkUp issues tokens that last less than a
//! week), every phone is told a week ahead, once and without waking anyone, so nobody finds the alarms stopped.

use serde_json::json;
use shared::time::{HOUR, MINUTE};

use super::{CLOCK, cron, fresh_start, received, sign_in, stack, steady_patient, subscribe};

#[tokio::test]
async fn a_session_that_ends_within_a_week_is_said_to_every_phone_once_and_quietly() {
    let mut clock = CLOCK.lock().await;
    let t = fresh_start(&mut clock, 2 * MINUTE);
    let account = super::account("session", steady_patient(120, t, t + HOUR));
    stack().fake.update(&account.email, |a| a.token_secs = Some(5 * 24 * HOUR));
    let (token, patient) = sign_in(&account).await;
    let phones = [
        subscribe(&format!("Bearer {token}"), &patient, json!({})).await,
        subscribe(&format!("Bearer {token}"), &patient, json!({})).await,
    ];
    cron(&account, t).await;
    cron(&account, t + MINUTE).await;
    for phone in &phones {
        let got = received(phone);
        let notices: Vec<_> = got.iter().filter(|o| o.payload["kind"] == "SessionEnds").collect();
        assert_eq!(notices.len(), 1, "once: {:?}", got.iter().map(|o| &o.payload).collect::<Vec<_>>());
        let notice = notices[0];
        assert_eq!(notice.payload["title"], "Alarms stop in a week");
        let body = notice.payload["body"].as_str().unwrap();
        assert!(body.starts_with("Open Tidewatch and sign in again before ") && body.contains("Lee"), "{body}");
        assert_eq!((notice.payload["urgent"].as_bool(), notice.headers["urgency"].as_str()), (Some(false), "normal"));
    }
    drop(clock);
}
