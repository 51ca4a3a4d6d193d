//! Background alarms under load: the CPU and wall time of one cron run for 0, 1, 10 and 100 subscribed phones,
//! and the size of the pushes. The real worker in workerd (`wrangler dev`), the fake LibreLinkUp and the fake push
//! service, all on loopback. Run by `cargo xtask bench` (results in BENCHMARKS.md):
//! `cargo run --release -p tidewatch-tests --bin push-bench`.
//!
//! Each size gets a stack of its own, so no phone of an earlier size rings in a later one. CPU is every workerd
//! thread's time on a CPU (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds) from the cron request until the last
//! push of the minute has arrived: the cron handler, the `Watcher`'s tick and the further invocations it starts
//! for the backlog (one per `SENDS_PER_INVOCATION` pushes), the hub reads, the encryption and the sends, plus the
//! local runtime's own overhead (HTTP, loopback sockets), so it is an upper bound on what Cloudflare bills. Three
//! runs per size: every phone alarmed (an urgent low firing), every phone repeating 5 minutes later, and a quiet
//! minute (nothing to send), which is the cost of watching. A plain request (`GET /api/push/key`, 200 times) gives
//! the runtime's cost of one invocation for comparison.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shared::simulate::{Hold, Patient};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::MgDl;
use tidewatch_tests::Account;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::workerd::{self, real_now};

/// Phones per patient (the worker's per-patient limit is 25).
const PER_PATIENT: usize = 25;
/// Pushes one `Watcher` invocation sends (`proxy/src/watch.rs`).
const SENDS_PER_INVOCATION: usize = 16;

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The pushes the fake push service has received for `inboxes`.
fn received(stack: &Stack, inboxes: &[String]) -> usize {
    inboxes.iter().map(|i| stack.push.received(i).len()).sum()
}

/// Signs in to a new account whose patient sits at an urgent low from a day before `start`, and subscribes
/// `phones` phones to it; their inboxes.
async fn family(
    stack: &Stack,
    http: &reqwest::Client,
    name: &str,
    start: i64,
    phones: usize,
) -> Result<(Account, Vec<String>), Box<dyn std::error::Error>> {
    let email = format!("bench-{name}@tidewatch.test");
    let script = vec![Hold { from: UtcTime::from_unix_secs(start - 24 * HOUR), level: MgDl::new(45) }];
    let account = Account {
        // The sensor two days old: no "sensor ends" notice adds pushes on the days the stock one would.
        patients: vec![Patient {
            first_name: "Lee".into(),
            script,
            sensor_anchor: UtcTime::from_unix_secs(start - 48 * HOUR),
            ..Patient::with_seed(7)
        }],
        ..Account::new(&email, "pw")
    };
    stack.fake.add_account(account.clone());
    let login: Value = http
        .post(stack.url("/llu/auth/login"))
        .json(&json!({"email": email, "password": "pw"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login.pointer("/data/authTicket/token").and_then(Value::as_str).unwrap_or_default().to_owned();
    let list: Value = http.get(stack.url("/llu/connections")).bearer_auth(&token).send().await?.json().await?;
    let patient_id = list.pointer("/data/0/patientId").and_then(Value::as_str).unwrap_or_default().to_owned();
    // One browser-like key pair for every phone (the worker encrypts to each subscription separately anyway).
    let keys = json!({
        "p256dh": "BPhC4fRTZTIvvbWOZ80CchXX9RulsnnUNRR9HJQBn3rmzyXxPiALhUcgVnGIWU4wgldYIwEAdhgv2e9qKvw_7bg",
        "auth": "G2dI48378d-ucuMmp6nClA",
    });
    let mut inboxes = Vec::new();
    for n in 0..phones {
        let inbox = format!("bench-{name}-{n}");
        let body =
            json!({"subscription": {"endpoint": stack.push.endpoint(&inbox), "keys": keys}, "patientId": patient_id});
        let answer = http.post(stack.url("/api/push/subscribe")).bearer_auth(&token).json(&body).send().await?;
        if !answer.status().is_success() {
            return Err(format!("subscribe: {}", answer.text().await?).into());
        }
        inboxes.push(inbox);
    }
    Ok((account, inboxes))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    println!("| phones | run | pushes | Watcher invocations | wall ms | workerd CPU ms | CPU ms per push |");
    println!("|---|---|---|---|---|---|---|");
    let mut sizes = Vec::new();
    let mut plain = Vec::new();
    for phones in [0_usize, 1, 10, 100] {
        let stack = Stack::start_worker_only(&[])?;
        let start = real_now() / MINUTE * MINUTE + MINUTE;
        let mut accounts = Vec::new();
        let mut inboxes = Vec::new();
        for patient in 0..phones.div_ceil(PER_PATIENT).max(1) {
            let count = PER_PATIENT.min(phones.saturating_sub(patient * PER_PATIENT));
            let (account, mut phones) = family(&stack, &http, &format!("{phones}-{patient}"), start, count).await?;
            accounts.push(account);
            inboxes.append(&mut phones);
        }
        // The runtime's own cost of one small invocation, on this stack.
        let before = workerd::cpu_ns();
        for _ in 0..200 {
            http.get(stack.url("/api/push/key")).send().await?.bytes().await?;
        }
        plain.push(ms(workerd::cpu_ns() - before) / 200.0);
        for (label, at, expected) in [
            ("alarm fires", start, phones),
            ("5-min repeat", start + 5 * MINUTE, phones),
            ("quiet", start + 6 * MINUTE, 0),
        ] {
            for account in &accounts {
                stack.fake.update(&account.email, |a| a.data_delay_secs = real_now() - at);
            }
            let before = received(&stack, &inboxes);
            let cpu = workerd::cpu_ns();
            let started = Instant::now();
            stack.cron_at(at).await?;
            // The backlog leaves in further invocations after the cron request has been answered.
            let deadline = Instant::now() + Duration::from_secs(30);
            while received(&stack, &inboxes) - before < expected && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let wall = started.elapsed().as_secs_f64() * 1000.0;
            let cpu_ms = ms(workerd::cpu_ns() - cpu);
            let pushes = received(&stack, &inboxes) - before;
            let invocations = pushes.div_ceil(SENDS_PER_INVOCATION).max(1);
            let per_push = if pushes == 0 { "—".to_owned() } else { format!("{:.2}", cpu_ms / pushes as f64) };
            println!("| {phones} | {label} | {pushes} | {invocations} | {wall:.0} | {cpu_ms:.1} | {per_push} |");
        }
        sizes.extend(inboxes.iter().flat_map(|i| stack.push.received(i)).map(|r| r.body.len()));
    }
    sizes.sort_unstable();
    println!(
        "\nA plain request (GET /api/push/key) costs workerd {} ms of CPU each (200 per stack, one figure per stack).",
        plain.iter().map(|p| format!("{p:.2}")).collect::<Vec<_>>().join(" / ")
    );
    println!(
        "push bodies: {} pushes, {}..{} bytes (aes128gcm: 86-byte header + plaintext padded to 256-byte buckets + 16-byte tag)",
        sizes.len(),
        sizes.first().copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0)
    );
    Ok(())
}
