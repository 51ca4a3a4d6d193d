//! A fake Web Push service on 127.0.0.1, as the worker meets FCM, Mozilla's or Apple's: it takes
//! `POST /push/{id}` (RFC 8030), records the headers and the encrypted body, and answers 201, or whatever status a
//! test set for that subscription (410 Gone, 429 with `Retry-After`, 503, …).
//!
//! Tests in Rust read it in-process ([`FakePush::received`], [`FakePush::answer_with`]); other processes (the
//! Playwright run) use `GET /__push/{id}` (the messages, bodies in base64) and `POST /__push/{id}/status`
//! (`{"status": 410, "retryAfter": 60}`).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::oneshot;

/// The largest body the fake takes (push services take 4096 bytes of payload; more is a worker bug).
const MAX_BODY: usize = 64 * 1024;

/// One POST the service received.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Received {
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The (encrypted) body.
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
    /// The status the fake answered.
    pub status: u16,
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[derive(Default)]
struct Inbox {
    received: HashMap<String, Vec<Received>>,
    answers: HashMap<String, (u16, Option<u32>)>,
}

/// The running fake push service.
pub struct FakePush {
    base_url: String,
    inbox: Arc<Mutex<Inbox>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn lock(inbox: &Mutex<Inbox>) -> MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakePush {
    /// Starts on a free port of 127.0.0.1, on its own thread.
    pub fn spawn() -> io::Result<FakePush> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let app = Router::new().fallback(serve).with_state(Arc::clone(&inbox));
        let (shutdown, thread) = crate::serve::serve_on_thread("fake-push", listener, app)?;
        Ok(FakePush { base_url, inbox, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT` (what the worker's `PUSH_ORIGINS` allows).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The endpoint of subscription `id`.
    pub fn endpoint(&self, id: &str) -> String {
        format!("{}/push/{id}", self.base_url)
    }

    /// Everything POSTed to subscription `id`, oldest first.
    pub fn received(&self, id: &str) -> Vec<Received> {
        lock(&self.inbox).received.get(id).cloned().unwrap_or_default()
    }

    /// From now on, answer POSTs to `id` with `status` (and `Retry-After`).
    pub fn answer_with(&self, id: &str, status: u16, retry_after: Option<u32>) {
        lock(&self.inbox).answers.insert(id.to_owned(), (status, retry_after));
    }
}

impl Drop for FakePush {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: u16,
    #[serde(default)]
    retry_after: Option<u32>,
}

async fn serve(Shared(inbox): Shared<Arc<Mutex<Inbox>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let method = parts.method.as_str().to_owned();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reply(413, json!({"error": "payload too large"}).to_string(), None);
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["push", id]) => {
            let headers = parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                .collect();
            let mut inbox = lock(&inbox);
            let (status, retry_after) = inbox.answers.get(*id).copied().unwrap_or((201, None));
            let received = Received { headers, body: body.to_vec(), status };
            inbox.received.entry((*id).to_owned()).or_default().push(received);
            reply(status, String::new(), retry_after)
        }
        ("GET", ["__push", id]) => {
            let list = lock(&inbox).received.get(*id).cloned().unwrap_or_default();
            reply(200, serde_json::to_string(&list).unwrap_or_default(), None)
        }
        ("POST", ["__push", id, "status"]) => match serde_json::from_slice::<Answer>(&body) {
            Ok(answer) => {
                lock(&inbox).answers.insert((*id).to_owned(), (answer.status, answer.retry_after));
                reply(200, json!({"ok": true}).to_string(), None)
            }
            Err(e) => reply(400, json!({"error": e.to_string()}).to_string(), None),
        },
        _ => reply(404, json!({"error": "no such path"}).to_string(), None),
    }
}

fn reply(status: u16, body: String, retry_after: Option<u32>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(secs) = retry_after
        && let Ok(value) = secs.to_string().parse()
    {
        response.headers_mut().insert("retry-after", value);
    }
    response
}
