//! The watch book: every phone that asked for background alarms, each with its own alarm settings and alarm
//! state, grouped by the patient they follow; the pushes waiting to go out; and each patient's recent readings.
//! Pure and synchronous (the `Watcher` Durable Object does the I/O around it), so every rule here is tested
//! natively:
//!
//! - **A tick happens once per scheduled minute.** [`WatchBook::begin_tick`] refuses a `now` at or before the last
//!   tick's, so Cron's occasional double delivery sends nothing twice (and `shared::alarm::step` is idempotent
//!   at one instant anyway).
//! - **Every subscription runs `shared::alarm::step`** with its own settings and persisted state on its
//!   patient's readings: LLU's graph merged with the current value the worker saw each minute (the graph lags
//!   the current value by 15–20 minutes, so without them a fall would be seen late).
//! - **Pushes go through an outbox.** A push service that answers 429 or 5xx (or cannot be reached) gets the
//!   message again next minute, then with back-off; 404/410 removes the subscription; a newer alarm of the same
//!   kind replaces a waiting one; a message past its TTL is dropped.
//! - **The watchdog:** when LibreLinkUp cannot be reached for [`OUTAGE_NOTICE_SECS`], or refuses the session,
//!   each phone is told once, and told again when data flows.
//! - **Acknowledgement:** "I'm on it" or "Snooze" from one phone applies to that phone, or to every phone
//!   following the patient when the owner chose shared acknowledgement (as Nightscout does) and the phone is one
//!   of the owner's: a read-only link never silences anyone else's alarms.
//! - **A phone is its browser's.** A known push endpoint presented with other keys is refused unless the phone's
//!   own key comes with it, so whoever learns an endpoint can neither take its `{id, key}` nor break its alarms.

use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmKind, AlarmState, Alert, Level};
use shared::reading::{Reading, Series};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::GlucoseUnit;

use crate::error::ApiError;
pub use crate::keyed::Keyed;
use crate::shares::{ShareSession, constant_time_eq};
use crate::wire::{self, Value, Wire};

/// Subscriptions a server keeps at most (a family server has a handful; this bounds storage and a tick's work).
pub const MAX_SUBSCRIPTIONS: usize = 500;
/// Subscriptions one patient group keeps at most.
pub const MAX_PER_GROUP: usize = 25;
/// Of those, the places only the owner's own phones may take: links cannot fill a patient's group.
pub const OWNER_RESERVED: usize = 5;
/// Phones one share link may subscribe.
pub const MAX_PER_SHARE: usize = 5;
/// How long a removed phone's endpoint stays refused: the longest a session lasts.
pub const REMOVED_KEEP_SECS: i64 = 180 * shared::time::DAY;
/// Removed endpoints remembered at most (the oldest is forgotten first).
pub const MAX_REMOVED: usize = 1000;
/// Pushes one invocation of the `Watcher` sends at most, most urgent first; the rest are sent by the next
/// invocation, which the `Watcher` starts at once (a Durable Object alarm), so a backlog still leaves in the same
/// minute. One push costs 0.23–0.41 ms of CPU (P-256 key generation and ECDH dominate; BENCHMARKS.md), so 16 are
/// at most ~6.5 ms: the free plan allows 10 ms of CPU and 50 subrequests per invocation.
pub const SENDS_PER_INVOCATION: usize = 16;
/// After this long without data from LibreLinkUp, phones are told the worker cannot reach it.
pub const OUTAGE_NOTICE_SECS: i64 = 30 * MINUTE;
/// Current values older than this are dropped from the remembered series (the graph covers the rest).
pub const KEEP_CURRENT_SECS: i64 = 3 * HOUR;
/// The longest back-off between two tries of one message.
pub const MAX_BACKOFF_SECS: i64 = 10 * MINUTE;
/// A gap between two ticks longer than this is an interruption the phones are told about (the cron runs every
/// minute; `meta`, and with it the last tick, is written at least every [`HEARTBEAT_SECS`], so a restart alone
/// never looks like one).
pub const INTERRUPTION_SECS: i64 = 15 * MINUTE;
/// `meta` is written at least this often, even when nothing but the tick's time changed.
pub const HEARTBEAT_SECS: i64 = 10 * MINUTE;
/// A group's readings are stored at most this often (LibreLinkUp's graph brings 12 hours back at the next read).
pub const SERIES_WRITE_SECS: i64 = 15 * MINUTE;
/// The plaintext is padded to a multiple of this, so a push's length does not tell which alarm it carries.
pub const PAD_BUCKET: usize = 256;

/// How a subscription reads its patient.
#[derive(Clone, PartialEq, Eq)]
pub enum Access {
    /// The owner's phone: their sealed session.
    Owner {
        /// The sealed session token.
        session: String,
    },
    /// A share viewer's phone: the share (checked every tick, so a revocation stops its alarms).
    Viewer {
        /// The share id.
        share_id: String,
        /// Who shared it (for "ask … to sign in again").
        from: String,
    },
}

/// Never the owner's sealed session.
impl core::fmt::Debug for Access {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Access::Owner { .. } => f.write_str("Access::Owner { .. }"),
            Access::Viewer { share_id, .. } => {
                f.debug_struct("Access::Viewer").field("share_id", share_id).finish_non_exhaustive()
            }
        }
    }
}

/// Never the phone's key, its browser keys or its endpoint (a capability URL).
impl core::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("group", &self.group)
            .field("access", &self.access)
            .field("told", &self.told)
            .finish_non_exhaustive()
    }
}

/// Never the browser's keys, its endpoint or a presented key.
impl core::fmt::Debug for NewSubscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NewSubscription")
            .field("group", &self.group)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// Never the phone's key.
impl core::fmt::Debug for Payload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Payload")
            .field("sub", &self.sub)
            .field("kind", &self.kind)
            .field("title", &self.title)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl Access {
    /// The share a viewer's phone follows through.
    pub fn share_id(&self) -> Option<&str> {
        match self {
            Access::Viewer { share_id, .. } => Some(share_id),
            Access::Owner { .. } => None,
        }
    }
}

/// One phone that wants background alarms for one patient.
#[derive(Clone, PartialEq)]
pub struct Subscription {
    /// Public id (16 hex digits).
    pub id: String,
    /// The capability the phone and its service worker present to acknowledge, test and unsubscribe.
    pub key: String,
    /// The push service URL.
    pub endpoint: String,
    /// The browser's P-256 public key (base64url).
    pub p256dh: String,
    /// The browser's auth secret (base64url).
    pub auth: String,
    /// The patient group: `acct:<account>:<patient>` or `demo:<patient>`.
    pub group: String,
    /// The patient.
    pub patient_id: String,
    /// How it reads the patient.
    pub access: Access,
    /// This phone's alarm settings.
    pub config: AlarmConfig,
    /// This phone's unit.
    pub unit: GlucoseUnit,
    /// This phone's alarm state.
    pub state: AlarmState,
    /// Unix seconds.
    pub created: i64,
    /// Whether this phone was told about the current outage or sign-out.
    pub told: Option<Notice>,
    /// What the phone is, from its browser ("Chrome on Android"), for its owner's list.
    pub device: String,
    /// When a push service last accepted a push for it, Unix seconds.
    pub delivered: Option<i64>,
}

/// What a group's last read said, for the watchdog.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Notice {
    /// LibreLinkUp could not be reached.
    Outage,
    /// LibreLinkUp refused the session (or the share ended).
    SignedOut,
}

/// What the book remembers per patient group. Every field may be absent in JSON (the default).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Group {
    /// The patient's first name, from the last data.
    pub name: String,
    /// The owner chose shared acknowledgement.
    pub shared_ack: bool,
    /// When reads started failing, Unix seconds.
    pub failing_since: Option<i64>,
    /// Why the last read failed.
    pub failure: Option<Notice>,
    /// Readings: the last graph merged with each current value seen.
    pub series: Series,
    /// When the patient's sensor ends, Unix seconds, as the last data said: the sensor notices' clock.
    pub sensor_ends: Option<i64>,
}

/// A push waiting to go out.
#[derive(Clone, PartialEq, Debug)]
pub struct Message {
    /// Which subscription.
    pub sub: String,
    /// The `Topic` (one waiting message per topic per phone; push services replace by it too).
    pub topic: String,
    /// The JSON the service worker gets.
    pub payload: Payload,
    /// RFC 8030 `Urgency`.
    pub urgency: Urgency,
    /// RFC 8030 `TTL`, seconds.
    pub ttl: i64,
    /// When it was queued.
    pub created: i64,
    /// Not before this (back-off).
    pub next_try: i64,
    /// Tries so far.
    pub tries: u32,
}

/// RFC 8030 §5.3 urgency.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Urgency {
    /// Sensor notices.
    Low,
    /// Warnings.
    Normal,
    /// Urgent alarms and the watchdog: delivered even to a phone saving battery.
    High,
}

impl Urgency {
    /// The header value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// What a notification says; the service worker shows it as it is.
#[derive(Clone, PartialEq)]
pub struct Payload {
    /// Format version.
    pub v: u8,
    /// The subscription (for the actions).
    pub sub: String,
    /// The subscription's key (for the actions).
    pub key: String,
    /// `UrgentLow`, … for alarms; `Test`, `Outage`, `SignedOut`, `Recovered` for the others.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Notification tag: a newer one replaces the older on the phone.
    pub tag: String,
    /// Keep it on screen until the person acts, and ring loud.
    pub urgent: bool,
    /// No sound (a quiet night profile, a notice).
    pub silent: bool,
    /// The snooze the "Snooze" action asks for, minutes (0: no alarm actions).
    pub snooze_min: i64,
    /// When it happened, Unix seconds.
    pub at: i64,
}

/// How a push service answered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delivery {
    /// 2xx.
    Accepted,
    /// 404 or 410: the subscription is gone.
    Gone,
    /// 429, 5xx or no answer: try again later (`Retry-After`, if given).
    Retry(Option<i64>),
    /// Any other 4xx: this message will never be accepted.
    Refused(u16),
}

impl Delivery {
    /// From an HTTP status (or `None` when the request failed) and a `Retry-After` in seconds.
    pub fn from_status(status: Option<u16>, retry_after: Option<i64>) -> Delivery {
        match status {
            Some(200..=299) => Delivery::Accepted,
            Some(404 | 410) => Delivery::Gone,
            Some(429 | 500..=599) | None => Delivery::Retry(retry_after),
            Some(other) => Delivery::Refused(other),
        }
    }
}

/// What a group read gave.
#[derive(Clone, PartialEq, Debug)]
pub enum Read {
    /// LLU's readings and the patient's first name.
    Data {
        /// Readings of the graph envelope.
        series: Series,
        /// First name.
        name: String,
        /// When the sensor ends, Unix seconds, if LibreLinkUp described one.
        sensor_ends: Option<i64>,
    },
    /// LibreLinkUp (or the network) failed.
    Unreachable,
    /// The session was refused or expired; no point retrying until the owner signs in.
    SignedOut,
}

/// The whole book.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct WatchBook {
    /// Subscriptions by id.
    pub subs: Keyed<Subscription>,
    /// Groups by key.
    pub groups: Keyed<Group>,
    /// Waiting pushes.
    pub outbox: Vec<Message>,
    /// The last tick's scheduled time, Unix seconds.
    pub last_tick: Option<i64>,
    /// Phones their owner removed: SHA-256 of the push endpoint, and when. Such an endpoint cannot subscribe
    /// again (a sign-in, a settings change), only a new one from that browser (its alarms turned off and on).
    pub removed: Keyed<i64>,
}

/// Whose phones a caller may list and remove: an account's (its owners' phones and its links' phones), or, for
/// a demo visitor, the phones subscribed with that visitor's own session (the demo's groups are everyone's).
#[derive(Clone, PartialEq, Eq)]
pub enum Holder {
    /// The account id.
    Account(String),
    /// The demo visitor's sealed session.
    Demo(String),
}

impl Holder {
    fn holds(&self, sub: &Subscription) -> bool {
        match self {
            Holder::Account(account) => sub
                .group
                .strip_prefix("acct:")
                .and_then(|rest| rest.strip_prefix(account.as_str()))
                .is_some_and(|rest| rest.starts_with(':')),
            Holder::Demo(session) => matches!(&sub.access, Access::Owner { session: held } if held == session),
        }
    }
}

/// Never the demo visitor's session.
impl core::fmt::Debug for Holder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Holder::Account(account) => f.debug_tuple("Holder::Account").field(account).finish(),
            Holder::Demo(_) => f.write_str("Holder::Demo(..)"),
        }
    }
}

/// One phone as its owner's app lists it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PhoneInfo {
    /// Its id (what removing it names).
    pub id: String,
    /// The patient it follows.
    pub patient_id: String,
    /// What it is ("Chrome on Android"; empty when it subscribed before this was kept).
    pub device: String,
    /// The link it follows through, or `None` for the owner's own phone.
    pub share_id: Option<String>,
    /// When it subscribed, Unix seconds.
    pub created: i64,
    /// When a push last reached its push service, Unix seconds.
    pub delivered: Option<i64>,
}

impl Wire for PhoneInfo {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("id", self.id.to_wire()),
            ("patientId", self.patient_id.to_wire()),
            ("device", self.device.to_wire()),
            ("shareId", self.share_id.to_wire()),
            ("created", self.created.to_wire()),
            ("delivered", self.delivered.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<PhoneInfo> {
        Some(PhoneInfo {
            id: wire::get(value, "id")?,
            patient_id: wire::get(value, "patientId")?,
            device: wire::get(value, "device")?,
            share_id: wire::get(value, "shareId")?,
            created: wire::get(value, "created")?,
            delivered: wire::get(value, "delivered")?,
        })
    }
}

/// The key a removed phone's endpoint is remembered by.
fn endpoint_hash(endpoint: &str) -> String {
    crate::seal::sha256_hex(endpoint)
}

/// A stored value as this object last wrote it: what it compares equal by (`meta` without the tick's time), and
/// when it was written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Written {
    /// The value's text (for `meta`, without `last_tick`).
    pub fingerprint: String,
    /// Unix seconds.
    pub at: i64,
}

/// What one save does: the values to put, the keys to delete, and what storage holds afterwards.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Changes {
    /// `(key, value)` to write.
    pub puts: Vec<(String, String)>,
    /// Keys to delete.
    pub deletes: Vec<String>,
    /// What storage holds once both are done.
    pub written: Keyed<Written>,
}

/// What a stored value is compared by: its text without the clocks that move every minute (`meta`'s
/// `last_tick`; a phone's `state.last_step`, and `state.excursion_seen`, the rebound tracker's watermark: readings
/// fed again to an excursion they did not change leave it as it is, so an older watermark after a restart is
/// harmless).
/// The clocks are taken out of `value` and given back, for [`restore_clocks`].
fn fingerprint(key: &str, value: &mut Value) -> (String, Vec<(&'static str, Value)>) {
    let mut clocks = Vec::new();
    if let Some(object) = clock_holder(key, value) {
        for clock in CLOCKS {
            if let Some(taken) = object.remove(clock) {
                clocks.push((clock, taken));
            }
        }
    }
    (value.to_string(), clocks)
}

/// The fields [`fingerprint`] leaves out.
const CLOCKS: [&str; 3] = ["last_tick", "last_step", "excursion_seen"];

fn restore_clocks(key: &str, value: &mut Value, clocks: Vec<(&'static str, Value)>) {
    if let Some(object) = clock_holder(key, value) {
        for (clock, taken) in clocks {
            object.insert(clock.to_owned(), taken);
        }
    }
}

/// The object that holds a stored value's clocks: `meta` itself, a phone's `state`.
fn clock_holder<'a>(key: &str, value: &'a mut Value) -> Option<&'a mut serde_json::Map<String, Value>> {
    if key == "meta" { value.as_object_mut() } else { value.get_mut("state").and_then(Value::as_object_mut) }
}

/// What a subscribe request brings, checked.
#[derive(Clone, PartialEq)]
pub struct NewSubscription {
    /// Push service URL.
    pub endpoint: String,
    /// base64url P-256 key.
    pub p256dh: String,
    /// base64url auth secret.
    pub auth: String,
    /// Group key.
    pub group: String,
    /// Patient.
    pub patient_id: String,
    /// Access.
    pub access: Access,
    /// Settings.
    pub config: AlarmConfig,
    /// Unit.
    pub unit: GlucoseUnit,
    /// The owner's shared-acknowledgement choice (owners only).
    pub shared_ack: Option<bool>,
    /// The key the phone holds, when it has one: needed to give a known endpoint other keys.
    pub presented_key: Option<String>,
    /// What the phone is ("Chrome on Android").
    pub device: String,
    /// The client network it came from (`policy::client_network`), for the per-client limit.
    pub client: String,
}

/// What acknowledging does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// "I'm on it": repeats stop until the episode ends (urgent low: for at most 15 minutes).
    Acknowledge,
    /// Silence this kind for this many minutes (capped per kind).
    Snooze(i64),
}

impl WatchBook {
    /// Adds a subscription, or updates the one with the same push endpoint (same id and key, state kept unless
    /// it moves to another patient). Returns its id and key.
    pub fn subscribe(
        &mut self,
        new: NewSubscription,
        id: String,
        key: String,
        now: i64,
    ) -> Result<&Subscription, ApiError> {
        if self.removed.contains_key(&endpoint_hash(&new.endpoint)) {
            return Err(ApiError::new(
                403,
                "phone_removed",
                "This phone was removed from these alarms. Turn alarms off and on again on it to add it back.",
            ));
        }
        let existing = self.subs.values().find(|s| s.endpoint == new.endpoint).map(|s| s.id.clone());
        if let Some(sub) = existing.as_deref().and_then(|id| self.subs.get(id)) {
            let same_keys = constant_time_eq(sub.p256dh.as_bytes(), new.p256dh.as_bytes())
                & constant_time_eq(sub.auth.as_bytes(), new.auth.as_bytes());
            let holds_key =
                new.presented_key.as_deref().is_some_and(|k| constant_time_eq(sub.key.as_bytes(), k.as_bytes()));
            if !same_keys && !holds_key {
                return Err(ApiError::new(
                    409,
                    "push_endpoint_taken",
                    "This phone is already subscribed with other keys; turn its alarms off and on again.",
                ));
            }
        }
        // A new phone, or one that moves to another patient or link, must find a place there (itself not counted).
        let moves = existing
            .as_deref()
            .and_then(|id| self.subs.get(id))
            .is_none_or(|sub| sub.group != new.group || sub.access.share_id() != new.access.share_id());
        if moves {
            self.check_room(&new, existing.as_deref())?;
        }
        if let Some(shared) = new.shared_ack {
            self.groups.or_default(new.group.clone()).shared_ack = shared;
        }
        if let Some(id) = existing {
            let sub = self.subs.get_mut(&id).ok_or_else(ApiError::internal)?;
            if sub.group != new.group {
                sub.state = AlarmState::new();
                sub.told = None;
            }
            sub.p256dh = new.p256dh;
            sub.auth = new.auth;
            sub.group = new.group.clone();
            sub.patient_id = new.patient_id;
            sub.access = new.access;
            sub.config = new.config;
            sub.unit = new.unit;
            if !new.device.is_empty() {
                sub.device = new.device;
            }
            self.groups.or_default(new.group);
            return self.subs.get(&id).ok_or_else(ApiError::internal);
        }
        self.groups.or_default(new.group.clone());
        let sub = Subscription {
            id: id.clone(),
            key,
            endpoint: new.endpoint,
            p256dh: new.p256dh,
            auth: new.auth,
            group: new.group,
            patient_id: new.patient_id,
            access: new.access,
            config: new.config,
            unit: new.unit,
            state: AlarmState::new(),
            created: now,
            told: None,
            device: new.device,
            delivered: None,
        };
        self.subs.insert(id.clone(), sub);
        self.subs.get(&id).ok_or_else(ApiError::internal)
    }

    /// The subscription `id` if `key` is its key (compared in constant time).
    pub fn authorised(&self, id: &str, key: &str) -> Result<&Subscription, ApiError> {
        self.subs
            .get(id)
            .filter(|s| constant_time_eq(s.key.as_bytes(), key.as_bytes()))
            .ok_or_else(|| ApiError::new(404, "push_not_found", "This phone is not subscribed any more."))
    }

    /// The viewers' phones to unsubscribe, given the share book's answer for their shares (`(share id, its
    /// session and alarms flag while it lasts)`): those whose share is gone or has its alarms turned off. With no
    /// answer (the book could not be read this minute) nobody is dropped: a passing failure must not silently
    /// end a grandparent's alarms.
    pub fn viewers_without_share(&self, shares: Option<&[ShareSession]>) -> Vec<String> {
        let Some(shares) = shares else { return Vec::new() };
        self.subs
            .values()
            .filter(|s| match &s.access {
                Access::Viewer { share_id, .. } => shares
                    .iter()
                    .find(|(id, _)| id == share_id)
                    .is_some_and(|(_, found)| found.as_ref().is_none_or(|(_, alarms)| !alarms)),
                Access::Owner { .. } => false,
            })
            .map(|s| s.id.clone())
            .collect()
    }

    /// The account `account_id` signed in again: its owners' phones (their groups are `acct:<account-id>:…`) read
    /// through `session` from now on. Returns how many phones took it.
    pub fn renew_owner(&mut self, account_id: &str, session: &str) -> usize {
        let prefix = format!("acct:{account_id}:");
        let mut renewed = 0;
        for sub in self.subs.values_mut().filter(|s| s.group.starts_with(&prefix)) {
            if let Access::Owner { session: held } = &mut sub.access
                && held != session
            {
                session.clone_into(held);
                renewed += 1;
            }
        }
        renewed
    }

    /// Whether `new` finds a place: on the server, in its patient's group, and (for a link's phone) among its
    /// link's phones and the places links may take. `moving` is the phone itself when it is already here.
    fn check_room(&self, new: &NewSubscription, moving: Option<&str>) -> Result<(), ApiError> {
        let others = || self.subs.values().filter(|s| Some(s.id.as_str()) != moving);
        if moving.is_none() && self.subs.len() >= MAX_SUBSCRIPTIONS {
            return Err(ApiError::new(503, "push_full", "This server has as many phones as it can watch."));
        }
        if others().filter(|s| s.group == new.group).count() >= MAX_PER_GROUP {
            return Err(ApiError::new(409, "push_full", "This person already has as many phones as one can have."));
        }
        if let Some(share_id) = new.access.share_id() {
            let viewers = others().filter(|s| s.access.share_id().is_some() && s.group == new.group).count();
            let of_share = others().filter(|s| s.access.share_id() == Some(share_id)).count();
            if of_share >= MAX_PER_SHARE || viewers >= MAX_PER_GROUP - OWNER_RESERVED {
                return Err(ApiError::new(
                    409,
                    "push_full",
                    "This link already has as many phones as it can have; ask whoever shared it for your own link.",
                ));
            }
        }
        Ok(())
    }

    /// The phones `holder` may see and remove, oldest first.
    pub fn phones(&self, holder: &Holder) -> Vec<PhoneInfo> {
        let mut phones: Vec<PhoneInfo> = self
            .subs
            .values()
            .filter(|s| holder.holds(s))
            .map(|s| PhoneInfo {
                id: s.id.clone(),
                patient_id: s.patient_id.clone(),
                device: s.device.clone(),
                share_id: s.access.share_id().map(str::to_owned),
                created: s.created,
                delivered: s.delivered,
            })
            .collect();
        phones.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        phones
    }

    /// `holder` removes phone `id`: gone now, and its endpoint cannot subscribe again (see [`WatchBook::removed`]).
    /// Another holder's phone is "not found".
    pub fn remove_phone(&mut self, holder: &Holder, id: &str, now: i64) -> Result<(), ApiError> {
        let endpoint = self
            .subs
            .get(id)
            .filter(|s| holder.holds(s))
            .map(|s| s.endpoint.clone())
            .ok_or_else(|| ApiError::new(404, "push_not_found", "That phone is not getting these alarms."))?;
        self.remove(id);
        self.removed.retain(|at| now - *at < REMOVED_KEEP_SECS);
        while self.removed.len() >= MAX_REMOVED {
            let oldest = self.removed.iter().min_by_key(|(_, at)| **at).map(|(key, _)| key.clone());
            match oldest {
                Some(key) => self.removed.remove(&key),
                None => break,
            };
        }
        self.removed.insert(endpoint_hash(&endpoint), now);
        Ok(())
    }

    /// The phones of share `share_id` (revoked): removed at once, not at the next tick. Returns how many.
    pub fn forget_share(&mut self, share_id: &str) -> usize {
        let ids: Vec<String> =
            self.subs.values().filter(|s| s.access.share_id() == Some(share_id)).map(|s| s.id.clone()).collect();
        for id in &ids {
            self.remove(id);
        }
        ids.len()
    }

    /// Removes a subscription and its waiting pushes; forgets a group nobody watches.
    pub fn remove(&mut self, id: &str) {
        if let Some(sub) = self.subs.remove(id) {
            self.outbox.retain(|m| m.sub != id);
            if !self.subs.values().any(|s| s.group == sub.group) {
                self.groups.remove(&sub.group);
            }
        }
    }

    /// "I'm on it" or "Snooze" from subscription `id`: applied to it, or, when the owner chose shared
    /// acknowledgement and `id` is one of the owner's phones, to every phone of its patient. A link's phone acts
    /// on itself only: a read-only link must not silence the family's alarms. Waiting pushes of that kind to those
    /// phones are dropped. Returns how many phones it applied to.
    pub fn act(&mut self, id: &str, kind: AlarmKind, action: Action, now: i64) -> Result<usize, ApiError> {
        let (group, owner) = self
            .subs
            .get(id)
            .map(|s| (s.group.clone(), matches!(s.access, Access::Owner { .. })))
            .ok_or_else(ApiError::internal)?;
        let shared = owner && self.groups.get(&group).is_some_and(|g| g.shared_ack);
        let at = UtcTime::from_unix_secs(now);
        let mut touched = Vec::new();
        for sub in self.subs.values_mut().filter(|s| s.id == id || (shared && s.group == group)) {
            match action {
                Action::Acknowledge => {
                    sub.state.acknowledge(kind, at);
                }
                Action::Snooze(minutes) => {
                    sub.state.snooze(kind, at, at + minutes.max(1) * MINUTE);
                }
            }
            touched.push(sub.id.clone());
        }
        let topic = topic_of(kind);
        self.outbox.retain(|m| !(m.topic == topic && touched.contains(&m.sub)));
        Ok(touched.len())
    }

    /// The book as the `Watcher` stores it: one value for the groups (without readings), the outbox and the last
    /// tick (`meta`), one per subscription (`sub:<id>`) and one per group's readings (`series:<group>`), so no value
    /// nears Durable Objects' 128 KiB limit.
    pub fn to_storage(&self) -> Keyed<String> {
        let mut values = Keyed::new();
        for (key, value) in self.stored_values() {
            values.insert(key, value.to_string());
        }
        values
    }

    /// The values of [`WatchBook::to_storage`], before they become text.
    fn stored_values(&self) -> Vec<(String, Value)> {
        let mut values = vec![("meta".to_owned(), self.meta().to_wire())];
        for (id, sub) in self.subs.iter() {
            values.push((format!("sub:{id}"), sub.to_wire()));
        }
        for (key, group) in self.groups.iter() {
            values.push((format!("series:{key}"), group.series.to_wire()));
        }
        values
    }

    /// The `meta` value: the groups without their readings, the outbox, and `last_tick`.
    fn meta(&self) -> WatchBook {
        let mut groups = Keyed::new();
        for (key, group) in self.groups.iter() {
            groups.insert(key.clone(), Group { series: Series::default(), ..group.clone() });
        }
        WatchBook {
            subs: Keyed::new(),
            groups,
            outbox: self.outbox.clone(),
            last_tick: self.last_tick,
            removed: self.removed.clone(),
        }
    }

    /// What a save at `now` writes and deletes, given what the storage holds as far as this object knows
    /// (`written`, as the last [`Changes::written`]): only values that changed, so a minute in which nothing
    /// happens writes nothing and the free plan's daily writes go to what matters.
    ///
    /// - The clocks alone are not worth a row (see [`fingerprint`]): they are written with the next real change,
    ///   and `meta` (the last tick) at least every [`HEARTBEAT_SECS`], so an interruption can be told from a restart. A restart that forgets them at worst runs a duplicate delivery of a minute
    ///   again, which `shared::alarm::step` makes harmless.
    /// - A group's readings are written at most every [`SERIES_WRITE_SECS`]: LibreLinkUp's graph gives the last
    ///   12 hours back at the next read, so a restart loses at most the minute values of that span.
    pub fn changes(&self, written: &Keyed<Written>, now: i64) -> Changes {
        let mut changes = Changes::default();
        for (key, mut value) in self.stored_values() {
            let (fingerprint, clocks) = fingerprint(&key, &mut value);
            let before = written.get(&key);
            let write = match before {
                Some(before) if key == "meta" && now - before.at >= HEARTBEAT_SECS => true,
                Some(before) if before.fingerprint == fingerprint => false,
                Some(before) => !key.starts_with("series:") || now - before.at >= SERIES_WRITE_SECS,
                None => true,
            };
            let kept = if write {
                restore_clocks(&key, &mut value, clocks);
                changes.puts.push((key.clone(), value.to_string()));
                Written { fingerprint, at: now }
            } else {
                before.cloned().unwrap_or(Written { fingerprint, at: now })
            };
            changes.written.insert(key, kept);
        }
        changes.deletes = written.keys().filter(|key| !changes.written.contains_key(key)).cloned().collect();
        changes
    }

    /// The book from the stored `(key, value)` pairs of [`WatchBook::to_storage`], and the keys it could not read.
    /// A value that does not parse (or a key this version does not know) is skipped, so one bad subscription does
    /// not stop every phone's alarms; the caller keeps those values as they are (see `Watcher::load`). Every
    /// subscription's group exists afterwards: a group lost with an unreadable `meta` starts again with fresh
    /// alarm states, rather than leaving its phones without alarms (`apply` skips a group it does not have).
    pub fn from_storage(values: impl IntoIterator<Item = (String, String)>) -> (WatchBook, Vec<String>) {
        let mut book = WatchBook::default();
        let mut series = Vec::new();
        let mut unreadable = Vec::new();
        for (key, text) in values {
            let read = if key == "meta" {
                wire::decode::<WatchBook>(&text).map(|meta| {
                    book.groups = meta.groups;
                    book.outbox = meta.outbox;
                    book.last_tick = meta.last_tick;
                    book.removed = meta.removed;
                })
            } else if let Some(id) = key.strip_prefix("sub:") {
                wire::decode(&text).map(|sub| {
                    book.subs.insert(id.to_owned(), sub);
                })
            } else if let Some(group) = key.strip_prefix("series:") {
                wire::decode(&text).map(|readings| series.push((group.to_owned(), readings)))
            } else {
                unreadable.push(key);
                continue;
            };
            if read.is_none() {
                unreadable.push(key);
            }
        }
        for sub in book.subs.values() {
            book.groups.or_default(sub.group.clone());
        }
        for (group, readings) in series {
            if let Some(g) = book.groups.get_mut(&group) {
                g.series = readings;
            }
        }
        (book, unreadable)
    }

    /// Starts the tick scheduled at `now`; `false` when a tick at or after it already ran (a double delivery).
    ///
    /// When the last tick is more than [`INTERRUPTION_SECS`] old (the cron did not run, or the server could not
    /// take it: the free plan's daily allowance spent, an outage), every phone is told that background alarms
    /// were interrupted, from when to when: nobody is left believing they were watched.
    pub fn begin_tick(&mut self, now: i64) -> bool {
        if self.last_tick.is_some_and(|last| now <= last) {
            return false;
        }
        if let Some(last) = self.last_tick.filter(|last| now - last > INTERRUPTION_SECS) {
            let messages: Vec<Message> = self
                .subs
                .values()
                .map(|sub| {
                    let name = self.groups.get(&sub.group).map(|g| g.name.clone()).unwrap_or_default();
                    interrupted_message(sub, &name, last, now)
                })
                .collect();
            for message in messages {
                self.queue(message);
            }
        }
        self.last_tick = Some(now);
        true
    }

    /// The groups to read this tick, with the subscriptions in each.
    pub fn groups_to_read(&self) -> Vec<(String, Vec<&Subscription>)> {
        let mut out: Vec<(String, Vec<&Subscription>)> = Vec::new();
        for sub in self.subs.values() {
            match out.iter_mut().find(|(group, _)| *group == sub.group) {
                Some((_, subs)) => subs.push(sub),
                None => out.push((sub.group.clone(), vec![sub])),
            }
        }
        shared::order::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        out
    }

    /// Applies one group's read at `now`: runs every subscription's alarm step and queues what it fires, or runs
    /// the watchdog.
    pub fn apply(&mut self, group_key: &str, read: Read, now: i64) {
        let at = UtcTime::from_unix_secs(now);
        let Some(group) = self.groups.get_mut(group_key) else { return };
        match read {
            Read::Data { series, name, sensor_ends } => {
                group.failure = None;
                // A read without a sensor (LLU leaves it out now and then) keeps the one seen last.
                if sensor_ends.is_some() {
                    group.sensor_ends = sensor_ends;
                }
                group.failing_since = None;
                group.name = name;
                let keep_from = at - KEEP_CURRENT_SECS;
                let currents: Vec<Reading> = group
                    .series
                    .as_slice()
                    .iter()
                    .filter(|r| r.origin == shared::reading::Origin::Current && r.at >= keep_from)
                    .copied()
                    .collect();
                let mut merged = series;
                merged.merge(currents);
                merged.retain_since(at - alarm::LOOKBACK);
                group.series = merged;
            }
            Read::Unreachable => {
                let since = *group.failing_since.get_or_insert(now);
                if now - since >= OUTAGE_NOTICE_SECS {
                    group.failure = Some(Notice::Outage);
                }
            }
            Read::SignedOut => {
                group.failing_since.get_or_insert(now);
                group.failure = Some(Notice::SignedOut);
            }
        }
        let group = group.clone();
        let ids: Vec<String> = self.subs.values().filter(|s| s.group == group_key).map(|s| s.id.clone()).collect();
        for id in ids {
            let Some(sub) = self.subs.get_mut(&id) else { continue };
            // The sensor's end comes from LibreLinkUp's data, not from the phone (which never sends it).
            let mut config = sub.config.clone();
            if let Some(ends) = group.sensor_ends {
                config.sensor_ends_at = Some(UtcTime::from_unix_secs(ends));
            }
            let (events, next) = alarm::step(at, group.series.as_slice(), &config, &sub.state);
            sub.state = next;
            let mut queue = Vec::new();
            for event in events {
                match event {
                    AlarmEvent::Fired(alert) => queue.push(alarm_message(sub, &group, &alert, now)),
                    AlarmEvent::Cleared { kind, .. } => {
                        let topic = topic_of(kind);
                        self.outbox.retain(|m| !(m.sub == sub.id && m.topic == topic));
                    }
                }
            }
            match (group.failure, sub.told) {
                (Some(notice), told) if told != Some(notice) => {
                    sub.told = Some(notice);
                    queue.push(notice_message(sub, &group, notice, now));
                }
                (None, Some(_)) => {
                    sub.told = None;
                    queue.push(recovered_message(sub, &group, now));
                }
                _ => {}
            }
            for message in queue {
                self.queue(message);
            }
        }
    }

    /// Queues a message, replacing a waiting one with the same topic for the same phone.
    pub fn queue(&mut self, message: Message) {
        self.outbox.retain(|m| !(m.sub == message.sub && m.topic == message.topic));
        self.outbox.push(message);
    }

    /// Takes the messages to send at `now`, most urgent first, at most [`SENDS_PER_INVOCATION`]; messages past
    /// their TTL are dropped first. The ones taken are in flight until [`WatchBook::delivered`]: not handed to an
    /// overlapping invocation, and tried again a minute later if the answer never comes (the object restarted).
    pub fn due(&mut self, now: i64) -> Vec<Message> {
        self.outbox.retain(|m| now - m.created < m.ttl);
        let mut due: Vec<&mut Message> = self.outbox.iter_mut().filter(|m| m.next_try <= now).collect();
        shared::order::sort_by(&mut due, |a, b| {
            (b.payload.urgent, b.urgency).cmp(&(a.payload.urgent, a.urgency)).then(a.created.cmp(&b.created))
        });
        due.into_iter()
            .take(SENDS_PER_INVOCATION)
            .map(|m| {
                let taken = m.clone();
                m.next_try = now + MINUTE;
                taken
            })
            .collect()
    }

    /// Whether messages are still due at `now` (after an invocation's batch): the `Watcher` sends them in a
    /// further invocation.
    pub fn more_due(&self, now: i64) -> bool {
        self.outbox.iter().any(|m| m.next_try <= now && now - m.created < m.ttl)
    }

    /// Records how the push service answered `message`.
    pub fn delivered(&mut self, message: &Message, delivery: Delivery, now: i64) {
        let same = |m: &Message| m.sub == message.sub && m.topic == message.topic && m.created == message.created;
        if delivery == Delivery::Accepted
            && let Some(sub) = self.subs.get_mut(&message.sub)
        {
            sub.delivered = Some(now);
        }
        match delivery {
            Delivery::Accepted | Delivery::Refused(_) => self.outbox.retain(|m| !same(m)),
            Delivery::Gone => self.remove(&message.sub),
            Delivery::Retry(after) => {
                if let Some(waiting) = self.outbox.iter_mut().find(|m| same(m)) {
                    waiting.tries += 1;
                    let backoff = (MINUTE << waiting.tries.saturating_sub(1).min(8)).min(MAX_BACKOFF_SECS);
                    waiting.next_try = now + after.unwrap_or(0).clamp(0, HOUR).max(backoff);
                }
            }
        }
    }
}

/// The topic of an alarm kind's messages (RFC 8030 `Topic`: at most 32 base64url characters).
pub fn topic_of(kind: AlarmKind) -> String {
    kind.wire_name().to_owned()
}

/// A test message for `sub`.
pub fn test_message(sub: &Subscription, name: &str, now: i64) -> Message {
    let who = if name.is_empty() { "your person".to_owned() } else { name.to_owned() };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Test".into(),
        title: "Tidewatch test alarm".into(),
        body: format!("Alarms for {who} will reach this phone, even when Tidewatch is closed."),
        tag: "test".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    Message {
        sub: sub.id.clone(),
        topic: "Test".into(),
        payload,
        urgency: Urgency::High,
        ttl: 600,
        created: now,
        next_try: now,
        tries: 0,
    }
}

fn alarm_message(sub: &Subscription, group: &Group, alert: &Alert, now: i64) -> Message {
    let (title, body) = alert.notification(&group.name, group.series.newest(), sub.unit, UtcTime::from_unix_secs(now));
    let urgent = alert.level == Level::Urgent;
    let (urgency, ttl) = match alert.level {
        Level::Urgent => (Urgency::High, 5 * MINUTE),
        Level::Warning => (Urgency::High, 15 * MINUTE),
        Level::Info => (Urgency::Low, HOUR),
    };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: alert.kind.wire_name().to_owned(),
        title,
        body,
        tag: format!("tw-{}", alert.kind.wire_name()),
        urgent,
        silent: !urgent && alert.volume == alarm::Volume::Quiet,
        snooze_min: alert.kind.notification_snooze_min(),
        at: now,
    };
    Message {
        sub: sub.id.clone(),
        topic: topic_of(alert.kind),
        payload,
        urgency,
        ttl,
        created: now,
        next_try: now,
        tries: 0,
    }
}

fn notice_message(sub: &Subscription, group: &Group, notice: Notice, now: i64) -> Message {
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let (kind, title, body) = match (notice, &sub.access) {
        (Notice::Outage, _) => (
            "Outage",
            "Tidewatch cannot reach LibreLinkUp".to_owned(),
            format!(
                "No data for {who} for 30 minutes: alarms cannot come until it is back. Check on them another way."
            ),
        ),
        (Notice::SignedOut, Access::Viewer { from, .. }) => (
            "SignedOut",
            "Alarms stopped".to_owned(),
            format!("Ask {from} to sign in to Tidewatch again: alarms for {who} have stopped."),
        ),
        (Notice::SignedOut, Access::Owner { .. }) => (
            "SignedOut",
            "Alarms stopped".to_owned(),
            format!(
                "Open Tidewatch and sign in again: LibreLinkUp ended the session, so alarms for {who} have stopped."
            ),
        ),
    };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: kind.into(),
        title,
        body,
        tag: "tw-watchdog".into(),
        urgent: true,
        silent: false,
        snooze_min: 0,
        at: now,
    };
    Message {
        sub: sub.id.clone(),
        topic: "Watchdog".into(),
        payload,
        urgency: Urgency::High,
        ttl: HOUR,
        created: now,
        next_try: now,
        tries: 0,
    }
}

/// "Background alarms were interrupted", from `from` to `to` on the phone's clock.
fn interrupted_message(sub: &Subscription, name: &str, from: i64, to: i64) -> Message {
    let who = if name.is_empty() { "your person" } else { name };
    let clock = |at: i64| UtcTime::from_unix_secs(at).wall_clock(i32::from(sub.config.utc_offset_min));
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Interrupted".into(),
        title: "Background alarms were interrupted".to_owned(),
        body: format!(
            "Tidewatch's server did not check {who} from {} to {}: no alarm could come then. It checks again now.",
            clock(from),
            clock(to)
        ),
        tag: "tw-interrupted".into(),
        urgent: false,
        silent: false,
        snooze_min: 0,
        at: to,
    };
    Message {
        sub: sub.id.clone(),
        topic: "Interrupted".into(),
        payload,
        urgency: Urgency::High,
        ttl: 6 * HOUR,
        created: to,
        next_try: to,
        tries: 0,
    }
}

fn recovered_message(sub: &Subscription, group: &Group, now: i64) -> Message {
    let who = if group.name.is_empty() { "your person".to_owned() } else { group.name.clone() };
    let payload = Payload {
        v: 1,
        sub: sub.id.clone(),
        key: sub.key.clone(),
        kind: "Recovered".into(),
        title: "Alarms are working again".into(),
        body: format!("Tidewatch has data for {who} again."),
        tag: "tw-watchdog".into(),
        urgent: false,
        silent: true,
        snooze_min: 0,
        at: now,
    };
    Message {
        sub: sub.id.clone(),
        topic: "Watchdog".into(),
        payload,
        urgency: Urgency::Normal,
        ttl: HOUR,
        created: now,
        next_try: now,
        tries: 0,
    }
}

impl Wire for Access {
    fn to_wire(&self) -> Value {
        match self {
            Access::Owner { session } => {
                wire::variant("owner", Some(wire::object(vec![("session", session.to_wire())])))
            }
            Access::Viewer { share_id, from } => wire::variant(
                "viewer",
                Some(wire::object(vec![("share_id", share_id.to_wire()), ("from", from.to_wire())])),
            ),
        }
    }

    fn from_wire(value: &Value) -> Option<Access> {
        match wire::read_variant(value)? {
            ("owner", content) => Some(Access::Owner { session: wire::get(content, "session")? }),
            ("viewer", content) => {
                Some(Access::Viewer { share_id: wire::get(content, "share_id")?, from: wire::get(content, "from")? })
            }
            _ => None,
        }
    }
}

impl Wire for Subscription {
    fn to_wire(&self) -> Value {
        let mut value = wire::object(vec![
            ("id", self.id.to_wire()),
            ("key", self.key.to_wire()),
            ("endpoint", self.endpoint.to_wire()),
            ("p256dh", self.p256dh.to_wire()),
            ("auth", self.auth.to_wire()),
            ("group", self.group.to_wire()),
            ("patient_id", self.patient_id.to_wire()),
            ("access", self.access.to_wire()),
            ("config", self.config.to_wire()),
            ("unit", self.unit.to_wire()),
            ("state", self.state.to_wire()),
            ("created", self.created.to_wire()),
            ("told", self.told.to_wire()),
        ]);
        // Written only when known, so a phone without them is stored exactly as earlier builds stored it.
        if let Some(object) = value.as_object_mut() {
            if !self.device.is_empty() {
                object.insert("device".into(), self.device.to_wire());
            }
            if let Some(at) = self.delivered {
                object.insert("delivered".into(), at.to_wire());
            }
        }
        value
    }

    fn from_wire(value: &Value) -> Option<Subscription> {
        Some(Subscription {
            id: wire::get(value, "id")?,
            key: wire::get(value, "key")?,
            endpoint: wire::get(value, "endpoint")?,
            p256dh: wire::get(value, "p256dh")?,
            auth: wire::get(value, "auth")?,
            group: wire::get(value, "group")?,
            patient_id: wire::get(value, "patient_id")?,
            access: wire::get(value, "access")?,
            config: wire::get(value, "config")?,
            unit: wire::get(value, "unit")?,
            state: wire::get(value, "state")?,
            created: wire::get(value, "created")?,
            told: wire::get(value, "told")?,
            device: wire::get_or(value, "device", String::new())?,
            delivered: wire::get_or(value, "delivered", None)?,
        })
    }
}

shared::wire_names!(Notice { Outage => "outage", SignedOut => "signed_out" });
shared::wire_names!(Urgency { Low => "low", Normal => "normal", High => "high" });

impl Wire for Group {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("name", self.name.to_wire()),
            ("shared_ack", self.shared_ack.to_wire()),
            ("failing_since", self.failing_since.to_wire()),
            ("failure", self.failure.to_wire()),
            ("series", self.series.to_wire()),
        ];
        // Written only when known, so a book without one is stored exactly as earlier builds stored it.
        if let Some(ends) = self.sensor_ends {
            fields.push(("sensor_ends", ends.to_wire()));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<Group> {
        if !value.is_object() {
            return None;
        }
        Some(Group {
            name: wire::get_or(value, "name", String::new())?,
            shared_ack: wire::get_or(value, "shared_ack", false)?,
            failing_since: wire::get_or(value, "failing_since", None)?,
            failure: wire::get_or(value, "failure", None)?,
            series: wire::get_or(value, "series", Series::default())?,
            sensor_ends: wire::get_or(value, "sensor_ends", None)?,
        })
    }
}

impl Wire for Message {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("sub", self.sub.to_wire()),
            ("topic", self.topic.to_wire()),
            ("payload", self.payload.to_wire()),
            ("urgency", self.urgency.to_wire()),
            ("ttl", self.ttl.to_wire()),
            ("created", self.created.to_wire()),
            ("next_try", self.next_try.to_wire()),
            ("tries", self.tries.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Message> {
        Some(Message {
            sub: wire::get(value, "sub")?,
            topic: wire::get(value, "topic")?,
            payload: wire::get(value, "payload")?,
            urgency: wire::get(value, "urgency")?,
            ttl: wire::get(value, "ttl")?,
            created: wire::get(value, "created")?,
            next_try: wire::get(value, "next_try")?,
            tries: wire::get(value, "tries")?,
        })
    }
}

/// Also what the service worker reads.
impl Wire for Payload {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("v", self.v.to_wire()),
            ("sub", self.sub.to_wire()),
            ("key", self.key.to_wire()),
            ("kind", self.kind.to_wire()),
            ("title", self.title.to_wire()),
            ("body", self.body.to_wire()),
            ("tag", self.tag.to_wire()),
            ("urgent", self.urgent.to_wire()),
            ("silent", self.silent.to_wire()),
            ("snooze_min", self.snooze_min.to_wire()),
            ("at", self.at.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<Payload> {
        Some(Payload {
            v: wire::get(value, "v")?,
            sub: wire::get(value, "sub")?,
            key: wire::get(value, "key")?,
            kind: wire::get(value, "kind")?,
            title: wire::get(value, "title")?,
            body: wire::get(value, "body")?,
            tag: wire::get(value, "tag")?,
            urgent: wire::get(value, "urgent")?,
            silent: wire::get(value, "silent")?,
            snooze_min: wire::get(value, "snooze_min")?,
            at: wire::get(value, "at")?,
        })
    }
}

/// A map of `T` by text key.
fn map_to_wire<T: Wire>(map: &Keyed<T>) -> Value {
    let mut out = wire::Map::new();
    for (key, item) in map.iter() {
        out.insert(key.clone(), item.to_wire());
    }
    Value::Object(out)
}

/// The other end of [`map_to_wire`]. (Built by inserting: see `wire::object`.)
fn map_from_wire<T: Wire>(value: &Value) -> Option<Keyed<T>> {
    let mut out = Keyed::new();
    for (key, item) in value.as_object()? {
        out.insert(key.clone(), T::from_wire(item)?);
    }
    Some(out)
}

impl Wire for WatchBook {
    fn to_wire(&self) -> Value {
        let mut fields = vec![
            ("subs", map_to_wire(&self.subs)),
            ("groups", map_to_wire(&self.groups)),
            ("outbox", self.outbox.to_wire()),
            ("last_tick", self.last_tick.to_wire()),
        ];
        // Written only when there are some, so a book without is stored exactly as earlier builds stored it.
        if !self.removed.is_empty() {
            fields.push(("removed", map_to_wire(&self.removed)));
        }
        wire::object(fields)
    }

    fn from_wire(value: &Value) -> Option<WatchBook> {
        Some(WatchBook {
            subs: map_from_wire(value.get("subs")?)?,
            groups: map_from_wire(value.get("groups")?)?,
            outbox: wire::get(value, "outbox")?,
            last_tick: wire::get(value, "last_tick")?,
            removed: match value.get("removed") {
                Some(removed) => map_from_wire(removed)?,
                None => Keyed::new(),
            },
        })
    }
}

impl Wire for NewSubscription {
    fn to_wire(&self) -> Value {
        wire::object(vec![
            ("endpoint", self.endpoint.to_wire()),
            ("p256dh", self.p256dh.to_wire()),
            ("auth", self.auth.to_wire()),
            ("group", self.group.to_wire()),
            ("patient_id", self.patient_id.to_wire()),
            ("access", self.access.to_wire()),
            ("config", self.config.to_wire()),
            ("unit", self.unit.to_wire()),
            ("shared_ack", self.shared_ack.to_wire()),
            ("presented_key", self.presented_key.to_wire()),
            ("device", self.device.to_wire()),
            ("client", self.client.to_wire()),
        ])
    }

    fn from_wire(value: &Value) -> Option<NewSubscription> {
        Some(NewSubscription {
            endpoint: wire::get(value, "endpoint")?,
            p256dh: wire::get(value, "p256dh")?,
            auth: wire::get(value, "auth")?,
            group: wire::get(value, "group")?,
            patient_id: wire::get(value, "patient_id")?,
            access: wire::get(value, "access")?,
            config: wire::get(value, "config")?,
            unit: wire::get(value, "unit")?,
            shared_ack: wire::get(value, "shared_ack")?,
            presented_key: wire::get(value, "presented_key")?,
            device: wire::get_or(value, "device", String::new())?,
            client: wire::get_or(value, "client", String::new())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use shared::reading::Origin;

    use super::*;

    const T: i64 = 1_800_000_000;

    #[test]
    fn topics_are_the_kind_names_phones_already_hold() {
        // Topics replace an earlier message with the same topic on the phone: they must not change between
        // versions. They were the variant names (`Debug`) before they were the wire names.
        for kind in AlarmKind::ALL {
            assert_eq!(topic_of(kind), format!("{kind:?}"));
            assert!(topic_of(kind).len() <= 32);
        }
    }

    fn new_sub(endpoint: &str, group: &str) -> NewSubscription {
        NewSubscription {
            endpoint: endpoint.into(),
            p256dh: "p".into(),
            auth: "a".into(),
            group: group.into(),
            patient_id: "patient".into(),
            access: Access::Owner { session: "sealed".into() },
            config: AlarmConfig::default(),
            unit: GlucoseUnit::MgDl,
            shared_ack: None,
            presented_key: None,
            device: String::new(),
            client: String::new(),
        }
    }

    fn book_with(phones: &[(&str, &str)]) -> WatchBook {
        let mut book = WatchBook::default();
        for (n, (endpoint, group)) in phones.iter().enumerate() {
            book.subscribe(new_sub(endpoint, group), format!("id{n}"), format!("key{n}"), T).unwrap();
        }
        book
    }

    #[test]
    fn viewers_lose_alarms_only_when_the_share_book_says_their_share_is_gone() {
        let mut book = book_with(&[("https://push.example/owner", "g")]);
        for (n, share) in ["live", "quiet", "revoked", "unasked"].iter().enumerate() {
            let viewer = NewSubscription {
                access: Access::Viewer { share_id: (*share).into(), from: "Alex".into() },
                ..new_sub(&format!("https://push.example/{share}"), "g")
            };
            book.subscribe(viewer, format!("viewer{n}"), format!("vkey{n}"), T).unwrap();
        }
        let answer = [
            ("live".to_owned(), Some(("sealed".to_owned(), true))),
            ("quiet".to_owned(), Some(("sealed".to_owned(), false))),
            ("revoked".to_owned(), None),
        ];
        let mut dropped = book.viewers_without_share(Some(&answer));
        dropped.sort();
        assert_eq!(dropped, ["viewer1", "viewer2"], "alarms off and revoked; never the owner or an unasked share");
        assert!(book.viewers_without_share(None).is_empty(), "an unreadable share book drops nobody");
    }

    #[test]
    fn signing_in_again_gives_only_that_accounts_owner_phones_the_new_session() {
        let mut book = book_with(&[("https://push.example/a", "acct:a:p"), ("https://push.example/b", "acct:b:p")]);
        let viewer = NewSubscription {
            access: Access::Viewer { share_id: "s".into(), from: "Alex".into() },
            ..new_sub("https://push.example/viewer", "acct:a:p")
        };
        book.subscribe(viewer, "viewer".into(), "vkey".into(), T).unwrap();
        assert_eq!(book.renew_owner("a", "sealed-new"), 1);
        let access = |id: &str| book.subs.get(id).map(|s| s.access.clone());
        assert_eq!(access("id0"), Some(Access::Owner { session: "sealed-new".into() }));
        assert_eq!(access("id1"), Some(Access::Owner { session: "sealed".into() }), "another account's phone");
        assert!(matches!(access("viewer"), Some(Access::Viewer { .. })), "a viewer reads through its share");
        assert_eq!(book.renew_owner("a", "sealed-new"), 0, "nothing to save the second time");
    }

    #[test]
    fn the_sensor_notices_run_on_llus_sensor_not_the_phones_settings() {
        let mut book = book_with(&[("https://push.example/a", "g")]);
        let with_sensor = |now: i64, ends: Option<i64>| match data(120, now) {
            Read::Data { series, name, .. } => Read::Data { series, name, sensor_ends: ends },
            other => other,
        };
        let ends = T + 20 * HOUR;
        let due = tick(&mut book, "g", with_sensor(T, Some(ends)), T);
        let topics: Vec<&str> = due.iter().map(|m| m.topic.as_str()).collect();
        assert_eq!(topics, ["SensorEndsInADay"], "the phone sent no sensor end (it never does)");
        // A read without a sensor keeps the end seen last: no notice again, none cleared.
        assert!(tick(&mut book, "g", with_sensor(T + MINUTE, None), T + MINUTE).is_empty());
        assert_eq!(book.groups.get("g").map(|g| g.sensor_ends), Some(Some(ends)));
        let (restored, unreadable) = WatchBook::from_storage(book.to_storage());
        assert!(unreadable.is_empty());
        assert_eq!(restored.groups.get("g").map(|g| g.sensor_ends), Some(Some(ends)), "stored with the book");
        let due = tick(&mut book, "g", with_sensor(ends - 2 * HOUR, None), ends - 2 * HOUR);
        let mut topics: Vec<&str> = due.iter().map(|m| m.topic.as_str()).collect();
        topics.sort_unstable();
        assert_eq!(topics, ["Interrupted", "SensorEndsSoon"], "18 hours without a tick is an interruption too");
    }

    /// A steady patient at `level` for the last hour before `now`, one reading a minute.
    fn data(level: u16, now: i64) -> Read {
        let readings = (0..60).map(|m| Reading {
            origin: if m == 0 { Origin::Current } else { Origin::Graph },
            ..Reading::new(UtcTime::from_unix_secs(now - m * MINUTE), shared::units::MgDl::new(level))
        });
        Read::Data { series: Series::from_readings(readings), name: "Lee".into(), sensor_ends: None }
    }

    fn tick(book: &mut WatchBook, group: &str, read: Read, now: i64) -> Vec<Message> {
        assert!(book.begin_tick(now));
        book.apply(group, read, now);
        let due = book.due(now);
        for message in &due {
            book.delivered(message, Delivery::Accepted, now);
        }
        due
    }

    #[test]
    fn a_double_delivered_tick_is_refused() {
        let mut book = book_with(&[("e1", "g")]);
        assert!(book.begin_tick(T));
        assert!(!book.begin_tick(T));
        assert!(!book.begin_tick(T - 60));
        assert!(book.begin_tick(T + 60));
    }

    #[test]
    fn a_low_is_one_message_then_repeats_and_an_acknowledged_urgent_low_waits_fifteen_minutes() {
        let mut book = book_with(&[("e1", "g")]);
        let sent = tick(&mut book, "g", data(62, T), T);
        assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["Low"]);
        assert_eq!(sent[0].payload.title, "Low: 62 mg/dL");
        assert_eq!((sent[0].urgency, sent[0].ttl), (Urgency::High, 15 * MINUTE));
        assert!(tick(&mut book, "g", data(62, T + 60), T + 60).is_empty());
        let sent = tick(&mut book, "g", data(45, T + 120), T + 120);
        assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["UrgentLow"]);
        assert!(sent[0].payload.urgent && sent[0].ttl == 5 * MINUTE);
        assert_eq!(book.act("id0", AlarmKind::UrgentLow, Action::Acknowledge, T + 130).unwrap(), 1);
        for minute in 3..=17 {
            let now = T + minute * MINUTE;
            assert!(tick(&mut book, "g", data(45, now), now).is_empty(), "muted at +{minute} min");
        }
        let now = T + 18 * MINUTE;
        assert_eq!(tick(&mut book, "g", data(45, now), now).len(), 1, "urgent low is muted 15 minutes at most");
    }

    #[test]
    fn shared_acknowledgement_reaches_every_phone_of_the_patient_only() {
        let mut book = book_with(&[("e1", "g"), ("e2", "g"), ("e3", "other")]);
        assert_eq!(book.act("id0", AlarmKind::Low, Action::Acknowledge, T).unwrap(), 1);
        book.groups.get_mut("g").unwrap().shared_ack = true;
        assert_eq!(book.act("id1", AlarmKind::Low, Action::Snooze(30), T).unwrap(), 2);
        assert!(book.subs["id0"].state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_some());
        assert!(book.subs["id2"].state.snoozed_until(AlarmKind::Low, UtcTime::from_unix_secs(T)).is_none());
    }

    #[test]
    fn busy_push_services_get_the_message_again_with_back_off_and_gone_ones_lose_the_phone() {
        let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
        assert!(book.begin_tick(T));
        book.apply("g", data(62, T), T);
        let due = book.due(T);
        assert_eq!(due.len(), 2);
        book.delivered(&due[0], Delivery::Retry(None), T);
        book.delivered(&due[1], Delivery::Gone, T);
        assert!(!book.subs.contains_key(&due[1].sub), "410 removes the phone");
        let mut tries = Vec::new();
        for minute in 1..=10 {
            let now = T + minute * MINUTE;
            for message in book.due(now) {
                tries.push(minute);
                book.delivered(&message, Delivery::Retry(None), now);
            }
        }
        assert_eq!(tries, [1, 3, 7], "next minute, then 2, 4, … minutes later");
        assert!(book.due(T + 15 * MINUTE).is_empty(), "past its TTL (15 min) a warning is dropped");
        assert!(book.outbox.is_empty());
        // A Retry-After longer than the back-off is honoured.
        let mut book = book_with(&[("e1", "g")]);
        assert!(book.begin_tick(T));
        book.apply("g", data(62, T), T);
        let due = book.due(T);
        book.delivered(&due[0], Delivery::Retry(Some(240)), T);
        assert!(book.due(T + 180).is_empty());
        assert_eq!(book.due(T + 240).len(), 1);
    }

    #[test]
    fn a_newer_alarm_replaces_a_waiting_one_and_sends_are_capped_most_urgent_first() {
        let mut book = WatchBook::default();
        let groups = ["urgent", "warn-a", "warn-b"];
        for n in 0..(SENDS_PER_INVOCATION + 5) {
            let group = if n < 5 { groups[0] } else { groups[1 + n % 2] };
            book.subscribe(new_sub(&format!("e{n}"), group), format!("id{n:02}"), "k".into(), T).unwrap_or_else(|_| {
                panic!("subscribe {n}");
            });
        }
        assert!(book.begin_tick(T));
        book.apply("warn-a", data(62, T), T);
        book.apply("warn-b", data(62, T), T);
        book.apply("urgent", data(45, T), T);
        let due = book.due(T);
        assert_eq!(due.len(), SENDS_PER_INVOCATION);
        assert!(due.iter().take(5).all(|m| m.payload.kind == "UrgentLow"), "urgent first");
        let waiting = book.outbox.len();
        let first = book.outbox[0].clone();
        book.queue(Message { created: T + 1, ..first.clone() });
        assert_eq!(book.outbox.len(), waiting, "one waiting message per topic per phone");
    }

    #[test]
    fn the_stored_book_comes_back_whole_and_a_bad_value_costs_only_itself() {
        let mut book = WatchBook::default();
        for n in 0..3 {
            book.subscribe(new_sub(&format!("e{n}"), "g"), format!("id{n}"), "k".into(), T).unwrap();
        }
        assert!(book.begin_tick(T));
        book.apply("g", data(45, T), T);
        book.act("id0", AlarmKind::UrgentLow, Action::Acknowledge, T + 30).unwrap();
        let waiting = book.due(T);
        book.delivered(&waiting[0], Delivery::Retry(Some(120)), T);
        assert!(!book.outbox.is_empty() && !book.groups["g"].series.as_slice().is_empty());
        let stored = book.to_storage();
        // This book as the build before the hand-written JSON stored it (serde's derive): it reads back whole,
        // and what is written now is the same JSON.
        let earlier: std::collections::BTreeMap<String, String> =
            serde_json::from_str(include_str!("../tests/data/stored_watch_book.json")).unwrap();
        assert_eq!(WatchBook::from_storage(earlier.clone()), (book.clone(), vec![]));
        assert_eq!(earlier.keys().collect::<Vec<_>>(), stored.keys().collect::<Vec<_>>());
        for (key, text) in &earlier {
            assert_eq!(wire::parse(text), wire::parse(&stored[key.as_str()]), "{key}");
        }
        assert_eq!(stored.keys().collect::<Vec<_>>(), ["meta", "series:g", "sub:id0", "sub:id1", "sub:id2"]);
        assert!(!stored["meta"].contains("\"mgdl\""), "readings are stored once, under series:");
        assert!(stored["series:g"].contains("\"mgdl\""));
        assert_eq!(WatchBook::from_storage(stored.clone()), (book.clone(), vec![]), "a restart loses nothing");
        let mut damaged = stored.clone();
        damaged.insert("sub:id1".into(), "{not json".into());
        damaged.insert("from-a-later-version".into(), "{}".into());
        let (restored, unreadable) = WatchBook::from_storage(damaged);
        assert_eq!(restored.subs.keys().collect::<Vec<_>>(), ["id0", "id2"]);
        assert_eq!((restored.outbox, restored.last_tick), (book.outbox.clone(), book.last_tick));
        assert_eq!(unreadable, ["from-a-later-version", "sub:id1"], "named, for the Watcher to keep");
        // An unreadable `meta` loses the groups' alarm states and the outbox, never the phones' alarms: each
        // subscription's group is there again, and the next read raises the low.
        let mut damaged = stored;
        damaged.insert("meta".into(), "{\"groups\": 42}".into());
        let (mut restored, unreadable) = WatchBook::from_storage(damaged);
        assert_eq!(unreadable, ["meta"]);
        assert_eq!(restored.groups.keys().collect::<Vec<_>>(), ["g"]);
        assert_eq!(restored.subs.len(), 3);
        assert!(restored.begin_tick(T + 10 * MINUTE));
        restored.apply("g", data(45, T + 10 * MINUTE), T + 10 * MINUTE);
        let fired = restored.due(T + 10 * MINUTE);
        // id0 acknowledged this low before the restart: its state is in its own value, and stays.
        assert_eq!(fired.iter().map(|m| m.sub.as_str()).collect::<Vec<_>>(), ["id1", "id2"]);
        assert!(fired.iter().all(|m| m.payload.kind == "UrgentLow"), "{fired:?}");
    }

    #[test]
    fn a_backlog_leaves_in_further_invocations_of_the_same_minute_and_retries_wait() {
        let mut book = WatchBook::default();
        let phones = SENDS_PER_INVOCATION + 5;
        for n in 0..phones {
            let group = if n < MAX_PER_GROUP { "a" } else { "b" };
            book.subscribe(new_sub(&format!("e{n}"), group), format!("id{n:02}"), "k".into(), T).unwrap();
        }
        assert!(book.begin_tick(T));
        book.apply("a", data(45, T), T);
        book.apply("b", data(45, T), T);
        let first = book.due(T);
        assert_eq!(first.len(), SENDS_PER_INVOCATION);
        for message in &first[1..] {
            book.delivered(message, Delivery::Accepted, T);
        }
        // The push service was busy for one: it waits for its back-off, not for the next invocation.
        book.delivered(&first[0], Delivery::Retry(None), T);
        assert!(book.more_due(T), "{} phones, one batch sent", phones);
        let second = book.due(T);
        assert_eq!(second.len(), phones - SENDS_PER_INVOCATION);
        assert!(second.iter().all(|m| first.iter().all(|f| f.sub != m.sub)), "each phone once");
        // While they are in flight, an overlapping invocation (the next cron) is not handed them again.
        assert!(book.due(T).is_empty());
        assert!(!book.more_due(T));
        for message in &second {
            book.delivered(message, Delivery::Accepted, T);
        }
        assert!(!book.more_due(T), "nothing left this minute: the invocations stop");
        assert!(book.more_due(T + MINUTE), "the busy one is tried again next minute");
    }

    #[test]
    fn the_watchdog_speaks_once_after_thirty_minutes_and_again_when_data_is_back() {
        let mut book = book_with(&[("e1", "g")]);
        assert!(tick(&mut book, "g", data(120, T), T).is_empty());
        let mut kinds = Vec::new();
        for minute in 1..=35 {
            let now = T + minute * MINUTE;
            kinds.extend(tick(&mut book, "g", Read::Unreachable, now).into_iter().map(|m| (minute, m.payload.kind)));
        }
        let outage: Vec<_> = kinds.iter().filter(|(_, k)| k == "Outage").collect();
        // Reads fail from minute 1: thirty minutes of failure is minute 31.
        assert_eq!(outage, [&(31, "Outage".to_owned())]);
        assert!(kinds.iter().any(|(m, k)| k == "StaleData" && *m == 15), "{kinds:?}");
        let back = T + 36 * MINUTE;
        let sent = tick(&mut book, "g", data(120, back), back);
        assert_eq!(sent.iter().map(|m| m.payload.kind.as_str()).collect::<Vec<_>>(), ["Recovered"]);
        let signed_out = T + 37 * MINUTE;
        let sent = tick(&mut book, "g", Read::SignedOut, signed_out);
        assert_eq!(sent[0].payload.kind, "SignedOut");
        assert!(sent[0].payload.body.starts_with("Open Tidewatch and sign in again"));
    }

    #[test]
    fn resubscribing_keeps_the_phone_and_limits_hold() {
        let mut book = book_with(&[("e1", "g")]);
        let again = book.subscribe(new_sub("e1", "g"), "new".into(), "newkey".into(), T).unwrap();
        assert_eq!((again.id.as_str(), again.key.as_str()), ("id0", "key0"));
        assert!(book.authorised("id0", "key0").is_ok());
        assert!(book.authorised("id0", "key1").is_err());
        for n in 1..MAX_PER_GROUP {
            book.subscribe(new_sub(&format!("x{n}"), "g"), format!("x{n}"), "k".into(), T).unwrap();
        }
        let full = book.subscribe(new_sub("one-more", "g"), "y".into(), "k".into(), T);
        assert_eq!(full.map(|_| ()).unwrap_err().code, "push_full");
        book.remove("id0");
        assert!(!book.subs.contains_key("id0"));
    }
    fn with_keys(endpoint: &str, group: &str, p256dh: &str, presented: Option<&str>) -> NewSubscription {
        NewSubscription { p256dh: p256dh.into(), presented_key: presented.map(Into::into), ..new_sub(endpoint, group) }
    }

    #[test]
    fn a_known_endpoint_with_other_keys_is_refused_unless_its_key_is_presented() {
        let mut book = book_with(&[("https://push.example/phone", "acct:a:p")]);
        let taken =
            book.subscribe(with_keys("https://push.example/phone", "demo:p", "other", None), "x".into(), "k".into(), T);
        assert_eq!(taken.map(|_| ()).unwrap_err().code, "push_endpoint_taken");
        let wrong = with_keys("https://push.example/phone", "demo:p", "other", Some("key1"));
        assert!(book.subscribe(wrong, "x".into(), "k".into(), T).is_err());
        let phone = &book.subs["id0"];
        assert_eq!((phone.p256dh.as_str(), phone.group.as_str()), ("p", "acct:a:p"), "nothing changed");
        let renewed = with_keys("https://push.example/phone", "acct:a:p", "new", Some("key0"));
        let sub = book.subscribe(renewed, "x".into(), "k".into(), T).unwrap();
        assert_eq!((sub.id.as_str(), sub.p256dh.as_str()), ("id0", "new"), "the phone's own key renews its keys");
    }

    fn viewer(endpoint: &str, group: &str, share: &str) -> NewSubscription {
        NewSubscription {
            access: Access::Viewer { share_id: share.into(), from: "Alex".into() },
            ..new_sub(endpoint, group)
        }
    }

    #[test]
    fn a_links_acknowledgement_never_silences_the_familys_phones() {
        let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
        book.subscribe(viewer("v1", "g", "s1"), "v1".into(), "vk".into(), T).unwrap();
        book.groups.get_mut("g").unwrap().shared_ack = true;
        assert_eq!(book.act("v1", AlarmKind::UrgentLow, Action::Acknowledge, T).unwrap(), 1, "the link's own phone");
        assert_eq!(book.act("v1", AlarmKind::Low, Action::Snooze(60), T).unwrap(), 1);
        let at = UtcTime::from_unix_secs(T);
        assert!(book.subs["id0"].state.snoozed_until(AlarmKind::Low, at).is_none());
        assert!(book.subs["v1"].state.snoozed_until(AlarmKind::Low, at).is_some());
        assert_eq!(book.act("id0", AlarmKind::Low, Action::Snooze(30), T).unwrap(), 3, "the owner's reaches all");
    }

    #[test]
    fn links_cannot_fill_a_patients_phones_and_a_revoked_links_phones_go_at_once() {
        let mut book = book_with(&[("owner", "g")]);
        for n in 0..MAX_PER_SHARE {
            book.subscribe(viewer(&format!("a{n}"), "g", "s1"), format!("a{n}"), "k".into(), T).unwrap();
        }
        let sixth = book.subscribe(viewer("a-more", "g", "s1"), "a-more".into(), "k".into(), T);
        assert_eq!(sixth.map(|_| ()).unwrap_err().code, "push_full", "one link's phones are capped");
        // More links fill the group up to the owner's reserved places.
        for n in MAX_PER_SHARE..MAX_PER_GROUP - OWNER_RESERVED {
            let share = format!("s{}", 2 + n / MAX_PER_SHARE);
            book.subscribe(viewer(&format!("b{n}"), "g", &share), format!("b{n}"), "k".into(), T).unwrap();
        }
        let full = book.subscribe(viewer("c", "g", "s99"), "c".into(), "k".into(), T);
        assert_eq!(full.map(|_| ()).unwrap_err().code, "push_full", "links leave the owner's places free");
        // A phone first subscribed elsewhere (the demo) cannot move in through a link past the caps either, and
        // a refused request changes nothing.
        book.subscribe(new_sub("elsewhere", "demo:p"), "e".into(), "k".into(), T).unwrap();
        let moved = NewSubscription { shared_ack: Some(true), ..viewer("elsewhere", "g", "s1") };
        assert_eq!(book.subscribe(moved, "x".into(), "k".into(), T).map(|_| ()).unwrap_err().code, "push_full");
        assert_eq!(book.subs["e"].group, "demo:p");
        assert!(!book.groups["g"].shared_ack);
        book.subscribe(new_sub("owner2", "g"), "o2".into(), "k".into(), T).unwrap();
        assert_eq!(book.forget_share("s1"), MAX_PER_SHARE);
        assert!(book.subs.values().all(|s| s.access.share_id() != Some("s1")));
        assert!(book.subs.contains_key("id0") && book.subs.contains_key("o2"));
    }

    #[test]
    fn a_save_writes_only_what_changed() {
        let mut book = book_with(&[("e1", "g"), ("e2", "g")]);
        let first = book.changes(&Keyed::new(), T);
        assert_eq!(first.puts.len(), 4, "meta, two phones and the group's readings");
        let mut written = first.written;
        let mut now = T;
        for minute in 1..=9 {
            now = T + minute * MINUTE;
            tick(&mut book, "g", data(120, T), now);
            let changes = book.changes(&written, now);
            if minute > 1 {
                assert!(changes.puts.is_empty() && changes.deletes.is_empty(), "nothing new at +{minute}: {changes:?}");
            }
            written = changes.written;
        }
        // New readings every minute: the readings are stored at most every 15 minutes, `meta` (the last tick) every
        // 10 as a heartbeat, nothing else.
        let (mut series_writes, mut meta_writes) = (0, 0);
        for minute in 10..=40 {
            now = T + minute * MINUTE;
            tick(&mut book, "g", data(120, now), now);
            let changes = book.changes(&written, now);
            for (key, _) in &changes.puts {
                match key.as_str() {
                    "series:g" => series_writes += 1,
                    "meta" => meta_writes += 1,
                    other => panic!("{other} written with nothing changed"),
                }
            }
            written = changes.written;
        }
        assert_eq!((series_writes, meta_writes), (2, 3), "31 minutes of new readings: 2 + 3 writes");
        book.act("id0", AlarmKind::Low, Action::Snooze(30), now).unwrap();
        let changes = book.changes(&written, now);
        assert_eq!(changes.puts.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["sub:id0"]);
        book.remove("id1");
        let changes = book.changes(&changes.written, now);
        assert_eq!(changes.deletes, ["sub:id1"]);
        assert!(changes.puts.is_empty());
    }
    #[test]
    fn an_owner_lists_and_removes_the_accounts_phones_and_a_removed_phone_stays_removed() {
        let mut book = book_with(&[("https://push.example/a1", "acct:a:p"), ("https://push.example/b1", "acct:b:p")]);
        book.subscribe(viewer("https://push.example/grandma", "acct:a:p", "s1"), "v1".into(), "vk".into(), T).unwrap();
        let mine = Holder::Account("a".into());
        let ids = |book: &WatchBook, holder: &Holder| book.phones(holder).into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids(&book, &mine), ["id0", "v1"], "the owner's phone and its link's phone, not another account's");
        assert_eq!(book.phones(&mine)[1].share_id.as_deref(), Some("s1"));
        assert!(ids(&book, &Holder::Account("".into())).is_empty(), "an empty account id is nobody's");
        assert_eq!(book.remove_phone(&mine, "id1", T).unwrap_err().code, "push_not_found", "another account's");
        book.remove_phone(&mine, "id0", T).unwrap();
        assert_eq!(ids(&book, &mine), ["v1"]);
        // Signing in again renews what is there; the removed phone cannot come back with its old subscription.
        assert_eq!(book.renew_owner("a", "sealed-new"), 0);
        let again = book.subscribe(new_sub("https://push.example/a1", "acct:a:p"), "x".into(), "k".into(), T);
        assert_eq!(again.map(|_| ()).unwrap_err().code, "phone_removed");
        let stored = WatchBook::from_storage(book.to_storage()).0;
        assert_eq!(stored.removed.len(), 1, "remembered across a restart");
        // A new subscription of that browser (alarms turned off and on there) is welcome.
        book.subscribe(new_sub("https://push.example/a1-new", "acct:a:p"), "x".into(), "k".into(), T).unwrap();
    }

    #[test]
    fn a_demo_visitor_sees_only_its_own_phones() {
        let mut book = WatchBook::default();
        for (n, session) in ["visitor-1", "visitor-2"].iter().enumerate() {
            let new = NewSubscription {
                access: Access::Owner { session: (*session).into() },
                ..new_sub(&format!("https://push.example/demo{n}"), "demo:p")
            };
            book.subscribe(new, format!("d{n}"), "k".into(), T).unwrap();
        }
        let visitor = Holder::Demo("visitor-1".into());
        assert_eq!(book.phones(&visitor).into_iter().map(|p| p.id).collect::<Vec<_>>(), ["d0"]);
        assert_eq!(book.remove_phone(&visitor, "d1", T).unwrap_err().code, "push_not_found");
        assert!(!format!("{visitor:?}").contains("visitor-1"));
    }

    #[test]
    fn a_phones_device_and_last_delivery_are_kept_and_stored_as_before_when_unknown() {
        let mut book = book_with(&[("e1", "g")]);
        let plain = wire::encode(&book.subs["id0"]);
        assert!(!plain.contains("device") && !plain.contains("delivered"), "{plain}");
        book.subs.get_mut("id0").unwrap().device = "Chrome on Android".into();
        let message = test_message(&book.subs["id0"], "Lee", T);
        book.delivered(&message, Delivery::Accepted, T + 5);
        let sub: Subscription = wire::decode(&wire::encode(&book.subs["id0"])).unwrap();
        assert_eq!((sub.device.as_str(), sub.delivered), ("Chrome on Android", Some(T + 5)));
        assert_eq!(book.phones(&Holder::Account("x".into())).len(), 0);
    }

    #[test]
    fn after_an_interruption_every_phone_is_told_from_when_to_when() {
        let mut book = book_with(&[("e1", "g"), ("e2", "other")]);
        book.subs.get_mut("id0").unwrap().config.utc_offset_min = 60;
        book.groups.get_mut("g").unwrap().name = "Lee".into();
        assert!(book.begin_tick(T) && book.begin_tick(T + 14 * MINUTE) && book.outbox.is_empty(), "a short gap");
        assert!(book.begin_tick(T + 54 * MINUTE));
        let told = book.due(T + 54 * MINUTE);
        assert_eq!(told.len(), 2, "every phone: {told:?}");
        let lee = told.iter().find(|m| m.sub == "id0").unwrap();
        assert_eq!(lee.payload.kind, "Interrupted");
        let (from, to) =
            (UtcTime::from_unix_secs(T + 14 * MINUTE + HOUR), UtcTime::from_unix_secs(T + 54 * MINUTE + HOUR));
        let hm = |t: UtcTime| {
            format!("{:02}:{:02}", t.unix_secs().rem_euclid(86_400) / 3600, t.unix_secs().rem_euclid(3600) / 60)
        };
        assert!(lee.payload.body.contains(&format!("Lee from {} to {}", hm(from), hm(to))), "{}", lee.payload.body);
        // A restart between ticks reads the last tick back (written at least every 10 minutes): not an interruption.
        book.outbox.clear();
        let mut storage = std::collections::BTreeMap::new();
        let mut written = Keyed::new();
        for minute in 55..=70 {
            let now = T + minute * MINUTE;
            assert!(book.begin_tick(now));
            let changes = book.changes(&written, now);
            storage.extend(changes.puts);
            written = changes.written;
        }
        let mut restarted = WatchBook::from_storage(storage).0;
        assert!(restarted.last_tick.is_some_and(|last| T + 70 * MINUTE - last < HEARTBEAT_SECS), "a stale tick");
        assert!(restarted.begin_tick(T + 71 * MINUTE));
        assert!(restarted.outbox.is_empty(), "{:?}", restarted.outbox);
    }
}
