//! Turns any upstream answer (status, headers, body bytes) into one typed [`Outcome`], without panicking.
//!
//! The rules follow llu-protocol.md section 9, in this order (first match wins):
//!
//! 1. HTTP 430 → [`Outcome::NewDocuments`]; HTTP 911 → [`Outcome::Maintenance`]; HTTP 401 on
//!    [`Endpoint::Login`] → [`Outcome::BadCredentials`] (never "log in again" for a login).
//! 2. Bodies over [`MAX_BODY_BYTES`] → [`Outcome::Malformed`] (HTML ones → edge blocked); nothing that large is LLU.
//! 3. A JSON object body decides by its content, whatever the HTTP status: `data.minimumVersion`/status 920,
//!    status 429 "locked", status 911, status 4 with a `step`, status 4 with `couldNotLoadPatient` /
//!    `followerNotConnectToPatient`, status 2, the bare `{"message": …}` errors, then status 0 (redirect or
//!    success, whose `data` must have the shape the [`Endpoint`] returns).
//! 4. Otherwise the HTTP status: 429 → rate limited (`Retry-After`), 401 → bad credentials on login or invalid
//!    token elsewhere, a `cf-mitigated` header, an HTML page or a non-JSON 403 → edge blocked, other 5xx →
//!    unavailable, a non-JSON body with `cf-*` headers → edge blocked. An empty body alone is never an edge block
//!    (Cloudflare adds `cf-ray` to every answer, including LLU's own).
//! 5. Whatever is left: [`Outcome::Unexpected`] for well-formed JSON we do not know (or non-2xx statuses), and
//!    [`Outcome::Malformed`] for a 2xx body that is not what LLU sends.
//!
//! The [`Endpoint`] matters in four places: an HTTP 401 or body status 2 means bad credentials on
//! [`Endpoint::Login`] but a dead token elsewhere (the step token on [`Endpoint::ContinueStep`]); a body status
//! 429 without "locked" is a lockout on login but a rate limit elsewhere; and a status-0 body must parse as that
//! endpoint's payload ([`Payload`]), else it is [`MalformedReason::WrongShape`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::region::Region;
use super::wire::{
    Connection, CountryConfig, Envelope, GraphData, LogbookEntry, LoginRedirect, LoginStep, LoginSuccess, StepKind,
    Ticket,
};
use crate::code::Code;

/// The largest body classified. The biggest real answer (a 14-day logbook) is a few hundred KB and a 12-hour graph
/// about 45 KB; 8 MiB leaves ample room while bounding the memory a hostile or broken upstream can make the worker
/// spend (its limit is 128 MB). Anything larger is [`Outcome::Malformed`] with reason [`MalformedReason::TooLarge`].
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Lockout after too many failed logins when the body does not say (LLU's observed value).
pub const DEFAULT_LOCKOUT_SECS: u32 = 300;
/// Wait after an HTTP 429 without a usable `Retry-After` (what careful clients use).
pub const DEFAULT_RATE_LIMIT_SECS: u32 = 300;
/// Longest wait ever taken from an upstream header or body (a bigger number is capped, not trusted).
pub const MAX_WAIT_SECS: u32 = 24 * 3600;
/// Wait after a maintenance answer.
pub const MAINTENANCE_RETRY_SECS: u32 = 300;
/// Wait after HTTP 430 (new documents to accept in the LibreLinkUp app) before the next sign-in: short, since the
/// person fixes it in the app in a minute or two.
pub const NEW_DOCUMENTS_RETRY_SECS: u32 = 120;
/// Wait after an answer in LibreLinkUp 5's protocol before asking again: it will not change within minutes.
pub const PROTOCOL_CHANGED_RETRY_SECS: u32 = 600;
/// Wait after an edge (Cloudflare) block: long, to let a temporary IP ban expire instead of extending it.
pub const EDGE_BLOCK_RETRY_SECS: u32 = 900;
/// Wait after a 5xx, a malformed or an unexpected answer.
pub const TRANSIENT_RETRY_SECS: u32 = 60;
/// Longest free text an [`Outcome`] keeps from the upstream.
const MAX_MESSAGE_CHARS: usize = 120;

mod outcome;
#[cfg(test)]
mod tests;

pub use self::outcome::*;

/// Classifies an upstream answer. `headers` are `(name, value)` pairs; names are matched ignoring ASCII case.
/// Never panics, whatever the input.
pub fn classify(endpoint: Endpoint, http_status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
    classify_with(endpoint, http_status, headers, body, typed_payload)
}

/// [`classify`] for a pass-through such as the proxy: every outcome is the same, but a success's `data` is
/// kept as [`Payload::Other`] instead of being decoded, except for logins (typed: the user id and the token are
/// needed). The shape check of connections, graphs, logbooks and the country configuration is left to the
/// client that reads them (the app classifies again); what it saves is their decoders in the worker's wasm.
pub fn classify_envelope(endpoint: Endpoint, http_status: u16, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
    classify_with(endpoint, http_status, headers, body, envelope_payload)
}

/// Decodes a success's `data` for an endpoint; `None` when it does not have the endpoint's shape.
type Decode = fn(Endpoint, &Value) -> Option<Payload>;

fn classify_with(
    endpoint: Endpoint,
    http_status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    decode: Decode,
) -> Outcome {
    match http_status {
        430 => return Outcome::NewDocuments,
        911 => return Outcome::Maintenance,
        // Whatever the body says: "log in again" is never the answer to a failed login (it would loop).
        401 if endpoint.uses_credentials() => return Outcome::BadCredentials,
        _ => {}
    }
    let html = looks_like_html(headers, body);
    if body.len() > MAX_BODY_BYTES {
        return if html { Outcome::EdgeBlocked } else { malformed(MalformedReason::TooLarge) };
    }
    let parsed = if html { Err(MalformedReason::NotJson) } else { parse_object(body) };
    if let Ok(object) = &parsed
        && let Some(outcome) = from_json(endpoint, http_status, headers, object, decode)
    {
        return outcome;
    }
    let kind = match &parsed {
        _ if html => BodyKind::Html,
        Ok(_) => BodyKind::JsonObject,
        Err(MalformedReason::Empty) => BodyKind::Empty,
        Err(MalformedReason::NotAnObject) => BodyKind::BrokenJson,
        Err(_) if starts_like_json(body) => BodyKind::BrokenJson,
        Err(_) => BodyKind::Other,
    };
    if let Some(outcome) = from_http(http_status, headers, kind) {
        return outcome;
    }
    let success_status = (200..300).contains(&http_status);
    match parsed {
        Ok(object) if success_status && !object.get("status").is_some_and(Value::is_i64) => {
            malformed(MalformedReason::MissingStatus)
        }
        Ok(object) => Outcome::Unexpected { http_status, message: summary(&object) },
        Err(reason) if success_status => malformed(reason),
        Err(reason) => {
            Outcome::Unexpected { http_status, message: format!("HTTP {http_status}, body {}", reason.code()) }
        }
    }
}

/// Decodes the envelope of a body already classified as [`Outcome::Success`] into another `data` type (for the
/// endpoints [`Payload`] does not cover). Bodies over [`MAX_BODY_BYTES`] are refused.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> crate::Result<Envelope<T>> {
    if body.len() > MAX_BODY_BYTES {
        return Err(crate::Error::Json(format!("body over {MAX_BODY_BYTES} bytes")));
    }
    Ok(crate::json_from_bytes(body)?)
}

const fn malformed(reason: MalformedReason) -> Outcome {
    Outcome::Malformed { reason }
}

/// The body as a JSON object, or why not.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, MalformedReason> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(MalformedReason::Empty);
    }
    match crate::json_from_bytes::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MalformedReason::NotAnObject),
        Err(_) => Err(MalformedReason::NotJson),
    }
}

/// The value of header `name` (ASCII case ignored), first occurrence.
fn header<'a>(headers: &[(&str, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

/// Whether the answer is an HTML page: by `content-type`, or by a body that starts with `<` (after whitespace).
fn looks_like_html(headers: &[(&str, &str)], body: &[u8]) -> bool {
    let by_type = header(headers, "content-type").is_some_and(|t| contains_ignore_case(t, "html"));
    let first = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body).iter().find(|b| !b.is_ascii_whitespace());
    by_type || first == Some(&b'<')
}

/// Whether the first non-blank byte opens a JSON object or array.
fn starts_like_json(body: &[u8]) -> bool {
    let first = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body).iter().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'['))
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Outcomes decided by a JSON object body, or `None` to fall through to the HTTP status.
fn from_json(
    endpoint: Endpoint,
    http_status: u16,
    headers: &[(&str, &str)],
    obj: &Map<String, Value>,
    decode: Decode,
) -> Option<Outcome> {
    let status = obj.get("status").and_then(Value::as_i64);
    if let Some(changed) = llu5_shape(obj) {
        return Some(changed);
    }
    let data = obj.get("data").and_then(Value::as_object);
    let message = obj
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| obj.get("error").and_then(|e| e.get("message")).and_then(Value::as_str));

    if status == Some(920) || data.is_some_and(|d| d.contains_key("minimumVersion")) {
        let version = data.and_then(|d| d.get("minimumVersion")).and_then(Value::as_str).filter(|v| sane_version(v));
        return Some(Outcome::MinimumVersion { version: version.map(str::to_owned) });
    }
    let locked = data.is_some_and(|d| d.get("message").and_then(Value::as_str) == Some("locked"));
    if locked || (status == Some(429) && endpoint.uses_credentials()) {
        let lockout = data.and_then(|d| d.get("data")).and_then(|d| d.get("lockout")).and_then(Value::as_u64);
        return Some(Outcome::Locked { retry_after_secs: lockout.map_or(DEFAULT_LOCKOUT_SECS, clamp_wait) });
    }
    if status == Some(429) {
        return Some(Outcome::RateLimited { retry_after_secs: retry_after(headers) });
    }
    if status == Some(911) {
        return Some(Outcome::Maintenance);
    }
    if status == Some(4) && data.is_some_and(|d| d.contains_key("step")) {
        // The whole step must parse, so a Step outcome always matches the wire type the proxy re-emits.
        return Some(match obj.get("data").and_then(crate::wire::from_value::<LoginStep>) {
            Some(step) => Outcome::Step { kind: step.step.kind, ticket: step.auth_ticket },
            _ => malformed(MalformedReason::WrongShape),
        });
    }
    match message {
        Some("couldNotLoadPatient") => return Some(Outcome::PatientNotFound),
        Some("followerNotConnectToPatient") => return Some(Outcome::NotConnected),
        Some("RequiredHeaderMissing") => return Some(Outcome::RequiredHeaderMissing),
        Some("AccountIdMismatch") => return Some(Outcome::AccountIdMismatch),
        Some("MissingCachedUser") => return Some(Outcome::MissingCachedUser),
        Some(m) if m.eq_ignore_ascii_case("invalid or expired jwt") => return Some(Outcome::InvalidToken),
        _ => {}
    }
    if status == Some(2) {
        return Some(match endpoint {
            Endpoint::Login => Outcome::BadCredentials,
            Endpoint::ContinueStep => Outcome::InvalidToken,
            _ => Outcome::Unexpected { http_status, message: summary(obj) },
        });
    }
    if status == Some(0) && (200..300).contains(&http_status) {
        return Some(success(endpoint, obj, decode));
    }
    None
}

/// LibreLinkUp 5's answers, recognised by shape (llu-protocol.md 0): the encrypted envelope
/// `{"data": "<nonce>.<ciphertext>.<tag>", "signature": "…"}` and the error `{"code": N, "errors": [...]}`.
fn llu5_shape(obj: &Map<String, Value>) -> Option<Outcome> {
    let three_parts = |text: &str| text.split('.').count() == 3 && text.split('.').all(|part| !part.is_empty());
    let sealed = obj.get("data").and_then(Value::as_str).is_some_and(three_parts);
    if sealed && obj.get("signature").is_some_and(Value::is_string) {
        return Some(Outcome::ProtocolChanged { encrypted: true });
    }
    let error = obj.get("code").is_some_and(Value::is_i64) && obj.get("errors").is_some_and(Value::is_array);
    (error && !obj.contains_key("status")).then_some(Outcome::ProtocolChanged { encrypted: false })
}

/// A status-0 answer: a redirect, or the endpoint's payload.
fn success(endpoint: Endpoint, obj: &Map<String, Value>, decode: Decode) -> Outcome {
    let data = obj.get("data").unwrap_or(&Value::Null);
    if data.get("redirect").and_then(Value::as_bool) == Some(true) {
        return match crate::wire::from_value::<LoginRedirect>(data) {
            Some(r) => match Region::from_code(&r.region) {
                Some(region) => Outcome::Redirect { region },
                None => Outcome::UnknownRegion { region: r.region.chars().take(16).collect() },
            },
            None => malformed(MalformedReason::WrongShape),
        };
    }
    let ticket = obj.get("ticket").and_then(crate::wire::from_value::<Ticket>);
    match decode(endpoint, data) {
        Some(Payload::Login(login)) => {
            let ticket = ticket.or_else(|| Some(login.auth_ticket.clone()));
            Outcome::Success { ticket, payload: Payload::Login(login) }
        }
        Some(payload) => Outcome::Success { ticket, payload },
        None => malformed(MalformedReason::WrongShape),
    }
}

/// Every endpoint's `data`, typed.
fn typed_payload(endpoint: Endpoint, data: &Value) -> Option<Payload> {
    match endpoint {
        Endpoint::Login | Endpoint::ContinueStep => {
            crate::wire::from_value::<LoginSuccess>(data).map(|l| Payload::Login(Box::new(l)))
        }
        Endpoint::Connections => typed(data).map(Payload::Connections),
        Endpoint::Graph => typed(data).map(|g| Payload::Graph(Box::new(g))),
        Endpoint::Logbook => typed(data).map(Payload::Logbook),
        Endpoint::CountryConfig => typed(data).map(|c| Payload::CountryConfig(Box::new(c))),
        Endpoint::Other => Some(Payload::Other(data.clone())),
    }
}

/// Logins typed, everything else kept as it came.
fn envelope_payload(endpoint: Endpoint, data: &Value) -> Option<Payload> {
    match endpoint {
        Endpoint::Login | Endpoint::ContinueStep => {
            crate::wire::from_value::<LoginSuccess>(data).map(|l| Payload::Login(Box::new(l)))
        }
        _ => Some(Payload::Other(data.clone())),
    }
}

fn typed<T: DeserializeOwned>(data: &Value) -> Option<T> {
    T::deserialize(data).ok()
}

/// What the body turned out to be, for the HTTP-status rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// An HTML page.
    Html,
    /// A JSON object (that [`from_json`] did not recognise).
    JsonObject,
    /// No bytes, or only whitespace.
    Empty,
    /// JSON that is not an object (`null`, `42`, `[…]`), or a body that starts like JSON but does not parse
    /// (cut off, nested too deep).
    BrokenJson,
    /// Anything else: text, binary.
    Other,
}

/// Outcomes decided by the HTTP status and headers alone.
fn from_http(http_status: u16, headers: &[(&str, &str)], body: BodyKind) -> Option<Outcome> {
    let cf_header = headers.iter().any(|(n, _)| n.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("cf-")));
    match (http_status, body) {
        (429, _) => Some(Outcome::RateLimited { retry_after_secs: retry_after(headers) }),
        (401, _) => Some(Outcome::InvalidToken),
        _ if header(headers, "cf-mitigated").is_some() => Some(Outcome::EdgeBlocked),
        (_, BodyKind::Html) | (403, BodyKind::Other | BodyKind::Empty | BodyKind::BrokenJson) => {
            Some(Outcome::EdgeBlocked)
        }
        (500..=599, _) => Some(Outcome::Unavailable { http_status }),
        (_, BodyKind::Other) if cf_header => Some(Outcome::EdgeBlocked),
        _ => None,
    }
}

/// `Retry-After` in whole seconds, or the default for an HTTP-date, garbage or no header.
fn retry_after(headers: &[(&str, &str)]) -> u32 {
    header(headers, "retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RATE_LIMIT_SECS, clamp_wait)
}

fn clamp_wait(secs: u64) -> u32 {
    u32::try_from(secs).unwrap_or(u32::MAX).clamp(1, MAX_WAIT_SECS)
}

/// `4.16.0`-like: 1 to 4 dot-separated groups of 1–4 digits. Anything else is not put into a header.
fn sane_version(v: &str) -> bool {
    let groups = v.split('.').count();
    (1..=4).contains(&groups)
        && v.split('.').all(|g| (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()))
}

/// A short description of an unknown JSON error: its message if any, else its status, else its keys.
fn summary(obj: &Map<String, Value>) -> String {
    let message = obj
        .get("message")
        .or_else(|| obj.get("error").and_then(|e| e.get("message")))
        .or_else(|| obj.get("errors").and_then(|e| e.get(0)).and_then(|e| e.get("error")))
        .and_then(Value::as_str);
    let text = match (message, obj.get("status").and_then(Value::as_i64)) {
        (Some(m), Some(s)) => format!("status {s}: {m}"),
        (Some(m), None) => m.to_owned(),
        (None, Some(s)) => format!("status {s}"),
        (None, None) => format!("keys: {}", obj.keys().take(8).map(String::as_str).collect::<Vec<_>>().join(",")),
    };
    text.chars().take(MAX_MESSAGE_CHARS).collect()
}
