//! What one push costs the worker, timed in headless Chromium (its WebCrypto is BoringSSL, as workerd's is):
//! the RFC 8291 encryption with a fresh sender key and salt (P-256 key generation, ECDH, three HKDF, AES-128-GCM),
//! and a VAPID token (one ES256 signature). The results are in BENCHMARKS.md ("Background alarms"); they size the
//! number of pushes one invocation of the `Watcher` sends.
//!
//! Chromium runs each WebCrypto operation on a background thread and resolves the promise in a later task, while
//! workerd runs it inline on the isolate's thread; so every operation is timed twice: one after another (latency:
//! an upper bound for workerd) and 100 in flight at once (throughput: closer to the CPU cost).
//!
//! Run (part of `cargo xtask bench`): `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/shared/tests/webdriver.json
//! cargo test -p tidewatch-push --release --target wasm32-unknown-unknown --test bench -- --nocapture`
#![cfg(target_arch = "wasm32")]
// Test code may fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::future::Future;

use futures::future::join_all;
use js_sys::Reflect;
use push::ece::{self, Receiver};
use push::vapid::{self, VapidKey};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A browser's subscription keys (p256dh, auth), as a phone sends them.
const P256DH: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
/// The test VAPID pair of `tests/src/stack.rs`.
const VAPID_PRIVATE: &str = "xKafvVDPbs7W8QPxjiKur0sgUFzsOPj0ml8_lwewi_s";
const VAPID_PUBLIC: &str = "BLrSPLjYuG8KEsNVGsS26UV45zatcTCJO2AAG5uBYiEpapWQnmCCUXpOGWVfTBQKiR28kZk0pqsw3NrOTZo6kPA";
/// An alarm's payload as the watcher sends it (about 230 bytes of JSON).
const PAYLOAD: &str = concat!(
    r#"{"kind":"UrgentLow","title":"Urgent low: 45 mg/dL","body":"Lee · 45 mg/dL ↓ · 2 min ago","#,
    r#""tag":"tw-UrgentLow","urgent":true,"quiet":false,"snooze":15,"sub":"0123456789abcdef0123456789abcdef","#,
    r#""key":"fedcba9876543210fedcba9876543210","at":1800000000}"#
);
/// Operations before timing starts (JIT tiers, BoringSSL's first use).
const WARM_UP: usize = 50;
/// Timed rounds; the median and the best round are reported.
const ROUNDS: usize = 7;
/// Operations per round.
const PER_ROUND: usize = 100;

fn now_ms() -> f64 {
    let performance: web_sys::Performance =
        Reflect::get(&js_sys::global(), &"performance".into()).unwrap().unchecked_into();
    performance.now()
}

/// Microseconds per operation: (median round, best round), each round `PER_ROUND` operations, either awaited one
/// after another or all in flight at once.
async fn time<F, Fut>(op: F, in_flight: bool) -> (f64, f64)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..WARM_UP {
        op().await;
    }
    let mut rounds = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let started = now_ms();
        if in_flight {
            join_all((0..PER_ROUND).map(|_| op())).await;
        } else {
            for _ in 0..PER_ROUND {
                op().await;
            }
        }
        rounds.push((now_ms() - started) * 1000.0 / PER_ROUND as f64);
    }
    rounds.sort_by(f64::total_cmp);
    (rounds[ROUNDS / 2], rounds[0])
}

fn report(what: &str, (median, best): (f64, f64)) {
    console_log!("{what:<62} {median:>7.1} µs/op median {best:>7.1} µs/op best");
}

#[wasm_bindgen_test]
async fn what_one_push_costs() {
    let receiver = Receiver::from_base64(P256DH, AUTH).unwrap();
    let key = VapidKey::import(VAPID_PRIVATE, VAPID_PUBLIC).await.unwrap();
    let audience = vapid::audience("https://fcm.googleapis.com/fcm/send/abc").unwrap();
    let subject = "mailto:tidewatch@example.invalid";
    let encrypt = || async {
        let body = ece::encrypt(&receiver, PAYLOAD.as_bytes(), 256).await.unwrap();
        assert_eq!(body.len(), 86 + 256 + 16);
    };
    let sign = || async {
        let token = key.authorization(audience, 1_800_043_200, subject).await.unwrap();
        assert!(token.starts_with("vapid t="));
    };
    let both = || async {
        encrypt().await;
        sign().await;
    };
    console_log!("one push, {} bytes of JSON padded to 256 (headless Chromium, WebCrypto = BoringSSL)", PAYLOAD.len());
    for in_flight in [false, true] {
        let how = if in_flight { "100 in flight" } else { "one by one" };
        report(&format!("encrypt (P-256 keygen + ECDH + 3 HKDF + AES-GCM), {how}"), time(encrypt, in_flight).await);
        report(&format!("VAPID token (ES256 sign), {how}"), time(sign, in_flight).await);
        report(&format!("both, {how}"), time(both, in_flight).await);
    }
}
