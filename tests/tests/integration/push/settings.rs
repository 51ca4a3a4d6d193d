//! Every setting the engine has, followed by the background alarms (issue 31, item 4): a phone's settings travel
//! with its subscription, and the worker's round applies them to that phone alone — a quiet window that urgent
//! alarms break after ten minutes, a silent profile that does not wake the phone, and the snooze its notification
//! offers.

use serde_json::json;
use shared::time::MINUTE;

use super::{Owner, cron, kinds, owner, owners_phone, present, received, subscribe};

#[tokio::test]
async fn a_quiet_phone_hears_an_urgent_low_only_after_ten_minutes_while_the_others_hear_it_at_once() {
    let Owner { _clock, t, account, token, patient } = owner("quiet", 45, 12 * MINUTE, 15 * MINUTE).await;
    let awake = owners_phone(&token, &patient).await;
    let config = json!({"quiet_until": t + 60 * MINUTE, "snooze": {"urgent_low": 10}});
    let quiet = subscribe(&format!("Bearer {token}"), &patient, json!({"config": config})).await;

    cron(&account, t).await;
    assert_eq!(kinds(&awake), ["UrgentLow"]);
    assert!(kinds(&quiet).is_empty(), "the quiet phone waits");
    cron(&account, t + 5 * MINUTE).await;
    assert!(kinds(&quiet).is_empty(), "still within ten minutes");
    cron(&account, t + 11 * MINUTE).await;
    let heard = received(&quiet);
    assert_eq!(heard.iter().map(|p| p.payload["kind"].as_str().unwrap_or("?")).collect::<Vec<_>>(), ["UrgentLow"]);
    // Urgent breaks through loud, with the snooze this phone chose on its button.
    let push = &heard[0];
    assert_eq!((push.payload["silent"].as_bool(), push.payload["snooze_min"].as_i64()), (Some(false), Some(10)));
    assert_eq!(push.headers["urgency"], "high");
    assert_eq!(received(&awake)[0].payload["snooze_min"], 5, "the other phone keeps the default");

    for phone in [&awake, &quiet] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}

#[tokio::test]
async fn a_silent_profile_sends_a_low_silently_and_without_waking_the_phone() {
    let Owner { _clock, t, account, token, patient } = owner("silent", 64, 0, 5 * MINUTE).await;
    let normal = owners_phone(&token, &patient).await;
    let day = json!({"urgent_low": 55, "low": 70, "high": 180, "urgent_high": 250, "volume": "Silent"});
    let silent = subscribe(&format!("Bearer {token}"), &patient, json!({"config": {"day": day}})).await;

    cron(&account, t).await;
    let (loud, hushed) = (received(&normal), received(&silent));
    assert_eq!((loud.len(), hushed.len()), (1, 1));
    assert_eq!((loud[0].payload["kind"].as_str(), hushed[0].payload["kind"].as_str()), (Some("Low"), Some("Low")));
    assert_eq!((loud[0].payload["silent"].as_bool(), loud[0].headers["urgency"].as_str()), (Some(false), "high"));
    assert_eq!((hushed[0].payload["silent"].as_bool(), hushed[0].headers["urgency"].as_str()), (Some(true), "low"));

    for phone in [&normal, &silent] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}
