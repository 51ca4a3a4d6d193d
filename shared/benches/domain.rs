//! Criterion benchmarks of the domain over 14 days of 1-minute data (`cargo xtask bench`; budget ≤ 1 ms native
//! for the whole workload). Results are recorded in BENCHMARKS.md.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

mod workload;

fn domain(c: &mut Criterion) {
    let input = workload::input();
    c.bench_function("full: build 14-day series + merge + stats + AR2 + alarm step (20,160 readings)", |b| {
        b.iter(|| black_box(workload::full(black_box(&input))))
    });
    let mut series = shared::reading::Series::from_readings(input.history.iter().copied());
    c.bench_function("refresh: merge 12 h graph + current into 14 days, stats + AR2 + alarm step", |b| {
        b.iter(|| black_box(workload::refresh(black_box(&input), &mut series)))
    });
    let sorted = series.as_slice();
    c.bench_function("stats::summarize over 14 days", |b| {
        b.iter(|| black_box(shared::stats::summarize(black_box(sorted), input.now - 14 * 86_400, input.now + 60)))
    });
    c.bench_function("stats::agp over 14 days, 15-min buckets", |b| {
        b.iter(|| black_box(shared::stats::agp(black_box(sorted), input.now - 14 * 86_400, input.now + 60, 15, 60)))
    });
    c.bench_function("alarm::step on 14 days", |b| {
        b.iter(|| black_box(shared::alarm::step(input.now, black_box(sorted), &input.config, &input.state)))
    });
}

criterion_group!(benches, domain);
criterion_main!(benches);
