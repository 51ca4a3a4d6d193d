//! The one adapter for LibreLinkUp (design decision 4): hosts, headers, the login redirect, the version floor.
//! Everything LLU-specific in the worker is here; `shared::llu` says what each answer means.

use shared::code::Code;
use std::cell::RefCell;

use serde_json::Value;
use shared::llu::{Endpoint, MAX_BODY_BYTES, Outcome, Payload, Region, StepKind, Ticket, classify_envelope};
use worker::{Fetch, Headers, Method, Request, web_sys};

use crate::config::Config;
pub use crate::config::Upstream;
use crate::error::{ApiError, ApiResult};

/// Login redirects followed per attempt (global → regional → another region is two).
pub const MAX_REDIRECTS: usize = 3;
/// How long LibreLinkUp may take to answer one call, body included (it answers in well under a second).
pub const UPSTREAM_TIMEOUT_MS: u64 = 15_000;

/// The credentials of an authenticated call.
#[derive(Clone, Copy, Debug)]
pub struct Auth<'a> {
    /// The LLU token.
    pub token: &'a str,
    /// `account-id`: SHA-256 of the user id (empty for step tokens, as LLU clients send it).
    pub account_id: &'a str,
}

thread_local! {
    /// A `minimumVersion` LLU asked for, adopted for the life of this isolate (design decision 5: no redeploy), and
    /// kept by the hub's `settings` object for the next isolates.
    static ADOPTED_VERSION: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this isolate has asked the `settings` object for the version adopted before it started.
    static VERSION_SYNCED: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Whether this isolate still has to ask for the adopted version (once per isolate).
pub fn version_unsynced() -> bool {
    !VERSION_SYNCED.get()
}

/// This isolate has asked for the adopted version.
pub fn version_synced() {
    VERSION_SYNCED.set(true);
}

/// The version adopted in this isolate, if any.
pub fn adopted_version() -> Option<String> {
    ADOPTED_VERSION.with_borrow(Clone::clone)
}

/// Compares dotted versions numerically (`4.16.0` < `4.17.0` < `4.100`).
pub fn version_less(a: &str, b: &str) -> bool {
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    let (mut a, mut b) = (parts(a), parts(b));
    let len = a.len().max(b.len());
    a.resize(len, 0);
    b.resize(len, 0);
    a < b
}

/// The `version` header to send: the configured one, or a higher one LLU asked for.
pub fn effective_version(configured: &str) -> String {
    ADOPTED_VERSION.with_borrow(|adopted| match adopted {
        Some(adopted) if version_less(configured, adopted) => adopted.clone(),
        _ => configured.to_owned(),
    })
}

/// Remembers a version LLU asked for. Returns whether it is newer than what was sent.
pub fn adopt_version(sent: &str, asked: &str) -> bool {
    let newer = version_less(sent, asked);
    if newer {
        ADOPTED_VERSION.with_borrow_mut(|adopted| *adopted = Some(asked.to_owned()));
    }
    newer
}

/// The `User-Agent` sent to LibreLinkUp: `LLU_USER_AGENT` when set, else one like the LibreLinkUp app's for the
/// `product` and `version` sent (iOS's URL loading system, or Android's HTTP client). Abbott's API sits behind
/// Cloudflare, which answers a request without one, or with an HTTP library's, with a 403 block page
/// (llu-protocol.md 2.5); the Workers runtime adds none.
pub fn user_agent(config: &Config, version: &str) -> String {
    if let Some(configured) = &config.user_agent {
        return configured.clone();
    }
    if config.product.contains("ios") {
        format!("LibreLinkUp/{version} CFNetwork/1568.100.1 Darwin/24.0.0")
    } else {
        format!("LibreLinkUp/{version} (Linux; Android 14; Pixel 8) okhttp/4.12.0")
    }
}

/// The headers LLU demands (llu-protocol.md 2.1), and nothing a client sent.
pub fn request_headers(config: &Config, version: &str, auth: Option<Auth<'_>>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("user-agent", user_agent(config, version)),
        ("product", config.product.clone()),
        ("version", version.to_owned()),
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json".to_owned()),
        ("cache-control", "no-cache".to_owned()),
    ];
    if let Some(auth) = auth {
        headers.push(("authorization", format!("Bearer {}", auth.token)));
        headers.push(("account-id", auth.account_id.to_owned()));
    }
    headers
}

/// An upstream answer, read (at most [`MAX_BODY_BYTES`] + 1 bytes of body).
#[derive(Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Never the body: a login's holds the LLU token.
impl core::fmt::Debug for Answer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Answer").field("status", &self.status).field("body_bytes", &self.body.len()).finish()
    }
}

impl Answer {
    /// What this answer means (`classify_envelope`: the worker passes `data` through and the app checks its
    /// shape, so only logins are decoded here).
    pub fn classify(&self, endpoint: Endpoint) -> Outcome {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        classify_envelope(endpoint, self.status, &headers, &self.body)
    }

    /// The body as JSON (only called after `classify` said it is an LLU answer).
    pub fn json(&self) -> Value {
        shared::json_from_bytes(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP exchange with the upstream, answered in [`UPSTREAM_TIMEOUT_MS`] or failed as unreachable: a hung
/// LibreLinkUp must hold no viewer, and no cron run (whose stale-data alarm is how a family learns of it), for
/// longer.
async fn send(method: Method, url: &str, headers: &[(&'static str, String)], body: Option<&str>) -> ApiResult<Answer> {
    let deadline = worker::Delay::from(core::time::Duration::from_millis(UPSTREAM_TIMEOUT_MS));
    let exchange = core::pin::pin!(exchange(method, url, headers, body));
    match futures::future::select(exchange, deadline).await {
        // Both ready at once: the answer wins (`select` polls the left first).
        futures::future::Either::Left((answer, _)) => answer,
        futures::future::Either::Right(_) => Err(ApiError::upstream_unreachable()),
    }
}

/// [`send`] without its deadline. Redirects are never followed by `fetch` (LLU's redirect is in JSON).
async fn exchange(
    method: Method,
    url: &str,
    headers: &[(&'static str, String)],
    body: Option<&str>,
) -> ApiResult<Answer> {
    // web_sys's RequestInit, not worker's: the latter serialises Cloudflare's `cf` options (image resizing, …)
    // through serde_wasm_bindgen, which the worker never uses and which costs size.
    let request_headers = Headers::new();
    for (name, value) in headers {
        request_headers.set(name, value).map_err(|_| ApiError::internal())?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(&request_headers.0);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| ApiError::internal())?;
    let request = Request::from(request);
    let mut response = Fetch::Request(request).send().await.map_err(|_| ApiError::upstream_unreachable())?;
    let status = response.status_code();
    let headers = response.headers().entries().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
    let mut body = Vec::new();
    if let Ok(mut stream) = response.stream() {
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            let chunk = chunk.map_err(|_| ApiError::upstream_unreachable())?;
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY_BYTES {
                break;
            }
        }
    }
    Ok(Answer { status, headers, body })
}

/// One LLU call at `region`, classified. A `920` with a sane `minimumVersion` newer than the one sent is adopted
/// and the call is repeated once.
pub async fn call(
    config: &Config,
    endpoint: Endpoint,
    region: Region,
    method: Method,
    path_and_query: &str,
    body: Option<&str>,
    auth: Option<Auth<'_>>,
) -> ApiResult<(Outcome, Answer)> {
    let url = format!("{}{path_and_query}", config.upstream.base(region));
    let mut version = effective_version(&config.version);
    let mut retried = false;
    loop {
        let headers = request_headers(config, &version, auth);
        let answer = send(method.clone(), &url, &headers, body).await?;
        let outcome = answer.classify(endpoint);
        if let Outcome::MinimumVersion { version: Some(asked) } = &outcome
            && !retried
            && adopt_version(&version, asked)
        {
            version.clone_from(asked);
            retried = true;
            continue;
        }
        if let Outcome::ProtocolChanged { encrypted } = &outcome {
            // The operator's alert: nothing this server does will read it until its code learns the new protocol.
            let shape = if *encrypted { "an encrypted envelope" } else { "its new error shape" };
            worker::console_error!(
                "ALERT: LibreLinkUp answered {endpoint:?} at {region:?} in LibreLinkUp 5's protocol ({shape}); this \
                 server cannot read it. See llu-protocol.md section 0."
            );
        }
        return Ok((outcome, answer));
    }
}

/// A login (or a document acceptance) that LLU accepted: signed in, or a step first. Serialisable, so the hub
/// hands it to the worker as it is.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignIn {
    /// Signed in.
    Success {
        /// Where the account lives.
        region: Region,
        /// The follower's user id.
        user_id: String,
        /// The 180-day token.
        ticket: Ticket,
        /// LLU's whole answer (its `authTicket` is replaced before it leaves the worker).
        body: Value,
    },
    /// LLU asks for a step first.
    Step {
        /// Where the account lives.
        region: Region,
        /// Which step.
        kind: StepKind,
        /// The 1-hour step token.
        ticket: Option<Ticket>,
        /// LLU's whole answer.
        body: Value,
    },
}

/// Never LLU's answer (its `authTicket`); the ticket redacts itself.
impl core::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SignIn::Success { region, ticket, .. } => f
                .debug_struct("SignIn::Success")
                .field("region", region)
                .field("ticket", ticket)
                .finish_non_exhaustive(),
            SignIn::Step { region, .. } => {
                f.debug_struct("SignIn::Step").field("region", region).finish_non_exhaustive()
            }
        }
    }
}

/// How a login (or a document acceptance) ended.
#[derive(Clone, Debug)]
pub enum LoginEnd {
    /// LLU accepted it.
    Accepted(SignIn),
    /// Anything else (bad password, lockout, maintenance, …).
    Failed(Outcome),
}

impl LoginEnd {
    fn from_outcome(region: Region, outcome: Outcome, answer: &Answer) -> LoginEnd {
        match outcome {
            Outcome::Success { payload: Payload::Login(login), .. } => LoginEnd::Accepted(SignIn::Success {
                region,
                user_id: login.user.id.clone(),
                ticket: login.auth_ticket.clone(),
                body: answer.json(),
            }),
            Outcome::Step { kind, ticket } => {
                LoginEnd::Accepted(SignIn::Step { region, kind, ticket, body: answer.json() })
            }
            other => LoginEnd::Failed(other),
        }
    }
}

/// `POST /llu/auth/login`, starting at the global host and following region redirects (known regions only, at
/// most [`MAX_REDIRECTS`]). A bad password is never retried.
pub async fn login(config: &Config, email: &str, password: &str, entry: Region) -> ApiResult<LoginEnd> {
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    let mut region = entry;
    for _ in 0..=MAX_REDIRECTS {
        let (outcome, answer) =
            call(config, Endpoint::Login, region, Method::Post, "/llu/auth/login", Some(&body), None).await?;
        match outcome {
            Outcome::Redirect { region: next } if next != region => region = next,
            Outcome::Redirect { .. } => break,
            other => return Ok(LoginEnd::from_outcome(region, other, &answer)),
        }
    }
    Err(ApiError::new(502, Code::RedirectLoop, "LibreLinkUp kept redirecting the login. Try again later."))
}

/// `POST /auth/continue/{document}` with a step token, at the account's region.
pub async fn accept(config: &Config, region: Region, document: &str, step_token: &str) -> ApiResult<LoginEnd> {
    let path = format!("/auth/continue/{document}");
    let auth = Auth { token: step_token, account_id: "" };
    let (outcome, answer) = call(config, Endpoint::ContinueStep, region, Method::Post, &path, None, Some(auth)).await?;
    Ok(LoginEnd::from_outcome(region, outcome, &answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;

    #[test]
    fn upstream_is_libreview_or_a_base_url() {
        assert_eq!(Upstream::parse(None), Ok(Upstream::LibreView));
        assert_eq!(Upstream::parse(Some(" LibreView ")), Ok(Upstream::LibreView));
        assert_eq!(Upstream::parse(Some("http://127.0.0.1:9000/")), Ok(Upstream::Base("http://127.0.0.1:9000".into())));
        for bad in ["ftp://x", "127.0.0.1:9000", "http://", "http://a?b", "http://u@evil", "javascript:x"] {
            assert!(Upstream::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_region_has_one_base() {
        let fake = Upstream::Base("http://127.0.0.1:9000".into());
        assert_eq!(fake.base(Region::Global), "http://127.0.0.1:9000");
        assert_eq!(fake.base(Region::Eu2), "http://127.0.0.1:9000/eu2");
        assert_eq!(Upstream::LibreView.base(Region::De), "https://api-de.libreview.io");
        assert_eq!(Upstream::LibreView.base(Region::Ru), "https://api.libreview.ru");
    }

    #[test]
    fn sign_ins_cross_from_the_hub_unchanged() {
        let ticket = Ticket { token: "jwt".into(), expires: 5, duration: 6 };
        let body = serde_json::json!({"status": 4, "data": {"step": {"type": "tou"}}});
        let step = SignIn::Step { region: Region::De, kind: StepKind::TermsOfUse, ticket: Some(ticket.clone()), body };
        let Some(SignIn::Step { region, kind, ticket: read, body }) = wire::from_json(&wire::to_json(&step)) else {
            panic!("the step did not round-trip")
        };
        assert_eq!(
            (region, kind, read, body["status"].as_i64()),
            (Region::De, StepKind::TermsOfUse, Some(ticket.clone()), Some(4))
        );
        let verify = SignIn::Step {
            region: Region::Us,
            kind: StepKind::Other("newThing".into()),
            ticket: None,
            body: Value::Null,
        };
        assert!(
            matches!(wire::from_json(&wire::to_json(&verify)), Some(SignIn::Step { kind: StepKind::Other(k), ticket: None, .. }) if k == "newThing")
        );
        let success = SignIn::Success { region: Region::Eu2, user_id: "u".into(), ticket, body: Value::Null };
        assert!(
            matches!(wire::from_json(&wire::to_json(&success)), Some(SignIn::Success { region: Region::Eu2, user_id, .. }) if user_id == "u")
        );
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_less("4.16.0", "4.17.0"));
        assert!(version_less("4.9.0", "4.16.0"));
        assert!(version_less("4.16", "4.16.1"));
        assert!(!version_less("4.16.0", "4.16"));
        assert!(!version_less("5.0.0", "4.99.9"));
    }

    #[test]
    fn a_newer_minimum_version_is_adopted_and_an_older_one_ignored() {
        assert_eq!(effective_version("4.17.0"), "4.17.0");
        assert!(!adopt_version("4.17.0", "4.16.0"));
        assert_eq!(effective_version("4.17.0"), "4.17.0");
        assert!(adopt_version("4.17.0", "4.18.2"));
        assert_eq!(effective_version("4.17.0"), "4.18.2");
        assert_eq!(effective_version("4.19.0"), "4.19.0", "a newer configured version wins");
    }
}
