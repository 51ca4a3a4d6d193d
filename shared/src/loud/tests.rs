//! The loud channel's rules: what a channel may be, the request each service takes, what an answer means.

use super::*;

fn alarm() -> LoudAlarm {
    LoudAlarm {
        kind: "UrgentLow".into(),
        title: "Urgent low: 45 mg/dL".into(),
        body: "Zoë · falling · No answer from Alex".into(),
        patient: "Zoë".into(),
        at: 1_800_000_000,
    }
}

fn key(c: char) -> String {
    std::iter::repeat_n(c, 30).collect()
}

#[test]
fn a_channel_is_refused_with_the_reason_when_it_is_misshapen() {
    let ntfy = |server: &str, topic: &str, token: Option<&str>| Loud::Ntfy {
        server: server.into(),
        topic: topic.into(),
        token: token.map(Into::into),
    };
    assert_eq!(ntfy("https://ntfy.sh", "tidewatch_lee-1", Some("tk_abc")).check(&[]), Ok(()));
    for (channel, why) in [
        (ntfy("http://ntfy.sh", "t", None), LoudError::Url),
        (ntfy("https://", "t", None), LoudError::Url),
        (ntfy("https://ntfy.sh/a b", "t", None), LoudError::Url),
        (ntfy(&format!("https://{}", "a".repeat(600)), "t", None), LoudError::Url),
        (ntfy("https://ntfy.sh", "", None), LoudError::Topic),
        (ntfy("https://ntfy.sh", "a/b", None), LoudError::Topic),
        (ntfy("https://ntfy.sh", &"a".repeat(65), None), LoudError::Topic),
        (ntfy("https://ntfy.sh", "t", Some("tk abc")), LoudError::Secret),
        (ntfy("https://ntfy.sh", "t", Some("")), LoudError::Secret),
        (Loud::Pushover { user: key('u'), token: "short".into() }, LoudError::PushoverKey),
        (Loud::Pushover { user: format!("{}!", &key('u')[1..]), token: key('a') }, LoudError::PushoverKey),
        (Loud::Webhook { url: "javascript:alert(1)".into(), secret: None }, LoudError::Url),
        (Loud::Webhook { url: "https://hooks.example/x".into(), secret: Some("a\nb".into()) }, LoudError::Secret),
    ] {
        assert_eq!(channel.check(&[]), Err(why), "{channel:?}");
    }
    assert_eq!(Loud::Pushover { user: key('u'), token: key('a') }.check(&[]), Ok(()));
    // A test service on this machine, only where the worker lists it.
    let local = Loud::Webhook { url: "http://127.0.0.1:9/hook/a".into(), secret: None };
    assert_eq!(local.check(&[]), Err(LoudError::Url));
    assert_eq!(local.check(&["http://127.0.0.1:9".into()]), Ok(()));
    assert_eq!(local.check(&["http://127.0.0.1:9/h".into()]), Err(LoudError::Url), "a prefix is not an origin");
}

#[test]
fn each_service_gets_the_request_it_documents() {
    let ntfy = Loud::Ntfy { server: "https://ntfy.example/".into(), topic: "lee".into(), token: Some("tk_1".into()) };
    let sent = ntfy.request(&alarm(), PUSHOVER_URL);
    assert_eq!((sent.url.as_str(), sent.bearer.as_deref()), ("https://ntfy.example/", Some("tk_1")));
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["topic"], "lee");
    assert_eq!(body["priority"], 5, "ntfy's max priority is the one that breaks Do Not Disturb");
    assert_eq!(body["message"], "Zoë · falling · No answer from Alex");

    let pushover = Loud::Pushover { user: key('u'), token: key('a') };
    let sent = pushover.request(&alarm(), PUSHOVER_URL);
    assert_eq!((sent.url.as_str(), sent.bearer), (PUSHOVER_URL, None));
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(
        (body["priority"].as_i64(), body["retry"].as_u64(), body["expire"].as_u64()),
        (Some(2), Some(60), Some(3600))
    );
    assert_eq!((body["user"].as_str(), body["token"].as_str()), (Some(&*key('u')), Some(&*key('a'))));

    let hook = Loud::Webhook { url: "https://hooks.example/tidewatch?x=1".into(), secret: None };
    let sent = hook.request(&alarm(), PUSHOVER_URL);
    assert_eq!((sent.url.as_str(), sent.bearer), ("https://hooks.example/tidewatch?x=1", None));
    let body: serde_json::Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["patient"].as_str(), body["at"].as_i64()),
        (Some("UrgentLow"), Some("Zoë"), Some(1_800_000_000))
    );
}

#[test]
fn a_channel_is_described_without_its_secrets() {
    let pushover = Loud::Pushover { user: format!("{}wxyz", &key('u')[4..]), token: key('a') };
    assert_eq!(pushover.describe(), "Pushover: user …wxyz");
    let hook = Loud::Webhook { url: "https://hooks.example/secret-path?k=1".into(), secret: Some("s3cret".into()) };
    assert_eq!(hook.describe(), "Webhook: hooks.example");
    let ntfy = Loud::Ntfy { server: "https://ntfy.sh".into(), topic: "lee".into(), token: Some("tk_x".into()) };
    assert_eq!(ntfy.describe(), "ntfy: ntfy.sh/lee");
    let secret_topic = Loud::Ntfy { server: "https://ntfy.sh".into(), topic: "lee-7f3a9c".into(), token: None };
    assert_eq!(secret_topic.describe(), "ntfy: ntfy.sh/lee…", "on a public server the topic is the secret");
}

#[test]
fn an_answer_is_delivered_worth_a_retry_or_refused_for_good() {
    for (status, outcome) in [
        (200, Outcome::Delivered),
        (204, Outcome::Delivered),
        (0, Outcome::Retry),
        (429, Outcome::Retry),
        (503, Outcome::Retry),
        (401, Outcome::Refused),
        (400, Outcome::Refused),
        (404, Outcome::Refused),
        (301, Outcome::Refused),
    ] {
        assert_eq!(Outcome::of(status), outcome, "{status}");
    }
}

#[test]
fn a_stored_channel_reads_back_and_a_misshapen_one_does_not() {
    let ntfy = Loud::Ntfy { server: "https://ntfy.sh".into(), topic: "lee".into(), token: None };
    let written = crate::wire::to_value(&ntfy);
    assert_eq!(written, json!({"Ntfy": {"server": "https://ntfy.sh", "topic": "lee"}}));
    assert_eq!(crate::wire::from_value::<Loud>(&written), Some(ntfy));
    for wrong in [json!({"Ntfy": {"server": "https://ntfy.sh"}}), json!({"Sms": {}}), json!("Ntfy"), json!(null)] {
        assert_eq!(crate::wire::from_value::<Loud>(&wrong), None, "{wrong}");
    }
}
