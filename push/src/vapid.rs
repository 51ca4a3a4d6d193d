//! RFC 8292 (VAPID): the application server proves to the push service who it is with an ES256 JWT whose
//! audience is the push service's origin, which expires within 24 hours, and whose subject is a contact
//! (`mailto:` or `https:`). The header is `Authorization: vapid t=<JWT>,k=<public key>`.

use web_sys::CryptoKey;

use crate::{PUBLIC_KEY_BYTES, PushError, b64, subtle};

/// RFC 8292 §2: a push service may refuse a token that expires more than 24 hours ahead.
pub const MAX_EXPIRY_SECS: i64 = 24 * 3600;
/// How long the tokens this crate signs last: 12 hours, so a clock that is hours off is still inside 24.
pub const TOKEN_SECS: i64 = 12 * 3600;

/// The server's VAPID key pair (the public half is what browsers subscribe with: `applicationServerKey`).
pub struct VapidKey {
    signing: CryptoKey,
    public: [u8; PUBLIC_KEY_BYTES],
}

impl VapidKey {
    /// From the base64url private scalar and public point (`VAPID_PRIVATE_KEY`, `VAPID_PUBLIC_KEY`). WebCrypto
    /// refuses a pair that does not match.
    pub async fn import(private: &str, public: &str) -> Result<VapidKey, PushError> {
        let d = crate::private_key(private)?;
        let public = crate::public_key(public)?;
        let signing = subtle::import_private("ECDSA", &d, &public, "sign").await?;
        Ok(VapidKey { signing, public })
    }

    /// The public key, base64url: the `k` parameter, and what browsers subscribe with.
    pub fn public_key(&self) -> String {
        b64(&self.public)
    }

    /// `vapid t=<JWT>,k=<public key>` for the push service at `audience`, valid until `expires` (Unix seconds).
    pub async fn authorization(&self, audience: &str, expires: i64, subject: &str) -> Result<String, PushError> {
        let signing_input = signing_input(audience, expires, subject);
        let signature = subtle::es256(&self.signing, signing_input.as_bytes()).await?;
        Ok(format!("vapid t={signing_input}.{},k={}", b64(&signature), self.public_key()))
    }
}

/// `base64url(header) . base64url(claims)`: the part of the JWT that is signed.
pub fn signing_input(audience: &str, expires: i64, subject: &str) -> String {
    let header = br#"{"typ":"JWT","alg":"ES256"}"#;
    let claims = format!(r#"{{"aud":{},"exp":{expires},"sub":{}}}"#, json_string(audience), json_string(subject));
    format!("{}.{}", b64(header), b64(claims.as_bytes()))
}

/// The audience of an endpoint: its origin (`https://fcm.googleapis.com`), or `None` when it has none.
pub fn audience(endpoint: &str) -> Option<&str> {
    let rest = endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"))?;
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest.get(..host_len)?;
    if host.is_empty() || host.contains('@') {
        return None;
    }
    endpoint.get(..endpoint.len() - rest.len() + host_len)
}

/// A JSON string literal (the audience and subject come from configuration and URLs).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unb64;

    #[test]
    fn the_audience_is_the_endpoints_origin() {
        assert_eq!(audience("https://fcm.googleapis.com/fcm/send/abc:def"), Some("https://fcm.googleapis.com"));
        assert_eq!(
            audience("https://updates.push.services.mozilla.com/wpush/v2/x"),
            Some("https://updates.push.services.mozilla.com")
        );
        assert_eq!(audience("http://127.0.0.1:9100/push/1"), Some("http://127.0.0.1:9100"));
        assert_eq!(audience("https://web.push.apple.com"), Some("https://web.push.apple.com"));
        assert_eq!(audience("https://user@evil.example/x"), None);
        assert_eq!(audience("ftp://x/y"), None);
        assert_eq!(audience("https:///x"), None);
    }

    #[test]
    fn the_signing_input_is_header_and_claims_in_base64url() {
        let input = signing_input("https://push.example", 1_800_000_000, "mailto:ops@example.org");
        let (header, claims) = input.split_once('.').unwrap_or_default();
        assert_eq!(unb64(header), Some(br#"{"typ":"JWT","alg":"ES256"}"#.to_vec()));
        let claims = String::from_utf8(unb64(claims).unwrap_or_default()).unwrap_or_default();
        assert_eq!(claims, r#"{"aud":"https://push.example","exp":1800000000,"sub":"mailto:ops@example.org"}"#);
        assert!(!input.contains('='), "JWTs are unpadded");
    }

    #[test]
    fn claims_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
