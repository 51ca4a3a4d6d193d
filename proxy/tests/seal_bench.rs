//! RustCrypto against WebCrypto for sealed sessions, timed in headless Chromium (issue: "measure both for size and
//! CPU, choose, and write down why"; the results are in BENCHMARKS.md).
//!
//! (a) is [`SessionKey`] as the worker uses it: `aes-gcm` compiled into the wasm, synchronous. (b) is the same
//! token format through `crypto.subtle` (AES-GCM, `importKey` raw + `encrypt`/`decrypt`, awaited): the JSON, the
//! associated data and the base64url are done exactly as in `seal.rs`, and a test checks that both produce the same
//! token. Chromium's WebCrypto is BoringSSL behind V8 like workerd's, but Chromium runs each operation on a
//! background thread and resolves the promise in a later task, while workerd runs it inline; so WebCrypto is timed
//! twice: one call after another (latency, an upper bound for workerd) and 200 calls in flight at once (throughput,
//! closer to the CPU cost).
//!
//! `seal.rs` is compiled into this test by path rather than used from `tidewatch_proxy`: linking the library would
//! bring its `#[event(fetch)]` export, and an export named `fetch` shadows the global `fetch` that the generated JS
//! loads the wasm with, so the test page never starts. Same source, same release profile.
//!
//! Run (the wasm bench of `cargo xtask bench`):
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//! WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/shared/tests/webdriver.json cargo test -p tidewatch-proxy --release
//! --target wasm32-unknown-unknown --test seal_bench -- --nocapture`
#![cfg(target_arch = "wasm32")]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::join_all;
use js_sys::{Array, Object, Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use shared::llu::Region;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{AesGcmParams, CryptoKey, Performance, SubtleCrypto};

use crate::seal::{
    KEY_BYTES, Kind, NONCE_BYTES, SealError, Session, SessionKey, VERSION, random_nonce, sha256_hex, unpack,
};

/// The worker's sealed sessions, exactly as `proxy/src/seal.rs` (secret parsing and other kinds are unused here).
#[path = "../src/seal.rs"]
#[allow(dead_code)]
mod seal;
/// What `seal.rs` reads its records with (`crate::wire` in the worker).
use shared::wire;

wasm_bindgen_test_configure!(run_in_browser);

/// "Now" for every session in this file (Unix seconds).
const NOW: i64 = 1_800_000_000;
/// The raw session key.
const RAW_KEY: [u8; KEY_BYTES] = [0x5a; KEY_BYTES];
/// Calls before timing starts (JIT tiers, allocator, BoringSSL's first-use setup).
const WARM_UP: usize = 200;
/// Timed rounds; the median and the best round are reported (the machine may be busy with other work).
const ROUNDS: usize = 10;
/// Operations per round: `ROUNDS * PER_ROUND` = 2,000 timed operations, ≥ 2 ms per round.
const PER_ROUND: usize = 200;

/// A session as login seals it: a real-sized LLU JWT (475 characters), a region, a 64-hex account id.
fn session() -> Session {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(concat!(
        r#"{"id":"7ad66b40-ba9b-401e-9845-4f49f998cf16","firstName":"Alex","lastName":"Example","country":"GB","#,
        r#""region":"eu2","role":"patient","email":"alex.example@example.com","units":0,"practices":[],"c":1,"#,
        r#""s":"llu.android","did":"3f1c2a9e-5b7d-4e60-8a21-c94d0b6e7f15","iat":1800000000,"exp":1815552000}"#,
    ));
    let signature = URL_SAFE_NO_PAD.encode(Sha256::digest(b"not a real signature"));
    Session {
        llu_token: format!("{header}.{claims}.{signature}"),
        region: Region::Eu2,
        account_id: sha256_hex("7ad66b40-ba9b-401e-9845-4f49f998cf16"),
        expires: NOW + 30 * 86_400,
        kind: Kind::Full,
        id: Some("0123456789abcdef0123456789abcdef".into()),
        signed_in_ms: Some(NOW * 1000),
        ends: Some(NOW + 180 * 86_400),
    }
}

/// A distinct nonce per iteration (the worker draws a random one; that cost is timed on its own).
fn nonce(i: usize) -> [u8; NONCE_BYTES] {
    let mut nonce = [0; NONCE_BYTES];
    for (byte, count) in nonce.iter_mut().zip((i as u64).to_le_bytes()) {
        *byte = count;
    }
    nonce
}

/// `crypto.subtle` of the global scope (a window here, a worker scope in workerd).
fn subtle() -> Result<SubtleCrypto, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())?;
    Ok(Reflect::get(&crypto, &"subtle".into())?.unchecked_into())
}

/// `performance` of the global scope.
fn performance() -> Result<Performance, JsValue> {
    Ok(Reflect::get(&js_sys::global(), &"performance".into())?.unchecked_into())
}

/// The token format of `seal.rs` through WebCrypto: what `SessionKey` would be on `crypto.subtle`. Every method is
/// async, so every caller of `seal`/`open` (and of `Config::read`, which builds the key) would have to be too.
struct WebKey {
    /// `crypto.subtle`.
    subtle: SubtleCrypto,
    /// The imported AES-256-GCM key (not extractable).
    key: CryptoKey,
    /// `tw1.<key id>`, the associated data and the token's prefix.
    aad: String,
}

impl WebKey {
    /// Imports a raw key, and derives the key id as `SessionKey::from_bytes` does.
    async fn import(subtle: &SubtleCrypto, raw: &[u8; KEY_BYTES]) -> Result<WebKey, JsValue> {
        let algorithm = Object::new();
        Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into())?;
        let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
        let raw_js = Uint8Array::from(raw.as_slice());
        let promise = subtle.import_key_with_object("raw", &raw_js, &algorithm, false, &usages)?;
        let key = JsFuture::from(promise).await?.dyn_into::<CryptoKey>()?;
        let digest = Sha256::new_with_prefix(b"tidewatch session key id\0").chain_update(raw).finalize();
        let aad = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(digest.get(..4).unwrap_or_default()));
        Ok(WebKey { subtle: subtle.clone(), key, aad })
    }

    /// AES-GCM parameters for `nonce`, with the associated data.
    fn params(&self, nonce: &[u8]) -> AesGcmParams {
        let params = AesGcmParams::new_with_u8_array("AES-GCM", &Uint8Array::from(nonce));
        params.set_additional_data_u8_array(&Uint8Array::from(self.aad.as_bytes()));
        params
    }

    /// `SessionKey::seal` on WebCrypto.
    async fn seal(&self, session: &Session, nonce: [u8; NONCE_BYTES]) -> Result<String, JsValue> {
        let plaintext = wire::to_json(session).into_bytes();
        let promise = self.subtle.encrypt_with_object_and_u8_array(&self.params(&nonce), &self.key, &plaintext)?;
        let ciphertext = Uint8Array::new(&JsFuture::from(promise).await?);
        let mut sealed = vec![0; NONCE_BYTES + ciphertext.length() as usize];
        let (head, tail) = sealed.split_at_mut(NONCE_BYTES);
        head.copy_from_slice(&nonce);
        ciphertext.copy_to(tail);
        Ok(format!("{}.{}", self.aad, URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// `SessionKey::open` on WebCrypto, with the same checks in the same order.
    async fn open(&self, token: &str, now: i64) -> Result<Session, SealError> {
        let (key_id, sealed) = unpack(token)?;
        if self.aad.strip_prefix("tw1.") != Some(key_id) {
            return Err(SealError::ForeignKey);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let promise = self
            .subtle
            .decrypt_with_object_and_u8_array(&self.params(nonce), &self.key, ciphertext)
            .map_err(|_| SealError::Tampered)?;
        let plaintext = JsFuture::from(promise).await.map_err(|_| SealError::Tampered)?;
        let text = String::from_utf8(Uint8Array::new(&plaintext).to_vec()).map_err(|_| SealError::Tampered)?;
        let session: Session = wire::from_json(&text).ok_or(SealError::Tampered)?;
        if session.expires <= now {
            return Err(SealError::Expired);
        }
        Ok(session)
    }
}

/// Microseconds per operation: the median round and the best round.
struct Timing {
    /// The median round.
    median: f64,
    /// The fastest round.
    best: f64,
}

/// Times `op` (called with the iteration number, `ops_per_call` operations per call) after a warm-up, over
/// `ROUNDS` rounds of `PER_ROUND` operations.
async fn time(clock: &Performance, ops_per_call: usize, mut op: impl AsyncFnMut(usize)) -> Timing {
    let calls = PER_ROUND / ops_per_call;
    for i in 0..WARM_UP.div_ceil(ops_per_call) {
        op(i).await;
    }
    let mut samples = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = clock.now();
        for i in 0..calls {
            op(i).await;
        }
        samples.push((clock.now() - start) * 1000.0 / (calls * ops_per_call) as f64);
    }
    samples.sort_by(f64::total_cmp);
    let median = samples.get(ROUNDS / 2).copied().unwrap_or_default();
    let best = samples.first().copied().unwrap_or_default();
    Timing { median, best }
}

/// Prints one result line.
fn report(what: &str, timing: &Timing) {
    console_log!("{what:<58} {:>7.2} µs/op median {:>7.2} µs/op best", timing.median, timing.best);
}

/// Both implementations produce the same token for the same nonce, open each other's tokens, and refuse the same
/// forgeries, so the benchmark compares like with like.
#[wasm_bindgen_test]
async fn webcrypto_and_rustcrypto_seal_alike() -> Result<(), JsValue> {
    let session = session();
    assert_eq!(session.llu_token.len(), 475);
    let rust = SessionKey::from_bytes(&RAW_KEY);
    let web = WebKey::import(&subtle()?, &RAW_KEY).await?;
    let token = rust.seal(&session, nonce(7));
    assert_eq!(web.seal(&session, nonce(7)).await?, token);
    assert_eq!(web.open(&token, NOW).await, Ok(session.clone()));
    assert_eq!(rust.open(&web.seal(&session, nonce(8)).await?, NOW), Ok(session.clone()));

    let mut tampered = token.clone();
    tampered.truncate(token.len() - 2);
    tampered.push_str("AA");
    let other = WebKey::import(&subtle()?, &[1; KEY_BYTES]).await?;
    assert_eq!(web.open(&tampered, NOW).await, Err(SealError::Tampered));
    assert_eq!(other.open(&token, NOW).await, Err(SealError::ForeignKey));
    assert_eq!(web.open(&token, session.expires).await, Err(SealError::Expired));
    assert_eq!(web.open("tw1.a.b", NOW).await, Err(SealError::Malformed));
    Ok(())
}

/// The benchmark: key setup, seal and open per implementation, in µs per operation.
#[wasm_bindgen_test]
async fn seal_and_open_rustcrypto_vs_webcrypto() -> Result<(), JsValue> {
    let clock = performance()?;
    let subtle = subtle()?;
    let session = session();
    let rust = SessionKey::from_bytes(&RAW_KEY);
    let web = WebKey::import(&subtle, &RAW_KEY).await?;
    let token = rust.seal(&session, nonce(1));
    let plaintext_len = wire::to_json(&session).len();
    console_log!(
        "session: {} bytes of JSON (LLU JWT {} chars), sealed token {} chars; {} timed ops after {WARM_UP} warm-up",
        plaintext_len,
        session.llu_token.len(),
        token.len(),
        ROUNDS * PER_ROUND
    );

    let timing = time(&clock, 1, async |_| {
        black_box(SessionKey::from_bytes(black_box(&RAW_KEY)));
    })
    .await;
    report("RustCrypto key setup (SessionKey::from_bytes, sync)", &timing);
    let timing = time(&clock, 1, async |i| {
        black_box(rust.seal(black_box(&session), nonce(i)));
    })
    .await;
    report("RustCrypto seal (SessionKey::seal, sync)", &timing);
    let timing = time(&clock, 1, async |_| {
        assert!(black_box(rust.open(black_box(&token), NOW)).is_ok());
    })
    .await;
    report("RustCrypto open (SessionKey::open, sync)", &timing);

    let timing = time(&clock, 1, async |_| {
        assert!(black_box(WebKey::import(&subtle, black_box(&RAW_KEY)).await).is_ok());
    })
    .await;
    report("WebCrypto key setup (importKey raw, awaited one by one)", &timing);
    let timing = time(&clock, 1, async |i| {
        assert!(black_box(web.seal(black_box(&session), nonce(i)).await).is_ok());
    })
    .await;
    report("WebCrypto seal (encrypt, awaited one by one)", &timing);
    let timing = time(&clock, 1, async |_| {
        assert!(black_box(web.open(black_box(&token), NOW).await).is_ok());
    })
    .await;
    report("WebCrypto open (decrypt, awaited one by one)", &timing);
    let timing = time(&clock, PER_ROUND, async |_| {
        black_box(join_all((0..PER_ROUND).map(|i| web.seal(&session, nonce(i)))).await);
    })
    .await;
    report("WebCrypto seal (200 in flight: throughput)", &timing);
    let timing = time(&clock, PER_ROUND, async |_| {
        black_box(join_all((0..PER_ROUND).map(|_| web.open(&token, NOW))).await);
    })
    .await;
    report("WebCrypto open (200 in flight: throughput)", &timing);

    let timing = time(&clock, 1, async |_| {
        let json = wire::to_json(black_box(&session));
        black_box(URL_SAFE_NO_PAD.encode(json));
    })
    .await;
    report("JSON + base64url alone (in both seals, no cipher)", &timing);
    let timing = time(&clock, 1, async |_| {
        black_box(random_nonce());
    })
    .await;
    report("random_nonce (crypto.getRandomValues, both need it)", &timing);
    Ok(())
}
