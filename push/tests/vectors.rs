//! The WebCrypto paths in headless Chromium (its WebCrypto is BoringSSL, as workerd's is):
//! SHA-1's known vectors, RFC 8291 Appendix A reproduced byte for byte, fresh keys giving distinct, well-formed
//! messages, and a VAPID token whose signature verifies. (Independent implementations check the worker's real pushes: PyPI `http-ece`
//! decrypts them and `py-vapid` verifies their tokens, in `tests/tests/integration/push.rs`.)
//!
//! Run: `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//! WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/shared/tests/webdriver.json cargo test -p tidewatch-push
//! --target wasm32-unknown-unknown --test vectors`
#![cfg(target_arch = "wasm32")]
// Test code may fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use push::ece::{self, Receiver, Sender};
use push::vapid::{self, VapidKey};
use push::{b64, public_key, unb64};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// RFC 8291, Appendix A.
const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
const AS_PUBLIC: &str = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
const AUTH_SECRET: &str = "BTBZMqHH6r4Tts7J_aSIgg";
const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
const MESSAGE: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

fn receiver() -> Receiver {
    Receiver::from_base64(UA_PUBLIC, AUTH_SECRET).unwrap()
}

#[wasm_bindgen_test]
async fn sha1_known_vectors() {
    // FIPS 180's "abc" and the empty message (the worker's Nightscout `API-SECRET` is SHA-1 of the share secret).
    assert_eq!(push::sha1(b"abc").await.unwrap(), hex("a9993e364706816aba3e25717850c26c9cd0d89d"));
    assert_eq!(push::sha1(b"").await.unwrap(), hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

#[wasm_bindgen_test]
async fn rfc_8291_appendix_a_byte_for_byte() {
    let as_public = public_key(AS_PUBLIC).unwrap();
    let sender = Sender::from_raw(&unb64(AS_PRIVATE).unwrap(), &as_public).await.unwrap();
    let salt: [u8; 16] = unb64(SALT).unwrap().try_into().unwrap();
    let body = ece::encrypt_with(&sender, &salt, &receiver(), PLAINTEXT.as_bytes(), 0).await.unwrap();
    assert_eq!(b64(&body), MESSAGE);
    assert_eq!(body.len(), 144);
}

#[wasm_bindgen_test]
async fn fresh_keys_and_salts_make_unlinkable_padded_messages() {
    let one = ece::encrypt(&receiver(), b"{\"kind\":\"UrgentLow\"}", 256).await.unwrap();
    let two = ece::encrypt(&receiver(), b"{\"kind\":\"UrgentLow\"}", 256).await.unwrap();
    assert_eq!(one.len(), ece::HEADER_BYTES + 256 + ece::TAG_BYTES);
    assert_eq!(one.len(), two.len());
    assert_ne!(one[..16], two[..16], "salt");
    assert_ne!(one[21..86], two[21..86], "sender key");
    assert_eq!(one[16..21], [0, 0, 0x10, 0, 65]);
    let long = vec![b'x'; ece::MAX_PLAINTEXT + 1];
    assert!(ece::encrypt(&receiver(), &long, 0).await.is_err());
}

#[wasm_bindgen_test]
async fn vapid_tokens_are_es256_and_verify_with_the_public_key() {
    // A key pair from WebCrypto itself, exported the way `cargo xtask` stores one.
    let (private, public) = generated_pair().await;
    let key = VapidKey::import(&private, &public).await.unwrap();
    assert_eq!(key.public_key(), public);
    let header = key.authorization("https://push.example", 1_800_000_000, "mailto:ops@example.org").await.unwrap();
    let rest = header.strip_prefix("vapid t=").unwrap();
    let (token, k) = rest.split_once(",k=").unwrap();
    assert_eq!(k, public);
    let (input, signature) = token.rsplit_once('.').unwrap();
    assert_eq!(input, vapid::signing_input("https://push.example", 1_800_000_000, "mailto:ops@example.org"));
    let signature = unb64(signature).unwrap();
    assert_eq!(signature.len(), 64, "ES256 signatures are r ‖ s");
    assert!(verify(&public, input.as_bytes(), &signature).await);
    let mut forged = signature.clone();
    forged[10] ^= 1;
    assert!(!verify(&public, input.as_bytes(), &forged).await);
    // A private key that does not match the public one is refused.
    let (other_private, _) = generated_pair().await;
    assert!(
        VapidKey::import(&other_private, &public).await.is_err() || {
            let wrong = VapidKey::import(&other_private, &public).await.unwrap();
            let header = wrong.authorization("https://push.example", 1, "mailto:a@b.c").await.unwrap();
            let token = header.strip_prefix("vapid t=").unwrap().split_once(",k=").unwrap().0;
            let (input, signature) = token.rsplit_once('.').unwrap();
            !verify(&public, input.as_bytes(), &unb64(signature).unwrap()).await
        }
    );
}

mod js {
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{CryptoKey, SubtleCrypto};

    pub fn subtle() -> SubtleCrypto {
        let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).unwrap();
        crypto.unchecked_into::<web_sys::Crypto>().subtle()
    }

    pub fn object(fields: &[(&str, JsValue)]) -> Object {
        let object = Object::new();
        for (name, value) in fields {
            Reflect::set(&object, &(*name).into(), value).unwrap();
        }
        object
    }

    pub fn usages(list: &[&str]) -> JsValue {
        list.iter().map(|u| JsValue::from_str(u)).collect::<Array>().into()
    }

    pub async fn value(promise: Result<js_sys::Promise, JsValue>) -> JsValue {
        JsFuture::from(promise.unwrap()).await.unwrap()
    }

    pub fn bytes(value: &JsValue) -> Vec<u8> {
        Uint8Array::new(value).to_vec()
    }

    pub fn key(value: JsValue) -> CryptoKey {
        value.unchecked_into()
    }
}

async fn generated_pair() -> (String, String) {
    let algorithm = js::object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]);
    let pair =
        js::value(js::subtle().generate_key_with_object(&algorithm, true, &js::usages(&["sign", "verify"]))).await;
    let private = js::key(js_sys::Reflect::get(&pair, &"privateKey".into()).unwrap());
    let public = js::key(js_sys::Reflect::get(&pair, &"publicKey".into()).unwrap());
    let jwk = js::value(js::subtle().export_key("jwk", &private)).await;
    let d = js_sys::Reflect::get(&jwk, &"d".into()).unwrap().as_string().unwrap();
    let raw = js::bytes(&js::value(js::subtle().export_key("raw", &public)).await);
    (d, b64(&raw))
}

async fn verify(public: &str, message: &[u8], signature: &[u8]) -> bool {
    let subtle = js::subtle();
    let algorithm = js::object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]);
    let raw: js_sys::Object = js_sys::Uint8Array::from(&unb64(public).unwrap()[..]).into();
    let key = js::key(
        js::value(subtle.import_key_with_object("raw", &raw, &algorithm, true, &js::usages(&["verify"]))).await,
    );
    let params = js::object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]);
    let signature: js_sys::Object = js_sys::Uint8Array::from(signature).into();
    let message: js_sys::Object = js_sys::Uint8Array::from(message).into();
    js::value(subtle.verify_with_object_and_buffer_source_and_buffer_source(&params, &key, &signature, &message))
        .await
        .as_bool()
        .unwrap()
}
