//! Sealed sessions (design decision 2): the LLU token never reaches a browser or an API client in clear.
//!
//! A session is AES-256-GCM over a small JSON record, under a key from the worker secret `SESSION_KEY`:
//! `tw1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id (4 bytes of SHA-256 over the key) is
//! authenticated as associated data, so a token from another key (a rotated secret, another deployment) is told
//! apart from a tampered one. Rotating the secret revokes every session, which the LLU token itself cannot do.
//!
//! RustCrypto (`aes-gcm`) rather than WebCrypto: it is synchronous and runs natively too (tests), for ~8 KB gzip of
//! wasm (~5 KB more than WebCrypto's glue) and ~20 µs per seal or open, like WebCrypto; measured in BENCHMARKS.md.

use core::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use shared::llu::Region;

use crate::wire;

/// Bytes in a `SESSION_KEY`.
pub const KEY_BYTES: usize = 32;
/// Bytes in an AES-GCM nonce (fresh and random for every seal).
pub const NONCE_BYTES: usize = 12;
/// The format tag every sealed token starts with.
pub const VERSION: &str = "tw1";
/// Longest sealed token accepted (an LLU JWT is ~500 bytes; this leaves room and refuses junk cheaply).
const MAX_TOKEN_CHARS: usize = 4096;

/// What kind of session a token carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A signed-in follower: the 180-day LLU token.
    Full,
    /// A 1-hour LLU step token that may only accept the terms of use.
    Tou,
    /// A 1-hour LLU step token that may only accept the privacy policy.
    Pp,
    /// The demo patient: no LLU token at all.
    Demo,
}

/// What a sealed token holds: `{"t": LLU token, "r": region, "a": account id, "e": expiry, "k": kind}`, and for
/// a sign-in by this build `"i"` (the session's id), `"s"` (when it signed in, Unix ms) and `"h"` (the hard end:
/// LLU's token expiry). Tokens sealed before those existed still open: they read as signed in at 0, with the hard
/// end at their expiry and an id from their own hash ([`Session::revocation_id`]).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The LLU token (a JWT), or a marker for the demo.
    #[serde(rename = "t")]
    pub llu_token: String,
    /// The region the account lives in (every later call goes there).
    #[serde(rename = "r")]
    pub region: Region,
    /// Lower-case hex SHA-256 of the follower's user id: LLU's `account-id` header and the cache key.
    #[serde(rename = "a")]
    pub account_id: String,
    /// Unix seconds after which the session is refused.
    #[serde(rename = "e")]
    pub expires: i64,
    /// What the session may do.
    #[serde(rename = "k")]
    pub kind: Kind,
    /// Which sign-in this is (random), so signing out revokes this one and no other.
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When the sign-in happened, Unix ms: "sign out everywhere" revokes every sign-in before it.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub signed_in_ms: Option<i64>,
    /// The latest a sliding session can be renewed to (LLU's token expiry), Unix seconds.
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<i64>,
}

/// The longest a full session lasts (LLU's token lifetime).
pub const MAX_SESSION_SECS: i64 = 180 * 86_400;
/// The longest a step session lasts (LLU's step token lifetime).
pub const STEP_SESSION_SECS: i64 = 3600;
/// How long a browser's session lasts after its last use (it slides forward, up to [`Session::ends`]).
pub const SLIDE_SECS: i64 = 30 * 86_400;
/// A session is sealed again (a new cookie) at most this often, not on every request.
pub const RENEW_EVERY_SECS: i64 = 86_400;

impl Session {
    /// The id that signing out revokes: the session's own, or for a token sealed before sessions had ids, a hash
    /// of the token itself.
    pub fn revocation_id(&self, token: &str) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => sha256_hex(token).get(..32).unwrap_or_default().to_owned(),
        }
    }

    /// When it signed in, Unix ms (0 for a token sealed before that was written down).
    pub fn signed_in_ms(&self) -> i64 {
        self.signed_in_ms.unwrap_or(0)
    }

    /// The latest it may last.
    pub fn ends(&self) -> i64 {
        self.ends.unwrap_or(self.expires).max(self.expires)
    }

    /// The same session, lasting [`SLIDE_SECS`] from `now` (never past its hard end), when it was last renewed
    /// more than [`RENEW_EVERY_SECS`] ago; `None` when it need not be sealed again. Only a signed-in follower's
    /// session slides (a demo's or a step's keeps its expiry). A token from before ids gets one now (`token`'s
    /// hash, so signing out revokes the old token and its renewals alike).
    pub fn slid(&self, token: &str, now: i64) -> Option<Session> {
        let target = (now + SLIDE_SECS).min(self.ends());
        // Due when it gains a day or more; or when it lasts longer than a slide (a 180-day token from before).
        let due = target - self.expires >= RENEW_EVERY_SECS || self.expires > target;
        (self.kind == Kind::Full && due).then(|| Session {
            expires: target,
            id: Some(self.revocation_id(token)),
            ends: Some(self.ends()),
            ..self.clone()
        })
    }

    /// The same session carried onto LLU's newer `ticket` (its token, and its end as the hard end; the same id, so
    /// signing out still reaches it), sliding from `now`: when the ticket ends a day later than this session may
    /// (or half the ticket's lifetime, for short-lived tokens); `None` otherwise. A session in use so never reaches
    /// its first token's end.
    pub fn rolled(&self, token: &str, ticket: &shared::llu::Ticket, now: i64) -> Option<Session> {
        let half_life_secs = (ticket.duration / 2000).max(1);
        let due = ticket.expires - self.ends() >= RENEW_EVERY_SECS.min(half_life_secs);
        (self.kind == Kind::Full && due && ticket.expires > now).then(|| Session {
            llu_token: ticket.token.clone(),
            expires: (now + SLIDE_SECS).min(ticket.expires),
            id: Some(self.revocation_id(token)),
            ends: Some(ticket.expires),
            ..self.clone()
        })
    }

    /// The copy the server keeps for background work (a link's reads, the alarms): it lasts until the hard end,
    /// not [`SLIDE_SECS`] after the owner last opened the app, so alarms do not stop for an owner who only
    /// receives them.
    pub fn held(&self, token: &str) -> Session {
        Session { expires: self.ends(), id: Some(self.revocation_id(token)), ends: Some(self.ends()), ..self.clone() }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("llu_token", &"<redacted>")
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("expires", &self.expires)
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("signed_in_ms", &self.signed_in_ms)
            .field("ends", &self.ends)
            .finish()
    }
}

/// Why a token was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum SealError {
    /// Not a Tidewatch token at all.
    #[error("not a Tidewatch session token")]
    Malformed,
    /// Sealed under another key: the secret was rotated, or it comes from another deployment.
    #[error("the session was sealed under a key this server no longer has")]
    ForeignKey,
    /// The key id matches but the ciphertext does not authenticate: it was altered.
    #[error("the session token was altered")]
    Tampered,
    /// Authentic, but past its expiry.
    #[error("the session has expired")]
    Expired,
}

/// Why a `SESSION_KEY` secret was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum KeyError {
    /// Not 32 bytes of base64 or hex.
    #[error("SESSION_KEY must be 32 random bytes as base64 (44 characters) or hex (64 characters)")]
    Format,
    /// 32 bytes, but not random ones (all zeros, a repeated pattern, a typed phrase).
    #[error("SESSION_KEY is not random (make one with `openssl rand -hex 32`)")]
    Weak,
}

/// Fewer distinct bytes than this in 32 is not a random key: 32 random bytes have fewer than 20 distinct values
/// with a probability far below 10^-6, while zeros, repeated patterns and typed words have a handful.
const MIN_DISTINCT_BYTES: usize = 20;

/// The session key, and the key it replaced (`SESSION_KEY_OLD`), which still opens what it sealed. Its `Debug`
/// never shows either.
#[derive(Clone)]
pub struct SessionKey {
    cipher: Aes256Gcm,
    id: String,
    previous: Option<Box<SessionKey>>,
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SessionKey {
    /// Reads a secret: 32 bytes as standard or URL-safe base64 (padded or not), or as 64 hex digits.
    pub fn from_secret(secret: &str) -> Result<SessionKey, KeyError> {
        let secret = secret.trim();
        let bytes = decode_hex(secret).or_else(|| push::unb64(secret)).ok_or(KeyError::Format)?;
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| KeyError::Format)?;
        let mut distinct = key.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < MIN_DISTINCT_BYTES {
            return Err(KeyError::Weak);
        }
        Ok(SessionKey::from_bytes(&key))
    }

    /// This key, still opening what `previous` sealed (a rotation that signs nobody out).
    #[must_use]
    pub fn with_previous(mut self, previous: SessionKey) -> SessionKey {
        self.previous = Some(Box::new(SessionKey { previous: None, ..previous }));
        self
    }

    /// A key from raw bytes.
    pub fn from_bytes(key: &[u8; KEY_BYTES]) -> SessionKey {
        let digest = Sha256::new_with_prefix(b"tidewatch session key id\0").chain_update(key).finalize();
        let id = push::b64(digest.get(..4).unwrap_or_default());
        SessionKey { cipher: Aes256Gcm::new(key.into()), id, previous: None }
    }

    /// Seals `session` with `nonce`, which must be fresh and random for every call.
    pub fn seal(&self, session: &Session, nonce: [u8; NONCE_BYTES]) -> String {
        self.encrypt(&self.aad(), wire::to_json(session).as_bytes(), nonce)
    }

    /// `<aad>.<b64url(nonce‖ciphertext)>`, with `aad` as the associated data.
    fn encrypt(&self, aad: &str, plaintext: &[u8], nonce: [u8; NONCE_BYTES]) -> String {
        // AES-GCM encryption only fails for plaintexts over 64 GiB.
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .unwrap_or_default();
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        format!("{aad}.{}", push::b64(&sealed))
    }

    /// Opens a token sealed by [`SessionKey::seal`] and checks it has not expired at `now` (Unix seconds).
    pub fn open(&self, token: &str, now: i64) -> Result<Session, SealError> {
        let (key_id, sealed) = unpack(token)?;
        if key_id != self.id {
            return match &self.previous {
                Some(previous) if key_id == previous.id => previous.open(token, now),
                _ => Err(SealError::ForeignKey),
            };
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let aad = self.aad();
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| SealError::Tampered)?;
        let text = String::from_utf8(plaintext).map_err(|_| SealError::Tampered)?;
        let session: Session = wire::from_json(&text).ok_or(SealError::Tampered)?;
        if session.expires <= now {
            return Err(SealError::Expired);
        }
        Ok(session)
    }

    fn aad(&self) -> String {
        format!("{VERSION}.{}", self.id)
    }

    /// Seals a secret the server keeps for itself (the password a family chose to keep for the alarms), with
    /// `nonce` (fresh and random for every call). Under other associated data than sessions: a sealed secret
    /// never opens as a session, nor a session as a secret. `tw1.<key id>.secret.<b64url(nonce‖ciphertext)>`.
    pub fn seal_secret(&self, text: &str, nonce: [u8; NONCE_BYTES]) -> String {
        self.encrypt(&format!("{}.secret", self.aad()), text.as_bytes(), nonce)
    }

    /// Opens what [`SessionKey::seal_secret`] sealed (with this key or the previous one).
    pub fn open_secret(&self, sealed: &str) -> Result<String, SealError> {
        let aad = format!("{}.secret", self.aad());
        let Some(body) = sealed.strip_prefix(&aad).and_then(|rest| rest.strip_prefix('.')) else {
            return match &self.previous {
                Some(previous) => previous.open_secret(sealed),
                None => Err(SealError::ForeignKey),
            };
        };
        let bytes = push::base64url::decode(body).ok_or(SealError::Malformed)?;
        if bytes.len() < NONCE_BYTES + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| SealError::Tampered)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Tampered)
    }
}

/// Lower-case hex SHA-256 of `text`: LLU's `account-id` for a user id, and how e-mails are keyed.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lower-case hex of `bytes` (not `format!`, which is a formatter call per byte).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digit = |nibble: u8| char::from(DIGITS.get(usize::from(nibble & 15)).copied().unwrap_or(b'0'));
    bytes.iter().flat_map(|b| [digit(b >> 4), digit(*b)]).collect()
}

/// Splits a sealed token `tw1.<key id>.<b64url(nonce‖ciphertext)>` into its key id and bytes. Anything else (too
/// long, another shape, bad base64, shorter than a nonce and a tag) is [`SealError::Malformed`].
pub fn unpack(token: &str) -> Result<(&str, Vec<u8>), SealError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(SealError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(VERSION), Some(key_id), Some(body), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SealError::Malformed);
    };
    let sealed = push::base64url::decode(body).ok_or(SealError::Malformed)?;
    if sealed.len() < NONCE_BYTES + 16 {
        return Err(SealError::Malformed);
    }
    Ok((key_id, sealed))
}

/// A fresh random nonce (WebCrypto's `getRandomValues` inside a Worker).
pub fn random_nonce() -> [u8; NONCE_BYTES] {
    let mut nonce = [0; NONCE_BYTES];
    random_bytes(&mut nonce);
    nonce
}

/// Fills `out` from the platform's CSPRNG. A failure leaves zeros, which then fail loudly elsewhere; it cannot
/// happen in a Worker (`crypto.getRandomValues` does not fail for ≤ 64 KiB).
pub fn random_bytes(out: &mut [u8]) {
    if getrandom::getrandom(out).is_err() {
        out.fill(0);
    }
}

/// `bytes` random bytes as lower-case hex (ids and keys the worker issues).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0_u8; bytes];
    random_bytes(&mut buf);
    hex(&buf)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn session() -> Session {
        Session {
            llu_token: "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEyMyJ9.c2ln".into(),
            region: Region::Eu2,
            account_id: sha256_hex("7ad66b40-ba9b-401e-9845-4f49f998cf16"),
            expires: NOW + 3600,
            kind: Kind::Full,
            id: Some("0123456789abcdef0123456789abcdef".into()),
            signed_in_ms: Some(NOW * 1000 - 5),
            ends: Some(NOW + 90 * 86_400),
        }
    }

    fn key(byte: u8) -> SessionKey {
        SessionKey::from_bytes(&[byte; KEY_BYTES])
    }

    #[test]
    fn sealed_session_opens_to_the_same_record() {
        let token = key(1).seal(&session(), [7; NONCE_BYTES]);
        assert!(token.starts_with("tw1."));
        assert!(!token.contains("eyJ"), "the LLU token must not be visible: {token}");
        assert_eq!(key(1).open(&token, NOW), Ok(session()));
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let token = key(1).seal(&session(), [7; NONCE_BYTES]);
        let body_start = token.rfind('.').unwrap() + 1;
        for i in body_start..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            if forged != token {
                assert!(key(1).open(&forged, NOW).is_err(), "byte {i} accepted");
            }
        }
    }

    #[test]
    fn tampering_foreign_keys_expiry_and_junk_have_distinct_errors() {
        let token = key(1).seal(&session(), [7; NONCE_BYTES]);
        let mut tampered = token.clone();
        tampered.truncate(token.len() - 2);
        tampered.push_str("AA");
        assert_eq!(key(1).open(&tampered, NOW), Err(SealError::Tampered));
        assert_eq!(key(2).open(&token, NOW), Err(SealError::ForeignKey));
        assert_eq!(key(1).open(&token, NOW + 3600), Err(SealError::Expired));
        for junk in ["", "tw1", "tw1..", "tw1.abc.def", "Bearer x", "tw1.a.b.c", &"x".repeat(5000)] {
            assert_eq!(key(1).open(junk, NOW), Err(SealError::Malformed), "{junk}");
        }
    }

    #[test]
    fn a_forged_key_id_is_still_refused() {
        let token = key(1).seal(&session(), [7; NONCE_BYTES]);
        let other = key(2).seal(&session(), [7; NONCE_BYTES]);
        let (_, body) = token.rsplit_once('.').unwrap();
        let (prefix, _) = other.rsplit_once('.').unwrap();
        assert_eq!(key(2).open(&format!("{prefix}.{body}"), NOW), Err(SealError::Tampered));
    }

    #[test]
    fn secrets_are_read_as_base64_or_hex_and_nothing_else() {
        use base64::Engine as _;
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        // `+` and `/` in standard base64, `-` and `_` in base64url; 21 distinct bytes, as a random key has.
        let raw: [u8; KEY_BYTES] = core::array::from_fn(|i| if i < 12 { 0xfb } else { i as u8 });
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let secrets = [
            STANDARD.encode(raw),
            STANDARD_NO_PAD.encode(raw),
            URL_SAFE.encode(raw),
            URL_SAFE_NO_PAD.encode(raw),
            hex.clone(),
            hex.to_uppercase(),
            format!(" {}\n", STANDARD.encode(raw)),
        ];
        for secret in secrets {
            let key = SessionKey::from_secret(&secret).unwrap();
            assert_eq!(key.id, SessionKey::from_bytes(&raw).id, "{secret}");
        }
        for bad in ["", "short", &STANDARD.encode([1_u8; 16]), &"g".repeat(64), &hex[1..], &format!("{hex}0")] {
            assert_eq!(SessionKey::from_secret(bad).unwrap_err(), KeyError::Format, "{bad}");
        }
    }

    #[test]
    fn a_session_key_that_is_not_random_is_refused() {
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        for weak in [[0_u8; KEY_BYTES], [0xff; KEY_BYTES], core::array::from_fn(|i| (i % 4) as u8)] {
            assert_eq!(SessionKey::from_secret(&hex(&weak)).unwrap_err(), KeyError::Weak);
        }
        assert_eq!(SessionKey::from_secret(&hex(b"test sessn key 1 test sessn key1")).unwrap_err(), KeyError::Weak);
        let random: [u8; KEY_BYTES] = core::array::from_fn(|i| (i as u8).wrapping_mul(97).wrapping_add(13));
        assert!(SessionKey::from_secret(&hex(&random)).is_ok());
    }

    #[test]
    fn the_previous_key_still_opens_what_it_sealed_and_seals_nothing() {
        let old = key(1).seal(&session(), [7; NONCE_BYTES]);
        let ring = key(2).with_previous(key(1));
        assert_eq!(ring.open(&old, NOW), Ok(session()), "signed in before the rotation: still signed in");
        let new = ring.seal(&session(), [7; NONCE_BYTES]);
        assert_eq!(key(2).open(&new, NOW), Ok(session()), "new sessions are sealed with the new key");
        assert_eq!(key(1).open(&new, NOW), Err(SealError::ForeignKey));
        assert_eq!(key(3).with_previous(key(4)).open(&old, NOW), Err(SealError::ForeignKey));
        assert!(!format!("{ring:?}").contains("cipher"));
    }

    #[test]
    fn a_token_sealed_by_an_earlier_build_still_opens() {
        // Sealed by the build before the hand-written record (serde's derive), with key [1; 32] and nonce [7; 12]:
        // the record's JSON must not change, or every follower is signed out by a deploy.
        let earlier = "tw1.xw-Xrw.BwcHBwcHBwcHBwcH9tGehjWM1NhTtHwe3-JL6NWLu_sBHj17JwBSn9w2M899G-Cu47ib15VlDuyHAUuPqHu0BPVbX74CsmsfPHKZV4NzZceSs_vXq8JfSss";
        let session = Session {
            llu_token: "eyJ.x.y".into(),
            region: Region::Eu2,
            account_id: "ab12".into(),
            expires: 1_800_003_600,
            kind: Kind::Tou,
            id: None,
            signed_in_ms: None,
            ends: None,
        };
        assert_eq!(key(1).open(earlier, NOW), Ok(session.clone()));
        let resealed = key(1).seal(&session, [7; NONCE_BYTES]);
        assert_eq!(key(1).open(&resealed, NOW), Ok(session.clone()));
        assert_eq!(wire::to_json(&session), r#"{"a":"ab12","e":1800003600,"k":"tou","r":"eu2","t":"eyJ.x.y"}"#);
        for (kind, name) in [(Kind::Full, "full"), (Kind::Tou, "tou"), (Kind::Pp, "pp"), (Kind::Demo, "demo")] {
            assert_eq!(wire::to_value(&kind), name);
            assert_eq!(wire::from_value::<Kind>(&name.into()), Some(kind));
        }
        let full = Session {
            llu_token: "eyJ".into(),
            region: Region::De,
            account_id: "acc".into(),
            expires: 1_800_000_000,
            kind: Kind::Full,
            id: Some("rid".into()),
            signed_in_ms: Some(1_700_000_000_000),
            ends: Some(1_815_000_000),
        };
        let sealed_by_earlier =
            r#"{"a":"acc","e":1800000000,"h":1815000000,"i":"rid","k":"full","r":"de","s":1700000000000,"t":"eyJ"}"#;
        assert_eq!(wire::to_json(&full), sealed_by_earlier);
        assert_eq!(wire::from_json::<Session>(sealed_by_earlier), Some(full));
    }

    #[test]
    fn a_session_slides_thirty_days_from_its_last_use_up_to_llus_end() {
        let day = 86_400;
        let fresh = session().slid("t", NOW).unwrap();
        assert_eq!((fresh.expires, fresh.id.clone(), fresh.ends), (NOW + SLIDE_SECS, session().id, session().ends));
        assert_eq!(fresh.slid("t", NOW + day - 1), None, "renewed at most once a day");
        assert_eq!(fresh.slid("t", NOW + day).unwrap().expires, NOW + day + SLIDE_SECS);
        assert_eq!(fresh.slid("t", NOW + 80 * day).unwrap().expires, NOW + 90 * day, "never past LLU's token");
        let demo = Session { kind: Kind::Demo, ..session() };
        assert_eq!(demo.slid("t", NOW), None, "a demo's session does not slide");
        // A token sealed before ids: its renewals carry its hash, so signing out revokes them with it.
        let earlier = Session { id: None, signed_in_ms: None, ends: None, expires: NOW + 170 * day, ..session() };
        let renewed = earlier.slid("old-token", NOW).unwrap();
        assert_eq!(renewed.id, Some(earlier.revocation_id("old-token")));
        assert_eq!((renewed.expires, renewed.ends()), (NOW + SLIDE_SECS, NOW + 170 * day));
        assert_eq!(renewed.signed_in_ms(), 0, "still before any 'sign out everywhere'");
        assert_ne!(earlier.revocation_id("old-token"), earlier.revocation_id("other-token"));
    }

    #[test]
    fn a_session_in_use_rolls_onto_llus_newer_ticket_and_keeps_its_id() {
        let day = 86_400;
        let newer = |expires, duration_secs: i64| shared::llu::Ticket {
            token: "newer-jwt".into(),
            expires,
            duration: duration_secs * 1000,
        };
        let long = 180 * day;
        assert_eq!(session().rolled("t", &newer(NOW + 90 * day + 3_600, long), NOW), None, "an hour more: not yet");
        let rolled = session().rolled("t", &newer(NOW + 180 * day, long), NOW).unwrap();
        assert_eq!(rolled.llu_token, "newer-jwt");
        assert_eq!((rolled.ends(), rolled.expires), (NOW + 180 * day, NOW + SLIDE_SECS));
        assert_eq!((rolled.id.clone(), rolled.signed_in_ms), (session().id, session().signed_in_ms));
        // A 20-second token: carried on at half its life, and never past its own end.
        let short = Session { ends: Some(NOW + 5), expires: NOW + 5, ..session() };
        let carried = short.rolled("t", &newer(NOW + 20, 20), NOW).unwrap();
        assert_eq!((carried.expires, carried.ends()), (NOW + 20, NOW + 20));
        assert_eq!(short.rolled("t", &newer(NOW + 8, 20), NOW), None);
        let demo = Session { kind: Kind::Demo, ..session() };
        assert_eq!(demo.rolled("t", &newer(NOW + 180 * day, long), NOW), None);
    }

    #[test]
    fn the_servers_copy_lasts_until_llus_end_not_thirty_days_after_the_app_was_opened() {
        let held = session().held("t");
        assert_eq!((held.expires, held.id.clone()), (NOW + 90 * 86_400, session().id));
        assert_eq!(held.revocation_id("another token"), session().revocation_id("t"));
    }

    #[test]
    fn a_kept_secret_opens_only_as_a_secret_and_only_with_this_servers_keys() {
        let sealed = key(1).seal_secret("the password", [7; NONCE_BYTES]);
        assert!(!sealed.contains("password"), "{sealed}");
        assert_eq!(key(1).open_secret(&sealed).as_deref(), Ok("the password"));
        assert!(key(1).open(&sealed, NOW).is_err(), "a secret is not a session");
        let session = key(1).seal(&session(), [8; NONCE_BYTES]);
        assert!(key(1).open_secret(&session).is_err(), "a session is not a secret");
        assert!(key(2).open_secret(&sealed).is_err(), "another server's key opens nothing");
        assert_eq!(key(2).with_previous(key(1)).open_secret(&sealed).as_deref(), Ok("the password"), "a rotation");
        let mut tampered = sealed.clone();
        tampered.push('A');
        assert!(key(1).open_secret(&tampered).is_err());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let text = format!("{:?} {:?}", key(1), session());
        assert!(!text.contains("eyJ") && !text.contains("cipher"), "{text}");
    }

    #[test]
    fn account_id_is_lower_hex_sha256() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
