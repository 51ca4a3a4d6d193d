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
//!   each phone is told once, and told again when data flows. A week before the session the alarms read with
//!   reaches its end (its LLU ticket stopped rolling forward), each phone is told once, so nobody finds the alarms
//!   stopped at 3 a.m.; when it has ended, they are told that too.
//! - **Acknowledgement:** "I'm on it" or "Snooze" from one phone applies to that phone, or to every phone
//!   following the patient when the owner chose shared acknowledgement (as Nightscout does) and the phone is one
//!   of the owner's: a read-only link never silences anyone else's alarms.
//! - **A phone is its browser's.** A known push endpoint presented with other keys is refused unless the phone's
//!   own key comes with it, so whoever learns an endpoint can neither take its `{id, key}` nor break its alarms.

mod book;
mod loud;
pub use self::loud::{LOUD_TRIES, LOUD_TTL_SECS, LoudMessage};
/// How the rest of the worker asks the `Watcher` objects.
pub mod client;
mod messages;
mod notes;
mod receipts;
mod rota;
pub use shared::rota::RotaView;
/// What the worker and a `Watcher` say to each other.
pub mod requests;
mod stored;
pub use self::stored::{Changes, Written};
#[cfg(test)]
mod tests;
mod tick;
/// The `Watcher` Durable Object: one per account, its book, its minute, its pushes.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod watcher;

use self::messages::*;
pub use self::messages::{test_message, topic_of};

use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmKind, AlarmState, Alert, Level};
use shared::reading::{Reading, Series};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::GlucoseUnit;

pub use shared::phones::{Interruption, LostPhone, PhoneInfo};

use crate::error::ApiError;
/// Text keys to values, in key order: a sorted vector (lookups by binary search), for a few hundred entries at most.
pub type Keyed<V> = litemap::LiteMap<String, V>;

/// A [`Keyed`] map as a JSON object, also when empty (litemap writes an empty map as a list).
fn keyed_as_map<V: serde::Serialize, S: serde::Serializer>(map: &Keyed<V>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter())
}

/// Whether a flag is off (written only when on).
fn is_false(flag: &bool) -> bool {
    !*flag
}
use crate::shares::{ShareSession, constant_time_eq};
use crate::wire::{self, Value};

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
/// How long before the alarms' session ends each phone is told (once; again if it is renewed and nears its end).
pub const SESSION_NOTICE_SECS: i64 = 7 * 24 * HOUR;
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
/// Lost phones a patient's group remembers at most (the latest).
pub const MAX_LOST: usize = 10;
/// How long an interruption, or a lost phone, stays in the owner's list of phones.
pub const KEEP_INTERRUPTIONS_SECS: i64 = 7 * shared::time::DAY;
/// How long a demo visitor's phone gets the demo's alarms: as long as a demo visit lasts (`demo::DEMO_SESSION_SECS`).
/// Then it goes by itself, so the demo's object never fills with phones nobody can turn off.
pub const DEMO_PHONE_SECS: i64 = 30 * shared::time::DAY;
/// Interruptions kept at most (the latest).
pub const MAX_INTERRUPTIONS: usize = 5;
/// A group's readings are stored at most this often (LibreLinkUp's graph brings 12 hours back at the next read).
pub const SERIES_WRITE_SECS: i64 = 15 * MINUTE;
/// The plaintext is padded to a multiple of this, so a push's length does not tell which alarm it carries.
pub const PAD_BUCKET: usize = 256;

/// How a subscription reads its patient.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
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
        /// The owner let this link acknowledge for everyone ([`crate::shares::Share::acts_for_all`]).
        #[serde(default, skip_serializing_if = "is_false")]
        acts_for_all: bool,
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
            .field("group", &self.setup.group)
            .field("access", &self.setup.access)
            .field("told", &self.told)
            .finish_non_exhaustive()
    }
}

/// Never the browser's keys, its endpoint or a presented key.
impl core::fmt::Debug for NewSubscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NewSubscription")
            .field("group", &self.setup.group)
            .field("access", &self.setup.access)
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

/// What a phone subscribes with: where its pushes go, whom it follows and how, and its alarm settings. A new
/// subscription brings it, and the stored subscription keeps it (flattened: the same JSON as before it was one type).
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhoneSetup {
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
}

/// One phone that wants background alarms for one patient.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Subscription {
    /// Public id (16 hex digits).
    pub id: String,
    /// The capability the phone and its service worker present to acknowledge, test and unsubscribe.
    pub key: String,
    /// Where its pushes go, whom it follows and how, and its settings, as it subscribed (or last changed them).
    #[serde(flatten)]
    pub setup: PhoneSetup,
    /// This phone's alarm state.
    pub state: AlarmState,
    /// Unix seconds.
    pub created: i64,
    /// Whether this phone was told about the current outage or sign-out.
    pub told: Option<Notice>,
    /// What the phone is, from its browser ("Chrome on Android"), for its owner's list.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device: String,
    /// When a push service last accepted a push for it, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<i64>,
    /// When its service worker last confirmed a push (a receipt), Unix seconds: the last alarm that reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<i64>,
    /// Since when a push accepted for it waits for its receipt (only for a phone that has confirmed before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<i64>,
    /// The others were told it has not received alarms since [`Subscription::received`].
    #[serde(default, skip_serializing_if = "is_false")]
    pub missing_told: bool,
    /// Its loud channel (ntfy, Pushover, a webhook): the night shift's last rung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loud: Option<shared::loud::Loud>,
    /// When its loud channel was last sent to, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loud_at: Option<i64>,
    /// What it answered then (HTTP status; 0: no answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loud_status: Option<u16>,
}

/// What a group's last read said, for the watchdog.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// LibreLinkUp could not be reached.
    Outage,
    /// LibreLinkUp refused the session (or the share ended).
    SignedOut,
    /// The session the alarms read with ends within [`SESSION_NOTICE_SECS`]: data still flow.
    SessionEnds,
}

/// What the book remembers per patient group. Every field may be absent in JSON (the default).
#[derive(Clone, PartialEq, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor_ends: Option<i64>,
    /// When the alarms' session ends, Unix seconds, once that is within [`SESSION_NOTICE_SECS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_ends: Option<i64>,
    /// The family's rota for this patient (none: every phone gets every alarm at once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rota: Option<shared::rota::Rota>,
    /// Alarms going round the rota now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub escalations: Vec<shared::rota::Escalation>,
    /// The night log: who was woken, who answered, who took over.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<shared::rota::Step>,
    /// Phones of this patient whose push service ended them this week, the latest last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<LostPhone>,
    /// The family's notes on the patient ("15 g juice"), oldest first, two weeks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<shared::notes::Note>,
    /// "Tonight's alarm test": when every phone gets a silent push to confirm, each day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_test: Option<shared::phones::AlarmTest>,
    /// When the last alarm test went out, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_test_sent: Option<i64>,
}

/// A push waiting to go out.
#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
        /// When the session it was read with ends, Unix seconds.
        session_ends: Option<i64>,
    },
    /// LibreLinkUp (or the network) failed.
    Unreachable,
    /// The session was refused or expired; no point retrying until the owner signs in.
    SignedOut,
}

/// The whole book.
#[derive(Clone, PartialEq, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct WatchBook {
    /// Subscriptions by id.
    #[serde(serialize_with = "keyed_as_map")]
    pub subs: Keyed<Subscription>,
    /// Groups by key.
    #[serde(serialize_with = "keyed_as_map")]
    pub groups: Keyed<Group>,
    /// Waiting pushes.
    pub outbox: Vec<Message>,
    /// The last tick's scheduled time, Unix seconds.
    pub last_tick: Option<i64>,
    /// Phones their owner removed: SHA-256 of the push endpoint, and when. Such an endpoint cannot subscribe
    /// again (a sign-in, a settings change), only a new one from that browser (its alarms turned off and on).
    #[serde(default, skip_serializing_if = "Keyed::is_empty", serialize_with = "keyed_as_map")]
    pub removed: Keyed<i64>,
    /// When background alarms were interrupted (no tick for longer than [`INTERRUPTION_SECS`]), the latest last:
    /// every phone was told by a push, and the owner's list of phones says it too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interruptions: Vec<Interruption>,
    /// Waiting messages for phones' loud channels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub loud_outbox: Vec<LoudMessage>,
}

/// Whose phones a caller may list and remove: an account's (its owners' phones and its links' phones), or, for
/// a demo visitor, the phones subscribed with that visitor's own session (the demo's groups are everyone's).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Holder {
    /// The account id.
    #[serde(rename = "account")]
    Account(String),
    /// The demo visitor's sealed session.
    #[serde(rename = "demo_session")]
    Demo(String),
}

impl Holder {
    fn holds(&self, sub: &Subscription) -> bool {
        match self {
            Holder::Account(account) => sub
                .setup
                .group
                .strip_prefix("acct:")
                .and_then(|rest| rest.strip_prefix(account.as_str()))
                .is_some_and(|rest| rest.starts_with(':')),
            Holder::Demo(session) => matches!(&sub.setup.access, Access::Owner { session: held } if held == session),
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

/// The key a removed phone's endpoint is remembered by.
fn endpoint_hash(endpoint: &str) -> String {
    crate::seal::sha256_hex(endpoint)
}

/// What a subscribe request brings, checked.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NewSubscription {
    /// The phone's push address, whom it follows and its settings.
    #[serde(flatten)]
    pub setup: PhoneSetup,
    /// The owner's shared-acknowledgement choice (owners only).
    pub shared_ack: Option<bool>,
    /// The key the phone holds, when it has one: needed to give a known endpoint other keys.
    pub presented_key: Option<String>,
    /// What the phone is ("Chrome on Android").
    #[serde(default)]
    pub device: String,
    /// The client network it came from (`policy::client_network`), for the per-client limit.
    #[serde(default)]
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
