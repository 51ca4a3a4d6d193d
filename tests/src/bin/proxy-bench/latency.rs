//! Part 1: the worker's added latency, under `wrangler dev` and in bare workerd, at 1 and 50 clients.

use super::*;

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

/// The latency rows of one level, in the order of the cases.
pub(super) struct LevelResult {
    /// Concurrent clients.
    clients: usize,
    /// Per case: its name, figures, errors and first error.
    rows: Vec<(&'static str, Stats, usize, Option<String>)>,
}

/// Part 1: every case at every level. Also returns the cached account's upstream `/llu/connections` count
/// (through `wrangler dev`).
pub(super) async fn latency(stack: &Stack, bare: &Stack) -> Result<(Vec<LevelResult>, usize)> {
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

/// Prints the latency table.
pub(super) fn print_latency(levels: &[LevelResult], cached_upstream: usize) {
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
