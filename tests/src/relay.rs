//! A relay of the shape README's "escape hatch" describes, on loopback: it forwards `/{region}/…` and `/…` to a
//! LibreLinkUp-shaped server (here the fake) with the method, headers and body as they came, and answers what that
//! server answered. The worker, pointed at it with `LLU_UPSTREAM`, must work through it unchanged: that is what a
//! self-hoster's relay outside Cloudflare (when Abbott refuses Workers' egress) has to do.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::oneshot;

/// Bodies larger than this are not relayed (a LibreLinkUp answer is a few hundred kilobytes at most).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

struct Inner {
    target: Mutex<String>,
    forwarded: AtomicUsize,
    client: reqwest::Client,
}

/// The relay. It runs on its own thread and stops when dropped.
pub struct Relay {
    base_url: String,
    inner: Arc<Inner>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    /// Starts on a free loopback port, forwarding to nothing until [`Relay::set_target`].
    pub fn spawn() -> io::Result<Relay> {
        let client = reqwest::Client::builder().no_proxy().build().map_err(io::Error::other)?;
        let inner = Arc::new(Inner { target: Mutex::new(String::new()), forwarded: AtomicUsize::new(0), client });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let app = Router::new().fallback(forward).with_state(Arc::clone(&inner));
        let (shutdown, thread) = crate::serve::serve_on_thread("llu-relay", listener, app)?;
        Ok(Relay { base_url, inner, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// Its base URL (`http://127.0.0.1:PORT`), for `LLU_UPSTREAM`.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Where it forwards to (a base URL with the same `/{region}/…` layout).
    pub fn set_target(&self, target: &str) {
        *self.inner.target.lock().unwrap_or_else(PoisonError::into_inner) = target.trim_end_matches('/').to_owned();
    }

    /// How many requests it has forwarded.
    pub fn forwarded(&self) -> usize {
        self.inner.forwarded.load(Ordering::Relaxed)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn forward(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return status_only(413);
    };
    let target = inner.target.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut outgoing = inner.client.request(parts.method.clone(), format!("{target}{path}"));
    for (name, value) in &parts.headers {
        if name != axum::http::header::HOST && name != axum::http::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    inner.forwarded.fetch_add(1, Ordering::Relaxed);
    let Ok(answer) = outgoing.body(body.to_vec()).send().await else {
        return status_only(502);
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name != axum::http::header::TRANSFER_ENCODING && name != axum::http::header::CONTENT_LENGTH {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    response.body(Body::from(bytes)).unwrap_or_else(|_| status_only(502))
}

fn status_only(status: u16) -> Response {
    Response::builder().status(status).body(Body::empty()).unwrap_or_default()
}
