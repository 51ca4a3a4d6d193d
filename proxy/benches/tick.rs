//! The `Watcher`'s own work in one minute, without the I/O around it: parse each patient's graph answer, step
//! every phone's alarms, take the batch to send with its JSON payloads, and build what is stored; and loading the
//! book back after a restart. 1, 10 and 100 phones, 25 per patient, sealed sessions and endpoints of real size.
//! Native (criterion); the wasm the worker runs is about 1.3–2× slower on the same work (BENCHMARKS.md, `shared`).
//! The encryption of each push is WebCrypto's and is timed on its own (`push/tests/bench.rs`).
//!
//! `cargo bench -p tidewatch-proxy --bench tick` (in `cargo xtask bench`).
#![allow(missing_docs)]
// Benchmark set-up may fail loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::Value;
use shared::alarm::AlarmConfig;
use shared::llu::graph_series;
use shared::simulate::{self, Hold, Patient};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::{GlucoseUnit, MgDl};
use tidewatch_proxy::watch::{Access, Keyed, NewSubscription, PhoneSetup, Read, WatchBook, Written};

/// The first tick, Unix seconds.
const T: i64 = 1_800_000_000;
const PER_PATIENT: usize = 25;

/// A patient held at `level` since a day before `T`.
fn patient(seed: u64, level: u16) -> Patient {
    Patient {
        first_name: "Lee".into(),
        script: vec![Hold { from: UtcTime::from_unix_secs(T - 24 * HOUR), level: MgDl::new(level) }],
        ..Patient::with_seed(seed)
    }
}

/// A book of `phones` phones, 25 per patient, that has already run one quiet minute at `T`; the graph answers
/// (JSON text, as the hub hands them over) for the minute after, with every patient at `level`.
fn setup(phones: usize, level: u16) -> (WatchBook, Vec<(String, String)>) {
    let mut book = WatchBook::default();
    let groups = phones.div_ceil(PER_PATIENT);
    let sealed = "s".repeat(835);
    for n in 0..phones {
        let new = NewSubscription {
            setup: PhoneSetup {
                endpoint: format!("https://fcm.googleapis.com/fcm/send/{n:0>152}"),
                p256dh: "B".repeat(87),
                auth: "a".repeat(22),
                group: format!("acct:{:0>64}:patient-{}", 0, n / PER_PATIENT),
                patient_id: format!("patient-{}", n / PER_PATIENT),
                access: Access::Owner { session: sealed.clone() },
                config: AlarmConfig::default(),
                unit: GlucoseUnit::MgDl,
            },
            shared_ack: None,
            presented_key: None,
            device: "Chrome on Android".into(),
            client: "203.0.113.7".into(),
        };
        book.subscribe(new, format!("{n:016x}"), format!("{n:032x}"), T).expect("subscribe");
    }
    let answer = |g: usize, level: u16, at: i64| {
        let body = simulate::graph_json(&patient(g as u64 + 1, level), UtcTime::from_unix_secs(at), "ticket");
        (format!("acct:{:0>64}:patient-{g}", 0), body.to_string())
    };
    assert!(book.begin_tick(T));
    for g in 0..groups {
        let (group, text) = answer(g, 120, T);
        book.apply(&group, read(&text), T);
    }
    (book, (0..groups).map(|g| answer(g, level, T + MINUTE)).collect())
}

fn read(text: &str) -> Read {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    Read::Data {
        series: graph_series(&body),
        name: "Lee".into(),
        sensor_ends: shared::llu::graph_sensor(&body).map(|s| s.ends_at().unix_secs()),
        session_ends: None,
    }
}

/// One minute: the reads applied, the batch taken with its payloads, what changed found for storage (against a
/// book stored before the minute).
fn minute(book: &mut WatchBook, written: &Keyed<Written>, answers: &[(String, String)]) -> usize {
    let now = T + MINUTE;
    assert!(book.begin_tick(now));
    for (group, text) in answers {
        book.apply(group, read(text), now);
    }
    let due = book.due(now);
    let payloads: usize = due.iter().map(|m| tidewatch_proxy::wire::to_json(&m.payload).len()).sum();
    payloads + book.changes(written, now).puts.iter().map(|(_, text)| text.len()).sum::<usize>()
}

fn bench(c: &mut Criterion) {
    for phones in [1, 10, 100] {
        for (label, level) in [("quiet", 120), ("urgent low fires", 45)] {
            let (book, answers) = setup(phones, level);
            c.bench_function(&format!("tick/{phones} phones/{label}"), |b| {
                b.iter_batched(
                    || (book.clone(), book.changes(&Keyed::new(), T).written),
                    |(mut book, written)| black_box(minute(&mut book, &written, &answers)),
                    BatchSize::SmallInput,
                );
            });
        }
        let (mut book, answers) = setup(phones, 45);
        minute(&mut book, &Keyed::new(), &answers);
        let stored = book.to_storage();
        c.bench_function(&format!("load/{phones} phones"), |b| {
            b.iter_batched(
                || stored.clone().into_iter().collect::<Vec<_>>(),
                |values| black_box(WatchBook::from_storage(values)),
                BatchSize::SmallInput,
            );
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
