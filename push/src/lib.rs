//! Web Push for Tidewatch's worker, with no cryptography compiled in: RFC 8291 message encryption (`aes128gcm`,
//! RFC 8188) and RFC 8292 VAPID (an ES256 JWT), both through the runtime's WebCrypto (`crypto.subtle`), which
//! workerd, browsers and Node all have. RustCrypto's P-256, HKDF and AES-GCM would add about 80 KB gzip to a
//! worker that has a size budget; WebCrypto adds only its calls (measured in BENCHMARKS.md).
//!
//! What does not need WebCrypto (key parsing, the record header, the HKDF `info` strings, the JWT's claims and
//! the `Authorization` header) is plain Rust and is tested natively; the WebCrypto paths are tested in Chromium
//! against RFC 8291's Appendix A byte for byte (`tests/vectors.rs`), and the worker's pushes are decrypted and
//! verified by independent implementations (PyPI `http-ece` and `py-vapid`) in the integration tests.

/// RFC 8291: the encrypted push message.
pub mod ece;
/// RFC 8292: the VAPID `Authorization` header.
pub mod vapid;

/// base64url without padding.
pub mod base64url;
mod subtle;

/// Bytes in an uncompressed P-256 public key (`0x04 ‖ x ‖ y`).
pub const PUBLIC_KEY_BYTES: usize = 65;
/// Bytes in a P-256 private scalar.
pub const PRIVATE_KEY_BYTES: usize = 32;

/// Why a push could not be prepared.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum PushError {
    /// A key, a secret or a salt does not have the right shape.
    #[error("bad key: {0}")]
    BadKey(&'static str),
    /// The plaintext does not fit in one record.
    #[error("the message is {0} bytes; at most {max} fit in one record", max = ece::MAX_PLAINTEXT)]
    TooLong(usize),
    /// The push service's URL is not an absolute http(s) URL.
    #[error("not a push service URL")]
    BadEndpoint,
    /// WebCrypto refused (or is missing).
    #[error("WebCrypto: {0}")]
    Crypto(String),
}

/// base64url without padding (RFC 8291 and 8292 use it for every key and token).
pub fn b64(bytes: &[u8]) -> String {
    base64url::encode(bytes)
}

/// Decodes base64url, with or without padding (browsers' `PushSubscription.toJSON()` gives it without, some
/// libraries with); standard base64's `+` and `/` are accepted too, as web-push libraries do.
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    base64url::decode(&cleaned)
}

/// SHA-1 of `data` through WebCrypto. For the worker's Nightscout API, whose clients present `SHA-1(secret)`
/// (nothing relies on SHA-1 for security: the secret itself is 128 random bits); here because this crate is where
/// the worker calls WebCrypto, and a compiled-in SHA-1 is about 3 KB of wasm.
pub async fn sha1(data: &[u8]) -> Result<Vec<u8>, PushError> {
    subtle::sha1(data).await
}

/// A P-256 public key from its base64url uncompressed form, checked for shape (65 bytes, `0x04` first).
pub fn public_key(text: &str) -> Result<[u8; PUBLIC_KEY_BYTES], PushError> {
    let bytes = unb64(text).ok_or(PushError::BadKey("not base64url"))?;
    let key: [u8; PUBLIC_KEY_BYTES] =
        bytes.try_into().map_err(|_| PushError::BadKey("a P-256 public key is 65 bytes"))?;
    if key[0] != 4 {
        return Err(PushError::BadKey("a P-256 public key must be uncompressed (0x04 first)"));
    }
    Ok(key)
}

/// A P-256 private scalar from base64url (32 bytes, as web-push libraries and `cargo xtask` write it).
pub fn private_key(text: &str) -> Result<[u8; PRIVATE_KEY_BYTES], PushError> {
    let bytes = unb64(text).ok_or(PushError::BadKey("not base64url"))?;
    bytes.try_into().map_err(|_| PushError::BadKey("a P-256 private key is 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_in_either_base64_and_checked_for_shape() {
        let key = [4_u8; PUBLIC_KEY_BYTES];
        assert_eq!(public_key(&b64(&key)), Ok(key));
        let standard = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key);
        assert_eq!(public_key(&standard), Ok(key));
        assert_eq!(
            public_key(&b64(&[3_u8; PUBLIC_KEY_BYTES])),
            Err(PushError::BadKey("a P-256 public key must be uncompressed (0x04 first)"))
        );
        assert!(public_key(&b64(&[4_u8; 33])).is_err());
        assert!(public_key("not base64!").is_err());
        assert_eq!(private_key(&b64(&[7_u8; 32])), Ok([7_u8; 32]));
        assert!(private_key(&b64(&[7_u8; 31])).is_err());
    }
}
