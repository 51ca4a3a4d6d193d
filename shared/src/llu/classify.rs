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
use crate::wire::Wire as _;

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

/// Which upstream call produced the answer.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Endpoint {
    /// `POST /llu/auth/login`.
    Login,
    /// `POST /auth/continue/{tou|pp}` with a step token.
    ContinueStep,
    /// `GET /llu/connections`.
    Connections,
    /// `GET /llu/connections/{patientId}/graph`.
    Graph,
    /// `GET /llu/connections/{patientId}/logbook`.
    Logbook,
    /// `GET /llu/config/country`.
    CountryConfig,
    /// Anything else (its `data` is not checked).
    Other,
}

impl Endpoint {
    /// Whether this call authenticates with credentials rather than a token.
    const fn uses_credentials(self) -> bool {
        matches!(self, Endpoint::Login)
    }
}

/// The typed `data` of a successful answer, by [`Endpoint`].
#[derive(Clone, PartialEq, Debug)]
pub enum Payload {
    /// A login (or `/auth/continue/*`) that succeeded.
    Login(Box<LoginSuccess>),
    /// The patients.
    Connections(Vec<Connection>),
    /// One patient's graph.
    Graph(Box<GraphData>),
    /// One patient's logbook.
    Logbook(Vec<LogbookEntry>),
    /// The country configuration.
    CountryConfig(Box<CountryConfig>),
    /// `data` of an [`Endpoint::Other`] call, unchecked (`Null` when absent).
    Other(Value),
}

/// Why a body could not be read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum MalformedReason {
    /// No bytes at all.
    Empty,
    /// More than [`MAX_BODY_BYTES`].
    TooLarge,
    /// Not JSON (binary, text, cut off, nested too deep).
    NotJson,
    /// JSON, but the top level is not an object (`null`, a number, an array, …).
    NotAnObject,
    /// A JSON object without the members LLU always sends (e.g. no numeric `status`).
    MissingStatus,
    /// Status 0, but `data` does not have the endpoint's shape.
    WrongShape,
}

impl MalformedReason {
    /// A short machine code.
    pub const fn code(self) -> &'static str {
        match self {
            MalformedReason::Empty => "empty",
            MalformedReason::TooLarge => "too_large",
            MalformedReason::NotJson => "not_json",
            MalformedReason::NotAnObject => "not_an_object",
            MalformedReason::MissingStatus => "missing_status",
            MalformedReason::WrongShape => "wrong_shape",
        }
    }
}

/// What an upstream answer means.
#[derive(Clone, PartialEq, Debug)]
pub enum Outcome {
    /// Status 0: it worked.
    Success {
        /// The fresh token LLU sends with authenticated answers (and the `authTicket` of a login), if any.
        ticket: Option<Ticket>,
        /// The typed `data`.
        payload: Payload,
    },
    /// The account lives in another region: log in again there.
    Redirect {
        /// Where.
        region: Region,
    },
    /// A redirect to a region code we do not know. Never turned into a host.
    UnknownRegion {
        /// The code, cut to 16 characters.
        region: String,
    },
    /// Status 4 with a step: the user must accept documents or verify their e-mail.
    Step {
        /// What to do.
        kind: StepKind,
        /// The 1-hour step token for `/auth/continue/{type}`; `None` if LLU did not send one.
        ticket: Option<Ticket>,
    },
    /// Wrong e-mail or password. Never retried automatically: three failures lock the account.
    BadCredentials,
    /// Too many failed logins: the account is locked for a while.
    Locked {
        /// How long (from `data.data.lockout`, default [`DEFAULT_LOCKOUT_SECS`]).
        retry_after_secs: u32,
    },
    /// The `version` header is too old.
    MinimumVersion {
        /// The version LLU asks for, when it names a sane one (digits and dots only).
        version: Option<String>,
    },
    /// A required header (`account-id`) is missing: a bug on our side.
    RequiredHeaderMissing,
    /// The `account-id` header does not match the token's user.
    AccountIdMismatch,
    /// The token is invalid or expired: log in again (once).
    InvalidToken,
    /// LLU lost the session (`MissingCachedUser`): log in again (once). Also seen with a wrong id in the path.
    MissingCachedUser,
    /// `couldNotLoadPatient`: wrong patient id or wrong regional host.
    PatientNotFound,
    /// `followerNotConnectToPatient`.
    NotConnected,
    /// Status 911 or HTTP 911: maintenance, or a login at a foreign regional host.
    Maintenance,
    /// Cloudflare (or another edge) answered instead of LLU: an HTML page, a challenge.
    EdgeBlocked,
    /// LibreLinkUp answered in the protocol of LibreLinkUp 5 (April 2026, llu-protocol.md 0), which no public client
    /// can read: an encrypted envelope (`data` a string of three dot-separated parts beside a `signature`), or its
    /// error shape (`{"code": N, "errors": [...]}`, no `status`).
    ProtocolChanged {
        /// The encrypted envelope (else the error shape).
        encrypted: bool,
    },
    /// HTTP 430: LibreLinkUp wants the person to accept new documents in its app (sign out and in there, accept
    /// the new terms); seen at sign-in after Abbott published new terms (llu-protocol.md 2.5). Not a firewall.
    NewDocuments,
    /// HTTP 429 without the lockout body: too many requests for this account or IP.
    RateLimited {
        /// From `Retry-After` (seconds), default [`DEFAULT_RATE_LIMIT_SECS`].
        retry_after_secs: u32,
    },
    /// A 5xx that is not JSON and not an edge block: LLU is down.
    Unavailable {
        /// The HTTP status.
        http_status: u16,
    },
    /// A well-formed error we do not know (ProductMismatch, the LLU 5 error shape, status 1 or 3, …).
    Unexpected {
        /// The HTTP status.
        http_status: u16,
        /// What the body said, cut to 120 characters.
        message: String,
    },
    /// A body that is not an LLU answer.
    Malformed {
        /// Why.
        reason: MalformedReason,
    },
}

/// What a caller may do after an [`Outcome`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Retry {
    /// Nothing to retry (success, or a redirect to follow).
    NotNeeded,
    /// Never automatically: only after the user changes something (credentials, the call itself).
    Never,
    /// Only after the user acts in the LLU app or explicitly consents (a step).
    AfterUserAction,
    /// Log in again, then retry once.
    AfterLogin,
    /// Retry once with the `version` LLU asked for.
    WithNewVersion,
    /// Wait this many seconds, then retry.
    AfterSecs(u32),
}

impl Outcome {
    /// The stable code of this outcome ([`Code`]), for JSON errors, app messages and health reports.
    pub const fn error_code(&self) -> Code {
        match self {
            Outcome::Success { .. } => Code::Success,
            Outcome::Redirect { .. } => Code::Redirect,
            Outcome::UnknownRegion { .. } => Code::UnknownRegion,
            Outcome::Step { .. } => Code::StepRequired,
            Outcome::BadCredentials => Code::BadCredentials,
            Outcome::Locked { .. } => Code::Locked,
            Outcome::MinimumVersion { .. } => Code::MinimumVersion,
            Outcome::RequiredHeaderMissing => Code::RequiredHeaderMissing,
            Outcome::AccountIdMismatch => Code::AccountIdMismatch,
            Outcome::InvalidToken => Code::InvalidToken,
            Outcome::MissingCachedUser => Code::MissingCachedUser,
            Outcome::PatientNotFound => Code::PatientNotFound,
            Outcome::NotConnected => Code::NotConnected,
            Outcome::Maintenance => Code::Maintenance,
            Outcome::EdgeBlocked => Code::EdgeBlocked,
            Outcome::NewDocuments => Code::AcceptNewDocuments,
            Outcome::ProtocolChanged { .. } => Code::ProtocolChanged,
            Outcome::RateLimited { .. } => Code::RateLimited,
            Outcome::Unavailable { .. } => Code::Unavailable,
            Outcome::Unexpected { .. } => Code::Unexpected,
            Outcome::Malformed { .. } => Code::Malformed,
        }
    }

    /// [`Outcome::error_code`]'s name on the wire.
    pub const fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// What the caller may do next.
    pub const fn retry(&self) -> Retry {
        match self {
            Outcome::Success { .. } | Outcome::Redirect { .. } => Retry::NotNeeded,
            Outcome::BadCredentials
            | Outcome::UnknownRegion { .. }
            | Outcome::RequiredHeaderMissing
            | Outcome::AccountIdMismatch
            | Outcome::PatientNotFound
            | Outcome::NotConnected => Retry::Never,
            Outcome::Step { .. } => Retry::AfterUserAction,
            Outcome::InvalidToken | Outcome::MissingCachedUser => Retry::AfterLogin,
            Outcome::MinimumVersion { .. } => Retry::WithNewVersion,
            Outcome::Locked { retry_after_secs } | Outcome::RateLimited { retry_after_secs } => {
                Retry::AfterSecs(*retry_after_secs)
            }
            Outcome::Maintenance => Retry::AfterSecs(MAINTENANCE_RETRY_SECS),
            Outcome::EdgeBlocked => Retry::AfterSecs(EDGE_BLOCK_RETRY_SECS),
            Outcome::NewDocuments => Retry::AfterSecs(NEW_DOCUMENTS_RETRY_SECS),
            Outcome::ProtocolChanged { .. } => Retry::AfterSecs(PROTOCOL_CHANGED_RETRY_SECS),
            Outcome::Unavailable { .. } | Outcome::Unexpected { .. } | Outcome::Malformed { .. } => {
                Retry::AfterSecs(TRANSIENT_RETRY_SECS)
            }
        }
    }

    /// Whether the caller may ever repeat the call by itself (after a wait, a re-login or a version bump).
    /// `false` for bad credentials, steps, and errors only a person or a code change can fix.
    pub const fn may_retry_automatically(&self) -> bool {
        matches!(self.retry(), Retry::AfterLogin | Retry::WithNewVersion | Retry::AfterSecs(_))
    }

    /// Whether the fix is a fresh login (the token or the session is gone).
    pub const fn needs_login(&self) -> bool {
        matches!(self, Outcome::InvalidToken | Outcome::MissingCachedUser)
    }
}

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
        return Some(match obj.get("data").and_then(LoginStep::from_wire) {
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
        return match LoginRedirect::from_wire(data) {
            Some(r) => match Region::from_code(&r.region) {
                Some(region) => Outcome::Redirect { region },
                None => Outcome::UnknownRegion { region: r.region.chars().take(16).collect() },
            },
            None => malformed(MalformedReason::WrongShape),
        };
    }
    let ticket = obj.get("ticket").and_then(Ticket::from_wire);
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
        Endpoint::Login | Endpoint::ContinueStep => LoginSuccess::from_wire(data).map(|l| Payload::Login(Box::new(l))),
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
        Endpoint::Login | Endpoint::ContinueStep => LoginSuccess::from_wire(data).map(|l| Payload::Login(Box::new(l))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CF_HTML: &str = "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>";

    fn run(endpoint: Endpoint, status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
        classify(endpoint, status, headers, body.as_bytes())
    }

    #[test]
    fn classifies_the_documented_cases() {
        use Endpoint::*;
        let json = [("content-type", "application/json"), ("CF-RAY", "8f00-FRA")];
        type Case<'a> = (Endpoint, u16, &'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case<'_>] = &[
            (Login, 200, &json, r#"{"status":2,"error":{"message":"incorrect username/password"}}"#, "bad_credentials"),
            (Login, 401, &[], "", "bad_credentials"),
            (Login, 401, &json, r#"{"message":"Unauthorized"}"#, "bad_credentials"),
            (Login, 401, &json, r#"{"message":"invalid or expired jwt"}"#, "bad_credentials"),
            (Login, 401, &[], CF_HTML, "bad_credentials"),
            (Connections, 401, &json, r#"{"message":"Unauthorized"}"#, "invalid_token"),
            (Connections, 401, &[], "", "invalid_token"),
            (Graph, 401, &json, r#"{"message":"invalid or expired jwt"}"#, "invalid_token"),
            (ContinueStep, 401, &json, r#"{"message":"Invalid Or Expired JWT"}"#, "invalid_token"),
            (Graph, 200, &json, r#"{"message":"MissingCachedUser"}"#, "missing_cached_user"),
            (
                Login,
                200,
                &json,
                r#"{"status":429,"data":{"code":60,"data":{"failures":3,"interval":60,"lockout":300},"message":"locked"}}"#,
                "locked",
            ),
            (
                Login,
                429,
                &json,
                r#"{"status":429,"data":{"code":60,"data":{"lockout":120},"message":"locked"}}"#,
                "locked",
            ),
            (Connections, 429, &[("Retry-After", "30")], "", "rate_limited"),
            (Connections, 429, &[], "<html>1015 rate limited</html>", "rate_limited"),
            (Connections, 200, &json, r#"{"status":429}"#, "rate_limited"),
            (Connections, 403, &json, r#"{"data":{"minimumVersion":"4.16.0"},"status":920}"#, "minimum_version"),
            (Login, 200, &json, r#"{"data":{"minimumVersion":"4.7.0"},"status":920}"#, "minimum_version"),
            (Connections, 403, &[], CF_HTML, "edge_blocked"),
            (Connections, 200, &[], CF_HTML, "edge_blocked"),
            (Login, 403, &[("content-type", "text/html; charset=UTF-8")], "blocked", "edge_blocked"),
            (Login, 403, &[], "Forbidden", "edge_blocked"),
            (Login, 430, &json, r#"{"status":0}"#, "accept_new_documents"),
            (Connections, 200, &json, r#"{"data":"bm9uY2U.Y2lwaGVy.dGFn","signature":"c2ln"}"#, "protocol_changed"),
            (Login, 400, &json, r#"{"code":1001,"errors":[{"message":"x"}]}"#, "protocol_changed"),
            (Connections, 200, &json, r#"{"status":0,"data":"a.b.c"}"#, "malformed"),
            (Connections, 503, &[("cf-mitigated", "challenge")], r#"{"x":1}"#, "edge_blocked"),
            (Connections, 200, &[("cf-ray", "1")], "error code: 1020", "edge_blocked"),
            (Connections, 400, &json, r#"{"message":"RequiredHeaderMissing"}"#, "required_header_missing"),
            (Connections, 400, &json, r#"{"message":"AccountIdMismatch"}"#, "account_id_mismatch"),
            (Graph, 200, &json, r#"{"status":4,"error":{"message":"couldNotLoadPatient"}}"#, "patient_not_found"),
            (Graph, 200, &json, r#"{"status":4,"error":{"message":"followerNotConnectToPatient"}}"#, "not_connected"),
            (Graph, 200, &json, r#"{"status":4,"error":{"message":"somethingNew"}}"#, "unexpected"),
            (Login, 200, &json, r#"{"status":911}"#, "maintenance"),
            (Login, 911, &[], "", "maintenance"),
            (Login, 200, &json, r#"{"status":0,"data":{"redirect":true,"region":"EU2"}}"#, "redirect"),
            (Login, 200, &json, r#"{"status":0,"data":{"redirect":true,"region":"mars"}}"#, "unknown_region"),
            (Login, 200, &json, r#"{"status":0,"data":{"redirect":true}}"#, "malformed"),
            (
                Login,
                200,
                &json,
                r#"{"status":4,"data":{"step":{"type":"tou"},"authTicket":{"token":"t","expires":1,"duration":3600000}}}"#,
                "step_required",
            ),
            (Login, 200, &json, r#"{"status":4,"data":{"step":{"type":7}}}"#, "malformed"),
            (Other, 400, &json, r#"{"message":"ProductMismatch"}"#, "unexpected"),
            (
                Login,
                400,
                &json,
                r#"{"code":5,"errors":[{"error":"unsupported country in API region"}]}"#,
                "protocol_changed",
            ),
            (Other, 200, &json, r#"{"status":2,"error":{"message":"failedToLoadHistory"}}"#, "unexpected"),
            (ContinueStep, 200, &json, r#"{"status":2,"error":{"message":"notAuthenticated"}}"#, "invalid_token"),
            (Connections, 200, &json, r#"{"status":1}"#, "unexpected"),
            (Connections, 200, &json, r#"{"status":0,"data":[]}"#, "success"),
            (Connections, 200, &json, r#"{"status":0,"data":{}}"#, "malformed"),
            (Connections, 200, &json, r#"{"status":0}"#, "malformed"),
            (Connections, 200, &json, r#"{"data":"nonce.cipher.tag","signature":"x"}"#, "protocol_changed"),
            (Other, 200, &json, r#"{"status":0}"#, "success"),
            (Connections, 500, &json, "", "unavailable"),
            (Connections, 502, &[], "Bad Gateway", "unavailable"),
            (Connections, 500, &json, r#"{"status":3}"#, "unavailable"),
            (Connections, 404, &[], "Not Found", "unexpected"),
            (Connections, 200, &json, "", "malformed"),
            (Connections, 200, &[("cf-ray", "1")], "", "malformed"),
            (Connections, 200, &[("cf-ray", "1")], "\x00\x01binary", "edge_blocked"),
            (Connections, 200, &json, "   \n", "malformed"),
            (Connections, 200, &json, r#"{"status":0,"data":["#, "malformed"),
            (Connections, 200, &json, "null", "malformed"),
            (Connections, 200, &json, "42", "malformed"),
            (Connections, 200, &json, "[1,2]", "malformed"),
            (Connections, 200, &json, "\"status\"", "malformed"),
        ];
        for (endpoint, status, headers, body, want) in cases {
            let got = run(*endpoint, *status, headers, body);
            assert_eq!(got.code(), *want, "{endpoint:?} {status} {body:?} -> {got:?}");
        }
    }

    #[test]
    fn carries_the_numbers_that_matter() {
        let locked =
            r#"{"status":429,"data":{"code":60,"data":{"failures":3,"interval":60,"lockout":120},"message":"locked"}}"#;
        assert_eq!(run(Endpoint::Login, 200, &[], locked), Outcome::Locked { retry_after_secs: 120 });
        assert_eq!(run(Endpoint::Login, 200, &[], r#"{"status":429}"#), Outcome::Locked { retry_after_secs: 300 });
        let retry = |v: &str| run(Endpoint::Graph, 429, &[("retry-after", v)], "");
        assert_eq!(retry("30"), Outcome::RateLimited { retry_after_secs: 30 });
        assert_eq!(retry(" 7 "), Outcome::RateLimited { retry_after_secs: 7 });
        assert_eq!(retry("0"), Outcome::RateLimited { retry_after_secs: 1 });
        assert_eq!(retry("99999999999"), Outcome::RateLimited { retry_after_secs: MAX_WAIT_SECS });
        assert_eq!(
            retry("Wed, 21 Oct 2015 07:28:00 GMT"),
            Outcome::RateLimited { retry_after_secs: DEFAULT_RATE_LIMIT_SECS }
        );
        assert_eq!(retry("-5"), Outcome::RateLimited { retry_after_secs: DEFAULT_RATE_LIMIT_SECS });
        let version = |v: &str| {
            run(Endpoint::Connections, 403, &[], &format!(r#"{{"data":{{"minimumVersion":{v}}},"status":920}}"#))
        };
        assert_eq!(version("\"4.16.0\""), Outcome::MinimumVersion { version: Some("4.16.0".into()) });
        assert_eq!(version("\"4.7\""), Outcome::MinimumVersion { version: Some("4.7".into()) });
        for bad in ["\"4.16.0\\r\\nx-evil: 1\"", "\"\"", "\"v4\"", "4.16", "null", "\"1.2.3.4.5\""] {
            assert_eq!(version(bad), Outcome::MinimumVersion { version: None }, "{bad}");
        }
        let step = r#"{"status":4,"data":{"step":{"type":"pp"},"authTicket":{"token":"abc","expires":1752938161,"duration":3600000}}}"#;
        match run(Endpoint::ContinueStep, 200, &[], step) {
            Outcome::Step { kind: StepKind::PrivacyPolicy, ticket: Some(t) } => {
                assert_eq!((t.token.as_str(), t.expires, t.duration), ("abc", 1_752_938_161, 3_600_000));
            }
            other => panic!("{other:?}"),
        }
        let new_step = r#"{"status":4,"data":{"step":{"type":"mfa"}}}"#;
        assert_eq!(
            run(Endpoint::Login, 200, &[], new_step),
            Outcome::Step { kind: StepKind::Other("mfa".into()), ticket: None }
        );
    }

    #[test]
    fn success_keeps_the_fresh_ticket() {
        let body = r#"{"status":0,"data":[],"ticket":{"token":"new","expires":1700000000,"duration":15552000000}}"#;
        match run(Endpoint::Connections, 200, &[], body) {
            Outcome::Success { ticket: Some(t), payload: Payload::Connections(c) } => {
                assert_eq!(t.token, "new");
                assert!(c.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_policy() {
        let cases = [
            (Outcome::BadCredentials, Retry::Never, false),
            (Outcome::InvalidToken, Retry::AfterLogin, true),
            (Outcome::MissingCachedUser, Retry::AfterLogin, true),
            (Outcome::Locked { retry_after_secs: 300 }, Retry::AfterSecs(300), true),
            (Outcome::MinimumVersion { version: None }, Retry::WithNewVersion, true),
            (Outcome::Step { kind: StepKind::TermsOfUse, ticket: None }, Retry::AfterUserAction, false),
            (Outcome::EdgeBlocked, Retry::AfterSecs(EDGE_BLOCK_RETRY_SECS), true),
            (Outcome::NewDocuments, Retry::AfterSecs(NEW_DOCUMENTS_RETRY_SECS), true),
            (Outcome::ProtocolChanged { encrypted: true }, Retry::AfterSecs(PROTOCOL_CHANGED_RETRY_SECS), true),
            (Outcome::PatientNotFound, Retry::Never, false),
            (Outcome::Redirect { region: Region::De }, Retry::NotNeeded, false),
        ];
        for (outcome, retry, auto) in cases {
            assert_eq!(outcome.retry(), retry, "{outcome:?}");
            assert_eq!(outcome.may_retry_automatically(), auto, "{outcome:?}");
        }
        assert!(Outcome::InvalidToken.needs_login() && !Outcome::BadCredentials.needs_login());
    }

    #[test]
    fn hostile_bodies() {
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(classify(Endpoint::Graph, 200, &[], &huge), malformed(MalformedReason::TooLarge));
        let mut ten_mb = b"{\"status\":0,\"data\":\"".to_vec();
        ten_mb.resize(10 * 1024 * 1024, b'a');
        assert_eq!(classify(Endpoint::Graph, 200, &[], &ten_mb), malformed(MalformedReason::TooLarge));
        let mut html = b"<html>".to_vec();
        html.resize(10 * 1024 * 1024, b'x');
        assert_eq!(classify(Endpoint::Graph, 403, &[], &html), Outcome::EdgeBlocked);
        let deep = "[".repeat(100_000);
        assert_eq!(run(Endpoint::Graph, 200, &[], &deep), malformed(MalformedReason::NotJson));
        let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        assert_eq!(classify(Endpoint::Graph, 200, &[], &junk), malformed(MalformedReason::NotJson));
        assert_eq!(classify(Endpoint::Graph, 200, &[], b"\xEF\xBB\xBF{\"status\":911}"), Outcome::Maintenance);
        let bad_utf8 = b"{\"status\":0,\"data\":\"\xff\"}";
        assert_eq!(classify(Endpoint::Other, 200, &[], bad_utf8), malformed(MalformedReason::NotJson));
        let long = format!(r#"{{"message":"{}"}}"#, "é".repeat(10_000));
        match run(Endpoint::Other, 400, &[], &long) {
            Outcome::Unexpected { message, .. } => assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_code_is_distinct() {
        let all = [
            Outcome::Success { ticket: None, payload: Payload::Other(Value::Null) },
            Outcome::Redirect { region: Region::Eu },
            Outcome::UnknownRegion { region: String::new() },
            Outcome::Step { kind: StepKind::VerifyEmail, ticket: None },
            Outcome::BadCredentials,
            Outcome::Locked { retry_after_secs: 1 },
            Outcome::MinimumVersion { version: None },
            Outcome::RequiredHeaderMissing,
            Outcome::AccountIdMismatch,
            Outcome::InvalidToken,
            Outcome::MissingCachedUser,
            Outcome::PatientNotFound,
            Outcome::NotConnected,
            Outcome::Maintenance,
            Outcome::EdgeBlocked,
            Outcome::RateLimited { retry_after_secs: 1 },
            Outcome::Unavailable { http_status: 500 },
            Outcome::Unexpected { http_status: 400, message: String::new() },
            Outcome::Malformed { reason: MalformedReason::Empty },
        ];
        let mut codes: Vec<_> = all.iter().map(Outcome::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    fn endpoint() -> impl Strategy<Value = Endpoint> {
        prop_oneof![
            Just(Endpoint::Login),
            Just(Endpoint::ContinueStep),
            Just(Endpoint::Connections),
            Just(Endpoint::Graph),
            Just(Endpoint::Logbook),
            Just(Endpoint::CountryConfig),
            Just(Endpoint::Other),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_and_status_never_panic(
            endpoint in endpoint(),
            status in any::<u16>(),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            name in "[A-Za-z-]{0,16}", value in "\\PC{0,24}",
        ) {
            let outcome = classify(endpoint, status, &[(name.as_str(), value.as_str())], &body);
            prop_assert!(!outcome.code().is_empty());
        }

        #[test]
        fn json_like_bodies_never_panic(
            endpoint in endpoint(),
            status in prop_oneof![Just(200u16), Just(400), Just(401), Just(403), Just(429), Just(500), any::<u16>()],
            llu_status in prop_oneof![Just(0i64), Just(2), Just(4), Just(429), Just(911), Just(920), any::<i64>()],
            data in "[\\[\\]{}\":,a-z0-9 ]{0,64}",
        ) {
            let body = format!(r#"{{"status":{llu_status},"data":{data},"error":{{"message":"{data}"}}}}"#);
            let outcome = classify(endpoint, status, &[], body.as_bytes());
            if llu_status == 911 && status != 430 && serde_json::from_str::<Value>(&body).is_ok() {
                prop_assert_eq!(outcome, Outcome::Maintenance);
            }
        }
    }
}
