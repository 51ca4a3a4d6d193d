//! JWT-shaped tokens and the table the server keeps of them.
//!
//! A token is `base64url(header).base64url(payload).base64url(32 random bytes)`: it decodes like LLU's HS256
//! JWTs (the payload carries `id`, `region`, `exp`, `s` and the profile claims seen in real tokens, plus `kind`)
//! but nothing checks the "signature"; the server's table is the authority. Tokens stay valid until they expire
//! or are revoked, even after fresher ones were issued (llu-protocol.md 3.4).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::llu::{Region, Ticket};
use shared::time::{DAY, HOUR, UtcTime};

use super::model::Account;

/// A full token's lifetime: 180 days.
pub const FULL_SECS: i64 = 180 * DAY;
/// A step token's lifetime: 1 hour.
pub const STEP_SECS: i64 = HOUR;
/// The `s` claim when the login sent no `product` header.
pub const DEFAULT_PRODUCT: &str = "llu.android";

/// What a token may do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenKind {
    /// A 1-hour token from a status-4 answer: only good for `/auth/continue/{type}`.
    Step,
    /// A 180-day token from a successful login: good for the data endpoints.
    Full,
}

impl TokenKind {
    /// The `kind` claim.
    const fn claim(self) -> &'static str {
        match self {
            TokenKind::Step => "step",
            TokenKind::Full => "full",
        }
    }
}

/// One row of the token table.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TokenInfo {
    /// The account's e-mail, lower case (the account table's key).
    pub email_key: String,
    /// The user id at issue time (what `account-id` is checked against).
    pub user_id: String,
    /// Step or full.
    pub kind: TokenKind,
    /// The region that issued it; data is served only there.
    pub region: Region,
    /// Expiry, epoch seconds.
    pub expires: i64,
    /// The `product` header of the login (the `s` claim), carried into rolled-forward tokens.
    pub product: String,
    /// Set by `revoke_tokens`.
    pub revoked: bool,
    /// How long it lasts from its issue, seconds (its ticket's `duration`).
    pub lifetime_secs: i64,
}

impl TokenInfo {
    /// Whether it is usable as `kind` at `now`.
    pub fn usable_as(&self, kind: TokenKind, now: UtcTime) -> bool {
        !self.revoked && self.kind == kind && now.unix_secs() < self.expires
    }

    /// The ticket JSON fields for `token`.
    pub fn ticket(&self, token: String) -> Ticket {
        Ticket { token, expires: self.expires, duration: self.lifetime_secs * 1000 }
    }
}

/// Mints a new token for `account`, returning it with its table row. `serial` makes every token unique even if
/// the operating system's random source fails.
pub fn mint(
    account: &Account,
    kind: TokenKind,
    region: Region,
    product: &str,
    now: UtcTime,
    serial: u64,
) -> (String, TokenInfo) {
    let lifetime_secs = match kind {
        TokenKind::Full => account.token_secs.unwrap_or(FULL_SECS),
        TokenKind::Step => STEP_SECS,
    };
    let expires = (now + lifetime_secs).unix_secs();
    let mut payload = json!({
        "id": account.user_id,
        "firstName": account.first_name,
        "lastName": account.last_name,
        "country": account.country,
        "region": region.code(),
        "role": "patient",
        "units": 1,
        "practices": [],
        "c": 1,
        "s": product,
        "exp": expires,
        "kind": kind.claim(),
    });
    if kind == TokenKind::Step
        && let Some(map) = payload.as_object_mut()
    {
        map.insert("email".to_owned(), json!(account.email));
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let token = format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(signature(serial, now)));
    let info = TokenInfo {
        email_key: account.email.to_lowercase(),
        user_id: account.user_id.clone(),
        kind,
        region,
        expires,
        product: product.to_owned(),
        revoked: false,
        lifetime_secs,
    };
    (token, info)
}

/// 32 random bytes, mixed with the serial so two tokens never collide.
fn signature(serial: u64, now: UtcTime) -> [u8; 32] {
    let mut random = [0u8; 32];
    // Without randomness the serial and the clock still make the token unique (it is a test fake).
    let _ = getrandom::getrandom(&mut random);
    let mut hasher = Sha256::new();
    hasher.update(random);
    hasher.update(serial.to_le_bytes());
    hasher.update(now.unix_secs().to_le_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_like_llu_jwts() {
        let account = Account::new("a@b.test", "pw");
        let now = UtcTime::from_unix_secs(1_800_000_000);
        let (token, info) = mint(&account, TokenKind::Full, Region::De, "llu.ios", now, 1);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload["id"], json!(account.user_id));
        assert_eq!(payload["region"], "de");
        assert_eq!(payload["s"], "llu.ios");
        assert_eq!(payload["kind"], "full");
        assert_eq!(payload["exp"], json!(1_800_000_000 + FULL_SECS));
        assert!(payload.get("email").is_none());
        assert!(info.usable_as(TokenKind::Full, now) && !info.usable_as(TokenKind::Step, now));
        assert!(!info.usable_as(TokenKind::Full, now + FULL_SECS));
        assert_eq!(info.ticket(token.clone()).duration, 15_552_000_000);
        let (again, _) = mint(&account, TokenKind::Full, Region::De, "llu.ios", now, 2);
        assert_ne!(again, token);
        let (step, info) = mint(&account, TokenKind::Step, Region::De, "llu.ios", now, 3);
        let parts: Vec<&str> = step.split('.').collect();
        let payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!((payload["kind"].as_str(), payload["email"].as_str()), (Some("step"), Some("a@b.test")));
        assert_eq!(info.ticket(step).duration, 3_600_000);
    }
}
