//! The loud channel: the last rung of the night shift, for phones Web Push cannot wake through Do Not Disturb.
//!
//! A person may add one channel to their phone: ntfy (self-hostable; priority 5 breaks Do Not Disturb on Android
//! when the ntfy app is allowed to), Pushover's emergency priority (it repeats until someone acknowledges it in
//! Pushover), or a webhook of the family's own. When an alarm goes round the rota and reaches everyone, each phone's
//! channel gets it too. This module is pure: what a channel may look like ([`Loud::check`]), the request each service
//! takes ([`Loud::request`]) and what its answer means ([`Outcome::of`]). The worker sends, keeps the result, and
//! tells the phone when its channel refuses.

use serde::{Deserialize, Serialize};
use serde_json::json;

#[cfg(test)]
mod tests;

/// Pushover's message endpoint (the worker's `PUSHOVER_URL` replaces it for a test service).
pub const PUSHOVER_URL: &str = "https://api.pushover.net/1/messages.json";
/// Pushover's emergency priority repeats this often until acknowledged (seconds; Pushover's least is 30).
pub const PUSHOVER_RETRY_SECS: u32 = 60;
/// …for at most this long (seconds; Pushover's most is 10800).
pub const PUSHOVER_EXPIRE_SECS: u32 = 3600;
/// The longest URL a channel may have.
pub const MAX_URL_LEN: usize = 512;
/// The longest token or secret.
pub const MAX_SECRET_LEN: usize = 200;

/// One person's loud channel.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Loud {
    /// ntfy: a topic on a server (`https://ntfy.sh` or the family's own), with an access token if the topic is
    /// protected.
    Ntfy {
        /// The server's base URL, `https://ntfy.sh`.
        server: String,
        /// The topic (ntfy's rule: 1–64 of `A-Z a-z 0-9 _ -`).
        topic: String,
        /// An access token (`tk_…`) or none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// Pushover's emergency priority: the person's user key and the family's application token.
    Pushover {
        /// The user (or group) key: 30 letters and digits.
        user: String,
        /// The application's API token: 30 letters and digits.
        token: String,
    },
    /// A webhook: a JSON POST to a URL of the family's, with `Authorization: Bearer <secret>` if one is set.
    Webhook {
        /// Where to POST.
        url: String,
        /// Sent as a bearer token, so the receiver knows it is Tidewatch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
    },
}

/// Why a channel was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum LoudError {
    /// The URL is not `https://…` or is too long.
    #[error("the address must start with https:// and be at most {MAX_URL_LEN} characters")]
    Url,
    /// The ntfy topic breaks ntfy's rule.
    #[error("an ntfy topic is 1 to 64 letters, digits, _ or -")]
    Topic,
    /// A Pushover key is not 30 letters and digits.
    #[error("Pushover's user key and API token are 30 letters and digits each")]
    PushoverKey,
    /// A token or secret is too long or has spaces or control characters.
    #[error("a token or secret is at most {MAX_SECRET_LEN} visible characters")]
    Secret,
}

/// What one alarm says on a loud channel.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LoudAlarm {
    /// The alarm kind's name (`UrgentLow`), or `Test`.
    pub kind: String,
    /// "Urgent low: 45 mg/dL".
    pub title: String,
    /// "Lee · falling · 2 min ago · No answer from Alex".
    pub body: String,
    /// The patient's name.
    pub patient: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// An HTTP request to a loud channel: always a POST of JSON.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LoudRequest {
    /// Where.
    pub url: String,
    /// The bearer token, if any.
    pub bearer: Option<String>,
    /// The JSON body.
    pub body: String,
}

/// What a channel's answer means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Taken (2xx).
    Delivered,
    /// Worth another try later: no answer (0), 408, 429 or 5xx.
    Retry,
    /// Refused for good: the token, key, topic or URL is wrong (any other 4xx, or a redirect).
    Refused,
}

impl Outcome {
    /// The meaning of HTTP `status` (0: no answer at all).
    pub const fn of(status: u16) -> Outcome {
        match status {
            200..=299 => Outcome::Delivered,
            0 | 408 | 429 | 500..=599 => Outcome::Retry,
            _ => Outcome::Refused,
        }
    }
}

/// `https://…`, or under one of `test_origins` (the worker's `LOUD_ORIGINS`: a test service on this machine).
fn https_url(url: &str, test_origins: &[String]) -> Result<(), LoudError> {
    let listed =
        test_origins.iter().any(|o| url == o || url.strip_prefix(o.as_str()).is_some_and(|r| r.starts_with('/')));
    let rest = if listed { url } else { url.strip_prefix("https://").ok_or(LoudError::Url)? };
    let visible = url.bytes().all(|b| b.is_ascii_graphic());
    if rest.is_empty() || url.len() > MAX_URL_LEN || !visible { Err(LoudError::Url) } else { Ok(()) }
}

fn secret(value: Option<&str>) -> Result<(), LoudError> {
    match value {
        Some(s) if s.is_empty() || s.len() > MAX_SECRET_LEN || !s.bytes().all(|b| b.is_ascii_graphic()) => {
            Err(LoudError::Secret)
        }
        _ => Ok(()),
    }
}

fn pushover_key(key: &str) -> bool {
    key.len() == 30 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Loud {
    /// Whether the channel is well formed (`test_origins`: plain-http origins allowed besides `https://`, for a
    /// test service). The worker also parses its URL as `fetch` will, and sends only to `https` names, never to
    /// addresses: see `proxy::endpoint::loud_target`.
    pub fn check(&self, test_origins: &[String]) -> Result<(), LoudError> {
        match self {
            Loud::Ntfy { server, topic, token } => {
                https_url(server, test_origins)?;
                let topic_ok = (1..=64).contains(&topic.len())
                    && topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !topic_ok {
                    return Err(LoudError::Topic);
                }
                secret(token.as_deref())
            }
            Loud::Pushover { user, token } => {
                if pushover_key(user) && pushover_key(token) {
                    Ok(())
                } else {
                    Err(LoudError::PushoverKey)
                }
            }
            Loud::Webhook { url, secret: s } => {
                https_url(url, test_origins)?;
                secret(s.as_deref())
            }
        }
    }

    /// The URL the worker POSTs to (`pushover_url`: [`PUSHOVER_URL`] unless a test replaces it).
    pub fn url(&self, pushover_url: &str) -> String {
        match self {
            // ntfy takes JSON at its root, naming the topic in the body (no header carries the text, so names
            // with accents arrive intact).
            Loud::Ntfy { server, .. } => format!("{}/", server.trim_end_matches('/')),
            Loud::Pushover { .. } => pushover_url.to_owned(),
            Loud::Webhook { url, .. } => url.clone(),
        }
    }

    /// The request that says `alarm` on this channel.
    pub fn request(&self, alarm: &LoudAlarm, pushover_url: &str) -> LoudRequest {
        let url = self.url(pushover_url);
        let (bearer, body) = match self {
            Loud::Ntfy { topic, token, .. } => (
                token.clone(),
                json!({
                    "topic": topic,
                    "title": alarm.title,
                    "message": alarm.body,
                    "priority": 5,
                    "tags": ["rotating_light"],
                }),
            ),
            Loud::Pushover { user, token } => (
                None,
                json!({
                    "token": token,
                    "user": user,
                    "title": alarm.title,
                    "message": alarm.body,
                    "priority": 2,
                    "retry": PUSHOVER_RETRY_SECS,
                    "expire": PUSHOVER_EXPIRE_SECS,
                    "timestamp": alarm.at,
                }),
            ),
            Loud::Webhook { secret, .. } => (
                secret.clone(),
                json!({
                    "source": "tidewatch",
                    "kind": alarm.kind,
                    "title": alarm.title,
                    "body": alarm.body,
                    "patient": alarm.patient,
                    "at": alarm.at,
                }),
            ),
        };
        LoudRequest { url, bearer, body: body.to_string() }
    }

    /// What the person's own phone shows of it: the service and where, never a token or key.
    pub fn describe(&self) -> String {
        match self {
            // On a public server the topic is the secret: only its first letters.
            Loud::Ntfy { server, topic, .. } => {
                let shown: String = topic.chars().take(3).collect();
                let more = if topic.chars().count() > 3 { "…" } else { "" };
                format!("ntfy: {}/{shown}{more}", without_scheme(server).trim_end_matches('/'))
            }
            Loud::Pushover { user, .. } => format!("Pushover: user …{}", user.get(26..).unwrap_or_default()),
            Loud::Webhook { url, .. } => {
                let host = without_scheme(url).split(['/', '?', '#']).next().unwrap_or_default();
                format!("Webhook: {host}")
            }
        }
    }
}

fn without_scheme(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

/// What the last message to a phone's loud channel came to, as the phone's Settings shows it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoudStatus {
    /// [`Loud::describe`].
    pub channel: String,
    /// When the last message was sent, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<i64>,
    /// Its HTTP status (0: no answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
}
