//! A faithful fake of LibreLinkUp's v4 (`/llu/*`) API on 127.0.0.1, plain HTTP, every region on one address.
//!
//! The global host has no path prefix (`http://127.0.0.1:PORT/llu/auth/login`); each regional host lives
//! under its code (`http://127.0.0.1:PORT/eu2/llu/connections`, codes from [`Region::code`], `global`
//! excluded). Any other prefix answers 404. The behaviour follows llu-protocol.md sections 1–6, failures
//! included: login redirects (also regional → regional), bad credentials, the 3-failure lockout, ToU/PP/e-mail
//! steps and `/auth/continue/{type}`, JWT-shaped tokens that roll forward and can be revoked, the version floor,
//! `account-id`, sessions used at the wrong regional host, unknown patients, maintenance (body or HTTP 911),
//! per-account rate limits, Cloudflare blocks, and stale data. The data itself comes from
//! `shared::simulate`. The choices made where the protocol notes are silent are listed in the `state` module's
//! docs (`tests/src/fake/state.rs`).
//!
//! What LibreLinkUp (and Cloudflare in front of it) does, and how a test makes the fake do it:
//!
//! | behaviour | how to get it | what the fake answers |
//! |---|---|---|
//! | sign-in at the global host | always | status 0 `redirect` to the home region ([`Account::region`], via [`Account::via`]) |
//! | an account in Russia or China | [`Account::region`] `ru` or `cn` | unknown at the global host (status 2); signed in at its own |
//! | wrong password, lockout | a wrong password; three in 60 s | status 2; then the `locked` body for 300 s |
//! | terms, privacy notice, e-mail check | [`Account::steps`] | status 4 with the step and a 1-hour step token |
//! | version floor | [`Account::min_version`] | HTTP 403 `{"status":920,"data":{"minimumVersion"}}` on data calls |
//! | `account-id` missing or wrong | the caller's headers | HTTP 400 `RequiredHeaderMissing` / `AccountIdMismatch` |
//! | a session at another region | the caller's host | status 911 (connections) or `couldNotLoadPatient` |
//! | an unknown patient | the caller's path | `couldNotLoadPatient` |
//! | a refused or expired token | [`FakeLlu::revoke_tokens`], the token's age | HTTP 401 `invalid or expired jwt` |
//! | maintenance | [`Account::maintenance`] | status 911 in a 200, or HTTP 911 |
//! | too many requests | [`Account::rate_limit`] | HTTP 429 with `Retry-After` |
//! | Cloudflare block (account, whole server) | [`Account::edge_block`], [`FakeLlu::set_edge_block`] | HTTP 403 HTML block page |
//! | Cloudflare blocks a script | no `User-Agent`, or an HTTP library's | HTTP 403 HTML block page |
//! | new documents to accept in the app | [`Account::new_documents`] | HTTP 430 at sign-in |
//! | LibreLinkUp 5's protocol | [`Account::llu5`] | sign-in: HTTP 400 `{"code":5,"errors":[...]}`; data: the encrypted envelope |
//! | the wearer's phone stopped uploading | [`Account::data_delay_secs`] | readings that stop that long ago |
//! | a slow upstream | [`Account::answer_delay_ms`] | data answers that late |
//! | tickets that roll forward | always | every data answer carries a fresh 180-day `ticket` |
//! | short-lived tokens | [`Account::token_secs`] | sign-in tokens and tickets that last that long |
//!
//! A small control API under `/__fake/` (never under a region prefix, never recorded as a call) lets other
//! languages drive the `fake-libreview` binary:
//! - `POST /__fake/accounts` with an [`Account`] as JSON (only `email` and `password` required; the JSON form
//!   is described on [`Account`]) adds or replaces it;
//! - `GET /__fake/calls?email=…` lists the [`Call`]s attributed to that e-mail (every call without `email`);
//! - `POST /__fake/reset` forgets the recorded calls.

mod bodies;
/// The fake's answers written out as the repository's own LibreLinkUp fixtures.
pub mod fixtures;
mod model;
mod request;
mod state;
mod token;

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::json;
use shared::llu::{Region, StepKind};
use shared::simulate::Patient;
use shared::time::{MINUTE, UtcTime};
use tokio::sync::oneshot;

pub use model::{Account, Call, CallKind, DEFAULT_MIN_VERSION, Maintenance, RateLimit, account_id_for, user_id_for};
use request::{Incoming, Reply};
use state::State;

/// A `User-Agent` like the LibreLinkUp app's, for tests that call the fake directly: the fake, like Cloudflare in
/// front of LibreLinkUp, blocks requests without one or with an HTTP library's (`request::is_library_user_agent`).
pub const APP_USER_AGENT: &str = "LibreLinkUp/4.17.0 (Linux; Android 14; Pixel 8) okhttp/4.12.0";

/// Request bodies larger than this are refused (413); a login is a few hundred bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The fake server. It runs on its own thread with its own tokio runtime and stops when dropped.
pub struct FakeLlu {
    base_url: String,
    state: Arc<Mutex<State>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeLlu {
    /// Starts on 127.0.0.1:`port` (0 = a free port) on its own thread with its own tokio runtime; returns once
    /// listening. It has no accounts until [`FakeLlu::add_account`] or [`FakeLlu::seed_defaults`].
    pub fn spawn(port: u16) -> io::Result<FakeLlu> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State::new(base_url.clone())));
        let app = Router::new().fallback(serve_request).with_state(Arc::clone(&state));
        let (shutdown, thread) = crate::serve::serve_on_thread("fake-llu", listener, app)?;
        Ok(FakeLlu { base_url, state, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the global host. Regional hosts are `{base_url}/{code}`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Adds an account, replacing one with the same e-mail (case ignored).
    pub fn add_account(&self, account: Account) {
        self.lock().add_account(account);
    }

    /// Changes an account in place (e.g. turns on maintenance); nothing happens for an unknown e-mail.
    pub fn update(&self, email: &str, f: impl FnOnce(&mut Account)) {
        self.lock().update(email, f);
    }

    /// Every token issued to this account so far now answers 401 `invalid or expired jwt` (new logins work).
    pub fn revoke_tokens(&self, email: &str) {
        self.lock().revoke_tokens(email);
    }

    /// Every request attributed to this account (by login e-mail or by token), oldest first.
    pub fn calls(&self, email: &str) -> Vec<Call> {
        self.lock().calls(email)
    }

    /// How many of this account's calls were of `kind`.
    pub fn count(&self, email: &str, kind: CallKind) -> usize {
        self.calls(email).iter().filter(|c| c.kind == kind).count()
    }

    /// Every request, attributable or not, oldest first (control calls under `/__fake/` excluded).
    pub fn all_calls(&self) -> Vec<Call> {
        self.lock().all_calls()
    }

    /// Makes the whole server answer Cloudflare's HTML 403 page (an IP ban), or stops it.
    pub fn set_edge_block(&self, on: bool) {
        self.lock().set_edge_block(on);
    }

    /// Adds the accounts of [`default_accounts`] (what the `fake-libreview` binary starts with).
    pub fn seed_defaults(&self) {
        let mut state = self.lock();
        for (account, _) in default_accounts() {
            state.add_account(account);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeLlu {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The accounts [`FakeLlu::seed_defaults`] adds, each with a line saying what it exercises.
pub fn default_accounts() -> Vec<(Account, &'static str)> {
    let family = Account {
        first_name: "Jamie".to_owned(),
        last_name: "Parent".to_owned(),
        country: "GB".to_owned(),
        region: Region::Eu2,
        ..Account::new("family@tidewatch.test", "family123")
    };
    let terms = Account {
        country: "DE".to_owned(),
        region: Region::De,
        via: Some(Region::Eu),
        steps: vec![StepKind::TermsOfUse, StepKind::PrivacyPolicy],
        patients: vec![Patient::demo()],
        ..Account::new("terms@tidewatch.test", "terms123")
    };
    let empty = Account {
        country: "US".to_owned(),
        region: Region::Us,
        patients: Vec::new(),
        ..Account::new("empty@tidewatch.test", "empty123")
    };
    let verify = Account {
        country: "FR".to_owned(),
        region: Region::Fr,
        steps: vec![StepKind::VerifyEmail],
        ..Account::new("verify@tidewatch.test", "verify123")
    };
    let stale = Account {
        patients: vec![Patient::demo()],
        data_delay_secs: 25 * MINUTE,
        ..Account::new("stale@tidewatch.test", "stale123")
    };
    let newer = Account { min_version: "4.18.0".to_owned(), ..Account::new("newer@tidewatch.test", "newer123") };
    let busy = Account {
        rate_limit: Some(RateLimit { max_calls: 3, per_secs: 60, retry_after_secs: 60 }),
        ..Account::new("busy@tidewatch.test", "busy123")
    };
    vec![
        (
            family,
            "lives in eu2 (GB), reached through the global redirect; two patients, the second with `sensor: null`",
        ),
        (terms, "global -> eu -> de redirects, then terms of use and privacy policy to accept (/auth/continue)"),
        (empty, "lives in us; no patients shared: /llu/connections answers []"),
        (verify, "lives in fr; e-mail not verified: status 4 verifyEmail, which the API cannot complete"),
        (stale, "lives in eu; the wearer's phone stopped uploading 25 minutes ago (stale data)"),
        (newer, "lives in eu; data endpoints want version >= 4.18.0 (403, status 920)"),
        (busy, "lives in eu; more than 3 calls a minute answer HTTP 429 with Retry-After: 60"),
    ]
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The real clock, as the fake's "now".
fn now() -> UtcTime {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UtcTime::from_unix_secs(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The one handler: every path goes through [`State::handle`], except `/__fake/`.
async fn serve_request(Shared(state): Shared<Arc<Mutex<State>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok().map(|b| b.to_vec());
    let path = parts.uri.path().to_owned();
    let method = parts.method.as_str().to_ascii_uppercase();
    let query = parts.uri.query().map(str::to_owned);
    if path == "/__fake" || path.starts_with("/__fake/") {
        return control(&state, &method, &path, query.as_deref(), body.as_deref());
    }
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let incoming = Incoming { method, path, query, headers, body };
    let (reply, ray, delay) = {
        let mut state = lock(&state);
        let delay = state.answer_delay_ms(&incoming);
        let reply = state.handle(&incoming, now());
        (reply, state.ray(), delay)
    };
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    to_response(reply, &ray)
}

/// An axum response; every answer carries Cloudflare's `server` and `cf-ray`, like the real API's.
fn to_response(reply: Reply, ray: &str) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, reply.content_type)
        .header(header::SERVER, "cloudflare");
    if !reply.headers.iter().any(|(name, _)| *name == "cf-ray") {
        builder = builder.header("cf-ray", ray);
    }
    for (name, value) in reply.headers {
        builder = builder.header(name, value);
    }
    match builder.body(Body::from(reply.body)) {
        Ok(response) => response,
        Err(_) => {
            let mut response = Response::new(Body::from("fake LLU: could not build the response"));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

/// `/__fake/`: accounts, calls, reset.
fn control(state: &Mutex<State>, method: &str, path: &str, query: Option<&str>, body: Option<&[u8]>) -> Response {
    let reply = match (method, path) {
        ("POST", "/__fake/accounts") => match body.map(serde_json::from_slice::<Account>) {
            Some(Ok(account)) => {
                let email = account.email.clone();
                lock(state).add_account(account);
                Reply::json(200, &json!({"ok": true, "email": email}))
            }
            Some(Err(e)) => Reply::json(400, &json!({"ok": false, "error": e.to_string()})),
            None => Reply::json(413, &json!({"ok": false, "error": "body too large"})),
        },
        ("GET", "/__fake/calls") => {
            let calls = match query_param(query.unwrap_or_default(), "email") {
                Some(email) => lock(state).calls(&email),
                None => lock(state).all_calls(),
            };
            match serde_json::to_value(calls) {
                Ok(calls) => Reply::json(200, &calls),
                Err(e) => Reply::json(500, &json!({"ok": false, "error": e.to_string()})),
            }
        }
        ("POST", "/__fake/reset") => {
            lock(state).reset_calls();
            Reply::json(200, &json!({"ok": true}))
        }
        _ => Reply::json(404, &json!({"ok": false, "error": "unknown control endpoint"})),
    };
    let ray = lock(state).ray();
    to_response(reply, &ray)
}

/// The first value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| percent_decode(v))
}

/// `%XX` and `+` decoding; a broken escape is kept as it is.
fn percent_decode(text: &str) -> String {
    let hex = |b: u8| char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let (hi, lo) = (bytes.next(), bytes.next());
                match (hi.and_then(hex), lo.and_then(hex)) {
                    (Some(h), Some(l)) => out.push(h * 16 + l),
                    _ => out.extend([Some(b'%'), hi, lo].into_iter().flatten()),
                }
            }
            _ => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(query_param("email=family%40tidewatch.test", "email").as_deref(), Some("family@tidewatch.test"));
        assert_eq!(query_param("a=1&email=x+y", "email").as_deref(), Some("x y"));
        assert_eq!(query_param("a=1", "email"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz1"), "%zz1");
    }

    #[test]
    fn default_accounts_cover_the_brief() {
        let accounts = default_accounts();
        let by_email = |e: &str| accounts.iter().map(|(a, _)| a).find(|a| a.email == e).unwrap();
        let family = by_email("family@tidewatch.test");
        assert_eq!((family.region, family.via, family.patients.len()), (Region::Eu2, None, 2));
        assert!(family.patients.iter().any(|p| p.sensor_null));
        let terms = by_email("terms@tidewatch.test");
        assert_eq!((terms.region, terms.via), (Region::De, Some(Region::Eu)));
        assert_eq!(terms.steps, [StepKind::TermsOfUse, StepKind::PrivacyPolicy]);
        assert!(by_email("empty@tidewatch.test").patients.is_empty());
        assert_eq!(by_email("verify@tidewatch.test").steps, [StepKind::VerifyEmail]);
        let mut emails: Vec<&str> = accounts.iter().map(|(a, _)| a.email.as_str()).collect();
        emails.sort_unstable();
        emails.dedup();
        assert_eq!(emails.len(), accounts.len());
    }
}
