//! The benchmark workload compiled to wasm and timed in headless Chromium (`cargo xtask bench`; budget ≤ 5 ms).
//! Criterion does not run in a browser, so this times a loop with `performance.now()` and prints the mean.
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs)]

use std::hint::black_box;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

#[path = "../benches/workload.rs"]
mod workload;

wasm_bindgen_test_configure!(run_in_browser);

/// `performance.now()` in milliseconds.
fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).expect("performance");
    let now = js_sys::Reflect::get(&performance, &"now".into()).expect("now").unchecked_into::<js_sys::Function>();
    now.call0(&performance).expect("call").as_f64().expect("number")
}

/// Mean and best of `rounds` rounds of `per_round` calls, in milliseconds per call.
fn time(rounds: usize, per_round: usize, mut f: impl FnMut()) -> (f64, f64) {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = now_ms();
        for _ in 0..per_round {
            f();
        }
        samples.push((now_ms() - start) / per_round as f64);
    }
    let mean = samples.iter().sum::<f64>() / rounds as f64;
    let best = samples.iter().copied().fold(f64::INFINITY, f64::min);
    (mean, best)
}

#[wasm_bindgen_test]
fn domain_workload_in_chromium() {
    let input = workload::input();
    let full = workload::full(&input);
    assert_eq!(full.0, workload::READINGS);
    let (mean, best) = time(10, 20, || {
        black_box(workload::full(black_box(&input)));
    });
    console_log!(
        "wasm full (build 14-day series + merge + stats + AR2 + alarm step): mean {mean:.3} ms, best {best:.3} ms"
    );
    let mut series = shared::reading::Series::from_readings(input.history.iter().copied());
    let (mean, best) = time(10, 50, || {
        black_box(workload::refresh(black_box(&input), &mut series));
    });
    console_log!(
        "wasm refresh (merge 12 h + stats + AR2 + alarm step on 14 days): mean {mean:.3} ms, best {best:.3} ms"
    );
}
