//! Part 2: upstream calls per viewer count (1, 10 and 100 viewers of one account each).

use super::*;

/// Part 2's result for one viewer count.
pub(super) struct ViewerResult {
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
pub(super) async fn viewers(stack: &Stack) -> Result<Vec<ViewerResult>> {
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

/// Prints the viewers table.
pub(super) fn print_viewers(results: &[ViewerResult]) {
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
