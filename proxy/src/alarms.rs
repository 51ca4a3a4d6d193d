//! Background alarms over Web Push: the app's subscribe/acknowledge API (`/api/push/…`), the Cron Trigger, and
//! the `Watcher` Durable Object that keeps the [`WatchBook`] and sends the pushes.
//!
//! Alarms live in one `Watcher` per account (its own phones and its links'), one for the demo, and for the phones
//! it still has, the one object of earlier builds (see [`crate::watch::route`]). The cron handler does almost
//! nothing itself: it hands the scheduled minute to every `Watcher` in the round ([`crate::rounds`]), each of whose
//! own invocations does the work (reading each patient once through the shared cache, stepping each phone's
//! alarms, encrypting and sending). One invocation sends at most [`crate::watch::SENDS_PER_INVOCATION`] pushes and
//! starts the next at once (a Durable Object alarm) for the rest, so each stays inside the free plan's 10 ms of CPU
//! and 50 subrequests however many phones ring. The book is stored per subscription and per group (Durable Object
//! values are limited to 128 KiB each), after every change and before any push leaves, so a restart loses nothing.

use std::cell::RefCell;
use std::rc::Rc;

use push::ece::{self, Receiver};
use push::vapid::{self, VapidKey};
use serde_json::{Value, json};
use shared::alarm::{AlarmConfig, AlarmKind};
use shared::units::GlucoseUnit;
use worker::{DurableObject, Env, Fetch, Request, Response, State, durable_object, web_sys};

use crate::config::{Config, PushConfig};
use crate::error::{ApiError, ApiResult};
use crate::facade::{self, Ctx};
use crate::hub::Data;
use crate::policy;
use crate::reply::Reply;
use crate::rounds::{self, RoundsAnswer, RoundsRequest};
use crate::seal::{Kind, Session, random_hex, sha256_hex};
use crate::shares::{Key, ShareAnswer, ShareRequest, ShareSession};
use crate::sharing;
use crate::storage;
use crate::watch::route;
use crate::watch::{
    Access, Action, Delivery, Holder, Interruption, Keyed, Message, NewSubscription, PhoneInfo, Read, WatchBook,
    Written,
};
use crate::wire::{self, Wire};

/// The binding.
const BINDING: &str = "WATCH";
/// "I'm on it"/"Snooze" one phone may send per minute (a person taps a few; a loop that would rewrite storage does not).
const ACTS_PER_PHONE: u32 = 10;
/// Test pushes one phone may ask for per minute.
const TESTS_PER_PHONE: u32 = 2;
/// The longest a push service may take to answer before the message is retried next minute.
const SEND_TIMEOUT_MS: u64 = 10_000;
/// What the app sends to subscribe (or to update this phone's settings): `{"subscription":
/// PushSubscription.toJSON(), "patientId", "config", "unit", "sharedAck", "key"}`, nothing else (`key`: the key
/// the phone already holds, if any).
struct SubscribeBody {
    endpoint: String,
    p256dh: String,
    auth: String,
    patient_id: Option<String>,
    config: Option<AlarmConfig>,
    unit: Option<GlucoseUnit>,
    shared_ack: Option<bool>,
    key: Option<String>,
}

impl SubscribeBody {
    const FIELDS: [&str; 6] = ["subscription", "patientId", "config", "unit", "sharedAck", "key"];

    fn read(value: &Value) -> Option<SubscribeBody> {
        if !value.as_object()?.keys().all(|key| SubscribeBody::FIELDS.contains(&key.as_str())) {
            return None;
        }
        let subscription = value.get("subscription")?;
        let keys = subscription.get("keys")?;
        Some(SubscribeBody {
            endpoint: wire::get(subscription, "endpoint")?,
            p256dh: wire::get(keys, "p256dh")?,
            auth: wire::get(keys, "auth")?,
            patient_id: wire::get(value, "patientId")?,
            config: wire::get(value, "config")?,
            unit: wire::get(value, "unit")?,
            shared_ack: wire::get(value, "sharedAck")?,
            key: wire::get(value, "key")?,
        })
    }
}

/// A phone presenting its subscription id and key: `{"id", "key", "kind"?, "action"?, "minutes"?}`.
struct Presented {
    id: String,
    key: String,
    kind: Option<AlarmKind>,
    action: Option<String>,
    minutes: Option<i64>,
}

impl Presented {
    fn read(value: &Value) -> Option<Presented> {
        Some(Presented {
            id: wire::get(value, "id")?,
            key: wire::get(value, "key")?,
            kind: wire::get(value, "kind")?,
            action: wire::get(value, "action")?,
            minutes: wire::get(value, "minutes")?,
        })
    }
}

/// What the worker asks the `Watcher` object (a message serialised once per request: its size does not matter).
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum WatchRequest {
    /// Add or update a subscription (with a fresh id and key, used only if it is new).
    Subscribe {
        /// The subscription, checked.
        new: NewSubscription,
        /// Id if new.
        id: String,
        /// Key if new.
        key: String,
    },
    /// Remove one.
    Unsubscribe {
        /// Id.
        id: String,
        /// Key.
        key: String,
    },
    /// Send a test push now.
    Test {
        /// Id.
        id: String,
        /// Key.
        key: String,
    },
    /// "I'm on it" or "Snooze".
    Act {
        /// Id.
        id: String,
        /// Key.
        key: String,
        /// Which alarm.
        kind: AlarmKind,
        /// Snooze minutes, or `None` for "I'm on it".
        snooze_min: Option<i64>,
    },
    /// The cron's minute.
    Tick {
        /// Scheduled time, Unix seconds.
        now: i64,
    },
    /// The phones a holder may see.
    Phones {
        /// Whose.
        holder: Holder,
    },
    /// A holder removes one of its phones.
    RemovePhone {
        /// Whose.
        holder: Holder,
        /// Which.
        id: String,
    },
    /// A share was revoked: its phones go now.
    ForgetShare {
        /// The share's id.
        share_id: String,
    },
    /// The account signed in again: its owners' phones read through this new session from now on.
    Renew {
        /// The account (`account-id`).
        account_id: String,
        /// The new sealed session.
        session: String,
    },
    /// The phone with this push endpoint moved to another object: it goes from this one.
    ForgetEndpoint {
        /// The push endpoint.
        endpoint: String,
    },
}

/// Never a phone's key or a session.
impl core::fmt::Debug for WatchRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WatchRequest::Subscribe { new, id, .. } => {
                f.debug_struct("Subscribe").field("new", new).field("id", id).finish_non_exhaustive()
            }
            WatchRequest::Unsubscribe { id, .. } => {
                f.debug_struct("Unsubscribe").field("id", id).finish_non_exhaustive()
            }
            WatchRequest::Test { id, .. } => f.debug_struct("Test").field("id", id).finish_non_exhaustive(),
            WatchRequest::Act { id, kind, snooze_min, .. } => f
                .debug_struct("Act")
                .field("id", id)
                .field("kind", kind)
                .field("snooze_min", snooze_min)
                .finish_non_exhaustive(),
            WatchRequest::Tick { now } => f.debug_struct("Tick").field("now", now).finish(),
            WatchRequest::ForgetShare { share_id } => {
                f.debug_struct("ForgetShare").field("share_id", share_id).finish()
            }
            WatchRequest::Phones { holder } => f.debug_struct("Phones").field("holder", holder).finish(),
            WatchRequest::RemovePhone { holder, id } => {
                f.debug_struct("RemovePhone").field("holder", holder).field("id", id).finish()
            }
            WatchRequest::Renew { account_id, .. } => {
                f.debug_struct("Renew").field("account_id", account_id).finish_non_exhaustive()
            }
            WatchRequest::ForgetEndpoint { .. } => f.debug_struct("ForgetEndpoint").finish_non_exhaustive(),
        }
    }
}

/// What the `Watcher` answers.
#[derive(Clone, Debug)]
pub enum WatchAnswer {
    /// Subscribed.
    Subscribed {
        /// Id.
        id: String,
        /// Key.
        key: String,
        /// The group's shared-acknowledgement choice.
        shared_ack: bool,
    },
    /// Done, applied to this many phones.
    Done(usize),
    /// The phones asked for, and the recent interruptions of the background alarms (when it has any phone).
    Phones {
        /// The phones.
        phones: Vec<PhoneInfo>,
        /// The interruptions of the last week, the latest last.
        interruptions: Vec<Interruption>,
    },
    /// A test push's push-service status.
    Sent(u16),
    /// A tick ran (or was a duplicate): groups read, pushes sent.
    Ticked {
        /// False for a duplicate delivery.
        ran: bool,
        /// Groups read.
        groups: usize,
        /// Subscriptions stepped.
        subs: usize,
        /// Pushes accepted by push services.
        sent: usize,
    },
    /// It failed.
    Error(ApiError),
}

impl Wire for WatchRequest {
    fn to_wire(&self) -> Value {
        let id_key = |id: &String, key: &String| vec![("id", id.to_wire()), ("key", key.to_wire())];
        let (name, fields) = match self {
            WatchRequest::Subscribe { new, id, key } => {
                let mut fields = id_key(id, key);
                fields.push(("new", new.to_wire()));
                ("subscribe", fields)
            }
            WatchRequest::Unsubscribe { id, key } => ("unsubscribe", id_key(id, key)),
            WatchRequest::Test { id, key } => ("test", id_key(id, key)),
            WatchRequest::Act { id, key, kind, snooze_min } => {
                let mut fields = id_key(id, key);
                fields.push(("kind", kind.to_wire()));
                fields.push(("snooze_min", snooze_min.to_wire()));
                ("act", fields)
            }
            WatchRequest::Tick { now } => ("tick", vec![("now", now.to_wire())]),
            WatchRequest::Renew { account_id, session } => {
                ("renew", vec![("account_id", account_id.to_wire()), ("session", session.to_wire())])
            }
            WatchRequest::ForgetShare { share_id } => ("forget_share", vec![("share_id", share_id.to_wire())]),
            WatchRequest::ForgetEndpoint { endpoint } => ("forget_endpoint", vec![("endpoint", endpoint.to_wire())]),
            WatchRequest::Phones { holder } => ("phones", holder_fields(holder)),
            WatchRequest::RemovePhone { holder, id } => {
                let mut fields = holder_fields(holder);
                fields.push(("id", id.to_wire()));
                ("remove_phone", fields)
            }
        };
        wire::variant(name, Some(wire::object(fields)))
    }

    fn from_wire(value: &Value) -> Option<WatchRequest> {
        let (name, content) = wire::read_variant(value)?;
        let id = || wire::get::<String>(content, "id");
        let key = || wire::get::<String>(content, "key");
        Some(match name {
            "subscribe" => WatchRequest::Subscribe { new: wire::get(content, "new")?, id: id()?, key: key()? },
            "unsubscribe" => WatchRequest::Unsubscribe { id: id()?, key: key()? },
            "test" => WatchRequest::Test { id: id()?, key: key()? },
            "act" => WatchRequest::Act {
                id: id()?,
                key: key()?,
                kind: wire::get(content, "kind")?,
                snooze_min: wire::get(content, "snooze_min")?,
            },
            "tick" => WatchRequest::Tick { now: wire::get(content, "now")? },
            "renew" => WatchRequest::Renew {
                account_id: wire::get(content, "account_id")?,
                session: wire::get(content, "session")?,
            },
            "forget_share" => WatchRequest::ForgetShare { share_id: wire::get(content, "share_id")? },
            "forget_endpoint" => WatchRequest::ForgetEndpoint { endpoint: wire::get(content, "endpoint")? },
            "phones" => WatchRequest::Phones { holder: read_holder(content)? },
            "remove_phone" => WatchRequest::RemovePhone { holder: read_holder(content)?, id: id()? },
            _ => return None,
        })
    }
}

/// A holder as a request's fields: `account` or `demo_session`.
fn holder_fields(holder: &Holder) -> Vec<(&'static str, Value)> {
    match holder {
        Holder::Account(account) => vec![("account", account.to_wire())],
        Holder::Demo(session) => vec![("demo_session", session.to_wire())],
    }
}

fn read_holder(content: &Value) -> Option<Holder> {
    match (wire::get::<Option<String>>(content, "account")?, wire::get::<Option<String>>(content, "demo_session")?) {
        (Some(account), None) => Some(Holder::Account(account)),
        (None, Some(session)) => Some(Holder::Demo(session)),
        _ => None,
    }
}

impl Wire for WatchAnswer {
    fn to_wire(&self) -> Value {
        match self {
            WatchAnswer::Subscribed { id, key, shared_ack } => wire::variant(
                "subscribed",
                Some(wire::object(vec![
                    ("id", id.to_wire()),
                    ("key", key.to_wire()),
                    ("shared_ack", shared_ack.to_wire()),
                ])),
            ),
            WatchAnswer::Done(phones) => wire::variant("done", Some(phones.to_wire())),
            WatchAnswer::Phones { phones, interruptions } => wire::variant(
                "phones",
                Some(wire::object(vec![("phones", wire::list(phones)), ("interruptions", interruptions.to_wire())])),
            ),
            WatchAnswer::Sent(status) => wire::variant("sent", Some(status.to_wire())),
            WatchAnswer::Ticked { ran, groups, subs, sent } => wire::variant(
                "ticked",
                Some(wire::object(vec![
                    ("ran", ran.to_wire()),
                    ("groups", groups.to_wire()),
                    ("subs", subs.to_wire()),
                    ("sent", sent.to_wire()),
                ])),
            ),
            WatchAnswer::Error(error) => wire::variant("error", Some(error.to_wire())),
        }
    }

    fn from_wire(value: &Value) -> Option<WatchAnswer> {
        let (name, content) = wire::read_variant(value)?;
        Some(match name {
            "subscribed" => WatchAnswer::Subscribed {
                id: wire::get(content, "id")?,
                key: wire::get(content, "key")?,
                shared_ack: wire::get(content, "shared_ack")?,
            },
            "done" => WatchAnswer::Done(usize::from_wire(content)?),
            "phones" => WatchAnswer::Phones {
                phones: wire::read_list(content.get("phones")?)?,
                interruptions: wire::get(content, "interruptions")?,
            },
            "sent" => WatchAnswer::Sent(u16::from_wire(content)?),
            "ticked" => WatchAnswer::Ticked {
                ran: wire::get(content, "ran")?,
                groups: wire::get(content, "groups")?,
                subs: wire::get(content, "subs")?,
                sent: wire::get(content, "sent")?,
            },
            "error" => WatchAnswer::Error(ApiError::from_wire(content)?),
            _ => return None,
        })
    }
}

/// `GET /api/push/key`: the VAPID public key browsers subscribe with.
pub fn key(ctx: &Ctx) -> ApiResult<Reply> {
    let public = ctx.config.push.public_key.clone().ok_or_else(not_configured)?;
    Ok(Reply::json(json!({ "publicKey": public })))
}

/// `POST /api/push/subscribe`: the owner's phone (session) or a viewer's (`Authorization: Share <secret>`).
pub async fn subscribe(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    if ctx.config.push.public_key.is_none() || ctx.config.push.private_key.is_none() {
        return Err(not_configured());
    }
    let share_secret = sharing::share_secret(req);
    let body = facade::read_body(req).await?;
    let body = facade::body_json(&body).as_ref().and_then(SubscribeBody::read).ok_or_else(|| {
        ApiError::bad_request(
            "Send {\"subscription\": PushSubscription.toJSON(), \"patientId\", \"config\", \"unit\"}.",
        )
    })?;
    let endpoint = body.endpoint.trim().to_owned();
    if crate::endpoint::push_audience(&endpoint, &ctx.config.push).is_none() {
        return Err(ApiError::bad_request("That is not a browser push service this server sends to."));
    }
    Receiver::from_base64(&body.p256dh, &body.auth)
        .map_err(|e| ApiError::bad_request(&format!("The subscription's keys are wrong: {e}.")))?;
    let (group, patient_id, access, shared_ack) = match share_secret {
        Some(secret) => {
            let share = sharing::open(ctx, req, Key::Sha256(sha256_hex(&secret))).await?;
            if !share.alarms {
                return Err(ApiError::new(403, "alarms_not_shared", "Whoever shared this link did not share alarms."));
            }
            let session = ctx.config.key.open(&share.session, ctx.now).map_err(|_| {
                ApiError::new(503, "owner_signed_out", &format!("Ask {} to sign in to Tidewatch again.", share.from))
            })?;
            let access = Access::Viewer {
                share_id: share.id.clone(),
                from: share.from.clone(),
                acts_for_all: share.acts_for_all,
            };
            (group_key(&session, &share.patient_id), share.patient_id, access, None)
        }
        None => {
            let (session, token) = facade::session(ctx, req).await?;
            if !matches!(session.kind, Kind::Full | Kind::Demo) {
                return Err(ApiError::wrong_session("Accept LibreLinkUp's documents first."));
            }
            let patient_id = body.patient_id.as_deref().unwrap_or_default().to_ascii_lowercase();
            if !policy::is_patient_id(&patient_id) || !sharing::follows(ctx, &session, &patient_id).await? {
                return Err(ApiError::new(404, "patient_not_followed", "This account does not follow that person."));
            }
            let held = facade::held_token(ctx, &session, &token);
            (group_key(&session, &patient_id), patient_id, Access::Owner { session: held }, body.shared_ack)
        }
    };
    let route = route::group_route(&group).ok_or_else(ApiError::internal)?;
    let object = route::object(&route);
    let new = NewSubscription {
        endpoint: endpoint.clone(),
        p256dh: body.p256dh,
        auth: body.auth,
        group,
        patient_id,
        access,
        config: body.config.unwrap_or_default(),
        unit: body.unit.unwrap_or(GlucoseUnit::MgDl),
        shared_ack,
        presented_key: body.key,
        device: crate::device::label(&req.headers().get("user-agent").ok().flatten().unwrap_or_default()),
        client: policy::client_network(&req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default()),
    };
    let request = WatchRequest::Subscribe { new, id: route::phone_id(&route, &random_hex(8)), key: random_hex(16) };
    let WatchAnswer::Subscribed { id, key, shared_ack } = ask_watch(&ctx.env, &object, &request).await? else {
        return Err(ApiError::internal());
    };
    // In the round only once the phone is stored, so no phone is ever in an object the minute does not visit. If
    // it cannot be added, the phone is told: its app asks again (the same subscription, nothing doubled).
    if rounds::ask(&ctx.env, &RoundsRequest::Add(object)).await.is_err() {
        return Err(ApiError::new(
            503,
            "alarms_not_started",
            "The alarms could not be started just now. Try again in a moment.",
        ));
    }
    // The object of earlier builds forgets this phone, if it had it (it has moved here).
    let moved = WatchRequest::ForgetEndpoint { endpoint };
    if ask_watch(&ctx.env, rounds::LEGACY_WATCHER, &moved).await.is_err() {
        worker::console_error!("watcher: a phone that moved may still be in the earlier object");
    }
    Ok(Reply::json(json!({"id": id, "key": key, "sharedAck": shared_ack})))
}

/// `POST /api/push/unsubscribe`, `/api/push/test` and `/api/push/ack`: a phone presenting `{id, key}`.
pub async fn presented(ctx: &Ctx, req: &mut Request, what: Presenting) -> ApiResult<Reply> {
    let body = facade::read_body(req).await?;
    let p = facade::body_json(&body)
        .as_ref()
        .and_then(Presented::read)
        .ok_or_else(|| ApiError::bad_request("Send {\"id\", \"key\"} as JSON."))?;
    let object = route::object_of_phone(&p.id, rounds::LEGACY_WATCHER)
        .ok_or_else(|| ApiError::new(404, "push_not_found", "This phone is not subscribed any more."))?;
    let request = match what {
        Presenting::Unsubscribe => WatchRequest::Unsubscribe { id: p.id, key: p.key },
        Presenting::Test => {
            if ctx.config.push.private_key.is_none() {
                return Err(not_configured());
            }
            WatchRequest::Test { id: p.id, key: p.key }
        }
        Presenting::Act => {
            let kind = p.kind.ok_or_else(|| ApiError::bad_request("Say which alarm (\"kind\")."))?;
            let snooze_min = match p.action.as_deref() {
                Some("ack") => None,
                Some("snooze") => Some(p.minutes.unwrap_or(15).clamp(1, 12 * 60)),
                _ => return Err(ApiError::bad_request("\"action\" is \"ack\" or \"snooze\".")),
            };
            WatchRequest::Act { id: p.id, key: p.key, kind, snooze_min }
        }
    };
    match ask_watch(&ctx.env, &object, &request).await? {
        WatchAnswer::Done(phones) => Ok(Reply::json(json!({"ok": true, "phones": phones}))),
        WatchAnswer::Sent(status) => Ok(Reply::json(json!({"ok": (200..300).contains(&status), "status": status}))),
        _ => Err(ApiError::internal()),
    }
}

/// Which `{id, key}` call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Presenting {
    /// `POST /api/push/unsubscribe`.
    Unsubscribe,
    /// `POST /api/push/test`.
    Test,
    /// `POST /api/push/ack`.
    Act,
}

/// The Cron Trigger: hands the scheduled minute to every `Watcher` in the round, side by side, and drops from the
/// round those that have no phone left. One object's failure is logged and does not stop the others'.
pub async fn tick(env: &Env, scheduled_ms: f64) -> ApiResult<WatchAnswer> {
    let now = (scheduled_ms / 1000.0).floor() as i64;
    let asked_ms = worker::Date::now().as_millis() as i64;
    let RoundsAnswer::List(names) = rounds::ask(env, &RoundsRequest::List).await? else {
        return Err(ApiError::internal());
    };
    let request = WatchRequest::Tick { now };
    let answers = crate::join::all(names.iter().map(|name| ask_watch(env, name, &request))).await;
    let (mut ran, mut groups, mut subs, mut sent) = (false, 0, 0, 0);
    let mut empty = Vec::new();
    for (name, answer) in names.iter().zip(answers) {
        match answer {
            Ok(WatchAnswer::Ticked { ran: true, subs: 0, .. }) => {
                ran = true;
                empty.push(name.clone());
            }
            Ok(WatchAnswer::Ticked { ran: r, groups: g, subs: s, sent: n }) => {
                ran |= r;
                (groups, subs, sent) = (groups + g, subs + s, sent + n);
            }
            Ok(_) => worker::console_error!("alarm tick: {name} answered something else"),
            Err(error) => worker::console_error!("alarm tick: {name} failed: {} ({})", error.code, error.message),
        }
    }
    if !empty.is_empty()
        && rounds::ask(env, &RoundsRequest::DropEmpty { names: empty, seen_ms: asked_ms }).await.is_err()
    {
        worker::console_error!("alarm tick: empty objects stay in the round until the next minute");
    }
    Ok(WatchAnswer::Ticked { ran, groups, subs, sent })
}

/// The patient group of a session: the account (or the demo) and the patient.
pub fn group_key(session: &Session, patient_id: &str) -> String {
    match session.kind {
        Kind::Demo => format!("demo:{patient_id}"),
        _ => format!("acct:{}:{patient_id}", session.account_id),
    }
}

fn not_configured() -> ApiError {
    ApiError::new(503, "push_not_configured", "This server has no VAPID keys, so it cannot send alarms to phones.")
}

/// A full sign-in of `account_id`: the account owner's phones read through `sealed` from now on, so alarms that
/// stopped because LibreLinkUp ended the old session start again. A failure is logged, never the sign-in's.
pub async fn renew(env: &Env, account_id: &str, sealed: &str) {
    let request = WatchRequest::Renew { account_id: account_id.to_owned(), session: sealed.to_owned() };
    // The account's object, and the object of earlier builds for the phones it still has.
    for object in [route::object(&route::account_route(account_id)), rounds::LEGACY_WATCHER.to_owned()] {
        if ask_watch(env, &object, &request).await.is_err() {
            worker::console_error!("watcher: the owner's phones could not take the new session");
        }
    }
}

/// `GET /api/push/phones`: every phone that gets this account's alarms (the owner's and its links'), for its
/// owner to see and remove.
pub async fn phones(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let holder = holder(ctx, req).await?;
    match ask_watch(&ctx.env, &holder_object(&holder), &WatchRequest::Phones { holder }).await? {
        WatchAnswer::Phones { phones, interruptions } => Ok(Reply::json(json!({
            "phones": wire::list(&phones),
            "interruptions": interruptions.to_wire(),
        }))),
        _ => Err(ApiError::internal()),
    }
}

/// `DELETE /api/push/phones/{id}`: the owner removes a phone (a lost one, a former family member's). It stays
/// removed: signing in again does not bring it back.
pub async fn remove_phone(ctx: &Ctx, req: &Request, id: String) -> ApiResult<Reply> {
    let holder = holder(ctx, req).await?;
    ask_watch(&ctx.env, &holder_object(&holder), &WatchRequest::RemovePhone { holder, id }).await?;
    Ok(Reply::json(json!({ "removed": true })))
}

/// Whose phones the caller's session may see: its account's, or a demo visitor's own.
async fn holder(ctx: &Ctx, req: &Request) -> ApiResult<Holder> {
    let (session, token) = facade::session(ctx, req).await?;
    match session.kind {
        Kind::Full => Ok(Holder::Account(session.account_id)),
        Kind::Demo => Ok(Holder::Demo(token)),
        _ => Err(ApiError::wrong_session("Accept LibreLinkUp's documents first.")),
    }
}

/// The object of a holder's phones.
fn holder_object(holder: &Holder) -> String {
    match holder {
        Holder::Account(account) => route::object(&route::account_route(account)),
        Holder::Demo(_) => route::object(&route::owner_route("demo:")),
    }
}

/// A share of `owner` was revoked: its phones are removed now (the next tick would too; a failure is logged, never
/// the revocation's).
pub async fn forget_share(env: &Env, owner: &str, share_id: &str) {
    let object = route::object(&route::owner_route(owner));
    if ask_watch(env, &object, &WatchRequest::ForgetShare { share_id: share_id.to_owned() }).await.is_err() {
        worker::console_error!("watcher: a revoked link's phones stay until the next tick");
    }
}

async fn ask_watch(env: &Env, object: &str, request: &WatchRequest) -> ApiResult<WatchAnswer> {
    let answer = facade::ask_object_text(env, BINDING, object, wire::encode(request)).await?;
    match wire::decode(&answer).ok_or_else(ApiError::internal)? {
        WatchAnswer::Error(error) => Err(error),
        answer => Ok(answer),
    }
}

/// The `Watcher` Durable Object: the one watch book.
#[durable_object]
pub struct Watcher {
    state: State,
    env: Env,
    book: RefCell<Option<WatchBook>>,
    /// What storage holds, as this object last wrote or read it: each save writes only what changed since and
    /// deletes what is gone.
    stored: RefCell<Keyed<Written>>,
    /// The VAPID signing key, imported once per object lifetime.
    vapid: RefCell<Option<Rc<VapidKey>>>,
    /// What one phone or client did this minute (acknowledgements, tests, subscriptions), in memory only.
    limits: RefCell<crate::limit::Limits>,
    /// VAPID `Authorization` values per push service origin, with their expiry: one signature serves every push
    /// to that service for hours (RFC 8292 allows reuse; a token lives [`vapid::TOKEN_SECS`]).
    tokens: RefCell<Vec<(String, i64, String)>>,
}

impl DurableObject for Watcher {
    fn new(state: State, env: Env) -> Self {
        Watcher {
            state,
            env,
            book: RefCell::new(None),
            stored: RefCell::default(),
            vapid: RefCell::default(),
            tokens: RefCell::default(),
            limits: RefCell::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::facade::object_request::<WatchRequest>(&mut req).await {
            Some(request) => match crate::config_from_env(&self.env) {
                Ok(config) => self.answer(config, request).await.unwrap_or_else(WatchAnswer::Error),
                Err(error) => WatchAnswer::Error(error),
            },
            None => WatchAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::encode(&answer))
    }

    /// The rest of a minute's pushes, one batch per invocation (see [`crate::watch::SENDS_PER_INVOCATION`]),
    /// on the clock of the tick that queued them.
    async fn alarm(&self) -> worker::Result<Response> {
        let outcome = async {
            let config = crate::config_from_env(&self.env)?;
            self.load().await?;
            match self.with(|book| book.last_tick)? {
                Some(now) => self.send_due(&config, now, real_now()).await,
                None => Ok(0),
            }
        };
        match outcome.await {
            Ok(sent) => worker::console_log!("alarm pushes: {sent} more accepted"),
            Err(error) => worker::console_error!("alarm pushes failed: {} ({})", error.code, error.message),
        }
        Response::empty()
    }
}

/// The real clock, Unix seconds.
fn real_now() -> i64 {
    worker::Date::now().as_millis() as i64 / 1000
}

impl Watcher {
    async fn answer(&self, config: Config, request: WatchRequest) -> ApiResult<WatchAnswer> {
        self.load().await?;
        let real_now = real_now();
        // Acknowledgements use the later of the real clock and the last tick, so the two never disagree.
        let now = real_now.max(self.with(|b| b.last_tick.unwrap_or(0))?);
        let answer = match request {
            WatchRequest::Subscribe { new, id, key } => {
                self.limit(&format!("subscribe:{}", new.client), real_now, config.subscribes_per_client, 10 * 60)?;
                let answer = self.with_mut(|book| {
                    let sub = book.subscribe(new, id, key, now)?;
                    let (id, key, group) = (sub.id.clone(), sub.key.clone(), sub.group.clone());
                    let shared_ack = book.groups.get(&group).is_some_and(|g| g.shared_ack);
                    Ok::<_, ApiError>(WatchAnswer::Subscribed { id, key, shared_ack })
                })??;
                self.commit().await?;
                answer
            }
            WatchRequest::Renew { account_id, session } => {
                let phones = self.with_mut(|book| book.renew_owner(&account_id, &session))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::Phones { holder } => self.with(|book| {
                let phones = book.phones(&holder);
                // Said to whoever has phones to be told; an account without any was not interrupted.
                let interruptions =
                    if phones.is_empty() { Vec::new() } else { book.recent_interruptions(self.clock(book)) };
                WatchAnswer::Phones { phones, interruptions }
            })?,
            WatchRequest::RemovePhone { holder, id } => {
                self.with_mut(|book| book.remove_phone(&holder, &id, now))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::ForgetEndpoint { endpoint } => {
                let phones = self.with_mut(|book| book.forget_endpoint(&endpoint))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::ForgetShare { share_id } => {
                let phones = self.with_mut(|book| book.forget_share(&share_id))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::Unsubscribe { id, key } => {
                self.with_mut(|book| {
                    book.authorised(&id, &key)?;
                    book.remove(&id);
                    Ok::<_, ApiError>(())
                })??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Act { id, key, kind, snooze_min } => {
                let action = snooze_min.map_or(Action::Acknowledge, Action::Snooze);
                self.with(|book| book.authorised(&id, &key).map(|_| ()))??;
                self.limit(&format!("act:{id}"), real_now, ACTS_PER_PHONE, 60)?;
                let phones = self.with_mut(|book| book.act(&id, kind, action, now))??;
                self.commit().await?;
                WatchAnswer::Done(phones)
            }
            WatchRequest::Test { id, key } => {
                let message = self.with(|book| {
                    let sub = book.authorised(&id, &key)?;
                    let name = book.groups.get(&sub.group).map(|g| g.name.clone()).unwrap_or_default();
                    Ok::<_, ApiError>(crate::watch::test_message(sub, &name, now))
                })??;
                self.limit(&format!("test:{id}"), real_now, TESTS_PER_PHONE, 60)?;
                let (delivery, status) = self.send(&config.push, &message, now, real_now).await?;
                self.with_mut(|book| {
                    if delivery == Delivery::Gone {
                        book.remove(&message.sub);
                    }
                })?;
                self.commit().await?;
                WatchAnswer::Sent(status)
            }
            WatchRequest::Tick { now } => self.tick(config, now, real_now).await?,
        };
        Ok(answer)
    }

    /// One scheduled minute: read each group once, step every phone, send what is due.
    async fn tick(&self, config: Config, now: i64, real_now: i64) -> ApiResult<WatchAnswer> {
        if !self.with_mut(|book| book.begin_tick(now))? {
            return Ok(WatchAnswer::Ticked { ran: false, groups: 0, subs: 0, sent: 0 });
        }
        self.with_mut(|book| book.expire_demo_phones(now))?;
        // The tick's clock is the scheduled minute: the data, the demo and the shared cache are read on it.
        let ctx = Ctx::new(self.env.clone(), config.clone(), now * 1000, String::new());
        // Viewers' shares, all in one call: a revoked share, or one without alarms, stops its phones' alarms.
        let share_ids: Vec<String> = self.with(|book| {
            book.subs
                .values()
                .filter_map(|s| match &s.access {
                    Access::Viewer { share_id, .. } => Some(share_id.clone()),
                    Access::Owner { .. } => None,
                })
                .collect()
        })?;
        let shares: Option<Vec<ShareSession>> = if share_ids.is_empty() {
            Some(Vec::new())
        } else {
            match sharing::ask(&ctx, &ShareRequest::Sessions { ids: share_ids }).await {
                Ok(ShareAnswer::Sessions(found)) => Some(found),
                // The share book cannot be read this minute: keep everyone, read through owners' sessions only.
                _ => None,
            }
        };
        let share = |id: &str| shares.iter().flatten().find(|(found, _)| found == id).map(|(_, found)| found);
        let plan = self.with_mut(|book| {
            for id in book.viewers_without_share(shares.as_deref()) {
                book.remove(&id);
            }
            book.groups_to_read()
                .into_iter()
                .map(|(group, subs)| {
                    let patient = subs.first().map(|s| s.patient_id.clone()).unwrap_or_default();
                    let session = subs.iter().find_map(|s| {
                        let sealed = match &s.access {
                            Access::Owner { session } => Some(session.clone()),
                            Access::Viewer { share_id, .. } => {
                                share(share_id).cloned().flatten().map(|(session, _)| session)
                            }
                        }?;
                        config.key.open(&sealed, real_now).ok()
                    });
                    (group, patient, session, subs.len())
                })
                .collect::<Vec<_>>()
        })?;
        let reads =
            crate::join::all(plan.iter().map(|(_, patient, session, _)| read_group(&ctx, session.as_ref(), patient)))
                .await;
        let subs: usize = plan.iter().map(|(.., n)| n).sum();
        let groups = plan.len();
        let due = self.with_mut(|book| {
            for ((group, ..), read) in plan.iter().zip(reads) {
                book.apply(group, read, now);
            }
            book.due(now)
        })?;
        // Pushes go out even when the book could not be stored: a push sent twice after a restart is the lesser
        // harm than an urgent low not sent at all.
        let saved = self.save().await;
        let sent = self.send_batch(&config, due, now, real_now).await;
        if saved.is_err() {
            self.forget_unsaved();
        }
        saved?;
        Ok(WatchAnswer::Ticked { ran: true, groups, subs, sent: sent? })
    }

    /// Sends the next batch due at `now` (the tick's clock); the pushes accepted.
    async fn send_due(&self, config: &Config, now: i64, real_now: i64) -> ApiResult<usize> {
        let due = self.with_mut(|book| book.due(now))?;
        self.send_batch(config, due, now, real_now).await
    }

    /// Sends `due`, records each answer, and when more is due at `now` starts the next invocation at once (an
    /// alarm), so one invocation's CPU and subrequests stay bounded however many phones ring; the pushes accepted.
    async fn send_batch(&self, config: &Config, due: Vec<Message>, now: i64, real_now: i64) -> ApiResult<usize> {
        if due.is_empty() {
            return Ok(0);
        }
        // One token per push service before the sends run side by side (on a cold cache each would sign its own).
        let audiences: Vec<String> = self.with(|book| {
            let mut audiences = Vec::new();
            let subs = due.iter().filter_map(|m| book.subs.get(&m.sub));
            for audience in subs.filter_map(|sub| crate::endpoint::push_audience(&sub.endpoint, &config.push)) {
                if !audiences.contains(&audience) {
                    audiences.push(audience);
                }
            }
            audiences
        })?;
        for audience in &audiences {
            self.authorization(&config.push, audience, real_now).await?;
        }
        let results = crate::join::all(due.iter().map(|message| self.send(&config.push, message, now, real_now))).await;
        let mut sent = 0;
        let mut failure = None;
        let more = self.with_mut(|book| {
            for (message, result) in due.iter().zip(results) {
                match result {
                    Ok((delivery, _)) => {
                        sent += usize::from(delivery == Delivery::Accepted);
                        book.delivered(message, delivery, now);
                    }
                    // VAPID is not configured: the message stays in the outbox for when it is.
                    Err(error) => failure = Some(error),
                }
            }
            book.more_due(now)
        })?;
        self.commit().await?;
        if let Some(error) = failure {
            return Err(error);
        }
        if more {
            self.state.storage().set_alarm(0).await.map_err(|_| ApiError::internal())?;
        }
        Ok(sent)
    }

    /// Encrypts and POSTs one message at `now` (the tick's clock; its TTL counts on it), signed on the real
    /// clock (push services check the token's expiry on theirs); the delivery and the HTTP status (0: none).
    async fn send(&self, push: &PushConfig, message: &Message, now: i64, real_now: i64) -> ApiResult<(Delivery, u16)> {
        let Some((endpoint, receiver)) = self.with(|book| {
            let sub = book.subs.get(&message.sub)?;
            Some((sub.endpoint.clone(), Receiver::from_base64(&sub.p256dh, &sub.auth).ok()?))
        })?
        else {
            return Ok((Delivery::Refused(0), 0));
        };
        let Some(audience) = crate::endpoint::push_audience(&endpoint, push) else {
            return Ok((Delivery::Gone, 0));
        };
        let authorization = self.authorization(push, &audience, real_now).await?;
        let plaintext = wire::encode(&message.payload).into_bytes();
        let Ok(body) = ece::encrypt(&receiver, &plaintext, crate::watch::PAD_BUCKET).await else {
            return Ok((Delivery::Refused(0), 0));
        };
        let ttl = (message.ttl - (now - message.created)).max(0);
        Ok(match post(&endpoint, &authorization, message, ttl, body).await {
            Some((status, retry_after)) => (Delivery::from_status(Some(status), retry_after), status),
            None => (Delivery::Retry(None), 0),
        })
    }

    /// The VAPID `Authorization` for `audience`: a cached token while more than half its life is left (signed on
    /// the real clock: push services check the expiry on theirs), else a new one.
    async fn authorization(&self, push: &PushConfig, audience: &str, real_now: i64) -> ApiResult<String> {
        let cached = self.tokens.borrow().iter().find(|(a, _, _)| a == audience).map(|(_, e, v)| (*e, v.clone()));
        if let Some((expires, value)) = cached
            && expires - real_now > vapid::TOKEN_SECS / 2
        {
            return Ok(value);
        }
        let cached_key = self.vapid.borrow().clone();
        let key = match cached_key {
            Some(key) => key,
            None => {
                let key = Rc::new(vapid_key(push).await?);
                *self.vapid.borrow_mut() = Some(Rc::clone(&key));
                key
            }
        };
        let expires = real_now + vapid::TOKEN_SECS;
        let value = key
            .authorization(audience, expires, &push.subject)
            .await
            .map_err(|e| ApiError::not_configured(&format!("VAPID signature: {e}")))?;
        let mut tokens = self.tokens.borrow_mut();
        tokens.retain(|(a, _, _)| a != audience);
        tokens.push((audience.to_owned(), expires, value.clone()));
        Ok(value)
    }

    /// The book as loaded. Gone (an error) when a save failed meanwhile (another request's, during this one's
    /// wait): this request stops rather than go on with an empty book, and the next one reads storage again.
    fn with<T>(&self, f: impl FnOnce(&WatchBook) -> T) -> ApiResult<T> {
        self.book.borrow().as_ref().map(f).ok_or_else(ApiError::internal)
    }

    fn with_mut<T>(&self, f: impl FnOnce(&mut WatchBook) -> T) -> ApiResult<T> {
        self.book.borrow_mut().as_mut().map(f).ok_or_else(ApiError::internal)
    }

    /// Reads the book from storage once per object lifetime.
    async fn load(&self) -> ApiResult<()> {
        if self.book.borrow().is_some() {
            return Ok(());
        }
        let values = storage::read_all(&self.state.storage(), "").await?;
        let meta = values.iter().find(|(key, _)| key == "meta").map(|(_, text)| text.clone());
        let mut keys: Vec<String> = values.iter().map(|(key, _)| key.clone()).collect();
        let (book, unreadable) = WatchBook::from_storage(values);
        // What could not be read is kept as it is: never deleted as "gone" by `save`. `save` rewrites `meta` (and a
        // group's `series:`, which is LibreLinkUp's readings again at the next read), so an unreadable `meta` is
        // copied aside first.
        keys.retain(|key| !unreadable.contains(key));
        for key in &unreadable {
            worker::console_error!("watch book: the stored value {key} could not be read; kept, not used");
        }
        if unreadable.iter().any(|key| key == "meta")
            && let Some(text) = meta
        {
            let aside = format!("unreadable-meta:{}", real_now());
            self.state.storage().put(&aside, text).await.map_err(|_| ApiError::internal())?;
        }
        // What the book would write now is what storage holds, for every key it read; a readable key the book no
        // longer makes (a group's readings without the group) is recorded too, so the next save deletes it.
        let clock = self.clock(&book);
        let mut stored = book.changes(&Keyed::new(), clock).written;
        for key in stored.keys().filter(|key| !keys.contains(key)).cloned().collect::<Vec<_>>() {
            stored.remove(&key);
        }
        for key in keys {
            if !stored.contains_key(&key) {
                stored.insert(key, Written { fingerprint: String::new(), at: clock });
            }
        }
        *self.book.borrow_mut() = Some(book);
        *self.stored.borrow_mut() = stored;
        Ok(())
    }

    /// One more `key` in its window, or 429 with the time to wait (see [`crate::limit`]).
    fn limit(&self, key: &str, now: i64, per_window: u32, window: i64) -> ApiResult<()> {
        self.limits.borrow_mut().admit(key, now, per_window, window).map_err(|wait| {
            ApiError::new(429, "push_rate_limited", "Too many requests from this phone. Wait a minute.")
                .retry_after(wait)
        })
    }

    /// The object's clock: the real one, or the last tick's when that is later (the cron's scheduled minute).
    fn clock(&self, book: &WatchBook) -> i64 {
        real_now().max(book.last_tick.unwrap_or(0))
    }

    /// Writes what changed in the book since the last save ([`WatchBook::changes`]): a value per changed
    /// subscription or group's readings, `meta` when the groups or the outbox changed; deletes what is gone.
    ///
    /// As one atomic write ([`storage::write`]), so a book is never stored half old, half new.
    async fn save(&self) -> ApiResult<()> {
        let changes = self.with(|book| book.changes(&self.stored.borrow(), self.clock(book)))?;
        storage::write(&self.state.storage(), &changes.puts, &changes.deletes).await?;
        *self.stored.borrow_mut() = changes.written;
        Ok(())
    }

    /// [`Watcher::save`], and when it fails the book in memory is dropped, so the next request reads storage
    /// again: a change that could not be stored is not kept as if it had been (a revocation, say).
    async fn commit(&self) -> ApiResult<()> {
        let saved = self.save().await;
        if saved.is_err() {
            self.forget_unsaved();
        }
        saved
    }

    fn forget_unsaved(&self) {
        *self.book.borrow_mut() = None;
        *self.stored.borrow_mut() = Keyed::new();
    }
}

/// The group's patient through `session` (the shared cache), as the watch book reads it.
async fn read_group(ctx: &Ctx, session: Option<&Session>, patient: &str) -> Read {
    let Some(session) = session else { return Read::SignedOut };
    match facade::read_data(ctx, session, Data::Graph(patient.to_owned())).await {
        Ok((body, _)) => {
            let name =
                body.pointer("/data/connection/firstName").and_then(Value::as_str).unwrap_or_default().to_owned();
            let sensor_ends = shared::llu::graph_sensor(&body).map(|sensor| sensor.ends_at().unix_secs());
            Read::Data { series: sharing::graph_series(&body), name, sensor_ends }
        }
        Err(error) if error.code == "session_expired" || error.http == 401 => Read::SignedOut,
        Err(_) => Read::Unreachable,
    }
}

async fn vapid_key(push: &PushConfig) -> ApiResult<VapidKey> {
    let (Some(private), Some(public)) = (&push.private_key, &push.public_key) else { return Err(not_configured()) };
    VapidKey::import(private, public)
        .await
        .map_err(|e| ApiError::not_configured(&format!("VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY: {e}")))
}

/// POSTs an encrypted message (RFC 8030 headers); the status and `Retry-After`, or `None` on no answer in time.
async fn post(
    endpoint: &str,
    authorization: &str,
    message: &Message,
    ttl: i64,
    body: Vec<u8>,
) -> Option<(u16, Option<i64>)> {
    let headers = web_sys::Headers::new().ok()?;
    for (name, value) in [
        ("authorization", authorization.to_owned()),
        ("content-encoding", "aes128gcm".to_owned()),
        ("content-type", "application/octet-stream".to_owned()),
        ("ttl", ttl.to_string()),
        ("urgency", message.urgency.as_str().to_owned()),
        ("topic", message.topic.clone()),
    ] {
        headers.set(name, &value).ok()?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    let bytes = js_sys::Uint8Array::from(body.as_slice());
    init.set_body(&bytes.into());
    let request = web_sys::Request::new_with_str_and_init(endpoint, &init).ok()?;
    let fetch = Fetch::Request(Request::from(request));
    let send = fetch.send();
    let timeout = worker::Delay::from(core::time::Duration::from_millis(SEND_TIMEOUT_MS));
    let response = crate::join::before(send, timeout).await?.ok()?;
    let retry_after = response.headers().get("retry-after").ok().flatten().and_then(|v| v.trim().parse().ok());
    Some((response.status_code(), retry_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewal_reaches_the_watcher_whole() {
        let renew = WatchRequest::Renew { account_id: "a".into(), session: "tw1.k.s\"".into() };
        let text = wire::encode(&renew);
        assert!(
            matches!(wire::decode(&text), Some(WatchRequest::Renew { account_id, session }) if account_id == "a" && session == "tw1.k.s\""),
            "{text}"
        );
        assert!(wire::decode::<WatchRequest>(r#"{"renew":{"account_id":"a"}}"#).is_none());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        use crate::hub::{Data, HubRequest};
        use crate::shares::Share;
        use crate::watch::{Access, NewSubscription};
        let secrets = ["SECRET-PASSWORD", "SECRET-TOKEN", "SECRET-KEY", "SECRET-P256", "SECRET-AUTH", "SECRET-SHA"];
        let new = NewSubscription {
            endpoint: "https://fcm.googleapis.com/fcm/send/SECRET-KEY".into(),
            p256dh: "SECRET-P256".into(),
            auth: "SECRET-AUTH".into(),
            group: "g".into(),
            patient_id: "p".into(),
            access: Access::Owner { session: "SECRET-TOKEN".into() },
            config: AlarmConfig::default(),
            unit: GlucoseUnit::MgDl,
            shared_ack: None,
            presented_key: Some("SECRET-KEY".into()),
            device: "Chrome on Android".into(),
            client: "203.0.113.7".into(),
        };
        let share = Share {
            id: "id".into(),
            sha256: "SECRET-SHA".into(),
            sha1: "SECRET-SHA".into(),
            nightscout: Some(crate::shares::Hashes { sha256: "SECRET-SHA".into(), sha1: "SECRET-SHA".into() }),
            owner: "o".into(),
            session: "SECRET-TOKEN".into(),
            patient_id: "p".into(),
            label: "Grandma".into(),
            from: "Alex".into(),
            alarms: true,
            acts_for_all: false,
            created: 0,
            expires: 1,
            revoked: None,
            last_used: None,
            owner_signed_out: false,
        };
        let texts = [
            format!("{:?}", HubRequest::Login { email: "a@b.c".into(), password: "SECRET-PASSWORD".into() }),
            format!(
                "{:?}",
                HubRequest::Read {
                    data: Data::Connections,
                    token: "SECRET-TOKEN".into(),
                    region: shared::llu::Region::Eu,
                    account_id: "a".into(),
                    at_ms: None,
                    presented: None,
                }
            ),
            format!("{:?}", WatchRequest::Subscribe { new: new.clone(), id: "i".into(), key: "SECRET-KEY".into() }),
            format!(
                "{:?}",
                WatchRequest::Act { id: "i".into(), key: "SECRET-KEY".into(), kind: AlarmKind::Low, snooze_min: None }
            ),
            format!("{:?}", WatchRequest::Renew { account_id: "a".into(), session: "SECRET-TOKEN".into() }),
            format!("{:?}", crate::shares::ShareRequest::Create(share)),
            format!(
                "{:?}",
                crate::upstream::Answer { status: 200, headers: Vec::new(), body: b"SECRET-TOKEN".to_vec() }
            ),
        ];
        for text in &texts {
            assert!(!secrets.iter().any(|s| text.contains(s)), "{text}");
        }
    }
}
