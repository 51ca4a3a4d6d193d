//! The few WebCrypto calls Web Push needs, awaited and turned into bytes. Parameters are plain JS objects, so no
//! `web-sys` dictionary type is compiled in.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Crypto, CryptoKey, SubtleCrypto};

use crate::{PUBLIC_KEY_BYTES, PushError, b64};

fn failed(what: &str) -> impl Fn(JsValue) -> PushError + '_ {
    move |error| {
        let detail = error
            .as_string()
            .or_else(|| Reflect::get(&error, &JsValue::from_str("message")).ok().and_then(|m| m.as_string()));
        PushError::Crypto(format!("{what}: {}", detail.unwrap_or_else(|| "refused".into())))
    }
}

/// The global `crypto` (workerd, browsers, Node ≥ 19).
pub fn crypto() -> Result<Crypto, PushError> {
    let value = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(failed("crypto"))?;
    if value.is_undefined() || value.is_null() {
        return Err(PushError::Crypto("this runtime has no global crypto".into()));
    }
    Ok(value.unchecked_into())
}

fn subtle() -> Result<SubtleCrypto, PushError> {
    Ok(crypto()?.subtle())
}

/// Cryptographically secure random bytes.
pub fn random(out: &mut [u8]) -> Result<(), PushError> {
    crypto()?.get_random_values_with_u8_array(out).map(|_| ()).map_err(failed("getRandomValues"))
}

/// `{name: value, …}`.
pub fn object(fields: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

fn bytes(data: &[u8]) -> JsValue {
    Uint8Array::from(data).into()
}

fn usages(list: &[&str]) -> JsValue {
    list.iter().map(|u| JsValue::from_str(u)).collect::<Array>().into()
}

async fn key(promise: Result<js_sys::Promise, JsValue>, what: &str) -> Result<CryptoKey, PushError> {
    let value = JsFuture::from(promise.map_err(failed(what))?).await.map_err(failed(what))?;
    Ok(value.unchecked_into())
}

async fn buffer(promise: Result<js_sys::Promise, JsValue>, what: &str) -> Result<Vec<u8>, PushError> {
    let value = JsFuture::from(promise.map_err(failed(what))?).await.map_err(failed(what))?;
    let buffer: ArrayBuffer = value.dyn_into().map_err(|_| PushError::Crypto(format!("{what}: not bytes")))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn p256(name: &str) -> Object {
    object(&[("name", name.into()), ("namedCurve", "P-256".into())])
}

/// A P-256 private key from its scalar and public point, as a JWK (the only private format that needs no DER).
pub async fn import_private(
    algorithm: &str,
    d: &[u8],
    public: &[u8; PUBLIC_KEY_BYTES],
    usage: &str,
) -> Result<CryptoKey, PushError> {
    let jwk = object(&[
        ("kty", "EC".into()),
        ("crv", "P-256".into()),
        ("d", b64(d).into()),
        ("x", b64(public.get(1..33).unwrap_or_default()).into()),
        ("y", b64(public.get(33..65).unwrap_or_default()).into()),
        ("ext", true.into()),
    ]);
    let import = subtle()?.import_key_with_object("jwk", &jwk, &p256(algorithm), false, &usages(&[usage]));
    key(import, "import the private key").await
}

/// A P-256 ECDH public key from its uncompressed point.
pub async fn import_ecdh_public(public: &[u8; PUBLIC_KEY_BYTES]) -> Result<CryptoKey, PushError> {
    let data: Object = bytes(public).unchecked_into();
    let import = subtle()?.import_key_with_object("raw", &data, &p256("ECDH"), true, &usages(&[]));
    key(import, "import the subscription's public key").await
}

/// A fresh P-256 ECDH key pair: the private key and the uncompressed public point.
pub async fn generate_ecdh() -> Result<(CryptoKey, [u8; PUBLIC_KEY_BYTES]), PushError> {
    let promise = subtle()?.generate_key_with_object(&p256("ECDH"), true, &usages(&["deriveBits"]));
    let value = JsFuture::from(promise.map_err(failed("generateKey"))?).await.map_err(failed("generateKey"))?;
    let part = |name: &str| -> Result<CryptoKey, PushError> {
        Reflect::get(&value, &JsValue::from_str(name)).map(JsCast::unchecked_into).map_err(failed("generateKey"))
    };
    let (private, public) = (part("privateKey")?, part("publicKey")?);
    let raw = buffer(subtle()?.export_key("raw", &public), "export the public key").await?;
    let point = raw.try_into().map_err(|_| PushError::Crypto("exported public key is not 65 bytes".into()))?;
    Ok((private, point))
}

/// ECDH: the 32-byte shared secret of `private` and `public`.
pub async fn ecdh(private: &CryptoKey, public: &CryptoKey) -> Result<Vec<u8>, PushError> {
    let algorithm = object(&[("name", "ECDH".into()), ("public", public.into())]);
    buffer(subtle()?.derive_bits_with_object(&algorithm, private, 256), "ECDH").await
}

/// HKDF-SHA-256 (RFC 5869): `length` bytes from `ikm` with `salt` and `info`.
pub async fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], length: u32) -> Result<Vec<u8>, PushError> {
    let data: Object = bytes(ikm).unchecked_into();
    let import = subtle()?.import_key_with_str("raw", &data, "HKDF", false, &usages(&["deriveBits"]));
    let ikm = key(import, "import the HKDF key").await?;
    let algorithm =
        object(&[("name", "HKDF".into()), ("hash", "SHA-256".into()), ("salt", bytes(salt)), ("info", bytes(info))]);
    buffer(subtle()?.derive_bits_with_object(&algorithm, &ikm, length * 8), "HKDF").await
}

/// AES-128-GCM with a 128-bit tag: ciphertext ‖ tag.
pub async fn aes128gcm(key_bytes: &[u8], nonce: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, PushError> {
    let data: Object = bytes(key_bytes).unchecked_into();
    let import = subtle()?.import_key_with_str("raw", &data, "AES-GCM", false, &usages(&["encrypt"]));
    let cek = key(import, "import the content key").await?;
    let algorithm = object(&[("name", "AES-GCM".into()), ("iv", bytes(nonce)), ("tagLength", 128.into())]);
    let plaintext: Object = bytes(plaintext).unchecked_into();
    buffer(subtle()?.encrypt_with_object_and_buffer_source(&algorithm, &cek, &plaintext), "AES-GCM").await
}

/// ECDSA P-256 with SHA-256: the 64-byte `r ‖ s` signature (exactly JWS's ES256 form).
pub async fn es256(private: &CryptoKey, message: &[u8]) -> Result<Vec<u8>, PushError> {
    let algorithm = object(&[("name", "ECDSA".into()), ("hash", "SHA-256".into())]);
    let message: Object = bytes(message).unchecked_into();
    buffer(subtle()?.sign_with_object_and_buffer_source(&algorithm, private, &message), "ECDSA").await
}

/// SHA-1 of `data`.
pub async fn sha1(data: &[u8]) -> Result<Vec<u8>, PushError> {
    let data: Object = bytes(data).unchecked_into();
    buffer(subtle()?.digest_with_str_and_buffer_source("SHA-1", &data), "SHA-1").await
}
