//! Sessions a follower can end (issue 28, item 7): signing out revokes on the server, not only in the browser;
//! "sign out everywhere" ends every session of the account and leaves the family's links running; a session slides
//! 30 days from its last use; the app never reads its own token.

use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::llu::Region;
use tidewatch_proxy::seal::{SLIDE_SECS, SessionKey};
use tidewatch_tests::CallKind;
use tidewatch_tests::stack::TEST_SESSION_KEY;

use super::{account, create_share, first_patient, get, send, share_get, signed_in, stack};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn post(path: &str, token: &str) -> super::Answer {
    send(Method::POST, path, &[("authorization", &format!("Bearer {token}"))], None).await
}

/// The sealed value a `Set-Cookie` carries (empty when it deletes the cookie).
fn cookie_value(answer: &super::Answer) -> Option<String> {
    let cookie = answer.header("set-cookie")?;
    let (_, rest) = cookie.split_once('=')?;
    Some(rest.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn signing_out_revokes_the_session_not_only_the_cookie() {
    let email = account("logout", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let other = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &token).await);

    let out = post("/api/logout", &token).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    assert_eq!(cookie_value(&out).as_deref(), Some(""), "the cookie is deleted");
    let calls = stack().fake.count(&email, CallKind::Connections);
    let read = get("/llu/connections", &token).await;
    assert_eq!((read.status, read.code()), (StatusCode::UNAUTHORIZED, "session_revoked"), "{}", read.text);
    let body = json!({"patientId": patient, "label": "Thief", "alarms": true}).to_string();
    let share = send(Method::POST, "/api/shares", &[("authorization", &format!("Bearer {token}"))], Some(body)).await;
    assert_eq!((share.status, share.code()), (StatusCode::UNAUTHORIZED, "session_revoked"), "{}", share.text);
    assert_eq!(stack().fake.count(&email, CallKind::Connections), calls, "a signed-out session reaches nothing");

    let still = get("/llu/connections", &other).await;
    assert_eq!(still.status, StatusCode::OK, "another sign-in of the account stays signed in: {}", still.text);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_but_not_the_familys_links() {
    let email = account("everywhere", Region::Eu, |_| {});
    let lost_phone = signed_in(&email).await;
    let laptop = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &lost_phone).await);
    let secret = create_share(&lost_phone, &patient, "Grandma").await["secret"].as_str().unwrap().to_owned();

    let out = post("/api/logout/everywhere", &laptop).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    assert_eq!(cookie_value(&out).as_deref(), Some(""));
    for token in [&lost_phone, &laptop] {
        let read = get("/llu/connections", token).await;
        assert_eq!((read.status, read.code()), (StatusCode::UNAUTHORIZED, "session_revoked"), "{}", read.text);
        let list = send(Method::GET, "/api/shares", &[("authorization", &format!("Bearer {token}"))], None).await;
        assert_eq!(list.code(), "session_revoked", "{}", list.text);
    }
    let again = post("/api/logout/everywhere", &lost_phone).await;
    assert_eq!(again.code(), "session_revoked", "a signed-out session cannot act either");

    let grandma = share_get("/api/share/graph", &secret).await;
    assert_eq!(grandma.status, StatusCode::OK, "the family's link goes on: {}", grandma.text);
    let fresh = signed_in(&email).await;
    assert_eq!(get("/llu/connections", &fresh).await.status, StatusCode::OK, "signing in again works at once");
}

#[tokio::test]
async fn a_session_slides_thirty_days_from_its_last_use() {
    let key = SessionKey::from_secret(TEST_SESSION_KEY).unwrap();
    let email = account("slide", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let session = key.open(&token, now()).unwrap();
    assert!((session.expires - (now() + SLIDE_SECS)).abs() < 120, "a sign-in lasts 30 days, not 180");
    assert!(session.ends() > session.expires, "and may be renewed up to LLU's token's end");

    // The same session, last renewed ten days ago.
    let aged = key.seal(&tidewatch_proxy::seal::Session { expires: now() + 20 * 86_400, ..session.clone() }, [5; 12]);
    let read = get("/llu/connections", &aged).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let renewed = cookie_value(&read).expect("a renewed cookie");
    assert_eq!(read.body["ticket"]["token"], renewed.as_str(), "LLU clients get it in the ticket, as from LLU");
    let slid = key.open(&renewed, now()).unwrap();
    assert!((slid.expires - (now() + SLIDE_SECS)).abs() < 120);
    assert_eq!((slid.id.clone(), slid.signed_in_ms), (session.id.clone(), session.signed_in_ms));
    let fresh = get("/llu/connections", &renewed).await;
    assert!(fresh.header("set-cookie").is_none(), "renewed at most once a day");

    // Signing out the old copy signs out its renewal too: they are one session.
    assert_eq!(post("/api/logout", &aged).await.status, StatusCode::OK);
    assert_eq!(get("/llu/connections", &renewed).await.code(), "session_revoked");
}

#[tokio::test]
async fn the_app_reads_without_its_session_in_the_json() {
    let email = account("app-read", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let headers = [("authorization", format!("Bearer {token}")), ("sec-fetch-site", "same-origin".to_owned())];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let app = send(Method::GET, "/llu/connections", &headers, None).await;
    assert_eq!(app.status, StatusCode::OK, "{}", app.text);
    assert_eq!(app.body["ticket"]["token"], "", "a script in the page cannot read the session");
    assert!(app.body["ticket"]["expires"].as_i64().unwrap() > now());
    let client = get("/llu/connections", &token).await;
    assert_eq!(client.body["ticket"]["token"], token.as_str(), "an LLU client gets its ticket as from LLU");
}
