//! Fakes of the loud channels' services on 127.0.0.1, answering as each one documents: ntfy's JSON publishing
//! (`POST /ntfy/` with `{topic, title, message, priority, tags}`; a protected topic wants its access token),
//! Pushover's Messages API (`POST /pushover/1/messages.json`; a known application token and user key, and an
//! emergency priority needs `retry` and `expire`), and a family's webhook (`POST /hook/{name}`; `/hook/down`
//! answers 503). Every request is recorded.
//!
//! Rust tests read it in-process ([`FakeLoud::received`]); other processes use `GET /__loud`.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The ntfy topic that needs [`NTFY_TOKEN`].
pub const NTFY_PROTECTED_TOPIC: &str = "family-private";
/// The access token of [`NTFY_PROTECTED_TOPIC`].
pub const NTFY_TOKEN: &str = "tk_familytoken0000000000000000";
/// The Pushover application token the fake knows.
pub const PUSHOVER_APP: &str = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
/// The Pushover user key the fake knows.
pub const PUSHOVER_USER: &str = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";

const MAX_BODY: usize = 64 * 1024;

/// One request a fake service got.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct LoudCall {
    /// `ntfy`, `pushover` or `hook`.
    pub service: String,
    /// The path.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body, as JSON (`null` if it was not JSON).
    pub body: Value,
    /// What the fake answered.
    pub status: u16,
}

/// The running fakes.
pub struct FakeLoud {
    base_url: String,
    calls: Arc<Mutex<Vec<LoudCall>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn lock(calls: &Mutex<Vec<LoudCall>>) -> MutexGuard<'_, Vec<LoudCall>> {
    calls.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeLoud {
    /// Starts on a free port of 127.0.0.1, on its own thread.
    pub fn spawn() -> io::Result<FakeLoud> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new().fallback(serve).with_state(Arc::clone(&calls));
        let (shutdown, thread) = crate::serve::serve_on_thread("fake-loud", listener, app)?;
        Ok(FakeLoud { base_url, calls, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT` (the worker's `LOUD_ORIGINS`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The ntfy server's URL (what a person types as the server).
    pub fn ntfy(&self) -> String {
        format!("{}/ntfy", self.base_url)
    }

    /// Pushover's message endpoint (the worker's `PUSHOVER_URL`).
    pub fn pushover(&self) -> String {
        format!("{}/pushover/1/messages.json", self.base_url)
    }

    /// A webhook called `name` (`down`: one that answers 503).
    pub fn hook(&self, name: &str) -> String {
        format!("{}/hook/{name}", self.base_url)
    }

    /// Every request so far, oldest first.
    pub fn received(&self) -> Vec<LoudCall> {
        lock(&self.calls).clone()
    }
}

impl Drop for FakeLoud {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(Shared(calls): Shared<Arc<Mutex<Vec<LoudCall>>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if parts.method == "GET" && path == "/__loud" {
        return reply(200, &json!(lock(&calls).clone()));
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reply(413, &json!({"error": "too large"}));
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let authorization = header("authorization");
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (service, status, answer) = match (parts.method.as_str(), segments.as_slice()) {
        ("POST", ["ntfy", ""] | ["ntfy"]) => {
            let (status, answer) = ntfy(&body, authorization.as_deref());
            ("ntfy", status, answer)
        }
        ("POST", ["pushover", "1", "messages.json"]) => {
            let (status, answer) = pushover(&body);
            ("pushover", status, answer)
        }
        ("POST", ["hook", "down"]) => ("hook", 503, json!({"error": "down for maintenance"})),
        ("POST", ["hook", _]) => ("hook", 204, Value::Null),
        _ => return reply(404, &json!({"error": "no such path"})),
    };
    lock(&calls).push(LoudCall {
        service: service.to_owned(),
        path,
        authorization,
        content_type: header("content-type").unwrap_or_default(),
        body,
        status,
    });
    reply(status, &answer)
}

/// ntfy's JSON publishing: its error codes and message shape.
fn ntfy(body: &Value, authorization: Option<&str>) -> (u16, Value) {
    let Some(topic) = body["topic"].as_str().filter(|t| {
        (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }) else {
        return (400, json!({"code": 40009, "http": 400, "error": "invalid request: topic invalid"}));
    };
    match authorization {
        Some(value) if value != format!("Bearer {NTFY_TOKEN}") => {
            return (401, json!({"code": 40101, "http": 401, "error": "unauthorized"}));
        }
        None if topic == NTFY_PROTECTED_TOPIC => {
            return (403, json!({"code": 40301, "http": 403, "error": "forbidden"}));
        }
        _ => {}
    }
    let priority = body["priority"].as_u64().unwrap_or(3);
    if !(1..=5).contains(&priority) {
        return (400, json!({"code": 40007, "http": 400, "error": "invalid request: priority invalid"}));
    }
    (
        200,
        json!({"id": "sPs71M8A2T", "time": 1_800_000_000, "expires": 1_800_043_200, "event": "message",
            "topic": topic, "title": body["title"], "message": body["message"], "priority": priority, "tags": body["tags"]}),
    )
}

/// Pushover's Messages API: `status` 1 with a request id (and a receipt for emergency priority), or `status` 0
/// with the failing parameter named and `errors`.
fn pushover(body: &Value) -> (u16, Value) {
    let request = "5042853c-402d-4a18-abcb-168734a801de";
    let invalid =
        |field: &str, error: &str| (400, json!({field: "invalid", "errors": [error], "status": 0, "request": request}));
    if body["token"] != PUSHOVER_APP {
        return invalid("token", "application token is invalid");
    }
    if body["user"] != PUSHOVER_USER {
        return invalid("user", "user identifier is not a valid user, group, or subscribed user key");
    }
    if body["message"].as_str().is_none_or(str::is_empty) {
        return invalid("message", "message cannot be blank");
    }
    if body["priority"] == 2 {
        if body["retry"].as_u64().is_none_or(|r| r < 30) {
            return invalid("retry", "retry is invalid");
        }
        if body["expire"].as_u64().is_none_or(|e| e > 10_800) {
            return invalid("expire", "expire is invalid");
        }
        return (200, json!({"status": 1, "request": request, "receipt": "rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"}));
    }
    (200, json!({"status": 1, "request": request}))
}

fn reply(status: u16, body: &Value) -> Response {
    let text = if body.is_null() { String::new() } else { body.to_string() };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = "application/json".parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}
