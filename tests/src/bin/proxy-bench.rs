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

/// One concurrency level of the latency benchmark.
struct Level {
    /// Concurrent clients, each with its own keep-alive connection.
    clients: usize,
    /// Requests sent (per case) before measuring.
    warmup: usize,
    /// Requests measured (per case).
    requests: usize,
}

/// The latency benchmark's levels.
const LEVELS: [Level; 2] =
    [Level { clients: 1, warmup: 200, requests: 2_000 }, Level { clients: 50, warmup: 1_000, requests: 10_000 }];

/// One measured call: where it goes and with which headers.
struct Case {
    /// The name in the tables.
    name: &'static str,
    /// The full URL.
    url: String,
    /// Extra request headers (the session).
    headers: HeaderMap,
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

/// Sends `requests` requests of `case` from `clients` concurrent loops (each with its own connection), stopping
/// early at `deadline`; times each one.
async fn load(client: &Client, case: &Case, clients: usize, requests: usize, deadline: Instant) -> Sample {
    let budget = Arc::new(AtomicUsize::new(requests));
    let started = Instant::now();
    let mut loops = JoinSet::new();
    for _ in 0..clients {
        let (client, url, headers, budget) = (client.clone(), case.url.clone(), case.headers.clone(), budget.clone());
        loops.spawn(async move {
            let mut sample = Sample::default();
            while Instant::now() < deadline && take(&budget) {
                let sent = Instant::now();
                match get(&client, &url, &headers).await {
                    Ok(()) => sample.latencies.push(sent.elapsed()),
                    Err(e) => {
                        sample.errors += 1;
                        sample.first_error.get_or_insert(e);
                    }
                }
            }
            sample
        });
    }
    let mut total = Sample::default();
    while let Some(joined) = loops.join_next().await {
        match joined {
            Ok(sample) => total.absorb(sample),
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert(format!("a client loop died: {e}"));
            }
        }
    }
    total.wall = started.elapsed();
    total
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

/// The latency rows of one level, in the order of the cases.
struct LevelResult {
    /// Concurrent clients.
    clients: usize,
    /// Per case: its name, figures, errors and first error.
    rows: Vec<(&'static str, Stats, usize, Option<String>)>,
}

/// Part 1: every case at every level. Also returns the cached account's upstream `/llu/connections` count
/// (through `wrangler dev`).
async fn latency(stack: &Stack, bare: &Stack) -> Result<(Vec<LevelResult>, usize)> {
    let email = account(stack, "cached");
    let token = login(&client()?, &stack.worker, &email).await?;
    let bare_token = login(&client()?, &bare.worker, &account(bare, "cached")).await?;
    let cases = [
        Case {
            name: "direct: fake country config",
            url: format!("{}{COUNTRY}", stack.fake.base_url()),
            headers: HeaderMap::new(),
        },
        Case { name: "worker: country config (uncached)", url: stack.url(COUNTRY), headers: HeaderMap::new() },
        Case { name: "worker: /llu/connections (hub cache)", url: stack.url(CONNECTIONS), headers: bearer(&token)? },
        Case { name: "bare workerd: country config (uncached)", url: bare.url(COUNTRY), headers: HeaderMap::new() },
        Case {
            name: "bare workerd: /llu/connections (hub cache)",
            url: bare.url(CONNECTIONS),
            headers: bearer(&bare_token)?,
        },
    ];
    let mut results = Vec::new();
    for level in &LEVELS {
        let clients: Vec<Client> = cases.iter().map(|_| client()).collect::<Result<_>>()?;
        let mut samples: Vec<Sample> = cases.iter().map(|_| Sample::default()).collect();
        let started = Instant::now();
        for (case, client) in cases.iter().zip(&clients) {
            eprintln!("proxy-bench: c={}: warming up {} ({} requests)", level.clients, case.name, level.warmup);
            let warm = load(client, case, level.clients, level.warmup, Instant::now() + WARMUP_TIME_LIMIT).await;
            match warm.first_error {
                Some(e) if warm.latencies.is_empty() => return Err(format!("{} fails: {e}", case.name)),
                Some(e) => eprintln!("proxy-bench: {} failed {} time(s) while warming up: {e}", case.name, warm.errors),
                None => {}
            }
        }
        let per_round = level.requests.div_ceil(ROUNDS);
        for round in 1..=ROUNDS {
            for ((case, client), sample) in cases.iter().zip(&clients).zip(&mut samples) {
                let sent = sample.latencies.len() + sample.errors;
                let requests = per_round.min(level.requests.saturating_sub(sent));
                eprintln!(
                    "proxy-bench: c={}: round {round}/{ROUNDS}: {} ({requests} requests)",
                    level.clients, case.name
                );
                sample.absorb(load(client, case, level.clients, requests, Instant::now() + ROUND_TIME_LIMIT).await);
            }
        }
        eprintln!("proxy-bench: c={}: done in {:.1?}", level.clients, started.elapsed());
        let rows = cases
            .iter()
            .zip(&mut samples)
            .map(|(case, sample)| (case.name, Stats::of(sample), sample.errors, sample.first_error.take()))
            .collect();
        results.push(LevelResult { clients: level.clients, rows });
    }
    Ok((results, stack.fake.count(&email, CallKind::Connections)))
}

/// Part 2's result for one viewer count.
struct ViewerResult {
    /// Viewers (= sessions = logins).
    viewers: usize,
    /// Polls sent.
    polls: usize,
    /// Polls that answered 2xx.
    ok: usize,
    /// The first failed poll, to show.
    first_error: Option<String>,
    /// `/llu/connections` calls that reached the fake.
    upstream: usize,
    /// Latency of the successful polls.
    stats: Stats,
}

/// Makes one session per viewer for `email`, [`LOGINS_AT_ONCE`] logins at a time.
async fn sessions(worker: &str, email: &str, viewers: usize) -> Result<Vec<String>> {
    let client = client()?;
    let mut tokens = Vec::with_capacity(viewers);
    while tokens.len() < viewers {
        let batch = LOGINS_AT_ONCE.min(viewers - tokens.len());
        let mut logins = JoinSet::new();
        for _ in 0..batch {
            let (client, worker, email) = (client.clone(), worker.to_owned(), email.to_owned());
            logins.spawn(async move { login(&client, &worker, &email).await });
        }
        while let Some(joined) = logins.join_next().await {
            tokens.push(joined.map_err(|e| format!("a login task died: {e}"))??);
        }
    }
    Ok(tokens)
}

/// Part 2: 1, 10 and 100 viewers (one account each, all at once) poll for [`POLL_FOR`].
async fn viewers(stack: &Stack) -> Result<Vec<ViewerResult>> {
    let mut accounts = Vec::new();
    for n in VIEWERS {
        let email = account(stack, &format!("viewers-{n}"));
        eprintln!("proxy-bench: signing in {n} viewer(s) of {email}");
        let tokens = sessions(&stack.worker, &email, n).await?;
        accounts.push((n, email, tokens));
    }
    let url = stack.url(CONNECTIONS);
    let start = Instant::now() + Duration::from_secs(1);
    eprintln!("proxy-bench: {} viewers polling every {POLL_EVERY:?} for {POLL_FOR:?}", VIEWERS.iter().sum::<usize>());
    let mut groups = Vec::new();
    for (n, email, tokens) in accounts {
        let mut polls = JoinSet::new();
        for (i, token) in tokens.into_iter().enumerate() {
            let (client, url, headers) = (client()?, url.clone(), bearer(&token)?);
            // Viewers are not in step: viewer i of n starts i/n of the way into the first 5 s.
            let offset = POLL_EVERY.mul_f64(i as f64 / n as f64);
            polls.spawn(async move {
                let mut sample = Sample::default();
                let mut at = offset;
                while at <= POLL_FOR {
                    tokio::time::sleep_until(start + at).await;
                    let sent = Instant::now();
                    match get(&client, &url, &headers).await {
                        Ok(()) => sample.latencies.push(sent.elapsed()),
                        Err(e) => {
                            sample.errors += 1;
                            sample.first_error.get_or_insert(format!("poll sent at {:.1} s: {e}", at.as_secs_f64()));
                        }
                    }
                    at += POLL_EVERY;
                }
                sample
            });
        }
        groups.push((n, email, polls));
    }
    let mut results = Vec::new();
    for (n, email, mut polls) in groups {
        let mut sample = Sample::default();
        while let Some(joined) = polls.join_next().await {
            sample.absorb(joined.map_err(|e| format!("a viewer task died: {e}"))?);
        }
        let ok = sample.latencies.len();
        let polls = ok + sample.errors;
        let upstream = stack.fake.count(&email, CallKind::Connections);
        let first_error = sample.first_error.take();
        results.push(ViewerResult { viewers: n, polls, ok, first_error, upstream, stats: Stats::of(&mut sample) });
    }
    Ok(results)
}

/// The 1-minute load average, when the system shows it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// Prints the latency table.
fn print_latency(levels: &[LevelResult], cached_upstream: usize) {
    println!("### Latency (loopback; added = through the worker − straight to the fake, same concurrency)\n");
    println!(
        "| call | clients | requests | errors | p50 ms | p99 ms | mean ms | req/s | \
         added p50 | added p99 | added mean |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for level in levels {
        let direct = level.rows.first().map(|(_, stats, _, _)| *stats);
        for (i, (name, stats, errors, _)) in level.rows.iter().enumerate() {
            let (a50, a99, amean) = match direct {
                Some(d) if i > 0 => (added(stats.p50, d.p50), added(stats.p99, d.p99), added(stats.mean, d.mean)),
                _ => ("—".to_owned(), "—".to_owned(), "—".to_owned()),
            };
            println!(
                "| {name} | {} | {} | {errors} | {} | {} | {} | {:.0} | {a50} | {a99} | {amean} |",
                level.clients,
                stats.count,
                ms(stats.p50),
                ms(stats.p99),
                ms(stats.mean),
                stats.per_sec,
            );
        }
    }
    println!(
        "\nThe cached rows' account reached the fake's `/llu/connections` {cached_upstream} time(s) in all \
         (once, plus once per 60 s the measurement lasted); all of their clients shared one session."
    );
    for (name, _, _, error) in levels.iter().flat_map(|level| &level.rows) {
        if let Some(error) = error {
            println!("\nfirst error of \"{name}\": {error}");
        }
    }
}

/// Prints the viewers table.
fn print_viewers(results: &[ViewerResult]) {
    println!(
        "\n### Upstream calls (each viewer: own login and client, polls `/llu/connections` every {} s for {} s)\n",
        POLL_EVERY.as_secs(),
        POLL_FOR.as_secs()
    );
    println!(
        "| viewers | polls (ok) | upstream `/llu/connections` calls in {0} s | upstream calls/min (÷ {0} s) | \
         polls/min (= calls/min without the cache) | poll p50 ms | poll p99 ms |",
        POLL_FOR.as_secs()
    );
    println!("|---|---|---|---|---|---|---|");
    let minutes = POLL_FOR.as_secs_f64() / 60.0;
    for r in results {
        println!(
            "| {} | {} ({}) | {} | {:.2} | {:.1} | {} | {} |",
            r.viewers,
            r.polls,
            r.ok,
            r.upstream,
            r.upstream as f64 / minutes,
            r.polls as f64 / minutes,
            ms(r.stats.p50),
            ms(r.stats.p99),
        );
    }
    for r in results {
        if let Some(error) = &r.first_error {
            println!("\nfirst failed poll with {} viewer(s): {error}", r.viewers);
        }
    }
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
    let (levels, cached_upstream) = latency(stack, bare).await?;
    print_latency(&levels, cached_upstream);
    let viewers = viewers(stack).await?;
    print_viewers(&viewers);
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
