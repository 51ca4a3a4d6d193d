//! The worker against LibreLinkUp as it really behaves (issue 29): the fake behaves so first, then the worker
//! handles it. A User-Agent like the app's (Cloudflare blocks a request without one); HTTP 430, new documents to
//! accept in the LibreLinkUp app, told as such and held briefly.

use reqwest::StatusCode;
use shared::llu::Region;
use tidewatch_tests::CallKind;

use super::{account, get, login, signed_in, stack};

#[tokio::test]
async fn the_worker_asks_librelinkup_with_a_user_agent_like_the_apps() {
    let email = account("user-agent", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let read = get("/llu/connections", &token).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let calls = stack().fake.calls(&email);
    assert!(calls.len() >= 3, "the redirect, the sign-in and the read: {calls:?}");
    for call in &calls {
        let agent = call.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("LibreLinkUp/4.17.0 (Linux; Android"), "{:?}: {agent}", call.kind);
        assert_eq!(call.status, 200, "{:?}: Cloudflare let it through", call.kind);
    }
}

#[tokio::test]
async fn new_documents_to_accept_are_said_as_such_and_hold_sign_ins_two_minutes_at_most() {
    let email = account("new-documents", Region::Eu, |a| a.new_documents = true);
    let first = login(&email, "right-password").await;
    assert_eq!((first.status, first.code()), (StatusCode::FORBIDDEN, "accept_new_documents"), "{}", first.text);
    let message = first.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("LibreLinkUp app") && message.contains("new terms"), "{message}");
    let wait: u32 = first.header("retry-after").and_then(|v| v.parse().ok()).expect("a wait");
    assert!((1..=120).contains(&wait), "a short hold, not the firewall's 15 minutes: {wait}");
    let again = login(&email, "right-password").await;
    assert_eq!(again.code(), "accept_new_documents", "{}", again.text);
    assert_eq!(stack().fake.count(&email, CallKind::Login), 2, "the redirect and one sign-in: the second waits");
}

#[tokio::test]
async fn librelinkup_5s_protocol_is_named_as_such_at_sign_in_and_in_reads() {
    let new_api = account("llu5-sign-in", Region::Eu, |a| a.llu5 = true);
    let refused = login(&new_api, "right-password").await;
    assert_eq!((refused.status, refused.code()), (StatusCode::BAD_GATEWAY, "protocol_changed"), "{}", refused.text);
    let message = refused.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("changed its protocol") && !message.contains("cannot read the answer"), "{message}");

    let email = account("llu5-read", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    stack().fake.update(&email, |a| a.llu5 = true);
    let read = get("/llu/connections", &token).await;
    assert_eq!((read.status, read.code()), (StatusCode::BAD_GATEWAY, "protocol_changed"), "{}", read.text);
    let calls = stack().fake.count(&email, CallKind::Connections);
    let again = get("/llu/connections", &token).await;
    assert_eq!(again.code(), "protocol_changed");
    assert_eq!(
        stack().fake.count(&email, CallKind::Connections),
        calls,
        "held: LibreLinkUp is not asked again at once"
    );
}
