//! The background alarms of many families at once (issue 28): `families` accounts (1,000 unless told), each with
//! one patient and 3 phones, in the real worker in workerd (`wrangler dev`), against the fake LibreLinkUp and the
//! fake push service on loopback. Each account's phones live in their own `Watcher`; the minute's cron hands the
//! minute to every one of them. Three minutes: the first (every phone's first alarm state), a quiet one, and one
//! in which every patient falls to an urgent low (every phone rings). For each: the wall time from the cron
//! request to its answer (every `Watcher` has ticked by then; 3 pushes per family leave in the tick's own
//! invocation), workerd's CPU time, LibreLinkUp graph reads and pushes received. Stored writes are counted by
//! `watch::tests::requests_and_writes_per_tick_for_1_10_and_100_groups`, not here.
//!
//! `cargo run --release -p tidewatch-tests --bin families-load [families]` (in `cargo xtask bench`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::simulate::{Hold, Patient};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::MgDl;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::workerd::{self, real_now};
use tidewatch_tests::{Account, CallKind};
use tokio::task::JoinSet;

/// Phones per family.
const PHONES: usize = 3;
/// Families set up side by side.
const AT_ONCE: usize = 16;

/// Every stored value of every `Watcher`, as `(object, key) → value` (`tidewatch_tests::stored`, read-only).
/// Comparing two snapshots counts the values a tick wrote (the design never rewrites a value unchanged: the
/// heartbeat's `meta` carries a new time).
fn stored_values(state: &std::path::Path) -> std::collections::BTreeMap<(String, String), String> {
    tidewatch_tests::stored::values(state, "Watcher")
        .into_iter()
        .map(|v| ((v.file.to_string_lossy().into_owned(), v.key), v.value))
        .collect()
}

/// [`stored_values`] once the runtime has finished writing what the minute changed: two snapshots half a second
/// apart agree (the local runtime's files may show a commit a moment after the request that made it has answered).
async fn settled_values(state: &std::path::Path) -> std::collections::BTreeMap<(String, String), String> {
    let mut last = stored_values(state);
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = stored_values(state);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

/// How many values differ between two snapshots (written, added or deleted).
fn values_written(
    before: &std::collections::BTreeMap<(String, String), String>,
    after: &std::collections::BTreeMap<(String, String), String>,
) -> usize {
    let changed = after.iter().filter(|(key, hash)| before.get(*key) != Some(*hash)).count();
    changed + before.keys().filter(|key| !after.contains_key(*key)).count()
}

/// The JSON of an answer, or what it was instead (its status and the start of its body).
async fn json_of(answer: reqwest::Response) -> Result<Value, String> {
    let status = answer.status();
    let text = answer.text().await.map_err(|e| format!("{status}: {e}"))?;
    serde_json::from_str(&text).map_err(|_| format!("{status}: {}", text.chars().take(300).collect::<String>()))
}

/// Signs in family `n` and subscribes its phones; their inboxes.
async fn family(worker: String, push: String, http: reqwest::Client, n: usize) -> Result<Vec<String>, String> {
    let email = format!("family-{n}@load.test");
    let login = http
        .post(format!("{worker}/llu/auth/login"))
        .json(&json!({"email": email, "password": "pw"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let login = json_of(login).await?;
    let token = login.pointer("/data/authTicket/token").and_then(Value::as_str).ok_or(format!("no token: {login}"))?;
    let token = token.to_owned();
    let list = http.get(format!("{worker}/llu/connections")).bearer_auth(&token).send().await;
    let list = json_of(list.map_err(|e| e.to_string())?).await?;
    let patient = list.pointer("/data/0/patientId").and_then(Value::as_str).ok_or("no patient")?.to_owned();
    let keys = json!({
        "p256dh": "BPhC4fRTZTIvvbWOZ80CchXX9RulsnnUNRR9HJQBn3rmzyXxPiALhUcgVnGIWU4wgldYIwEAdhgv2e9qKvw_7bg",
        "auth": "G2dI48378d-ucuMmp6nClA",
    });
    let mut inboxes = Vec::new();
    for phone in 0..PHONES {
        let inbox = format!("load-{n}-{phone}");
        let body =
            json!({"subscription": {"endpoint": format!("{push}/push/{inbox}"), "keys": keys}, "patientId": patient});
        let answer = http
            .post(format!("{worker}/api/push/subscribe"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("subscribe: {}", answer.text().await.unwrap_or_default()));
        }
        inboxes.push(inbox);
    }
    Ok(inboxes)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let families: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(300)).build()?;
    // The cron alone drives the minutes measured: no Watcher's own watchdog rings during the run (a day away).
    let stack = Arc::new(Stack::start_worker_only(&[("WATCHDOG_SECS", "86400")])?);
    let start = real_now() / MINUTE * MINUTE + MINUTE;
    let low_from = start + MINUTE + 30;
    let emails: Vec<String> = (0..families).map(|n| format!("family-{n}@load.test")).collect();
    for (n, email) in emails.iter().enumerate() {
        let script = vec![
            Hold { from: UtcTime::from_unix_secs(start - 24 * HOUR), level: MgDl::new(120) },
            Hold { from: UtcTime::from_unix_secs(low_from), level: MgDl::new(45) },
        ];
        let patient = Patient {
            first_name: "Lee".into(),
            script,
            sensor_anchor: UtcTime::from_unix_secs(start - 48 * HOUR),
            ..Patient::with_seed(n as u64 + 1)
        };
        stack.fake.add_account(Account { patients: vec![patient], ..Account::new(email, "pw") });
    }
    let setup = Instant::now();
    let push_base = stack.push.endpoint("x").trim_end_matches("/push/x").to_owned();
    let mut inboxes = Vec::new();
    let mut next = 0;
    let mut running = JoinSet::new();
    while next < families || !running.is_empty() {
        while next < families && running.len() < AT_ONCE {
            running.spawn(family(stack.url(""), push_base.clone(), http.clone(), next));
            next += 1;
        }
        if let Some(done) = running.join_next().await {
            inboxes.extend(done??);
            if inboxes.len() % (100 * PHONES) == 0 {
                eprintln!("{} families set up, workerd RSS {} MB", inboxes.len() / PHONES, workerd::rss_mb());
            }
        }
    }
    println!(
        "{families} families, {} phones subscribed in {:.1} s ({} sign-ins and {} subscribes through the worker)\n",
        inboxes.len(),
        setup.elapsed().as_secs_f64(),
        families,
        families * PHONES
    );
    println!(
        "| minute | cron to answer (every Watcher ticked), ms | workerd CPU ms | graph reads | pushes received | \
         values written |"
    );
    println!("|---|---|---|---|---|---|");
    let state = stack.state();
    let graphs = |stack: &Stack| emails.iter().map(|e| stack.fake.count(e, CallKind::Graph)).sum::<usize>();
    let pushes = |stack: &Stack| inboxes.iter().map(|i| stack.push.received(i).len()).sum::<usize>();
    for (label, at) in
        [("first", start), ("quiet", start + MINUTE), ("every patient at an urgent low", start + 5 * MINUTE)]
    {
        for email in &emails {
            stack.fake.update(email, |a| a.data_delay_secs = real_now() - at);
        }
        let (graphs_before, pushes_before, cpu) = (graphs(&stack), pushes(&stack), workerd::cpu_ns());
        let stored_before = settled_values(&state).await;
        let started = Instant::now();
        stack.cron_at(at).await?;
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        let cpu_ms = (workerd::cpu_ns() - cpu) as f64 / 1e6;
        // Pushes arrive at the fake push service before each Watcher answers its tick.
        let (reads, sent) = (graphs(&stack) - graphs_before, pushes(&stack) - pushes_before);
        let wrote = values_written(&stored_before, &settled_values(&state).await);
        println!("| {label} | {wall:.0} | {cpu_ms:.0} | {reads} | {sent} | {wrote} |");
        eprintln!("workerd RSS {} MB", workerd::rss_mb());
    }
    Ok(())
}
