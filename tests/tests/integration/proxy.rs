//! The real worker in workerd (`wrangler dev`) in front of the fake LibreLinkUp: every upstream behaviour seen
//! through the facade, the account protections, sealed sessions, CORS, open-proxy attempts and bad bodies.
//! Each test makes its own fake account (a unique e-mail), so tests run in parallel against one stack.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use shared::llu::{Region, StepKind};
use tidewatch_proxy::seal::{Kind, Session, SessionKey, sha256_hex};
use tidewatch_tests::fake::user_id_for;
use tidewatch_tests::stack::{Stack, TEST_SESSION_KEY};
use tidewatch_tests::{Account, CallKind, Maintenance, RateLimit};

/// Sessions: signing out on the server, everywhere, and sliding.
mod cleanup;
mod librelinkup;
mod sessions;
mod shares;

/// The origin the shared stack allows besides its own.
const ALLOWED_ORIGIN: &str = "https://watch.example";

/// The stack for these tests, with one extra allowed origin.
fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| match Stack::start(&[("ALLOWED_ORIGINS", ALLOWED_ORIGIN)]) {
        Ok(stack) => {
            eprintln!("worker log: {}", stack.log.display());
            stack
        }
        Err(e) => panic!("cannot start the stack: {e}"),
    })
}

/// A unique e-mail for one test's account.
fn email(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{what}-{}-{}@proxy.test", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Adds an account (home `region`, reached through the global redirect) and returns its e-mail.
fn account(what: &str, region: Region, change: impl FnOnce(&mut Account)) -> String {
    let email = email(what);
    let mut account = Account::new(&email, "right-password");
    account.region = region;
    change(&mut account);
    stack().fake.add_account(account);
    email
}

/// One answer.
struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn token(&self) -> String {
        self.body["data"]["authTicket"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {}", self.text))
            .to_owned()
    }
}

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

async fn send(method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Answer {
    let mut request = client().request(method, stack().url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, body, text }
}

async fn login(email: &str, password: &str) -> Answer {
    send(Method::POST, "/llu/auth/login", &[], Some(json!({"email": email, "password": password}).to_string())).await
}

async fn get(path: &str, token: &str) -> Answer {
    send(Method::GET, path, &[("authorization", &format!("Bearer {token}"))], None).await
}

/// Signs in and returns the sealed token.
async fn signed_in(email: &str) -> String {
    let answer = login(email, "right-password").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.token()
}

/// The first segment of every token the fake issues: `base64url({"alg":"HS256","typ":"JWT"})`. Long enough that a
/// sealed token's random base64 never contains it by chance (a bare `eyJ` does, about once in 250 tokens).
const LLU_TOKEN_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// No token the fake issued may ever leave the worker.
fn assert_no_llu_token(answer: &Answer) {
    assert!(!answer.text.contains(LLU_TOKEN_HEADER), "an LLU token leaked: {}", answer.text);
    for value in answer.headers.values() {
        assert!(!value.to_str().unwrap_or("").contains(LLU_TOKEN_HEADER), "an LLU token leaked in a header");
    }
}

/// Three wrong passwords for `email` straight at the fake at `base` (not through the worker): LibreLinkUp locks it.
async fn lock_at_the_fake(base: &str, email: &str) {
    for _ in 0..3 {
        let body = json!({"email": email, "password": "wrong"});
        let request = client().post(format!("{base}/eu/llu/auth/login")).json(&body);
        let request = request.header("user-agent", tidewatch_tests::fake::APP_USER_AGENT).header("version", "4.17.0");
        request.send().await.unwrap();
    }
}

fn first_patient(connections: &Answer) -> String {
    connections.body["data"][0]["patientId"].as_str().unwrap().to_owned()
}

/// The app's own sign-in (its browser says `Sec-Fetch-Site: same-origin`) gets the session in the `HttpOnly` cookie
/// only: a script in the page cannot read it. LibreLinkUp clients still get the token in the JSON.
#[tokio::test]
async fn the_apps_sign_in_keeps_the_session_out_of_reach_of_scripts() {
    let email = account("cookie-only", Region::Eu, |_| {});
    let body = json!({"email": email, "password": "right-password"}).to_string();
    let app = send(Method::POST, "/llu/auth/login", &[("sec-fetch-site", "same-origin")], Some(body)).await;
    assert_eq!(app.status, StatusCode::OK, "{}", app.text);
    assert!(app.body["data"]["user"].is_object());
    assert!(!app.text.contains("tw1."), "no sealed token in the app's JSON: {}", app.text);
    let cookie = app.header("set-cookie").unwrap();
    assert!(cookie.contains("tw_session=tw1.") && cookie.contains("HttpOnly"), "{cookie}");
    let demo = send(Method::POST, "/api/demo", &[("sec-fetch-site", "same-origin")], None).await;
    assert!(!demo.text.contains("tw1.") && demo.header("set-cookie").is_some(), "{}", demo.text);
    assert!(login(&email, "right-password").await.token().starts_with("tw1."), "LLU clients keep the token");
}

#[tokio::test]
async fn login_follows_both_redirects_and_answers_a_sealed_token_and_cookie() {
    let email = account("redirect", Region::De, |a| a.via = Some(Region::Eu));
    let answer = login(&email, "right-password").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["status"], 0);
    assert_eq!(answer.body["data"]["user"]["id"], user_id_for(&email));
    assert!(answer.token().starts_with("tw1."));
    assert_no_llu_token(&answer);
    let cookie = answer.header("set-cookie").unwrap();
    for part in ["tw_session=tw1.", "HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let logins: Vec<_> = stack().fake.calls(&email).into_iter().filter(|c| c.kind == CallKind::Login).collect();
    let regions: Vec<_> = logins.iter().map(|c| c.region).collect();
    assert_eq!(regions, [None, Some(Region::Eu), Some(Region::De)], "global → eu → de");
    for call in &logins {
        assert_eq!(call.header("product"), Some("llu.android"));
        assert!(call.header("version").is_some());
    }
}

#[tokio::test]
async fn data_calls_go_to_the_home_region_with_the_account_id_and_never_show_llu_tokens() {
    let email = account("data", Region::Eu2, |_| {});
    let token = signed_in(&email).await;
    let connections = get("/llu/connections", &token).await;
    assert_eq!(connections.status, StatusCode::OK, "{}", connections.text);
    let list = connections.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().any(|c| c["sensor"].is_null()), "the second patient has sensor: null");
    assert_eq!(connections.body["ticket"]["token"], token, "the ticket is the sealed session, not LLU's");
    assert_no_llu_token(&connections);

    let patient = first_patient(&connections);
    let graph = get(&format!("/llu/connections/{patient}/graph"), &token).await;
    assert_eq!(graph.status, StatusCode::OK, "{}", graph.text);
    let points = graph.body["data"]["graphData"].as_array().unwrap().len();
    assert!((100..=144).contains(&points), "{points} graph points");
    assert_no_llu_token(&graph);
    let logbook = get(&format!("/llu/connections/{patient}/logbook"), &token).await;
    assert_eq!(logbook.status, StatusCode::OK, "{}", logbook.text);
    assert!(!logbook.body["data"].as_array().unwrap().is_empty());
    assert_no_llu_token(&logbook);

    let data_calls: Vec<_> = stack().fake.calls(&email).into_iter().filter(|c| c.kind != CallKind::Login).collect();
    assert_eq!(data_calls.len(), 3);
    for call in data_calls {
        assert_eq!(call.region, Some(Region::Eu2));
        assert_eq!(call.status, 200);
        assert_eq!(call.header("account-id"), Some(sha256_hex(&user_id_for(&email)).as_str()));
        assert_eq!(call.header("product"), Some("llu.android"));
    }
}

#[tokio::test]
async fn the_cookie_is_a_session_like_the_bearer() {
    let email = account("cookie", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let cookie = format!("tw_session={token}");
    let answer = send(Method::GET, "/llu/connections", &[("cookie", &cookie)], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let out = send(Method::POST, "/api/logout", &[("cookie", &cookie)], None).await;
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn terms_then_privacy_policy_are_accepted_only_when_asked() {
    let email = account("steps", Region::De, |a| {
        a.via = Some(Region::Eu);
        a.steps = vec![StepKind::TermsOfUse, StepKind::PrivacyPolicy];
    });
    let first = login(&email, "right-password").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["status"], 4);
    assert_eq!(first.body["data"]["step"]["type"], "tou");
    assert_no_llu_token(&first);
    let step_token = first.token();

    let refused = get("/llu/connections", &step_token).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "wrong_session"));
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 0, "a step token never reaches a data call");
    assert_eq!(stack().fake.count(&email, CallKind::ContinueTou), 0, "nothing is accepted without the user");

    let headers = [("authorization", format!("Bearer {step_token}"))];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let other = send(Method::POST, "/auth/continue/pp", &headers, None).await;
    assert_eq!((other.status, other.code()), (StatusCode::FORBIDDEN, "wrong_session"), "{}", other.text);
    assert_eq!(stack().fake.count(&email, CallKind::ContinuePp), 0, "a terms-of-use step never accepts the policy");
    let tou = send(Method::POST, "/auth/continue/tou", &headers, None).await;
    assert_eq!((tou.status, &tou.body["status"]), (StatusCode::OK, &json!(4)), "{}", tou.text);
    assert_eq!(tou.body["data"]["step"]["type"], "pp");
    let pp_token = tou.token();
    let headers = [("authorization", format!("Bearer {pp_token}"))];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let pp = send(Method::POST, "/auth/continue/pp", &headers, None).await;
    assert_eq!((pp.status, &pp.body["status"]), (StatusCode::OK, &json!(0)), "{}", pp.text);
    assert_no_llu_token(&pp);
    let connections = get("/llu/connections", &pp.token()).await;
    assert_eq!(connections.status, StatusCode::OK, "{}", connections.text);
    let regions: Vec<_> = stack()
        .fake
        .calls(&email)
        .into_iter()
        .filter(|c| matches!(c.kind, CallKind::ContinueTou | CallKind::ContinuePp))
        .map(|c| c.region)
        .collect();
    assert_eq!(regions, [Some(Region::De), Some(Region::De)], "continue goes to the home region");

    let full = get("/llu/connections", &pp.token()).await.body["ticket"]["token"].clone();
    let headers = [("authorization", format!("Bearer {}", full.as_str().unwrap()))];
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let again = send(Method::POST, "/auth/continue/tou", &headers, None).await;
    assert_eq!((again.status, again.code()), (StatusCode::FORBIDDEN, "wrong_session"));
}

#[tokio::test]
async fn verify_email_gives_no_session() {
    let email = account("verify", Region::Fr, |a| a.steps = vec![StepKind::VerifyEmail]);
    let answer = login(&email, "right-password").await;
    assert_eq!((answer.status, &answer.body["status"]), (StatusCode::OK, &json!(4)));
    assert_eq!(answer.body["data"]["step"]["type"], "verifyEmail");
    assert!(answer.body["data"].get("authTicket").is_none(), "{}", answer.text);
    assert!(answer.header("set-cookie").is_none());
    assert_no_llu_token(&answer);
}

/// Password checks the fake made for `email` (logins at the home host; the others are redirects).
fn password_checks(email: &str, home: Region) -> usize {
    stack().fake.calls(email).iter().filter(|c| c.kind == CallKind::Login && c.region == Some(home)).count()
}

#[tokio::test]
async fn four_quick_bad_logins_reach_upstream_once() {
    let email = account("badpw", Region::Eu, |_| {});
    let first = login(&email, "wrong").await;
    assert_eq!((first.status, first.code()), (StatusCode::UNAUTHORIZED, "bad_credentials"));
    assert_eq!(first.body["status"], 2);
    assert!(first.body["error"]["message"].as_str().unwrap().contains('3'), "says LLU locks after 3 tries");
    for _ in 0..3 {
        let next = login(&email, "wrong-again").await;
        assert_eq!((next.status, next.code()), (StatusCode::TOO_MANY_REQUESTS, "login_paused"));
        let wait: u32 = next.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
    }
    assert_eq!(password_checks(&email, Region::Eu), 1);
    assert_eq!(stack().fake.count(&email, CallKind::Login), 2, "one attempt: the global redirect and the check");
    let still = login(&email, "right-password").await;
    assert_eq!(still.code(), "login_paused", "even the right password waits the 60 s out");
}

#[tokio::test]
async fn concurrent_bad_logins_reach_upstream_once() {
    let email = account("badpw-burst", Region::Eu, |_| {});
    let attempts = (0..4).map(|i| {
        let email = email.clone();
        tokio::spawn(async move { login(&email, &format!("wrong-{i}")).await.code().to_owned() })
    });
    let mut codes: Vec<String> = Vec::new();
    for attempt in attempts {
        codes.push(attempt.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes, ["bad_credentials", "login_paused", "login_paused", "login_paused"]);
    assert_eq!(password_checks(&email, Region::Eu), 1);
}

#[tokio::test]
async fn an_llu_lockout_is_honoured_without_calling_upstream() {
    let email = account("locked", Region::Eu, |_| {});
    lock_at_the_fake(&stack().fake.base_url(), &email).await;
    let before = stack().fake.count(&email, CallKind::Login);
    let locked = login(&email, "right-password").await;
    assert_eq!((locked.status, locked.code()), (StatusCode::TOO_MANY_REQUESTS, "locked"), "{}", locked.text);
    let wait: u32 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((250..=300).contains(&wait), "{wait}");
    let again = login(&email, "right-password").await;
    assert_eq!(again.code(), "locked");
    assert_eq!(stack().fake.count(&email, CallKind::Login), before + 2, "one attempt (redirect + check), then none");
}

/// A Durable Object with nothing to do may be put to sleep after about 10 s and is restarted by every deploy: the
/// login pause and LLU's lockout are stored, so a restarted worker lets no wrong password through to LLU.
#[tokio::test]
async fn the_login_pause_an_llu_lockout_and_a_sign_out_outlive_a_restart() {
    let own = Stack::start(&[]).unwrap();
    let paused = email("pause-restart");
    let locked = email("lock-restart");
    let signed_out = email("signout-restart");
    for email in [&paused, &locked, &signed_out] {
        own.fake.add_account(Account::new(email, "right-password"));
    }
    lock_at_the_fake(&own.fake.base_url(), &locked).await;
    let login = |email: &str, password: &str| {
        let request = client().post(own.url("/llu/auth/login")).json(&json!({"email": email, "password": password}));
        async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            body["error"]["code"].as_str().unwrap_or("none").to_owned()
        }
    };
    assert_eq!(login(&paused, "wrong").await, "bad_credentials");
    assert_eq!(login(&locked, "right-password").await, "locked");
    let before = (own.fake.count(&paused, CallKind::Login), own.fake.count(&locked, CallKind::Login));
    let body = json!({"email": signed_out, "password": "right-password"});
    let answer: Value =
        client().post(own.url("/llu/auth/login")).json(&body).send().await.unwrap().json().await.unwrap();
    let token = answer["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let with_token = |method: Method, path: &str| client().request(method, own.url(path)).bearer_auth(&token);
    let out = with_token(Method::POST, "/api/logout").send().await.unwrap();
    assert_eq!(out.status(), StatusCode::OK);

    own.restart().unwrap();
    let read: Value = with_token(Method::GET, "/llu/connections").send().await.unwrap().json().await.unwrap();
    assert_eq!(read["error"]["code"], "session_revoked", "a sign-out holds after a restart: {read}");
    assert_eq!(login(&paused, "wrong-again").await, "login_paused");
    assert_eq!(login(&locked, "right-password").await, "locked");
    let after = (own.fake.count(&paused, CallKind::Login), own.fake.count(&locked, CallKind::Login));
    assert_eq!(after, before, "no login reached LLU after the restart");
}

/// Viewers of one account share one upstream read, whoever's token started it. When LLU refuses that token, only
/// that token is dead: a viewer with a good token who joined the read gets the data, and keeps reading.
#[tokio::test]
async fn a_refused_token_does_not_sign_out_the_viewers_who_joined_its_read() {
    let email = account("joined", Region::Eu, |_| {});
    let old = signed_in(&email).await;
    stack().fake.revoke_tokens(&email);
    let fresh = signed_in(&email).await;
    stack().fake.update(&email, |a| a.answer_delay_ms = 3_000);
    let refused = tokio::spawn(async move { get("/llu/connections", &old).await });
    // The old token's read is under way upstream (recorded, its answer held back): the fresh one joins it.
    for _ in 0..200 {
        if stack().fake.count(&email, CallKind::Connections) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 1);
    let joined = get("/llu/connections", &fresh).await;
    let refused = refused.await.unwrap();
    assert_eq!((refused.status, refused.code()), (StatusCode::UNAUTHORIZED, "session_expired"), "{}", refused.text);
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.text);
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 2, "the fresh token's own read, once");
    stack().fake.update(&email, |a| a.answer_delay_ms = 0);
    let patient = first_patient(&joined);
    let graph = get(&format!("/llu/connections/{patient}/graph"), &fresh).await;
    assert_eq!(graph.status, StatusCode::OK, "{}", graph.text);
}

/// A LibreLinkUp that never answers holds nobody: past the worker's deadline (15 s) the read fails as unreachable,
/// and the next read tries again.
#[tokio::test]
async fn a_hung_upstream_is_an_error_after_the_deadline_not_an_endless_wait() {
    let email = account("hung", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    stack().fake.update(&email, |a| a.answer_delay_ms = 45_000);
    let hung = get("/llu/connections", &token).await;
    assert_eq!((hung.status, hung.code()), (StatusCode::BAD_GATEWAY, "upstream_unreachable"), "{}", hung.text);
    stack().fake.update(&email, |a| a.answer_delay_ms = 0);
    let again = get("/llu/connections", &token).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

#[tokio::test]
async fn a_higher_version_floor_is_adopted_and_the_call_retried_once() {
    let email = account("floor", Region::Eu, |a| a.min_version = "4.18.3".into());
    let token = signed_in(&email).await;
    let answer = get("/llu/connections", &token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let versions: Vec<String> = stack()
        .fake
        .calls(&email)
        .into_iter()
        .filter(|c| c.kind == CallKind::Connections)
        .map(|c| c.header("version").unwrap_or_default().to_owned())
        .collect();
    let last = versions.last().unwrap();
    assert_eq!(last, "4.18.3", "{versions:?}");
    assert!(versions.len() <= 2, "at most one retry: {versions:?}");
    // Later calls of this worker send the adopted version straight away.
    let other = account("floor-later", Region::Eu, |a| a.min_version = "4.18.3".into());
    let answer = get("/llu/connections", &signed_in(&other).await).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(stack().fake.count(&other, CallKind::Connections), 1);
}

#[tokio::test]
async fn hundred_concurrent_viewers_cost_one_upstream_call() {
    let email = account("viewers", Region::Eu2, |_| {});
    let mut tokens = Vec::new();
    for _ in 0..2 {
        tokens.push(signed_in(&email).await);
    }
    let viewers = (0..100).map(|i| {
        let token = tokens[i % tokens.len()].clone();
        tokio::spawn(async move { get("/llu/connections", &token).await.status })
    });
    for viewer in viewers {
        assert_eq!(viewer.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 1);
    let patient = first_patient(&get("/llu/connections", &tokens[0]).await);
    let graphs = (0..50).map(|_| {
        let (token, path) = (tokens[0].clone(), format!("/llu/connections/{patient}/graph"));
        tokio::spawn(async move { get(&path, &token).await.status })
    });
    for graph in graphs {
        assert_eq!(graph.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(stack().fake.count(&email, CallKind::Graph), 1);
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 1);
}

#[tokio::test]
async fn upstream_failures_become_json_errors_with_stable_codes() {
    type Case = (&'static str, fn(&mut Account), u16, &'static str);
    let cases: [Case; 4] = [
        ("maint-body", |a| a.maintenance = Some(Maintenance::Body), 503, "maintenance"),
        ("maint-http", |a| a.maintenance = Some(Maintenance::Http), 503, "maintenance"),
        ("edge", |a| a.edge_block = true, 502, "edge_blocked"),
        ("nopatient", |a| a.patients.clear(), 200, ""),
    ];
    for (what, change, status, code) in cases {
        let email = account(what, Region::Eu, |_| {});
        let token = signed_in(&email).await;
        stack().fake.update(&email, change);
        let answer = get("/llu/connections", &token).await;
        assert_eq!((answer.status.as_u16(), answer.code()), (status, code), "{what}: {}", answer.text);
        assert!(answer.header("content-type").unwrap().starts_with("application/json"), "{what}");
        if status != 200 {
            assert!(answer.header("retry-after").is_some(), "{what}");
            let calls = stack().fake.count(&email, CallKind::Connections);
            let again = get("/llu/connections", &token).await;
            assert_eq!(again.code(), code, "{what}");
            assert_eq!(stack().fake.count(&email, CallKind::Connections), calls, "{what}: the wait is honoured");
        } else {
            assert_eq!(answer.body["data"], json!([]));
        }
    }
}

#[tokio::test]
async fn a_rate_limit_is_honoured_with_retry_after() {
    let email = account("burst", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    stack()
        .fake
        .update(&email, |a| a.rate_limit = Some(RateLimit { max_calls: 1, per_secs: 60, retry_after_secs: 42 }));
    let patient = first_patient(&get("/llu/connections", &token).await);
    let graph = get(&format!("/llu/connections/{patient}/graph"), &token).await;
    assert_eq!((graph.status, graph.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{}", graph.text);
    assert_eq!(graph.header("retry-after"), Some("42"));
    let calls = stack().fake.calls(&email).len();
    let logbook = get(&format!("/llu/connections/{patient}/logbook"), &token).await;
    assert_eq!(logbook.code(), "rate_limited");
    assert_eq!(stack().fake.calls(&email).len(), calls, "no upstream call while LLU asks to wait");
    let cached = get("/llu/connections", &token).await;
    assert_eq!(cached.status, StatusCode::OK, "the cached minute is still served");
}

#[tokio::test]
async fn an_unknown_patient_and_a_revoked_llu_session_are_clear_errors() {
    let email = account("revoked", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let unknown = get("/llu/connections/00000000-0000-4000-8000-000000000000/graph", &token).await;
    assert_eq!((unknown.status, unknown.code()), (StatusCode::NOT_FOUND, "patient_not_found"));
    stack().fake.revoke_tokens(&email);
    let dead = get("/llu/connections", &token).await;
    assert_eq!((dead.status, dead.code()), (StatusCode::UNAUTHORIZED, "session_expired"), "{}", dead.text);
    let calls = stack().fake.count(&email, CallKind::Connections);
    let again = get("/llu/connections", &token).await;
    assert_eq!(again.code(), "session_expired");
    assert_eq!(stack().fake.count(&email, CallKind::Connections), calls, "a dead token is not retried");
    assert_eq!(stack().fake.count(&email, CallKind::Login), 2, "no automatic re-login");
}

#[tokio::test]
async fn tampered_expired_and_foreign_key_sessions_are_refused() {
    let email = account("tamper", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let key = SessionKey::from_secret(TEST_SESSION_KEY).unwrap();
    let rotated = SessionKey::from_bytes(&[9; 32]);
    let session = |expires: i64| Session {
        llu_token: "forged".into(),
        region: Region::Eu,
        account_id: sha256_hex(&user_id_for(&email)),
        expires,
        kind: Kind::Full,
        id: None,
        signed_in_ms: None,
        ends: None,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let cases = [
        (tampered, "session_invalid"),
        (key.seal(&session(now - 1), [3; 12]), "session_expired"),
        (rotated.seal(&session(now + 3600), [3; 12]), "session_revoked"),
        ("tw1.x.y".to_owned(), "session_invalid"),
        ("eyJhbGciOiJIUzI1NiJ9.e30.x".to_owned(), "session_invalid"),
    ];
    for (token, code) in cases {
        let answer = get("/llu/connections", &token).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::UNAUTHORIZED, code), "{}", answer.text);
    }
    let none = send(Method::GET, "/llu/connections", &[], None).await;
    assert_eq!((none.status, none.code()), (StatusCode::UNAUTHORIZED, "no_session"));
    assert_eq!(stack().fake.count(&email, CallKind::Connections), 0, "no refused session reaches upstream");
}

async fn preflight(origin: &str) -> Answer {
    let headers = [
        ("origin", origin),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization"),
    ];
    send(Method::OPTIONS, "/llu/connections", &headers, None).await
}

#[tokio::test]
async fn cors_only_for_allowed_origins_on_success_error_and_preflight() {
    let allowed = preflight(ALLOWED_ORIGIN).await;
    assert_eq!(allowed.status, StatusCode::NO_CONTENT);
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN));
    assert!(allowed.header("access-control-allow-headers").unwrap().contains("authorization"));
    assert_eq!(allowed.header("vary"), Some("Origin"));
    let refused = preflight("https://evil.example").await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "origin_not_allowed"));
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("vary"), Some("Origin"));

    let demo = send(Method::POST, "/api/demo", &[("origin", ALLOWED_ORIGIN)], None).await;
    assert_eq!(demo.status, StatusCode::OK);
    assert_eq!(demo.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN));
    let error = send(Method::GET, "/llu/nothing", &[("origin", ALLOWED_ORIGIN)], None).await;
    assert_eq!((error.status, error.code()), (StatusCode::NOT_FOUND, "not_found"));
    assert_eq!(error.header("access-control-allow-origin"), Some(ALLOWED_ORIGIN));
    assert_eq!(error.header("vary"), Some("Origin"));

    let email = account("cors", Region::Eu, |_| {});
    let body = json!({"email": email, "password": "right-password"}).to_string();
    let evil = send(Method::POST, "/llu/auth/login", &[("origin", "https://evil.example")], Some(body)).await;
    assert_eq!((evil.status, evil.code()), (StatusCode::FORBIDDEN, "origin_not_allowed"));
    assert_eq!(evil.header("access-control-allow-origin"), None);
    assert_eq!(stack().fake.count(&email, CallKind::Login), 0, "a stranger's page cannot start a login");
    let same = send(Method::POST, "/api/demo", &[("origin", &stack().worker)], None).await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.header("access-control-allow-origin"), None, "same origin needs no CORS");
}

/// Sends `request` as raw bytes (no client normalises the path) and returns the status and body.
fn raw(request: &str) -> (u16, String) {
    let port = stack().worker.rsplit(':').next().unwrap();
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    let mut buf = [0_u8; 16 * 1024];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        if complete(&bytes) {
            break;
        }
    }
    let response = String::from_utf8_lossy(&bytes).into_owned();
    let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

/// Whether `bytes` hold a whole HTTP response (by `Content-Length`, or the last chunk).
fn complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok()).flatten()
    });
    match length {
        Some(length) => body.len() >= length,
        None => body.ends_with("0\r\n\r\n"),
    }
}

#[tokio::test]
async fn open_proxy_attempts_never_reach_upstream() {
    let email = account("open-proxy", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let auth = format!("Authorization: Bearer {token}\r\n");
    let attempts = [
        "GET //evil.example/llu/connections HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /llu/../x HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /llu/connections/..%2f..%2fuser/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /llu/connections/a%2Fb%2Fc/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /llu/connections/https:%2F%2Fevil.example/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET http://evil.example/llu/user HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /llu/user HTTP/1.1\r\nHost: evil.example\r\n",
        "GET /llu/connections?url=http://evil.example HTTP/1.1\r\nHost: evil.example\r\n",
        "GET /auth/continue/verifyEmail HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "GET /api/v0/../../llu/connections HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    ];
    for attempt in attempts {
        let (status, response) = raw(&format!("{attempt}{auth}Connection: close\r\n\r\n"));
        // 200 is the app's page (`/llu/../x` is `/x` once normalised), 307 the asset server's same-origin
        // redirect for `//…`, 500 workerd refusing an absolute-form target before the worker runs.
        assert!(matches!(status, 200 | 307 | 400 | 404 | 405 | 500), "{attempt}: {status} {response}");
        let location =
            response.lines().find_map(|l| l.strip_prefix("Location: ").or_else(|| l.strip_prefix("location: ")));
        assert!(location.is_none_or(|l| l.starts_with('/') && !l.starts_with("//")), "{attempt}: {location:?}");
    }
    // Only the facade's own calls reached the upstream: the login, and `?url=` ignored on a plain connections call.
    for call in stack().fake.calls(&email) {
        assert!(["/llu/auth/login", "/llu/connections"].contains(&call.path.as_str()), "{call:?}");
        assert!(matches!(call.region, None | Some(Region::Eu)), "{call:?}");
    }
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused_clearly() {
    let big = json!({"email": "a@b.c", "password": "x".repeat(17 * 1024)}).to_string();
    let answer = send(Method::POST, "/llu/auth/login", &[], Some(big)).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    let chunk = "x".repeat(8 * 1024);
    let mut chunked = String::from(
        "POST /llu/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..4 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let (status, response) = raw(&chunked);
    assert_eq!(status, 413, "{response}");
    for (body, code) in [
        ("{not json", "bad_request"),
        ("{\"email\": \"a@b.c\"}", "bad_request"),
        ("[1,2,3]", "bad_request"),
        ("{\"email\": \"no-at-sign\", \"password\": \"x\"}", "bad_request"),
        ("<html>hello</html>", "bad_request"),
    ] {
        let answer = send(Method::POST, "/llu/auth/login", &[], Some(body.to_owned())).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::BAD_REQUEST, code), "{body}");
    }
}

#[tokio::test]
async fn the_demo_needs_no_upstream() {
    let before = stack().fake.all_calls().len();
    let demo = send(Method::POST, "/api/demo", &[], None).await;
    assert_eq!(demo.status, StatusCode::OK);
    let token = demo.token();
    let connections = get("/llu/connections", &token).await;
    assert_eq!(connections.body["data"].as_array().unwrap().len(), 2);
    let patient = first_patient(&connections);
    let graph = get(&format!("/llu/connections/{patient}/graph"), &token).await;
    assert!(graph.body["data"]["graphData"].as_array().unwrap().len() > 100);
    let by_login = login("demo@tidewatch.invalid", "anything").await;
    assert_eq!(get("/llu/connections", &by_login.token()).await.status, StatusCode::OK);
    let calls = stack().fake.all_calls();
    assert!(calls.len() >= before, "calls are never forgotten");
    let demo_calls = calls.iter().filter(|c| {
        c.header("authorization").is_some_and(|a| a.contains(shared::simulate::DEMO_TICKET))
            || c.kind == CallKind::Login && c.header("content-length").is_some() && c.path.contains("demo")
    });
    assert_eq!(demo_calls.count(), 0, "the demo never calls LibreLinkUp");
    assert!(stack().fake.calls("demo@tidewatch.invalid").is_empty(), "the demo e-mail is never sent upstream");
}

#[tokio::test]
async fn country_config_points_every_region_back_at_the_worker() {
    let answer = send(Method::GET, "/llu/config/country?country=DE&version=4.17.0", &[], None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let map = answer.body["data"]["regionalMap"].as_object().unwrap();
    assert!(map.len() >= 10);
    for entry in map.values() {
        assert_eq!(entry["lslApi"], format!("{}/", stack().worker));
    }
    assert!(!answer.text.contains(&stack().fake.base_url()), "the upstream's address leaked");
    let bad = send(Method::GET, "/llu/config/country?country=../x", &[], None).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::BAD_REQUEST, "bad_request"));
}

/// Anyone may ask for a country's configuration, with no account: asking again is answered from the worker's
/// copy, so nobody can make the worker call Abbott as often as they like, not even with a new `version` each time.
#[tokio::test]
async fn country_config_is_asked_upstream_once_however_often_it_is_asked() {
    let upstream =
        || stack().fake.all_calls().iter().filter(|c| c.path.starts_with("/llu/config/country?country=AT")).count();
    for n in 0..5 {
        let answer = send(Method::GET, &format!("/llu/config/country?country=AT&version=4.17.{n}"), &[], None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        let map = answer.body["data"]["regionalMap"].as_object().unwrap();
        assert!(map.values().all(|entry| entry["lslApi"] == format!("{}/", stack().worker)));
    }
    assert_eq!(upstream(), 1);
}

#[tokio::test]
async fn security_headers_on_worker_answers_and_static_assets() {
    for path in ["/", "/some/app/route", "/llu/nothing"] {
        let answer = send(Method::GET, path, &[], None).await;
        let csp = answer.header("content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("'unsafe-inline'"), "{path}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(answer.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert!(answer.header("strict-transport-security").is_some(), "{path}");
        assert!(answer.header("permissions-policy").is_some(), "{path}");
        assert_eq!(answer.header("cross-origin-opener-policy"), Some("same-origin"), "{path}");
        assert_eq!(answer.header("cross-origin-resource-policy"), Some("same-origin"), "{path}");
    }
    let spa = send(Method::GET, "/some/app/route", &[], None).await;
    assert_eq!(spa.status, StatusCode::OK, "SPA fallback");
    assert!(spa.text.contains("<html"), "{}", spa.text);
    let wrong = send(Method::GET, "/api/demo", &[], None).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    // Hashed files may be kept for a year; the service worker and the page are checked on every visit.
    let wasm = std::fs::read_dir(tidewatch_tests::stack::root().join("dist"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|name| name.ends_with("_bg.wasm"))
        .expect("a built app");
    let hashed = send(Method::GET, &format!("/{wasm}"), &[], None).await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(hashed.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let sw = send(Method::GET, "/sw.js", &[], None).await;
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    assert!(sw.header("content-security-policy").is_some());
}

// ---------------------------------------------------------------------------------------------------------------
// Share links (issue 5) and the Nightscout-compatible read API.

/// Creates a share of `patient` as the owner with sealed `token`; returns the answer's body.
async fn create_share(token: &str, patient: &str, label: &str) -> Value {
    let body = json!({"patientId": patient, "label": label, "alarms": true, "from": "Alex"}).to_string();
    let answer = send(Method::POST, "/api/shares", &[("authorization", &format!("Bearer {token}"))], Some(body)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

/// A fresh account, signed in, sharing its first patient as `label`: (e-mail, sealed token, patient, secret).
async fn shared_patient(what: &str, label: &str) -> (String, String, String, String) {
    let email = account(what, Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &token).await);
    let secret = create_share(&token, &patient, label).await["secret"].as_str().unwrap().to_owned();
    (email, token, patient, secret)
}

async fn share_get(path: &str, secret: &str) -> Answer {
    send(Method::GET, path, &[("authorization", &format!("Share {secret}"))], None).await
}

/// Nothing a share answers may carry the owner's LLU token, account id, user id or e-mail.
fn assert_no_owner_secrets(answer: &Answer, email: &str) {
    assert_no_llu_token(answer);
    let user_id = user_id_for(email);
    for secret in [email, &user_id, &sha256_hex(&user_id)] {
        assert!(!answer.text.to_lowercase().contains(&secret.to_lowercase()), "{secret} leaked: {}", answer.text);
    }
}

#[tokio::test]
async fn a_share_reads_one_patient_and_revocation_holds_at_once() {
    let email = account("share", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let connections = get("/llu/connections", &token).await;
    let patient = first_patient(&connections);
    let created = create_share(&token, &patient, "Grandma").await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(created["url"].as_str().unwrap().ends_with(&format!("/#/s/{secret}")), "{created}");
    assert!(created["expiresAt"].as_str().unwrap().ends_with('Z'));

    let graph = share_get("/api/share/graph", &secret).await;
    assert_eq!(graph.status, StatusCode::OK, "{}", graph.text);
    assert_eq!(graph.body["data"]["connection"]["patientId"], patient.as_str());
    assert_eq!(graph.body["share"]["label"], "Grandma");
    assert!(graph.body.get("ticket").is_none(), "no ticket for a viewer");
    assert_no_owner_secrets(&graph, &email);
    // Nor what identifies the sensor, the phone or the person beyond a first name (the owner's own read has them).
    let own = get(&format!("/llu/connections/{patient}/graph"), &token).await;
    for pointer in ["/data/connection/sensor/sn", "/data/connection/patientDevice/did", "/data/connection/lastName"] {
        let full = own.body.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
        assert!(!full.is_empty(), "the owner reads {pointer}");
        assert_eq!(graph.body.pointer(pointer), Some(&json!("")), "{pointer} is not the viewer's");
        assert!(!graph.text.contains(full), "{pointer} is nowhere in the viewer's answer");
    }
    assert!(graph.body.get("glance").is_none(), "the glance only when asked for");
    // A link's first answer carries the glance as the app draws it (boot.js shows it before the app's code is in),
    // in the unit asked for; an unknown unit asks for nothing.
    for (unit, label) in [("mgdl", "mg/dL"), ("mmoll", "mmol/L")] {
        let first = share_get(&format!("/api/share/graph?glance={unit}"), &secret).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text);
        let glance = &first.body["glance"];
        let value = glance["value"].as_str().unwrap();
        assert!(glance["unit"] == label || ["LO", "HI"].contains(&value), "{glance}");
        assert!(matches!(glance["freshness"].as_str(), Some("current" | "signal-loss" | "stale")), "{glance}");
        assert!(glance["spoken"].as_str().unwrap().starts_with(value), "{glance}");
        assert_eq!(glance["patient"].as_str().map(str::is_empty), Some(false), "{glance}");
    }
    let odd = share_get("/api/share/graph?glance=%3Cscript%3E", &secret).await;
    assert_eq!(odd.status, StatusCode::OK, "{}", odd.text);
    assert!(odd.body.get("glance").is_none(), "{}", odd.text);
    let logbook = share_get("/api/share/logbook", &secret).await;
    assert_eq!(logbook.status, StatusCode::OK, "{}", logbook.text);
    assert_no_owner_secrets(&logbook, &email);

    let list = get("/api/shares", &token).await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = &list.body["shares"][0];
    assert_eq!(
        (listed["id"].as_str(), listed["label"].as_str(), listed["state"].as_str()),
        (Some(id.as_str()), Some("Grandma"), Some("active"))
    );
    assert!(listed["lastUsed"].as_i64().is_some(), "{listed}");
    assert!(!list.text.contains(&secret) && !list.text.contains(&sha256_hex(&secret)), "the list shows no secret");

    let revoked =
        send(Method::DELETE, &format!("/api/shares/{id}"), &[("authorization", &format!("Bearer {token}"))], None)
            .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    // The very next request is refused (strongly consistent book: the guaranteed revocation delay is zero).
    let after = share_get("/api/share/graph", &secret).await;
    assert_eq!((after.status, after.code()), (StatusCode::GONE, "share_gone"), "{}", after.text);
    assert_eq!(get("/api/shares", &token).await.body["shares"][0]["state"], "revoked");
    // Unknown answers exactly like revoked.
    let unknown = share_get("/api/share/graph", "AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!((unknown.status, &unknown.body), (after.status, &after.body));
}

#[tokio::test]
async fn share_secrets_are_128_random_bits_and_open_nothing_else() {
    let email = account("share-scope", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &token).await);
    let mut secrets = std::collections::HashSet::new();
    for i in 0..5 {
        let created = create_share(&token, &patient, &format!("Viewer {i}")).await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert_eq!(secret.len(), 22, "{secret}");
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{secret}");
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&secret).unwrap();
        assert_eq!(bytes.len(), 16);
        assert!(secrets.insert(secret));
    }
    let secret = secrets.iter().next().unwrap().clone();
    let share_id = get("/api/shares", &token).await.body["shares"][0]["id"].as_str().unwrap().to_owned();
    let graph = format!("/llu/connections/{patient}/graph");
    for scheme in ["Share", "Bearer"] {
        let auth = format!("{scheme} {secret}");
        for (method, path) in [
            (Method::GET, "/llu/connections"),
            (Method::GET, graph.as_str()),
            (Method::GET, "/api/shares"),
            (Method::POST, "/api/shares"),
            (Method::DELETE, &format!("/api/shares/{share_id}")),
        ] {
            let body = (method == Method::POST).then(|| json!({"patientId": patient, "label": "x"}).to_string());
            let answer = send(method.clone(), path, &[("authorization", &auth)], body).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{scheme} on {method} {path}: {}", answer.text);
        }
    }
    assert_eq!(get("/api/shares", &token).await.body["shares"].as_array().unwrap().len(), 5, "nothing was revoked");
    // Bad requests: a patient the account does not follow, lifetimes outside 1–365 days.
    let owner = format!("Bearer {token}");
    for body in [
        json!({"patientId": "00000000-0000-4000-8000-000000000000", "label": "x"}),
        json!({"patientId": patient, "label": "x", "expiresInDays": 0}),
        json!({"patientId": patient, "label": "x", "expiresInDays": 366}),
        json!({"patientId": patient, "label": ""}),
    ] {
        let answer = send(Method::POST, "/api/shares", &[("authorization", &owner)], Some(body.to_string())).await;
        assert!(answer.status.is_client_error(), "{body}: {}", answer.text);
    }
}

#[tokio::test]
async fn twenty_viewers_of_a_share_cost_one_upstream_call() {
    let (email, _, _, secret) = shared_patient("share-load", "Family").await;
    let viewers = (0..20).map(|_| share_get("/api/share/graph", &secret));
    for answer in futures::future::join_all(viewers).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    assert_eq!(stack().fake.count(&email, CallKind::Graph), 1);
}

#[tokio::test]
async fn nightscout_clients_read_a_share() {
    let email = account("share-ns", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &token).await);
    let created = create_share(&token, &patient, "Watch").await;
    let link = created["secret"].as_str().unwrap().to_owned();
    // The Nightscout apps get a token of their own, in the Nightscout URL; the link's secret is in no URL query.
    let secret = created["nightscoutToken"].as_str().unwrap().to_owned();
    let url = created["nightscout"].as_str().unwrap();
    assert!(url.ends_with(&format!("?token={secret}")) && !url.contains(&link), "{url}");
    let graph = share_get("/api/share/graph", &link).await;
    let current = graph.body["data"]["connection"]["glucoseMeasurement"]["ValueInMgPerDl"].as_i64().unwrap();

    let entries = send(Method::GET, &format!("/api/v1/entries.json?count=5&token={secret}"), &[], None).await;
    assert_eq!(entries.status, StatusCode::OK, "{}", entries.text);
    let list = entries.body.as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[0]["sgv"].as_i64(), Some(current), "the newest entry is the current value");
    let dates: Vec<i64> = list.iter().map(|e| e["date"].as_i64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]), "newest first: {dates:?}");
    for e in list {
        assert_eq!(e["type"], "sgv");
        assert!(e["dateString"].as_str().unwrap().ends_with('Z'));
        assert_eq!(e["device"], "tidewatch");
        let directions = [
            "DoubleUp",
            "SingleUp",
            "FortyFiveUp",
            "Flat",
            "FortyFiveDown",
            "SingleDown",
            "DoubleDown",
            "NOT COMPUTABLE",
        ];
        assert!(directions.contains(&e["direction"].as_str().unwrap()), "{e}");
    }
    assert_no_owner_secrets(&entries, &email);
    // `api-secret` as the SHA-1 of the secret; a date filter; current; pebble in mmol/L; status.
    let sha1: String = {
        use sha1::Digest as _;
        sha1::Sha1::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    };
    let since = dates[2];
    let filtered = send(
        Method::GET,
        &format!("/api/v1/entries/sgv.json?find%5Bdate%5D%5B%24gte%5D={since}"),
        &[("api-secret", &sha1)],
        None,
    )
    .await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.text);
    assert_eq!(filtered.body.as_array().unwrap().len(), 3);
    let now = send(Method::GET, &format!("/api/v1/entries/current.json?token={secret}"), &[], None).await;
    assert_eq!(now.body[0]["sgv"].as_i64(), Some(current));
    let pebble = send(Method::GET, &format!("/pebble?count=2&units=mmol&token={secret}"), &[], None).await;
    assert_eq!(pebble.status, StatusCode::OK, "{}", pebble.text);
    assert!(pebble.body["bgs"][0]["sgv"].as_str().unwrap().contains('.'), "{}", pebble.text);
    let status = send(Method::GET, &format!("/api/v1/status.json?token={secret}"), &[], None).await;
    assert_eq!((status.status, status.body["status"].as_str()), (StatusCode::OK, Some("ok")));
    // The token reads Nightscout and nothing else (not the link's page, nor its phones' alarms, which open the
    // link the same way); and the link's secret, which the app keeps out of every URL, does not read Nightscout.
    assert_eq!(share_get("/api/share/graph", &secret).await.status, StatusCode::GONE);
    assert_eq!(
        send(Method::GET, &format!("/api/v1/entries.json?token={link}"), &[], None).await.status,
        StatusCode::GONE
    );
    // No secret, or a wrong one.
    assert_eq!(send(Method::GET, "/api/v1/entries.json", &[], None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(Method::GET, "/pebble?token=nope", &[], None).await.status, StatusCode::GONE);
    // One upstream graph call served all of it.
    assert_eq!(stack().fake.count(&email, CallKind::Graph), 1);
}

#[tokio::test]
async fn viewers_are_told_when_the_owner_must_sign_in_again() {
    let (email, _, _, secret) = shared_patient("share-dead", "Grandma").await;
    // LibreLinkUp ends the owner's session; the logbook is not cached yet, so the next read reaches it.
    stack().fake.revoke_tokens(&email);
    let dead = share_get("/api/share/logbook", &secret).await;
    assert_eq!((dead.status, dead.code()), (StatusCode::SERVICE_UNAVAILABLE, "owner_signed_out"), "{}", dead.text);
    assert!(dead.body["error"]["message"].as_str().unwrap().contains("Ask Alex"), "{}", dead.text);
    let again = share_get("/api/share/graph", &secret).await;
    assert_eq!(again.code(), "owner_signed_out", "every read says so, without calling LibreLinkUp");
    // The owner signs in again: the link works again.
    let token = signed_in(&email).await;
    assert_eq!(get("/api/shares", &token).await.body["shares"][0]["state"], "active");
    let back = share_get("/api/share/logbook", &secret).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
}

#[tokio::test]
async fn guessing_share_secrets_is_rate_limited_per_ip() {
    // Its own stack: the limit is per IP, and every test here comes from 127.0.0.1.
    let own = Stack::start(&[]).expect("a second stack");
    let email = format!("guess-{}@proxy.test", std::process::id());
    own.fake.add_account(Account::new(&email, "right-password"));
    let http = client();
    let secret = own.share_first_patient(&email, "right-password", "x").await.unwrap();
    let secret = secret.as_str();
    let view = |secret: String| {
        let http = http.clone();
        let url = own.url("/api/share/graph");
        async move { http.get(url).header("authorization", format!("Share {secret}")).send().await.unwrap() }
    };
    assert_eq!(view(secret.to_owned()).await.status(), StatusCode::OK);
    for i in 0..tidewatch_proxy::shares::MISSES_PER_WINDOW {
        assert_eq!(view(format!("wrong-guess-{i}")).await.status(), StatusCode::GONE);
    }
    let limited = view("one-more-guess".into()).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(view(secret.to_owned()).await.status(), StatusCode::TOO_MANY_REQUESTS, "refused until the window ends");
}

#[tokio::test]
async fn demo_visitors_share_the_demo_but_not_each_others_links() {
    let demo = |()| async {
        let answer = send(Method::POST, "/api/demo", &[], None).await;
        format!("Bearer {}", answer.token())
    };
    let (first, second) = (demo(()).await, demo(()).await);
    let key = SessionKey::from_secret(TEST_SESSION_KEY).unwrap();
    let visit_ends = key.open(first.trim_start_matches("Bearer "), 0).unwrap().expires;
    let connections = send(Method::GET, "/llu/connections", &[("authorization", &first)], None).await;
    let patient = first_patient(&connections);
    let body = json!({"patientId": patient, "label": "Demo viewer", "expiresInDays": 365}).to_string();
    let created = send(Method::POST, "/api/shares", &[("authorization", &first)], Some(body)).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let listed = send(Method::GET, "/api/shares", &[("authorization", &first)], None).await;
    let expires = listed.body["shares"][0]["expires"].as_i64().unwrap();
    assert!(expires <= visit_ends, "a demo link ends with the visit ({expires} > {visit_ends})");
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(share_get("/api/share/graph", &secret).await.status, StatusCode::OK);
    let theirs = send(Method::GET, "/api/shares", &[("authorization", &second)], None).await;
    assert_eq!(theirs.body["shares"].as_array().map(Vec::len), Some(0), "{}", theirs.text);
    let id = created.body["id"].as_str().unwrap();
    let revoke = send(Method::DELETE, &format!("/api/shares/{id}"), &[("authorization", &second)], None).await;
    assert_eq!(revoke.status, StatusCode::NOT_FOUND, "{}", revoke.text);
    assert_eq!(share_get("/api/share/graph", &secret).await.status, StatusCode::OK);
}

/// `proxy-bench`'s second runner (`tests/bench/workerd.mjs`: the worker in workerd through Miniflare, without
/// `wrangler dev`) serves the same worker with its Durable Objects, so its latency rows measure this worker.
#[tokio::test]
async fn the_benchmarks_bare_workerd_runner_serves_the_worker_and_its_objects() {
    let bare = tokio::task::spawn_blocking(|| Stack::start_bare(&[])).await.unwrap().unwrap();
    let email = format!("bare-{}@tidewatch.test", std::process::id());
    bare.fake.add_account(Account::new(&email, "right-password"));
    let http = client();
    let login = json!({"email": email, "password": "right-password"});
    let answer: Value = http.post(bare.url("/llu/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = answer["data"]["authTicket"]["token"].as_str().expect("a sealed session").to_owned();
    for _ in 0..2 {
        let response = http.get(bare.url("/llu/connections")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let list: Value = response.json().await.unwrap();
        assert!(list["data"][0]["patientId"].is_string(), "{list}");
    }
    assert_eq!(bare.fake.count(&email, CallKind::Connections), 1, "the second read came from the hub's cache");
    tokio::task::spawn_blocking(move || drop(bare)).await.unwrap();
}

/// A private server (`ALLOWED_ACCOUNTS`, `DEMO=off`) relays only its family's sign-ins to LibreLinkUp, and serves
/// no demo: neither a new demo session nor one sealed before the demo was turned off.
#[tokio::test]
async fn a_private_server_relays_only_its_familys_sign_ins_and_serves_no_demo() {
    let family = email("private-family");
    let private =
        Stack::start_worker_only(&[("ALLOWED_ACCOUNTS", &format!("someone@else.test, {family}")), ("DEMO", "off")])
            .expect("a private stack");
    let stranger = email("private-stranger");
    for address in [&family, &stranger] {
        private.fake.add_account(Account::new(address, "right-password"));
    }
    let http = client();
    let login = |address: &str| {
        let body = json!({"email": address, "password": "right-password"});
        http.post(private.url("/llu/auth/login")).json(&body).send()
    };
    let refused = login(&stranger).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_not_allowed", "{body}");
    assert!(private.fake.calls(&stranger).is_empty(), "nothing reached LibreLinkUp for a stranger");
    assert_eq!(login(&family).await.unwrap().status(), StatusCode::OK, "the family signs in");
    let demo = http.post(private.url("/api/demo")).send().await.unwrap();
    assert_eq!(demo.status(), StatusCode::NOT_FOUND);
    assert_eq!(login("demo@tidewatch.invalid").await.unwrap().status(), StatusCode::NOT_FOUND);
    // A demo session from before the demo was turned off reads nothing any more.
    let key = SessionKey::from_secret(TEST_SESSION_KEY).unwrap();
    let session = Session {
        llu_token: "demo".into(),
        region: Region::Global,
        account_id: "demo".into(),
        expires: i64::MAX / 2,
        kind: Kind::Demo,
        id: None,
        signed_in_ms: None,
        ends: None,
    };
    let sealed = key.seal(&session, [9; 12]);
    let read = http.get(private.url("/llu/connections")).bearer_auth(&sealed).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::NOT_FOUND);
}

/// One client network makes at most `LOGINS_PER_CLIENT` sign-ins in ten minutes, whatever e-mails it tries: the
/// next is refused with the time to wait, before anything reaches LibreLinkUp.
#[tokio::test]
async fn one_client_cannot_try_passwords_at_scale() {
    let limited = Stack::start_worker_only(&[("LOGINS_PER_CLIENT", "3")]).expect("a limited stack");
    let http = client();
    let attempt = |address: String| {
        let body = json!({"email": address, "password": "a-guess"});
        http.post(limited.url("/llu/auth/login")).json(&body).send()
    };
    let tried: Vec<String> = (0..4).map(|n| email(&format!("scale-{n}"))).collect();
    for address in &tried[..3] {
        assert_eq!(attempt(address.clone()).await.unwrap().status(), StatusCode::UNAUTHORIZED, "{address}");
    }
    let refused = attempt(tried[3].clone()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u32 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_logins", "{body}");
    assert!(limited.fake.calls(&tried[3]).is_empty(), "the fourth never reached LibreLinkUp");
}

/// A link that does not share alarms does not give the patient's alarm history (the logbook) either.
#[tokio::test]
async fn a_link_without_alarms_gives_no_logbook() {
    let email = account("no-alarms", Region::Eu, |_| {});
    let token = signed_in(&email).await;
    let patient = first_patient(&get("/llu/connections", &token).await);
    let body = json!({"patientId": patient, "label": "Neighbour", "alarms": false}).to_string();
    let created = send(Method::POST, "/api/shares", &[("authorization", &format!("Bearer {token}"))], Some(body)).await;
    let secret = created.body["secret"].as_str().unwrap();
    assert_eq!(share_get("/api/share/graph", secret).await.status, StatusCode::OK, "the graph is shared");
    let logbook = share_get("/api/share/logbook", secret).await;
    assert_eq!((logbook.status, logbook.code()), (StatusCode::FORBIDDEN, "logbook_not_shared"), "{}", logbook.text);
}

/// A server whose configuration is wrong says so to its operator's log, never to a caller: the body does not name
/// the secret that is missing or weak.
#[tokio::test]
async fn a_configuration_error_names_no_secret_to_callers() {
    let zeros = "0".repeat(64);
    let broken = Stack::start_worker_only(&[("SESSION_KEY", &zeros)]).expect("a stack with a weak key");
    let answer = client().get(broken.url("/llu/connections")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = answer.text().await.unwrap();
    assert!(text.contains("not_configured") && !text.contains("SESSION_KEY"), "{text}");
}
