//! Background alarms under load: the CPU and wall time of one cron run for 1, 10 and 100 subscribed phones, and
//! the size of the pushes. The real worker in workerd (`wrangler dev`), the fake LibreLinkUp and the fake push
//! service, all on loopback. Run by `cargo xtask bench` (results in BENCHMARKS.md):
//! `cargo run --release -p tidewatch-tests --bin push-bench`.
//!
//! CPU is workerd's own (user + system, from `/proc/<pid>/stat`) across the cron run: the cron handler, the
//! `Watcher` object, the hub reads, the encryption and the sends, plus the runtime's overhead, so it is an upper
//! bound on what Cloudflare bills the invocation. Three runs per size: every phone alarmed (an urgent low firing),
//! every phone repeating 5 minutes later, and a quiet minute (nothing to send).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use shared::simulate::{Hold, Patient};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::MgDl;
use tidewatch_tests::Account;
use tidewatch_tests::stack::Stack;

/// Phones per patient (the worker's per-patient limit is 25).
const PER_PATIENT: usize = 25;

fn real_now() -> i64 {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// Clock ticks (user + system) of every `workerd` process, from `/proc`.
fn workerd_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            if comm.trim() != "workerd" {
                return None;
            }
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let after = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            // After the command: state is field 3; utime and stime are fields 14 and 15 (1-based, whole line).
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
fn ticks_per_sec() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stack = Stack::start_worker_only(&[])?;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build()?;
    // One browser-like key pair for every phone (the worker encrypts to each subscription separately anyway).
    let keys = json!({
        "p256dh": "BPhC4fRTZTIvvbWOZ80CchXX9RulsnnUNRR9HJQBn3rmzyXxPiALhUcgVnGIWU4wgldYIwEAdhgv2e9qKvw_7bg",
        "auth": "G2dI48378d-ucuMmp6nClA",
    });
    let per_tick = 1_000.0 / ticks_per_sec();
    let mut clock = real_now() / MINUTE * MINUTE + MINUTE;
    println!("| phones | run | pushes | wall ms | workerd CPU ms |");
    println!("|---|---|---|---|---|");
    let mut sizes = Vec::new();
    for (round, phones) in [1_usize, 10, 100].into_iter().enumerate() {
        let start = clock;
        let mut accounts = Vec::new();
        let mut inboxes = Vec::new();
        for patient in 0..phones.div_ceil(PER_PATIENT) {
            let email = format!("bench-{round}-{patient}@tidewatch.test");
            let script = vec![Hold { from: UtcTime::from_unix_secs(start - 24 * HOUR), level: MgDl::new(45) }];
            let account = Account {
                patients: vec![Patient { first_name: "Lee".into(), script, ..Patient::with_seed(7) }],
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
            for n in 0..PER_PATIENT.min(phones - patient * PER_PATIENT) {
                let inbox = format!("bench-{round}-{patient}-{n}");
                let body = json!({
                    "subscription": {"endpoint": stack.push.endpoint(&inbox), "keys": keys},
                    "patientId": patient_id,
                });
                let answer = http.post(stack.url("/api/push/subscribe")).bearer_auth(&token).json(&body).send().await?;
                if !answer.status().is_success() {
                    return Err(format!("subscribe: {}", answer.text().await?).into());
                }
                inboxes.push(inbox);
            }
            accounts.push(account);
        }
        for (label, at) in [("alarm fires", start), ("5-min repeat", start + 5 * MINUTE), ("quiet", start + 6 * MINUTE)]
        {
            for account in &accounts {
                stack.fake.update(&account.email, |a| a.data_delay_secs = real_now() - at);
            }
            let before: usize = inboxes.iter().map(|i| stack.push.received(i).len()).sum();
            let cpu = workerd_ticks();
            let started = Instant::now();
            stack.cron_at(at).await?;
            let wall = started.elapsed().as_secs_f64() * 1000.0;
            let cpu_ms = (workerd_ticks() - cpu) as f64 * per_tick;
            let after: usize = inboxes.iter().map(|i| stack.push.received(i).len()).sum();
            println!("| {phones} | {label} | {} | {wall:.0} | {cpu_ms:.0} |", after - before);
        }
        sizes.extend(inboxes.iter().flat_map(|i| stack.push.received(i)).map(|r| r.body.len()));
        clock = start + 10 * MINUTE;
    }
    sizes.sort_unstable();
    println!(
        "\npush bodies: {} pushes, {}..{} bytes (aes128gcm: 86-byte header + plaintext padded to 256-byte buckets + 16-byte tag)",
        sizes.len(),
        sizes.first().copied().unwrap_or(0),
        sizes.last().copied().unwrap_or(0)
    );
    Ok(())
}
