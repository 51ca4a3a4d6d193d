//! Family share links (capability URLs): the `Shares` Durable Object and the pure share book it keeps.
//!
//! A share lets someone without a LibreLinkUp account read one patient through the owner's sealed session. The
//! secret (128 random bits, base64url) lives only in the link's fragment and in the viewer's requests; the book
//! stores its SHA-256 (and its SHA-1, which Nightscout clients send as `api-secret`), compared in constant time
//! against every share so that unknown, expired and revoked secrets cost the same work and get the same answer.
//!
//! One Durable Object for the whole server rather than KV: it is strongly consistent, so a revocation holds for
//! the very next request everywhere (the guaranteed delay is zero), and a family-sized server has a few dozen
//! shares. Its book is persisted in the object's storage after every change; the per-IP failure counts that
//! rate-limit guessing are kept in memory (an eviction forgets them, which only restarts a window).

use std::cell::RefCell;

use serde_json::Value;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

use crate::error::ApiError;
use crate::keyed::Keyed;
use crate::wire::{self, Wire};

/// The default lifetime of a share, days.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest lifetime of a share, days.
pub const MAX_DAYS: i64 = 365;
/// The longest label, characters.
pub const MAX_LABEL_CHARS: usize = 60;
/// Shares one owner may have that are neither revoked nor expired.
pub const MAX_LIVE_SHARES: usize = 50;
/// Revoked and expired shares stay listed (so the owner sees what ended) for this long, seconds.
pub const KEEP_ENDED_SECS: i64 = 30 * 86_400;
/// Failed lookups one IP may make per window before its lookups are refused for the rest of the window.
pub const FAILURES_PER_WINDOW: u32 = 10;
/// The failure window, seconds.
pub const WINDOW_SECS: i64 = 60;
/// Clients (networks) whose misses are counted at most: past it, the oldest window is forgotten first.
pub const MAX_TRACKED_CLIENTS: usize = 4096;
/// `last_used` is written at most this often per share, seconds (each write is a storage write).
pub const LAST_USED_EVERY_SECS: i64 = 60;

/// One share as the book keeps it. The secret itself is never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    /// Public id (for listing and revoking), 16 hex digits.
    pub id: String,
    /// Lower-case hex SHA-256 of the secret.
    pub sha256: String,
    /// Lower-case hex SHA-1 of the secret (Nightscout's `api-secret`, for links made before they had a
    /// Nightscout token of their own).
    pub sha1: String,
    /// The link's own Nightscout token, hashed (`None` for links made before): read-only, it opens the Nightscout
    /// routes and nothing else, and the link's secret does not open them.
    pub nightscout: Option<Hashes>,
    /// The owner's account id (the `account-id` of their sealed session).
    pub owner: String,
    /// The owner's sealed session (a token only this server can open).
    pub session: String,
    /// The one patient the share reads.
    pub patient_id: String,
    /// Who it is for ("Grandma").
    pub label: String,
    /// Who shared it, as the owner wants it shown ("Alex").
    pub from: String,
    /// Whether the viewer may see alarms.
    pub alarms: bool,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds; the share ends at this instant.
    pub expires: i64,
    /// When it was revoked, Unix seconds.
    pub revoked: Option<i64>,
    /// When a viewer last read through it, Unix seconds (to [`LAST_USED_EVERY_SECS`]).
    pub last_used: Option<i64>,
    /// LibreLinkUp refused the owner's session: viewers are told to ask the owner to sign in again.
    pub owner_signed_out: bool,
}

/// Never the hashes (the SHA-1 is a usable Nightscout `api-secret`) or the owner's session.
impl core::fmt::Debug for Share {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Share")
            .field("id", &self.id)
            .field("patient_id", &self.patient_id)
            .field("alarms", &self.alarms)
            .field("expires", &self.expires)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// A share's state for its owner.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShareState {
    /// Viewers can read.
    Active,
    /// The owner's LibreLinkUp session ended: viewers see "ask … to sign in again".
    OwnerSignedOut,
    /// Revoked by the owner.
    Revoked,
    /// Past its expiry.
    Expired,
}

/// What the owner's list shows of a share: never its secret or hashes. In JSON its fields are camelCase.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ShareInfo {
    /// Public id.
    pub id: String,
    /// The patient.
    pub patient_id: String,
    /// Who it is for.
    pub label: String,
    /// Who shared it.
    pub from: String,
    /// Whether alarms are shown to the viewer.
    pub alarms: bool,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub expires: i64,
    /// Unix seconds, if ever used.
    pub last_used: Option<i64>,
    /// Its state now.
    pub state: ShareState,
}

impl Share {
    /// The state at `now`.
    pub fn state(&self, now: i64) -> ShareState {
        if self.revoked.is_some() {
            ShareState::Revoked
        } else if now >= self.expires {
            ShareState::Expired
        } else if self.owner_signed_out {
            ShareState::OwnerSignedOut
        } else {
            ShareState::Active
        }
    }

    fn info(&self, now: i64) -> ShareInfo {
        ShareInfo {
            id: self.id.clone(),
            patient_id: self.patient_id.clone(),
            label: self.label.clone(),
            from: self.from.clone(),
            alarms: self.alarms,
            created: self.created,
            expires: self.expires,
            last_used: self.last_used,
            state: self.state(now),
        }
    }

    fn ended_long_ago(&self, now: i64) -> bool {
        let ended = self.revoked.unwrap_or(self.expires).min(self.expires);
        self.state(now) != ShareState::Active && now - ended > KEEP_ENDED_SECS
    }
}

/// A secret's hashes, lower-case hex.
#[derive(Clone, PartialEq, Eq)]
pub struct Hashes {
    /// SHA-256.
    pub sha256: String,
    /// SHA-1 (Nightscout's `api-secret`).
    pub sha1: String,
}

/// How a viewer presents a secret.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Key {
    /// SHA-256 of the link's secret (`Authorization: Share <secret>`): the app's page and its phones.
    Sha256(String),
    /// SHA-256 of a Nightscout token (`?token=`, `api-secret: token=…`): the Nightscout reads only.
    NightscoutSha256(String),
    /// SHA-1 of a Nightscout token (the `api-secret` header): the Nightscout reads only.
    NightscoutSha1(String),
}

/// Every share of the server, and the per-IP lookup failures.
#[derive(Clone, Debug, Default)]
pub struct Book {
    /// The shares.
    pub shares: Vec<Share>,
    /// Per IP: (window start, failures in it). Not persisted.
    pub failures: Keyed<(i64, u32)>,
}

impl Book {
    /// Adds a share, after dropping shares that ended more than [`KEEP_ENDED_SECS`] ago.
    pub fn create(&mut self, share: Share, now: i64) -> Result<(), ApiError> {
        self.shares.retain(|s| !s.ended_long_ago(now));
        let live = self.shares.iter().filter(|s| s.owner == share.owner && s.state(now) == ShareState::Active).count();
        if live >= MAX_LIVE_SHARES {
            return Err(ApiError::new(409, "too_many_shares", "Revoke a share before creating another."));
        }
        self.shares.push(share);
        Ok(())
    }

    /// The owner's shares, newest first.
    pub fn list(&self, owner: &str, now: i64) -> Vec<ShareInfo> {
        let mut list: Vec<ShareInfo> = self.shares.iter().filter(|s| s.owner == owner).map(|s| s.info(now)).collect();
        shared::order::sort_by(&mut list, |a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// Revokes the owner's share `id` (another owner's share is "not found").
    pub fn revoke(&mut self, owner: &str, id: &str, now: i64) -> Result<(), ApiError> {
        let share = self.shares.iter_mut().find(|s| s.owner == owner && s.id == id).ok_or_else(share_not_found)?;
        share.revoked.get_or_insert(now);
        Ok(())
    }

    /// The live share for `key` from `ip`, with its `last_used` noted. Every share is compared in constant time
    /// and every miss (unknown, revoked, expired) gives the same error after the same work; an IP that missed
    /// [`FAILURES_PER_WINDOW`] times in the window is refused without a lookup until the window ends.
    pub fn open(&mut self, key: &Key, ip: &str, now: i64) -> Result<(Share, bool), ApiError> {
        if let Some(&(start, failures)) = self.failures.get(ip)
            && now - start < WINDOW_SECS
            && failures >= FAILURES_PER_WINDOW
        {
            let left = u32::try_from(WINDOW_SECS - (now - start)).unwrap_or(1).max(1);
            return Err(ApiError::new(429, "share_rate_limited", "Too many wrong links from here. Wait a minute.")
                .retry_after(left));
        }
        let wanted = match key {
            Key::Sha256(hex) | Key::NightscoutSha256(hex) | Key::NightscoutSha1(hex) => hex.to_ascii_lowercase(),
        };
        let mut found = None;
        for (index, share) in self.shares.iter().enumerate() {
            // A Nightscout key opens a link's own Nightscout token, or the link's secret for a link made before.
            let stored = match (key, &share.nightscout) {
                (Key::Sha256(_), _) => &share.sha256,
                (Key::NightscoutSha256(_), Some(token)) => &token.sha256,
                (Key::NightscoutSha1(_), Some(token)) => &token.sha1,
                (Key::NightscoutSha256(_), None) => &share.sha256,
                (Key::NightscoutSha1(_), None) => &share.sha1,
            };
            let live = share.state(now) == ShareState::Active || share.state(now) == ShareState::OwnerSignedOut;
            if constant_time_eq(stored.as_bytes(), wanted.as_bytes()) & live {
                found = Some(index);
            }
        }
        let Some(share) = found.and_then(|i| self.shares.get_mut(i)) else {
            self.failures.retain(|(start, _)| now - *start < WINDOW_SECS);
            while self.failures.len() >= MAX_TRACKED_CLIENTS && !self.failures.contains_key(ip) {
                let oldest = self.failures.iter().min_by_key(|(_, (start, _))| *start).map(|(key, _)| key.clone());
                match oldest {
                    Some(key) => self.failures.remove(&key),
                    None => break,
                };
            }
            let (start, failures) = self.failures.or_default(ip.to_owned());
            // A new window (the old one was just dropped if it ended) starts at this failure.
            if *failures == 0 {
                *start = now;
            }
            *failures += 1;
            return Err(share_gone());
        };
        let touched = share.last_used.is_none_or(|t| now - t >= LAST_USED_EVERY_SECS);
        if touched {
            share.last_used = Some(now);
        }
        Ok((share.clone(), touched))
    }

    /// The owner signed in again: every share of theirs reads through the new session.
    pub fn renew(&mut self, owner: &str, session: &str) -> bool {
        let mut changed = false;
        for share in self.shares.iter_mut().filter(|s| s.owner == owner) {
            share.session = session.to_owned();
            share.owner_signed_out = false;
            changed = true;
        }
        changed
    }

    /// LibreLinkUp refused the session share `id` reads through (and so every share on that session).
    pub fn signed_out(&mut self, id: &str) -> bool {
        let Some(session) = self.shares.iter().find(|s| s.id == id).map(|s| s.session.clone()) else {
            return false;
        };
        let mut changed = false;
        for share in self.shares.iter_mut().filter(|s| s.session == session && !s.owner_signed_out) {
            share.owner_signed_out = true;
            changed = true;
        }
        changed
    }
}

/// A share id, and its sealed session and alarms flag while the share lasts (`None` once it has ended or for an
/// unknown id).
pub type ShareSession = (String, Option<(String, bool)>);

impl Book {
    /// For each of `ids`: the share's sealed session and alarms flag while it lasts. A share whose owner's session
    /// ended lasts: its phones keep their subscription, are told to ask the owner to sign in (the read through the
    /// ended session fails as signed out), and are alarmed again once the owner has (`renew`).
    pub fn sessions(&self, ids: &[String], now: i64) -> Vec<ShareSession> {
        ids.iter()
            .map(|id| {
                let live = self
                    .shares
                    .iter()
                    .find(|s| &s.id == id && matches!(s.state(now), ShareState::Active | ShareState::OwnerSignedOut));
                (id.clone(), live.map(|s| (s.session.clone(), s.alarms)))
            })
            .collect()
    }
}

/// Equal length and bytes, without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The one answer for an unknown, revoked or expired secret.
pub fn share_gone() -> ApiError {
    ApiError::new(410, "share_gone", "This link was revoked or has expired. Ask the person who sent it for a new one.")
}

fn share_not_found() -> ApiError {
    ApiError::new(404, "share_not_found", "There is no such share.")
}

/// What the worker asks the `Shares` object.
#[allow(clippy::large_enum_variant)] // A message serialised once per request: its size does not matter.
#[derive(Clone, Debug)]
pub enum ShareRequest {
    /// Store a new share.
    Create(Share),
    /// The owner's shares.
    List {
        /// Account id.
        owner: String,
    },
    /// Revoke one of the owner's shares.
    Revoke {
        /// Account id.
        owner: String,
        /// Share id.
        id: String,
    },
    /// A viewer's request.
    Open {
        /// The presented secret, hashed.
        key: Key,
        /// The viewer's IP (for the rate limit).
        ip: String,
    },
    /// The owner signed in again.
    Renew {
        /// Account id.
        owner: String,
        /// The new sealed session.
        session: String,
    },
    /// LibreLinkUp refused the session of share `id`.
    SignedOut {
        /// Share id.
        id: String,
    },
    /// The watcher's minute: for each share id, its sealed session and alarms flag if it is live.
    Sessions {
        /// Share ids.
        ids: Vec<String>,
    },
}

/// What the `Shares` object answers.
#[allow(clippy::large_enum_variant)] // A message serialised once per request: its size does not matter.
#[derive(Clone, Debug)]
pub enum ShareAnswer {
    /// Done.
    Done,
    /// The owner's shares.
    List(Vec<ShareInfo>),
    /// The share a viewer opened.
    Opened(Share),
    /// Per share id: `(sealed session, alarms allowed)` while it is live (not revoked, expired or signed out).
    Sessions(Vec<ShareSession>),
    /// It failed.
    Error(ApiError),
}

shared::wire_names!(ShareState {
    Active => "active",
    OwnerSignedOut => "owner_signed_out",
    Revoked => "revoked",
    Expired => "expired",
});

impl Wire for Share {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("id", self.id.clone().into()),
            ("sha256", self.sha256.clone().into()),
            ("sha1", self.sha1.clone().into()),
            ("owner", self.owner.clone().into()),
            ("session", self.session.clone().into()),
            ("patient_id", self.patient_id.clone().into()),
            ("label", self.label.clone().into()),
            ("from", self.from.clone().into()),
            ("alarms", self.alarms.into()),
            ("created", self.created.into()),
            ("expires", self.expires.into()),
            ("revoked", self.revoked.to_wire()),
            ("last_used", self.last_used.to_wire()),
            ("owner_signed_out", self.owner_signed_out.into()),
        ];
        // Only when there is one: a link made before is stored exactly as before.
        if let Some(token) = &self.nightscout {
            fields.push(("nightscout", token.to_wire()));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<Share> {
        Some(Share {
            id: wire::get(value, "id")?,
            sha256: wire::get(value, "sha256")?,
            sha1: wire::get(value, "sha1")?,
            nightscout: wire::get(value, "nightscout")?,
            owner: wire::get(value, "owner")?,
            session: wire::get(value, "session")?,
            patient_id: wire::get(value, "patient_id")?,
            label: wire::get(value, "label")?,
            from: wire::get(value, "from")?,
            alarms: wire::get(value, "alarms")?,
            created: wire::get(value, "created")?,
            expires: wire::get(value, "expires")?,
            revoked: wire::get(value, "revoked")?,
            last_used: wire::get(value, "last_used")?,
            owner_signed_out: wire::get(value, "owner_signed_out")?,
        })
    }
}

impl Wire for ShareInfo {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("id", self.id.clone().into()),
            ("patientId", self.patient_id.clone().into()),
            ("label", self.label.clone().into()),
            ("from", self.from.clone().into()),
            ("alarms", self.alarms.into()),
            ("created", self.created.into()),
            ("expires", self.expires.into()),
            ("lastUsed", self.last_used.to_wire()),
            ("state", self.state.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<ShareInfo> {
        Some(ShareInfo {
            id: wire::get(value, "id")?,
            patient_id: wire::get(value, "patientId")?,
            label: wire::get(value, "label")?,
            from: wire::get(value, "from")?,
            alarms: wire::get(value, "alarms")?,
            created: wire::get(value, "created")?,
            expires: wire::get(value, "expires")?,
            last_used: wire::get(value, "lastUsed")?,
            state: wire::get(value, "state")?,
        })
    }
}

impl Wire for Hashes {
    fn to_wire(&self) -> Value {
        wire::object(vec![("sha256", self.sha256.clone().into()), ("sha1", self.sha1.clone().into())])
    }

    fn from_wire(value: &Value) -> Option<Hashes> {
        Some(Hashes { sha256: wire::get(value, "sha256")?, sha1: wire::get(value, "sha1")? })
    }
}

impl Wire for Key {
    fn to_wire(&self) -> Value {
        match self {
            Key::Sha256(hex) => wire::variant("sha256", Some(hex.clone().into())),
            Key::NightscoutSha256(hex) => wire::variant("ns_sha256", Some(hex.clone().into())),
            Key::NightscoutSha1(hex) => wire::variant("ns_sha1", Some(hex.clone().into())),
        }
    }

    fn from_wire(value: &Value) -> Option<Key> {
        let (name, content) = wire::read_variant(value)?;
        let hex = content.as_str()?.to_owned();
        match name {
            "sha256" => Some(Key::Sha256(hex)),
            "ns_sha256" => Some(Key::NightscoutSha256(hex)),
            "ns_sha1" => Some(Key::NightscoutSha1(hex)),
            _ => None,
        }
    }
}

/// Stored as `{"shares": [...]}`; the failure counts are not stored.
impl Wire for Book {
    fn to_wire(&self) -> Value {
        wire::object(vec![("shares", wire::list(&self.shares))])
    }

    fn from_wire(value: &Value) -> Option<Book> {
        Some(Book { shares: wire::read_list(value.get("shares")?)?, failures: Keyed::new() })
    }
}

impl Wire for ShareRequest {
    fn to_wire(&self) -> Value {
        let text = |s: &String| Value::from(s.clone());
        let (name, content) = match self {
            ShareRequest::Create(share) => ("create", share.to_wire()),
            ShareRequest::List { owner } => ("list", wire::object(vec![("owner", text(owner))])),
            ShareRequest::Revoke { owner, id } => {
                ("revoke", wire::object(vec![("owner", text(owner)), ("id", text(id))]))
            }
            ShareRequest::Open { key, ip } => ("open", wire::object(vec![("key", key.to_wire()), ("ip", text(ip))])),
            ShareRequest::Renew { owner, session } => {
                ("renew", wire::object(vec![("owner", text(owner)), ("session", text(session))]))
            }
            ShareRequest::SignedOut { id } => ("signed_out", wire::object(vec![("id", text(id))])),
            ShareRequest::Sessions { ids } => {
                ("sessions", wire::object(vec![("ids", ids.iter().map(text).collect::<Vec<_>>().into())]))
            }
        };
        wire::variant(name, Some(content))
    }

    fn from_wire(value: &Value) -> Option<ShareRequest> {
        let (name, content) = wire::read_variant(value)?;
        let text = |field: &str| wire::get::<String>(content, field);
        Some(match name {
            "create" => ShareRequest::Create(Share::from_wire(content)?),
            "list" => ShareRequest::List { owner: text("owner")? },
            "revoke" => ShareRequest::Revoke { owner: text("owner")?, id: text("id")? },
            "open" => ShareRequest::Open { key: Key::from_wire(content.get("key")?)?, ip: text("ip")? },
            "renew" => ShareRequest::Renew { owner: text("owner")?, session: text("session")? },
            "signed_out" => ShareRequest::SignedOut { id: text("id")? },
            "sessions" => ShareRequest::Sessions { ids: wire::get(content, "ids")? },
            _ => return None,
        })
    }
}

impl Wire for ShareAnswer {
    fn to_wire(&self) -> Value {
        match self {
            ShareAnswer::Done => wire::variant("done", None),
            ShareAnswer::List(list) => wire::variant("list", Some(wire::list(list))),
            ShareAnswer::Opened(share) => wire::variant("opened", Some(share.to_wire())),
            ShareAnswer::Sessions(sessions) => {
                let pairs = sessions
                    .iter()
                    .map(|(id, live)| {
                        let live = live.as_ref().map_or(Value::Null, |(session, alarms)| {
                            Value::Array(vec![session.clone().into(), (*alarms).into()])
                        });
                        Value::Array(vec![id.clone().into(), live])
                    })
                    .collect();
                wire::variant("sessions", Some(Value::Array(pairs)))
            }
            ShareAnswer::Error(error) => wire::variant("error", Some(error.to_wire())),
        }
    }

    fn from_wire(value: &Value) -> Option<ShareAnswer> {
        let (name, content) = wire::read_variant(value)?;
        Some(match name {
            "done" => ShareAnswer::Done,
            "list" => ShareAnswer::List(wire::read_list(content)?),
            "opened" => ShareAnswer::Opened(Share::from_wire(content)?),
            "sessions" => ShareAnswer::Sessions(
                content
                    .as_array()?
                    .iter()
                    .map(|pair| {
                        let id = pair.get(0)?.as_str()?.to_owned();
                        let live = match pair.get(1)? {
                            Value::Null => None,
                            live => Some((live.get(0)?.as_str()?.to_owned(), live.get(1)?.as_bool()?)),
                        };
                        Some((id, live))
                    })
                    .collect::<Option<_>>()?,
            ),
            "error" => ShareAnswer::Error(ApiError::from_wire(content)?),
            _ => return None,
        })
    }
}

/// The one object that keeps the book (`SHARES` binding, object name [`BOOK`]).
pub const BOOK: &str = "book";
/// The storage key of the book.
const STORAGE_KEY: &str = "book";

/// The `Shares` Durable Object.
#[durable_object]
pub struct Shares {
    state: State,
    book: RefCell<Option<Book>>,
}

impl DurableObject for Shares {
    fn new(state: State, _env: Env) -> Self {
        Shares { state, book: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::facade::object_request::<ShareRequest>(&mut req).await {
            Some(request) => self.answer(request).await,
            None => ShareAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::encode(&answer))
    }
}

impl Shares {
    async fn answer(&self, request: ShareRequest) -> ShareAnswer {
        if self.book.borrow().is_none() {
            match self.load().await {
                Some(stored) => *self.book.borrow_mut() = Some(stored),
                // Never an empty book in its place: the next write would erase every share.
                None => return ShareAnswer::Error(ApiError::internal()),
            }
        }
        let now = worker::Date::now().as_millis() as i64 / 1000;
        let (answer, changed) = {
            let mut guard = self.book.borrow_mut();
            let Some(book) = guard.as_mut() else { return ShareAnswer::Error(ApiError::internal()) };
            match request {
                ShareRequest::Create(share) => match book.create(share, now) {
                    Ok(()) => (ShareAnswer::Done, true),
                    Err(e) => (ShareAnswer::Error(e), false),
                },
                ShareRequest::List { owner } => (ShareAnswer::List(book.list(&owner, now)), false),
                ShareRequest::Revoke { owner, id } => match book.revoke(&owner, &id, now) {
                    Ok(()) => (ShareAnswer::Done, true),
                    Err(e) => (ShareAnswer::Error(e), false),
                },
                ShareRequest::Open { key, ip } => match book.open(&key, &ip, now) {
                    Ok((share, touched)) => (ShareAnswer::Opened(share), touched),
                    Err(e) => (ShareAnswer::Error(e), false),
                },
                ShareRequest::Renew { owner, session } => (ShareAnswer::Done, book.renew(&owner, &session)),
                ShareRequest::SignedOut { id } => (ShareAnswer::Done, book.signed_out(&id)),
                ShareRequest::Sessions { ids } => (ShareAnswer::Sessions(book.sessions(&ids, now)), false),
            }
        };
        if changed {
            let text = self.book.borrow().as_ref().map(wire::encode);
            let Some(text) = text else { return ShareAnswer::Error(ApiError::internal()) };
            if self.state.storage().put_raw(STORAGE_KEY, text).await.is_err() {
                return ShareAnswer::Error(ApiError::internal());
            }
        }
        answer
    }

    /// The stored book, or `None` when storage cannot be read.
    async fn load(&self) -> Option<Book> {
        let pending = self.state.storage().as_raw().get(STORAGE_KEY).ok()?;
        let stored = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        book_from_stored(&stored)
    }
}

/// The book from what storage holds under [`STORAGE_KEY`]: nothing yet (an empty book), JSON text, or the
/// structured object that versions before JSON text wrote (read through its JSON, so no share is lost on update).
/// `None` when it cannot be read.
pub fn book_from_stored(stored: &wasm_bindgen::JsValue) -> Option<Book> {
    if stored.is_undefined() {
        return Some(Book::default());
    }
    let text = match stored.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(stored).ok()?.as_string()?,
    };
    wire::decode(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn share(id: &str, owner: &str, secret_hash: &str) -> Share {
        Share {
            id: id.into(),
            sha256: secret_hash.into(),
            sha1: format!("sha1-{secret_hash}"),
            nightscout: None,
            owner: owner.into(),
            session: format!("sealed-{owner}"),
            patient_id: "p".into(),
            label: "Grandma".into(),
            from: "Alex".into(),
            alarms: true,
            created: NOW,
            expires: NOW + DEFAULT_DAYS * 86_400,
            revoked: None,
            last_used: None,
            owner_signed_out: false,
        }
    }

    fn book() -> Book {
        let mut book = Book::default();
        book.create(share("a1", "owner-a", "aaaa"), NOW).unwrap();
        book.create(share("b1", "owner-b", "bbbb"), NOW).unwrap();
        book
    }

    #[test]
    fn opens_by_either_hash_and_notes_last_use_once_a_minute() {
        let mut book = book();
        let (opened, touched) = book.open(&Key::Sha256("AAAA".into()), "ip", NOW + 5).unwrap();
        assert_eq!((opened.id.as_str(), touched, opened.last_used), ("a1", true, Some(NOW + 5)));
        assert!(!book.open(&Key::Sha256("aaaa".into()), "ip", NOW + 30).unwrap().1);
        assert!(book.open(&Key::Sha256("aaaa".into()), "ip", NOW + 65).unwrap().1);
        assert_eq!(book.open(&Key::NightscoutSha1("sha1-bbbb".into()), "ip", NOW).unwrap().0.id, "b1");
    }

    #[test]
    fn the_table_of_misses_stays_bounded() {
        let mut book = book();
        for n in 0..MAX_TRACKED_CLIENTS + 50 {
            assert!(book.open(&Key::Sha256("nope".into()), &format!("10.0.{}.{}", n / 256, n % 256), NOW).is_err());
        }
        assert_eq!(book.failures.len(), MAX_TRACKED_CLIENTS);
    }

    #[test]
    fn a_links_nightscout_token_opens_only_the_nightscout_reads() {
        let mut book = book();
        let token = Hashes { sha256: "nnnn".into(), sha1: "sha1-nnnn".into() };
        book.create(Share { nightscout: Some(token), ..share("c1", "owner-c", "cccc") }, NOW).unwrap();
        assert_eq!(book.open(&Key::NightscoutSha256("nnnn".into()), "ip", NOW).unwrap().0.id, "c1");
        assert_eq!(book.open(&Key::NightscoutSha1("sha1-nnnn".into()), "ip", NOW).unwrap().0.id, "c1");
        assert_eq!(book.open(&Key::Sha256("cccc".into()), "ip", NOW).unwrap().0.id, "c1", "the link opens the page");
        // The token is not the link (no page, no phones), and the link's secret no longer reads Nightscout.
        let gone = |key: Key, book: &mut Book| book.open(&key, "ip2", NOW).unwrap_err().code;
        assert_eq!(gone(Key::Sha256("nnnn".into()), &mut book), "share_gone");
        assert_eq!(gone(Key::NightscoutSha256("cccc".into()), &mut book), "share_gone");
        assert_eq!(gone(Key::NightscoutSha1("sha1-cccc".into()), &mut book), "share_gone");
        // A link made before links had a token keeps its Nightscout URL working.
        assert_eq!(book.open(&Key::NightscoutSha256("aaaa".into()), "ip", NOW).unwrap().0.id, "a1");
        // Revoking the link ends the token too.
        book.revoke("owner-c", "c1", NOW + 1).unwrap();
        assert_eq!(gone(Key::NightscoutSha256("nnnn".into()), &mut book), "share_gone");
    }

    #[test]
    fn unknown_revoked_and_expired_answer_the_same() {
        let mut book = book();
        book.revoke("owner-a", "a1", NOW + 1).unwrap();
        let revoked = book.open(&Key::Sha256("aaaa".into()), "ip", NOW + 2).unwrap_err();
        let unknown = book.open(&Key::Sha256("cccc".into()), "ip", NOW + 2).unwrap_err();
        let expires = NOW + DEFAULT_DAYS * 86_400;
        assert!(book.open(&Key::Sha256("bbbb".into()), "ip", expires - 1).is_ok());
        let expired = book.open(&Key::Sha256("bbbb".into()), "ip", expires).unwrap_err();
        assert_eq!(revoked, unknown);
        assert_eq!(expired, unknown);
        assert_eq!((unknown.http, unknown.code.as_str()), (410, "share_gone"));
        let states: Vec<ShareState> = book.list("owner-a", expires).iter().map(|s| s.state).collect();
        assert_eq!(states, [ShareState::Revoked]);
        assert_eq!(book.list("owner-b", expires)[0].state, ShareState::Expired);
    }

    #[test]
    fn only_the_owner_revokes_and_lists() {
        let mut book = book();
        assert_eq!(book.revoke("owner-b", "a1", NOW).unwrap_err().code, "share_not_found");
        assert!(book.list("owner-b", NOW).iter().all(|s| s.id == "b1"));
        let listed = wire::list(&book.list("owner-a", NOW)).to_string();
        assert!(!listed.contains("aaaa") && !listed.contains("sealed"), "{listed}");
    }

    #[test]
    fn guessing_is_rate_limited_per_ip_for_the_window() {
        let mut book = book();
        for i in 0..FAILURES_PER_WINDOW {
            let e = book.open(&Key::Sha256(format!("guess{i}")), "1.2.3.4", NOW).unwrap_err();
            assert_eq!(e.code, "share_gone");
        }
        let limited = book.open(&Key::Sha256("aaaa".into()), "1.2.3.4", NOW + 10).unwrap_err();
        assert_eq!(
            (limited.http, limited.code.as_str(), limited.retry_after_secs),
            (429, "share_rate_limited", Some(50))
        );
        assert!(book.open(&Key::Sha256("aaaa".into()), "5.6.7.8", NOW + 10).is_ok(), "other IPs are not affected");
        assert!(book.open(&Key::Sha256("aaaa".into()), "1.2.3.4", NOW + WINDOW_SECS).is_ok(), "the window ends");
    }

    #[test]
    fn a_refused_session_marks_its_shares_until_the_owner_signs_in_again() {
        let mut book = book();
        book.create(share("a2", "owner-a", "dddd"), NOW).unwrap();
        assert!(book.signed_out("a1"));
        let states: Vec<ShareState> = book.list("owner-a", NOW).iter().map(|s| s.state).collect();
        assert_eq!(states, [ShareState::OwnerSignedOut, ShareState::OwnerSignedOut]);
        assert_eq!(book.list("owner-b", NOW)[0].state, ShareState::Active);
        let (opened, _) = book.open(&Key::Sha256("aaaa".into()), "ip", NOW).unwrap();
        assert!(opened.owner_signed_out, "the viewer is told to ask the owner");
        assert!(book.renew("owner-a", "sealed-new"));
        assert!(
            book.shares
                .iter()
                .filter(|s| s.owner == "owner-a")
                .all(|s| s.session == "sealed-new" && !s.owner_signed_out)
        );
    }

    #[test]
    fn a_share_keeps_its_phones_while_its_owner_is_signed_out_but_not_once_it_ends() {
        let mut book = book();
        book.create(share("c1", "owner-c", "cccc"), NOW).unwrap();
        book.revoke("owner-b", "b1", NOW).unwrap();
        assert!(book.signed_out("a1"));
        let ids: Vec<String> = ["a1", "b1", "c1", "gone"].iter().map(|id| (*id).to_owned()).collect();
        let found = book.sessions(&ids, NOW + 1);
        assert_eq!(
            found,
            [
                ("a1".to_owned(), Some(("sealed-owner-a".to_owned(), true))),
                ("b1".to_owned(), None),
                ("c1".to_owned(), Some(("sealed-owner-c".to_owned(), true))),
                ("gone".to_owned(), None),
            ]
        );
        let expired = book.sessions(&ids, NOW + DEFAULT_DAYS * 86_400);
        assert!(expired.iter().all(|(_, found)| found.is_none()), "{expired:?}");
    }

    #[test]
    fn live_shares_are_capped_and_old_ended_ones_pruned() {
        let mut book = Book::default();
        for i in 0..MAX_LIVE_SHARES {
            book.create(share(&format!("s{i}"), "o", &format!("h{i}")), NOW).unwrap();
        }
        assert_eq!(book.create(share("x", "o", "hx"), NOW).unwrap_err().code, "too_many_shares");
        book.revoke("o", "s0", NOW).unwrap();
        book.create(share("x", "o", "hx"), NOW).unwrap();
        book.create(share("y", "other", "hy"), NOW + KEEP_ENDED_SECS + 1).unwrap();
        assert!(!book.shares.iter().any(|s| s.id == "s0"), "revoked more than 30 days ago: dropped");
    }

    /// The book as serde's derive stored it before the hand-written JSON: it must read back whole.
    pub const EARLIER_BOOK: &str = r#"{"shares":[{"id":"a1","sha256":"aaaa","sha1":"sha1-aaaa","owner":"owner-a","session":"sealed-owner-a","patient_id":"p","label":"Grandma «Oma» 👵 \"G\"","from":"Alex","alarms":true,"created":1800000000,"expires":1802592000,"revoked":null,"last_used":1800000060,"owner_signed_out":false},{"id":"b1","sha256":"bbbb","sha1":"sha1-bbbb","owner":"owner-b","session":"sealed-owner-b","patient_id":"p","label":"Grandma","from":"Alex","alarms":true,"created":1800000000,"expires":1802592000,"revoked":1800000001,"last_used":null,"owner_signed_out":true}]}"#;

    #[test]
    fn the_stored_book_reads_what_earlier_builds_wrote_and_writes_it_back_the_same() {
        let mut a1 = share("a1", "owner-a", "aaaa");
        a1.label = "Grandma «Oma» 👵 \"G\"".into();
        a1.last_used = Some(NOW + 60);
        let mut b1 = share("b1", "owner-b", "bbbb");
        b1.revoked = Some(NOW + 1);
        b1.owner_signed_out = true;
        let book: Book = wire::decode(EARLIER_BOOK).unwrap();
        assert_eq!(book.shares, [a1, b1]);
        let again: Book = wire::decode(&wire::encode(&book)).unwrap();
        assert_eq!(again.shares, book.shares);
        assert_eq!(wire::parse(&wire::encode(&book)), wire::parse(EARLIER_BOOK), "the same JSON, up to key order");
        let no_options = EARLIER_BOOK.replace(r#""revoked":null,"#, "");
        assert!(wire::decode::<Book>(&no_options).is_some(), "an absent option is None");
        assert!(wire::decode::<Book>(&EARLIER_BOOK.replace(r#""alarms":true"#, r#""alarms":1"#)).is_none());
    }

    #[test]
    fn share_messages_round_trip() {
        let requests = [
            ShareRequest::Create(share("a1", "o", "h")),
            ShareRequest::List { owner: "o".into() },
            ShareRequest::Revoke { owner: "o".into(), id: "i".into() },
            ShareRequest::Open { key: Key::NightscoutSha1("k".into()), ip: "1.2.3.4".into() },
            ShareRequest::Open { key: Key::Sha256("k".into()), ip: "::1".into() },
            ShareRequest::Renew { owner: "o".into(), session: "s".into() },
            ShareRequest::SignedOut { id: "i".into() },
            ShareRequest::Sessions { ids: vec!["a".into(), "b".into()] },
        ];
        for request in requests {
            let text = wire::encode(&request);
            let read: ShareRequest = wire::decode(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{request:?}"));
        }
        let answers = [
            ShareAnswer::Done,
            ShareAnswer::List(book().list("owner-a", NOW)),
            ShareAnswer::Opened(share("a1", "o", "h")),
            ShareAnswer::Sessions(vec![("a".into(), Some(("s".into(), true))), ("b".into(), None)]),
            ShareAnswer::Error(share_gone()),
        ];
        for answer in answers {
            let text = wire::encode(&answer);
            let read: ShareAnswer = wire::decode(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{answer:?}"));
        }
        let listed = wire::list(&book().list("owner-a", NOW)).to_string();
        assert!(listed.contains(r#""patientId":"p""#) && listed.contains(r#""state":"active""#), "{listed}");
    }

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
