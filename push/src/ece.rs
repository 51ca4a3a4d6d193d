//! RFC 8291 (Message Encryption for Web Push) over RFC 8188's `aes128gcm` content coding, as one record:
//!
//! ```text
//! ecdh_secret = ECDH(as_private, ua_public)
//! IKM   = HKDF(salt = auth_secret, ecdh_secret, "WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public, 32)
//! CEK   = HKDF(salt, IKM, "Content-Encoding: aes128gcm" ‖ 0x00, 16)
//! NONCE = HKDF(salt, IKM, "Content-Encoding: nonce" ‖ 0x00, 12)
//! body  = salt (16) ‖ rs (4, big-endian) ‖ idlen = 65 (1) ‖ as_public (65) ‖ AES-128-GCM(CEK, NONCE, plaintext ‖ 0x02 ‖ 0x00…)
//! ```
//!
//! A fresh application-server key pair and salt are drawn for every message, so two messages to the same
//! subscription share nothing an observer can link. The plaintext can be padded with zeros to a multiple of a
//! bucket size, so the length of a push does not tell which alarm it carries.

use web_sys::CryptoKey;

use crate::{PUBLIC_KEY_BYTES, PushError, subtle, unb64};

/// The record size written in the header. One record holds the whole message (RFC 8291 §4: push services accept
/// at least 4096 bytes of payload).
pub const RECORD_SIZE: u32 = 4096;
/// Bytes in the header: salt, record size, key id length, key id.
pub const HEADER_BYTES: usize = 16 + 4 + 1 + PUBLIC_KEY_BYTES;
/// Bytes of AES-GCM tag.
pub const TAG_BYTES: usize = 16;
/// The largest plaintext whose whole body stays within the 4096 bytes every push service accepts (RFC 8291 §4:
/// 3993 bytes, after the header, the delimiter byte and the tag).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 1 - TAG_BYTES - HEADER_BYTES;
/// Bytes of auth secret a subscription carries.
pub const AUTH_BYTES: usize = 16;
/// Bytes of salt.
pub const SALT_BYTES: usize = 16;

/// What the browser gave when it subscribed: its ECDH public key (`p256dh`) and its auth secret.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Receiver {
    /// The user agent's P-256 public key, uncompressed.
    pub public: [u8; PUBLIC_KEY_BYTES],
    /// The 16-byte authentication secret.
    pub auth: [u8; AUTH_BYTES],
}

impl Receiver {
    /// From a subscription's `keys.p256dh` and `keys.auth` (base64url).
    pub fn from_base64(p256dh: &str, auth: &str) -> Result<Receiver, PushError> {
        let public = crate::public_key(p256dh)?;
        let auth = unb64(auth)
            .and_then(|bytes| <[u8; AUTH_BYTES]>::try_from(bytes).ok())
            .ok_or(PushError::BadKey("the auth secret is 16 bytes of base64url"))?;
        Ok(Receiver { public, auth })
    }
}

/// The application server's ECDH key for one message.
pub struct Sender {
    private: CryptoKey,
    /// Its public point, which goes in the header as the key id.
    pub public: [u8; PUBLIC_KEY_BYTES],
}

impl Sender {
    /// A fresh key pair (what every real push uses).
    pub async fn generate() -> Result<Sender, PushError> {
        let (private, public) = subtle::generate_ecdh().await?;
        Ok(Sender { private, public })
    }

    /// A given key pair (RFC 8291's Appendix A, and tests).
    pub async fn from_raw(private: &[u8], public: &[u8; PUBLIC_KEY_BYTES]) -> Result<Sender, PushError> {
        let private = subtle::import_private("ECDH", private, public, "deriveBits").await?;
        Ok(Sender { private, public: *public })
    }
}

/// The `info` of the IKM derivation: `"WebPush: info" ‖ 0x00 ‖ ua_public ‖ as_public`.
pub fn key_info(ua_public: &[u8; PUBLIC_KEY_BYTES], as_public: &[u8; PUBLIC_KEY_BYTES]) -> Vec<u8> {
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(ua_public);
    info.extend_from_slice(as_public);
    info
}

/// The `aes128gcm` header: salt, record size, the key id's length and the key id (the sender's public key).
pub fn header(salt: &[u8; SALT_BYTES], as_public: &[u8; PUBLIC_KEY_BYTES]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES);
    out.extend_from_slice(salt);
    out.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    out.push(PUBLIC_KEY_BYTES as u8);
    out.extend_from_slice(as_public);
    out
}

/// The record's plaintext: the message, the last-record delimiter `0x02`, then zeros up to a multiple of
/// `bucket` bytes (no padding when `bucket` is 0 or 1), never past one record.
pub fn padded(message: &[u8], bucket: usize) -> Result<Vec<u8>, PushError> {
    if message.len() > MAX_PLAINTEXT {
        return Err(PushError::TooLong(message.len()));
    }
    let mut out = message.to_vec();
    out.push(2);
    if bucket > 1 {
        let target = out.len().div_ceil(bucket) * bucket;
        out.resize(target.min(MAX_PLAINTEXT + 1), 0);
    }
    Ok(out)
}

/// Encrypts `message` for `to` with a fresh sender key and salt, padded to a multiple of `bucket`.
pub async fn encrypt(to: &Receiver, message: &[u8], bucket: usize) -> Result<Vec<u8>, PushError> {
    let sender = Sender::generate().await?;
    let mut salt = [0_u8; SALT_BYTES];
    subtle::random(&mut salt)?;
    encrypt_with(&sender, &salt, to, message, bucket).await
}

/// Encrypts `message` for `to` with the given sender key and salt (deterministic: RFC 8291 Appendix A).
pub async fn encrypt_with(
    sender: &Sender,
    salt: &[u8; SALT_BYTES],
    to: &Receiver,
    message: &[u8],
    bucket: usize,
) -> Result<Vec<u8>, PushError> {
    let plaintext = padded(message, bucket)?;
    let ua = subtle::import_ecdh_public(&to.public).await?;
    let shared = subtle::ecdh(&sender.private, &ua).await?;
    let ikm = subtle::hkdf(&to.auth, &shared, &key_info(&to.public, &sender.public), 32).await?;
    let cek = subtle::hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", 16).await?;
    let nonce = subtle::hkdf(salt, &ikm, b"Content-Encoding: nonce\0", 12).await?;
    let sealed = subtle::aes128gcm(&cek, &nonce, &plaintext).await?;
    let mut body = header(salt, &sender.public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;

    #[test]
    fn the_header_is_salt_record_size_and_key_id() {
        let salt = [9_u8; SALT_BYTES];
        let mut key = [1_u8; PUBLIC_KEY_BYTES];
        key[0] = 4;
        let header = header(&salt, &key);
        assert_eq!(header.len(), 86);
        assert_eq!(header.get(..16), Some(&salt[..]));
        assert_eq!(header.get(16..21), Some(&[0, 0, 0x10, 0, 65][..]));
        assert_eq!(header.get(21..), Some(&key[..]));
    }

    #[test]
    fn padding_ends_the_record_and_fills_a_bucket() {
        assert_eq!(padded(b"hi", 0), Ok(b"hi\x02".to_vec()));
        let out = padded(b"hello", 64).unwrap_or_default();
        assert_eq!(out.len(), 64);
        assert_eq!(out.get(..6), Some(&b"hello\x02"[..]));
        assert!(out.get(6..).unwrap_or_default().iter().all(|&b| b == 0));
        assert_eq!(padded(&[b'x'; 64], 64).map(|p| p.len()), Ok(128));
        assert_eq!(padded(&[0; MAX_PLAINTEXT + 1], 0), Err(PushError::TooLong(MAX_PLAINTEXT + 1)));
        assert_eq!(padded(&[0; MAX_PLAINTEXT], 256).map(|p| p.len()), Ok(MAX_PLAINTEXT + 1));
        // The whole body of the longest message is exactly one record.
        assert_eq!(HEADER_BYTES + MAX_PLAINTEXT + 1 + TAG_BYTES, RECORD_SIZE as usize);
    }

    #[test]
    fn receivers_are_checked() {
        let mut public = [0_u8; PUBLIC_KEY_BYTES];
        public[0] = 4;
        let ok = Receiver::from_base64(&b64(&public), &b64(&[1; 16]));
        assert_eq!(ok.map(|r| r.auth), Ok([1; 16]));
        assert!(Receiver::from_base64(&b64(&public), &b64(&[1; 12])).is_err());
        assert!(Receiver::from_base64(&b64(&[4; 64]), &b64(&[1; 16])).is_err());
    }

    #[test]
    fn key_info_is_label_zero_and_both_keys() {
        let info = key_info(&[4; PUBLIC_KEY_BYTES], &[5; PUBLIC_KEY_BYTES]);
        assert_eq!(info.len(), 14 + 130);
        assert_eq!(info.get(..14), Some(&b"WebPush: info\0"[..]));
        assert_eq!(info.get(14), Some(&4));
        assert_eq!(info.get(79), Some(&5));
    }
}
