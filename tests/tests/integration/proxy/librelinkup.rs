//! The worker against LibreLinkUp as it really behaves (issue 29): the fake behaves so first, then the worker
//! handles it. A User-Agent like the app's (Cloudflare blocks a request without one); HTTP 430, new documents to
//! accept in the LibreLinkUp app, told as such and held briefly.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::llu::Region;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::{Account, CallKind};

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
        // The version is the one sent (the configured one, or one LibreLinkUp asked for in another test).
        let version = call.header("version").unwrap_or_default();
        assert!(agent.starts_with(&format!("LibreLinkUp/{version} (Linux; Android")), "{:?}: {agent}", call.kind);
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

/// One blocked request used to hold an account's reads for 15 minutes: a family without readings or alarms for a
/// quarter of an hour. Now the first block holds for a minute (then 2, 4, 8, 15 while blocks repeat), one read a
/// minute goes through to see, and reading resumes as soon as the edge lets it.
#[tokio::test]
async fn one_edge_block_costs_a_family_a_minute_not_a_quarter_of_an_hour() {
    let email = account("edge-fast", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    stack().fake.update(&email, |a| a.edge_block = true);
    let blocked = get("/llu/connections", &token).await;
    assert_eq!(blocked.code(), "edge_blocked", "{}", blocked.text);
    let wait: u32 = blocked.header("retry-after").and_then(|v| v.parse().ok()).expect("a wait");
    assert!((1..=60).contains(&wait), "a minute at most: {wait}");
    let asked = stack().fake.count(&email, CallKind::Connections);
    stack().fake.update(&email, |a| a.edge_block = false);
    let start = Instant::now();
    loop {
        let read = get("/llu/connections", &token).await;
        if read.status == StatusCode::OK {
            break;
        }
        assert_eq!(read.code(), "edge_blocked", "{}", read.text);
        assert!(start.elapsed() < Duration::from_secs(100), "still held after {:?}", start.elapsed());
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let more = stack().fake.count(&email, CallKind::Connections) - asked;
    assert_eq!(more, 1, "held without asking LibreLinkUp, then one read that went through");
}

/// LibreLinkUp rolls a fresh ticket forward with every answer. With tokens that last two minutes, a follower who
/// keeps reading (adopting each answer's `ticket`, as LibreLinkUp clients do) and grandma's link both read on past
/// the first token's end, and nobody is asked to sign in again. Before, the session ended with its first token.
#[tokio::test]
async fn a_session_in_use_and_its_link_read_on_past_the_first_tokens_end() {
    let email = account("rolling", Region::Eu, |a| a.token_secs = Some(120));
    let mut token = signed_in(&email).await;
    let patient = super::first_patient(&get("/llu/connections", &token).await);
    let secret = super::create_share(&token, &patient, "Grandma").await["secret"].as_str().unwrap().to_owned();
    let start = Instant::now();
    let mut reads = 0;
    while start.elapsed() < Duration::from_secs(160) {
        let read = get("/llu/connections", &token).await;
        assert_eq!(read.status, StatusCode::OK, "after {:?} and {reads} reads: {}", start.elapsed(), read.text);
        token = read.body["ticket"]["token"].as_str().expect("a ticket").to_owned();
        let viewed = super::share_get("/api/share/graph", &secret).await;
        assert_eq!(viewed.status, StatusCode::OK, "the link after {:?}: {}", start.elapsed(), viewed.text);
        reads += 1;
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    assert!(reads > 20);
}

/// Signs `email` in on `stack` and reads its connections: the answer's status.
async fn sign_in_and_read(stack: &Stack, email: &str) -> StatusCode {
    let http = super::client();
    let login = json!({"email": email, "password": "right-password"});
    let answer: Value =
        http.post(stack.url("/llu/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = answer["data"]["authTicket"]["token"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned();
    http.get(stack.url("/llu/connections")).bearer_auth(&token).send().await.unwrap().status()
}

/// After LibreLinkUp asked for a newer app version once, the next isolates (a restart, the alarms' objects) send it
/// from their first call: no refused call each time an isolate starts.
#[tokio::test]
async fn an_adopted_version_is_sent_at_once_after_a_restart() {
    let own = Stack::start_worker_only(&[]).expect("a stack of its own");
    let floor = |email: &str| Account { min_version: "4.18.3".into(), ..Account::new(email, "right-password") };
    own.fake.add_account(floor("floor-first@proxy.test"));
    own.fake.add_account(floor("floor-after@proxy.test"));
    assert_eq!(sign_in_and_read(&own, "floor-first@proxy.test").await, StatusCode::OK);
    assert_eq!(own.fake.count("floor-first@proxy.test", CallKind::Connections), 2, "one refused, one retried");
    own.restart().unwrap();
    assert_eq!(sign_in_and_read(&own, "floor-after@proxy.test").await, StatusCode::OK);
    let calls: Vec<_> = own.fake.calls("floor-after@proxy.test");
    let reads: Vec<&str> =
        calls.iter().filter(|c| c.kind == CallKind::Connections).filter_map(|c| c.header("version")).collect();
    assert_eq!(reads, ["4.18.3"], "the adopted version, from the first call after the restart");
}

/// The escape hatch (README, "If Abbott refuses Cloudflare Workers"): the worker pointed at a relay of the shape
/// documented there (`/{region}/…` forwarded as it came) signs in and reads through it, the headers LibreLinkUp
/// demands arriving intact.
#[tokio::test]
async fn the_worker_signs_in_and_reads_through_a_relay() {
    let relay = tidewatch_tests::relay::Relay::spawn().expect("a relay");
    let own = Stack::start_worker_only(&[("LLU_UPSTREAM", &relay.base_url())]).expect("a stack of its own");
    relay.set_target(&own.fake.base_url());
    own.fake.add_account(Account::new("relayed@proxy.test", "right-password"));
    assert_eq!(sign_in_and_read(&own, "relayed@proxy.test").await, StatusCode::OK);
    let calls = own.fake.calls("relayed@proxy.test");
    assert!(calls.len() >= 3 && relay.forwarded() >= calls.len(), "{} forwarded, {calls:?}", relay.forwarded());
    for call in &calls {
        assert!(call.header("user-agent").is_some_and(|ua| ua.starts_with("LibreLinkUp/")), "{call:?}");
        assert!(call.header("version").is_some() && call.header("product").is_some(), "{call:?}");
    }
}

/// LibreLinkUp's global host does not know accounts made in Russia or China (a wrong host's "no such account"
/// counts towards the lockout there): the sign-in names that entry, and goes straight to it.
#[tokio::test]
async fn an_account_made_in_russia_signs_in_at_russias_host_only() {
    let email = account("russia", Region::Ru, |_| {});
    let sign_in = |entry: &str| {
        let body = json!({"email": email, "password": "right-password", "entry": entry}).to_string();
        super::send(reqwest::Method::POST, "/llu/auth/login", &[], Some(body))
    };
    let answer = sign_in("ru").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let read = get("/llu/connections", &answer.token()).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    let calls = stack().fake.calls(&email);
    assert!(calls.iter().all(|c| c.region == Some(Region::Ru)), "nothing at the global host: {calls:?}");
    let odd = sign_in("mars").await;
    assert_eq!((odd.status, odd.code()), (StatusCode::BAD_REQUEST, "bad_request"), "{}", odd.text);
    assert_eq!(stack().fake.calls(&email).len(), calls.len(), "an unknown entry reaches nobody");
}

/// `GET /api/health` tells whoever runs the server how LibreLinkUp answers, per region: the last success and the
/// last error (here a Cloudflare block in the US region; an answer served from the cache afterwards is no success),
/// the version sent, the alarms' round; and nothing that names an account, a token or a person.
#[tokio::test]
async fn health_says_how_librelinkup_answers_per_region_and_names_nobody() {
    let email = account("health", Region::Us, |_| {});
    let token = signed_in(&email).await;
    let connections = get("/llu/connections", &token).await;
    assert_eq!(connections.status, StatusCode::OK);
    stack().fake.update(&email, |a| a.edge_block = true);
    // Another item than the one just cached, so the read goes to LibreLinkUp.
    let graph = format!("/llu/connections/{}/graph", super::first_patient(&connections));
    assert_eq!(get(&graph, &token).await.code(), "edge_blocked");
    // The list again, from the shared cache: it says nothing of how LibreLinkUp answers now.
    assert_eq!(get("/llu/connections", &token).await.status, StatusCode::OK);
    let health = super::send(reqwest::Method::GET, "/api/health", &[], None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);
    let us = &health.body["librelinkup"]["us"];
    assert!(us["lastSuccess"].as_str().is_some_and(|at| at.ends_with('Z')), "{}", health.text);
    assert_eq!(us["lastError"]["code"], "edge_blocked", "{}", health.text);
    assert_eq!(health.body["ok"], false, "the US region's last word was a block");
    assert!(health.body["version"]["sent"].as_str().is_some_and(|v| v.starts_with("4.")), "{}", health.text);
    assert!(health.body["alarms"].is_object(), "{}", health.text);
    for secret in [email.as_str(), token.as_str(), "right-password"] {
        assert!(!health.text.contains(secret), "health names {secret}");
    }
    super::assert_no_llu_token(&health);
}

/// Signs `email` in with "keep me signed in for the alarms": the sealed token.
async fn sign_in_kept(email: &str) -> String {
    let body = json!({"email": email, "password": "right-password", "keepSignedIn": true}).to_string();
    let answer = super::send(reqwest::Method::POST, "/llu/auth/login", &[], Some(body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.token()
}

/// LibreLinkUp ends every session of an account (after its maintenance, say). A family that chose "keep me signed
/// in for the alarms" reads on: the account's object signs in again by itself, once. One that did not is asked to
/// sign in (`proxy::an_unknown_patient_and_a_revoked_llu_session_are_clear_errors`).
#[tokio::test]
async fn a_family_that_kept_its_sign_in_reads_on_after_librelinkup_ended_its_sessions() {
    let email = account("kept", Region::Eu, |_| {});
    let token = sign_in_kept(&email).await;
    let connections = get("/llu/connections", &token).await;
    assert_eq!(connections.status, StatusCode::OK);
    stack().fake.revoke_tokens(&email);
    let logins = stack().fake.count(&email, CallKind::Login);
    let graph = get(&format!("/llu/connections/{}/graph", super::first_patient(&connections)), &token).await;
    assert_eq!(graph.status, StatusCode::OK, "{}", graph.text);
    assert!(stack().fake.count(&email, CallKind::Login) > logins, "it signed in again by itself");
}

/// A kept password that LibreLinkUp refuses (it was changed) turns signing in by itself off, and the family is told
/// to sign in again, once: no second try with it.
#[tokio::test]
async fn a_kept_password_librelinkup_refuses_turns_itself_off_and_says_so() {
    let email = account("kept-changed", Region::Eu, |_| {});
    let token = sign_in_kept(&email).await;
    let connections = get("/llu/connections", &token).await;
    assert_eq!(connections.status, StatusCode::OK);
    stack().fake.update(&email, |a| a.password = "changed-elsewhere".into());
    stack().fake.revoke_tokens(&email);
    let graph = get(&format!("/llu/connections/{}/graph", super::first_patient(&connections)), &token).await;
    assert_eq!((graph.status, graph.code()), (StatusCode::UNAUTHORIZED, "session_expired"), "{}", graph.text);
    let message = graph.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("kept password") && message.contains("Sign in again"), "{message}");
    let logins = stack().fake.count(&email, CallKind::Login);
    let logbook = get(&format!("/llu/connections/{}/logbook", super::first_patient(&connections)), &token).await;
    assert_eq!(logbook.code(), "session_expired");
    assert_eq!(stack().fake.count(&email, CallKind::Login), logins, "no second try with the refused password");
}
