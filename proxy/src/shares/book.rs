//! The share book: the shares of one owner (or of the demo's visitors), kept in their `Shares` object, and what it
//! does with them (pure, natively tested): create within the caps, list, revoke, open by a hashed secret in
//! constant time, renew and mark signed out, and take over shares from the book of earlier builds.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::wire;
use shared::code::Code;

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
/// `last_used` is written at most this often per share, seconds (each write is a storage write).
pub const LAST_USED_EVERY_SECS: i64 = 60;
/// Live demo links on the whole server (they are all in the demo's one book): past it, a new one replaces the oldest, so visitors of the demo can never
/// fill the book that real families' links live in.
pub const MAX_DEMO_SHARES: usize = 200;
/// Where a share is stored in the `Shares` object: its own key, `s:<id>`.
pub const STORAGE_PREFIX: &str = "s:";

/// One share as the book keeps it. The secret itself is never stored. Stored as JSON under its own key; a field
/// added since is written only when set, so a link made before is stored exactly as before.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Public id (for listing and revoking), 16 hex digits.
    pub id: String,
    /// Lower-case hex SHA-256 of the secret.
    pub sha256: String,
    /// Lower-case hex SHA-1 of the secret (Nightscout's `api-secret`, for links made before they had a
    /// Nightscout token of their own).
    pub sha1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Whether the viewer's "I'm on it" or "Snooze" may quiet every phone's alarm (when the owner's phones share
    /// acknowledgement), not only the viewer's own: the owner's choice for this link, off by default.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub acts_for_all: bool,
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
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
    /// Whether the viewer may acknowledge for everyone.
    #[serde(default)]
    pub acts_for_all: bool,
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
            acts_for_all: self.acts_for_all,
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// SHA-256.
    pub sha256: String,
    /// SHA-1 (Nightscout's `api-secret`).
    pub sha1: String,
}

/// How a viewer presents a secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    /// SHA-256 of the link's secret (`Authorization: Share <secret>`): the app's page and its phones.
    #[serde(rename = "sha256")]
    Sha256(String),
    /// SHA-256 of a Nightscout token (`?token=`, `api-secret: token=…`): the Nightscout reads only.
    #[serde(rename = "ns_sha256")]
    NightscoutSha256(String),
    /// SHA-1 of a Nightscout token (the `api-secret` header): the Nightscout reads only.
    #[serde(rename = "ns_sha1")]
    NightscoutSha1(String),
}

/// The shares of one book. As JSON, `{"shares": [...]}`: how builds before per-share keys stored the whole book
/// (read once, to take it over).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Book {
    /// The shares.
    pub shares: Vec<Share>,
    /// Ids of the shares changed since the last [`Book::take_writes`] (each is stored under its own key).
    #[serde(skip)]
    changed: Vec<String>,
    /// Ids of the shares dropped since then.
    #[serde(skip)]
    removed: Vec<String>,
    /// The index pointer keys of the shares dropped since the last [`Book::take_dropped_keys`].
    #[serde(skip)]
    dropped_keys: Vec<String>,
}

/// Never the hash: the SHA-1 of a Nightscout token is what a Nightscout client presents as `api-secret`.
impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Key::Sha256(_) => "Key::Sha256(..)",
            Key::NightscoutSha256(_) => "Key::NightscoutSha256(..)",
            Key::NightscoutSha1(_) => "Key::NightscoutSha1(..)",
        })
    }
}

/// Whether a share was made by a visitor of the demo (its owner is a demo session, not an account).
pub fn is_demo_owner(owner: &str) -> bool {
    owner.starts_with("demo:")
}

impl Book {
    /// A book of `shares` as storage holds them.
    pub fn new(shares: Vec<Share>) -> Book {
        Book { shares, ..Book::default() }
    }

    /// Adds a share, after dropping shares that ended more than [`KEEP_ENDED_SECS`] ago (a demo's at once). An
    /// owner has at most [`MAX_LIVE_SHARES`] live shares; the demo's visitors together [`MAX_DEMO_SHARES`], the
    /// oldest giving way to the newest.
    pub fn create(&mut self, share: Share, now: i64) -> Result<(), ApiError> {
        self.check_create(&share, now)?;
        self.drop_where(|s| s.ended_long_ago(now) || (is_demo_owner(&s.owner) && s.state(now) != ShareState::Active));
        if is_demo_owner(&share.owner) {
            let mut demo: Vec<(i64, String)> =
                self.shares.iter().filter(|s| is_demo_owner(&s.owner)).map(|s| (s.created, s.id.clone())).collect();
            shared::order::sort_by(&mut demo, Ord::cmp);
            let over = (demo.len() + 1).saturating_sub(MAX_DEMO_SHARES);
            let oldest: Vec<String> = demo.into_iter().take(over).map(|(_, id)| id).collect();
            self.drop_where(|s| oldest.contains(&s.id));
        }
        self.changed.push(share.id.clone());
        self.shares.push(share);
        Ok(())
    }

    /// Whether `share` may be added: its owner has fewer than [`MAX_LIVE_SHARES`] live shares.
    pub fn check_create(&self, share: &Share, now: i64) -> Result<(), ApiError> {
        let live = self.shares.iter().filter(|s| s.owner == share.owner && s.state(now) == ShareState::Active).count();
        if live >= MAX_LIVE_SHARES {
            return Err(ApiError::new(409, Code::TooManyShares, "Revoke a share before creating another."));
        }
        Ok(())
    }

    /// Drops the shares `which` picks (and notes them for storage, and their keys for the index).
    fn drop_where(&mut self, which: impl Fn(&Share) -> bool) {
        for share in self.take_where(which) {
            self.dropped_keys.extend(super::index::pointers(&share, "").into_iter().map(|p| p.key));
        }
    }

    /// Takes the shares `which` picks out of the book (noted for storage), and gives them.
    fn take_where(&mut self, which: impl Fn(&Share) -> bool) -> Vec<Share> {
        let (taken, kept): (Vec<Share>, Vec<Share>) = core::mem::take(&mut self.shares).into_iter().partition(which);
        self.shares = kept;
        self.removed.extend(taken.iter().map(|s| s.id.clone()));
        taken
    }

    /// The index keys of the shares dropped since the last call: the index forgets them.
    pub fn take_dropped_keys(&mut self) -> Vec<String> {
        core::mem::take(&mut self.dropped_keys)
    }

    /// Shares moving in from the book of earlier builds: each is kept as it is, unless this book has its id.
    pub fn adopt(&mut self, shares: Vec<Share>) {
        for share in shares {
            if !self.shares.iter().any(|s| s.id == share.id) {
                self.changed.push(share.id.clone());
                self.shares.push(share);
            }
        }
    }

    /// The owners the book holds shares of, in the order of their first share.
    pub fn owners(&self) -> Vec<String> {
        let mut owners: Vec<String> = Vec::new();
        for share in &self.shares {
            if !owners.contains(&share.owner) {
                owners.push(share.owner.clone());
            }
        }
        owners
    }

    /// Takes every share of `owner` out of the book (they move to the owner's own book; their index keys stay).
    pub fn take_owner(&mut self, owner: &str) -> Vec<Share> {
        self.take_where(|s| s.owner == owner)
    }

    /// What storage must do to hold what this book holds since the last call: `(key, JSON text)` for each share
    /// changed, and the keys of the shares dropped. Only those: a change to one share writes one share.
    pub fn take_writes(&mut self) -> (Vec<(String, String)>, Vec<String>) {
        let mut changed = core::mem::take(&mut self.changed);
        shared::order::sort_by(&mut changed, Ord::cmp);
        changed.dedup();
        let puts = self
            .shares
            .iter()
            .filter(|s| changed.contains(&s.id))
            .map(|s| (format!("{STORAGE_PREFIX}{}", s.id), wire::to_json(s)))
            .collect();
        let mut removed = core::mem::take(&mut self.removed);
        removed.retain(|id| !self.shares.iter().any(|s| s.id == *id));
        shared::order::sort_by(&mut removed, Ord::cmp);
        removed.dedup();
        (puts, removed.into_iter().map(|id| format!("{STORAGE_PREFIX}{id}")).collect())
    }

    /// The book from what storage holds: each share under its own key, and the one `{"shares": [...]}` value that
    /// builds before kept (`legacy`), whose shares are taken over and marked changed, so the next
    /// [`Book::take_writes`] stores each under its own key. Also the keys that could not be read: they are kept
    /// in storage as they are, never used and never deleted.
    pub fn from_stored(values: Vec<(String, String)>, legacy: Option<Book>) -> (Book, Vec<String>) {
        let mut shares = Vec::new();
        let mut unreadable = Vec::new();
        for (key, text) in values {
            match wire::from_json::<Share>(&text) {
                Some(share) if key == format!("{STORAGE_PREFIX}{}", share.id) => shares.push(share),
                _ => unreadable.push(key),
            }
        }
        let mut book = Book::new(shares);
        for share in legacy.map(|legacy| legacy.shares).unwrap_or_default() {
            if !book.shares.iter().any(|s| s.id == share.id) {
                book.changed.push(share.id.clone());
                book.shares.push(share);
            }
        }
        shared::order::sort_by(&mut book.shares, |a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        (book, unreadable)
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
        self.changed.push(id.to_owned());
        Ok(())
    }

    /// The live share for `key`, with its `last_used` noted. Every share of the book is compared in constant time
    /// and every miss (unknown, revoked, expired) gives the same error after the same work.
    pub fn open(&mut self, key: &Key, now: i64) -> Result<(Share, bool), ApiError> {
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
            return Err(share_gone());
        };
        let touched = share.last_used.is_none_or(|t| now - t >= LAST_USED_EVERY_SECS);
        if touched {
            share.last_used = Some(now);
            self.changed.push(share.id.clone());
        }
        Ok((share.clone(), touched))
    }

    /// The owner signed in again: every share of theirs reads through the new session.
    pub fn renew(&mut self, owner: &str, session: &str) -> bool {
        let mut changed = false;
        for share in self.shares.iter_mut().filter(|s| s.owner == owner) {
            share.session = session.to_owned();
            share.owner_signed_out = false;
            self.changed.push(share.id.clone());
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
            self.changed.push(share.id.clone());
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
    ApiError::new(
        410,
        Code::ShareGone,
        "This link was revoked or has expired. Ask the person who sent it for a new one.",
    )
}

fn share_not_found() -> ApiError {
    ApiError::new(404, Code::ShareNotFound, "There is no such share.")
}

/// A share and a book to test with.
#[cfg(test)]
pub(crate) mod sample {
    use super::*;

    /// The tests' clock.
    pub const NOW: i64 = 1_800_000_000;

    pub fn share(id: &str, owner: &str, secret_hash: &str) -> Share {
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
            acts_for_all: false,
            created: NOW,
            expires: NOW + DEFAULT_DAYS * 86_400,
            revoked: None,
            last_used: None,
            owner_signed_out: false,
        }
    }

    pub fn book() -> Book {
        let mut book = Book::default();
        book.create(share("a1", "owner-a", "aaaa"), NOW).unwrap();
        book.create(share("b1", "owner-b", "bbbb"), NOW).unwrap();
        book
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
