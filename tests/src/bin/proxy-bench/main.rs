//! `proxy-bench`: the proxy's benchmarks on loopback, measured and reported, never asserted.
//!
//! It starts the fake LibreLinkUp and the real worker in workerd (`wrangler dev`, through
//! [`Stack::start`]), then measures:
//!
//! 1. **Added latency.** The same uncached call, `GET /llu/config/country?country=DE`, straight to the fake and
//!    through the worker (which calls the fake each time), plus the cached path, `GET /llu/connections` with a
//!    session (served from the account's hub after the first call). The worker is measured twice: under
//!    `wrangler dev`, and in bare workerd through Miniflare ([`Stack::start_bare`]), without the dev server's
//!    ProxyWorker hop and DevTools inspector. At 1 and at 50 concurrent keep-alive
//!    clients: a warm-up, then a fixed number of requests, each one timed; the cases take turns in rounds so
//!    that noise from the rest of the machine falls on all of them alike. "Added" is the worker's percentile
//!    minus the direct one.
//! 2. **Upstream calls per viewer count.** 1, 10 and 100 viewers of one account each (three accounts, run at
//!    the same time), every viewer with its own session (its own login) and its own HTTP client, polling
//!    `/llu/connections` every 5 s for 65 s, spread evenly over the 5 s; the fake counts the
//!    `/llu/connections` calls that reached it. (Each poll opens a new connection: workerd closes idle ones
//!    after 5 s.)
//!
//! The results go to stdout as Markdown tables; progress goes to stderr. The worker must have been built
//! (`cargo xtask build-worker`); `cargo xtask bench` builds it and runs this binary.

mod latency;
mod viewers;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Client;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tidewatch_tests::stack::Stack;
use tidewatch_tests::{Account, CallKind};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// A benchmark's error: what failed, for a person.
type Result<T> = std::result::Result<T, String>;

/// Every benchmark account's password.
const PASSWORD: &str = "bench-password";
/// The uncached call, measured both ways.
const COUNTRY: &str = "/llu/config/country?country=DE";
/// The cached call (with a session).
const CONNECTIONS: &str = "/llu/connections";
/// Each case's measured requests are spread over this many rounds, the cases taking turns.
const ROUNDS: usize = 4;
/// A case's round stops early (with fewer requests, as the table shows) after this long, so that a slow or busy
/// machine still finishes in about 8 minutes: 5 cases × 2 levels × (8 s warm-up + 4 rounds × 8 s) + the viewers'
/// 65 s.
const ROUND_TIME_LIMIT: Duration = Duration::from_secs(8);
/// A case's warm-up stops early after this long.
const WARMUP_TIME_LIMIT: Duration = Duration::from_secs(8);
/// Idle keep-alive connections are dropped after this long: workerd closes them after 5 s idle, and a request
/// sent on one as it closes fails (a viewer polling every 5 s would hit that race every few polls).
const POOL_IDLE: Duration = Duration::from_secs(4);
/// One request's timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a viewer polls.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// How long the viewers poll: past the hub's 60 s cache once.
const POLL_FOR: Duration = Duration::from_secs(65);
/// The viewer counts, one account each.
const VIEWERS: [usize; 3] = [1, 10, 100];
/// Logins sent at once while making the viewers' sessions.
const LOGINS_AT_ONCE: usize = 20;

/// A keep-alive HTTP client.
fn client() -> Result<Client> {
    Client::builder()
        .user_agent(tidewatch_tests::fake::APP_USER_AGENT)
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(POOL_IDLE)
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// One GET, body read to the end; an error unless it answered 2xx.
async fn get(client: &Client, url: &str, headers: &HeaderMap) -> Result<()> {
    let response =
        client.get(url).headers(headers.clone()).send().await.map_err(|e| format!("GET {url}: {}", causes(&e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| format!("GET {url}: reading the body: {}", causes(&e)))?;
    if status.is_success() {
        Ok(())
    } else {
        let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
        Err(format!("GET {url}: HTTP {status}: {text}"))
    }
}

/// An error with its causes (reqwest's own message hides them).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Takes one request from the shared budget; false when it is spent.
fn take(budget: &AtomicUsize) -> bool {
    budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
}

/// Signs `email` in through the worker; the sealed session token.
async fn login(client: &Client, worker: &str, email: &str) -> Result<String> {
    let url = format!("{worker}/llu/auth/login");
    let body = json!({"email": email, "password": PASSWORD});
    let response = client.post(&url).json(&body).send().await.map_err(|e| format!("POST {url}: {}", causes(&e)))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("POST {url}: reading the body: {}", causes(&e)))?;
    let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    match answer.pointer("/data/authTicket/token").and_then(Value::as_str) {
        Some(token) if status.is_success() => Ok(token.to_owned()),
        _ => Err(format!("login of {email} through the worker failed: HTTP {status}: {text}")),
    }
}

/// `Authorization: Bearer <token>`.
fn bearer(token: &str) -> Result<HeaderMap> {
    let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| format!("bad session token: {e}"))?;
    Ok(HeaderMap::from_iter([(AUTHORIZATION, value)]))
}

/// Adds an account to the fake and returns its e-mail.
fn account(stack: &Stack, name: &str) -> String {
    let email = format!("{name}@proxy-bench.test");
    stack.fake.add_account(Account::new(&email, PASSWORD));
    email
}

/// The 1-minute load average, when the system shows it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// What one case measured at one level.
#[derive(Default)]
struct Sample {
    /// Each successful request's latency (send to end of body).
    latencies: Vec<Duration>,
    /// Requests that failed or did not answer 2xx.
    errors: usize,
    /// The first failure, to show.
    first_error: Option<String>,
    /// Time spent measuring (the sum of the rounds' wall times).
    wall: Duration,
}

impl Sample {
    /// Adds another round's results.
    fn absorb(&mut self, other: Sample) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.wall += other.wall;
    }
}

/// Latency figures of a [`Sample`].
#[derive(Clone, Copy)]
struct Stats {
    /// Successful requests.
    count: usize,
    /// Median.
    p50: Duration,
    /// 99th percentile.
    p99: Duration,
    /// Mean.
    mean: Duration,
    /// Successful requests per second of wall time.
    per_sec: f64,
}

impl Stats {
    /// The figures of `sample` (its latencies get sorted).
    fn of(sample: &mut Sample) -> Stats {
        sample.latencies.sort_unstable();
        let count = sample.latencies.len();
        let total: Duration = sample.latencies.iter().sum();
        let mean = u32::try_from(count).ok().filter(|n| *n > 0).map_or(Duration::ZERO, |n| total / n);
        let secs = sample.wall.as_secs_f64();
        Stats {
            count,
            p50: percentile(&sample.latencies, 0.50),
            p99: percentile(&sample.latencies, 0.99),
            mean,
            per_sec: if secs > 0.0 { count as f64 / secs } else { 0.0 },
        }
    }
}

/// The nearest-rank percentile `p` (0–1] of sorted latencies; zero when there are none.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied().unwrap_or_default()
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `a − b` in milliseconds, signed.
fn added(a: Duration, b: Duration) -> String {
    format!("{:+.2}", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

/// Both parts, printing as they finish.
async fn bench(stack: &Stack, bare: &Stack) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    println!("## proxy-bench\n");
    println!(
        "worker {} (wrangler dev, workerd) in front of the fake on {}; the same worker in bare workerd (Miniflare, \
         no ProxyWorker or inspector) {} in front of its own fake {}; {cores} cores; load average {} at the start\n",
        stack.worker,
        stack.fake.base_url(),
        bare.worker,
        bare.fake.base_url(),
        load_average()
    );
    let started = Instant::now();
    let (levels, cached_upstream) = latency::latency(stack, bare).await?;
    latency::print_latency(&levels, cached_upstream);
    let viewers = viewers::viewers(stack).await?;
    viewers::print_viewers(&viewers);
    println!("\nload average {} at the end; measuring took {:.0?}", load_average(), started.elapsed());
    Ok(())
}

/// Starts the stack, runs the benchmarks on a tokio runtime, stops the stack.
fn run() -> Result<()> {
    eprintln!("proxy-bench: starting the fake and the worker (wrangler dev)");
    let stack = Stack::start(&[]).map_err(|e| format!("cannot start the fake and the worker: {e}"))?;
    eprintln!("proxy-bench: worker {} (log {}), fake {}", stack.worker, stack.log.display(), stack.fake.base_url());
    eprintln!("proxy-bench: starting another fake and the worker in bare workerd (Miniflare)");
    let bare = Stack::start_bare(&[]).map_err(|e| format!("cannot start the worker in bare workerd: {e}"))?;
    eprintln!("proxy-bench: bare worker {} (log {}), fake {}", bare.worker, bare.log.display(), bare.fake.base_url());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let result = runtime.block_on(bench(&stack, &bare));
    drop(runtime);
    drop(bare);
    drop(stack);
    result
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("proxy-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
