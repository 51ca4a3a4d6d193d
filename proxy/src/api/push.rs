//! `/api/push/*`: the app's background-alarm API. A phone subscribes (with its account's session or a link's
//! secret), presents its `{id, key}` to acknowledge, snooze, test or unsubscribe, and the owner lists and removes the
//! account's phones. Each handler reads the request and asks the account's `Watcher` (`watch::client`); the object,
//! its minute and its pushes are the `watch` feature's (`watch::watcher`).

use crate::watch::client::{ask_watch, holder_object, not_configured};
pub use crate::watch::client::{forget_share, group_key, renew, tick};
pub use crate::watch::requests::{WatchAnswer, WatchRequest};
pub use crate::watch::watcher::Watcher;

use shared::code::Code;

use push::ece::Receiver;
use serde_json::{Value, json};
use shared::alarm::{AlarmConfig, AlarmKind};
use shared::units::GlucoseUnit;
use worker::Request;

use crate::api::shares as links;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::policy;
use crate::reply::Reply;
use crate::rounds::{self, RoundsRequest};
use crate::route;
use crate::seal::{Kind, random_hex};
use crate::watch::{Access, Holder, NewSubscription, PhoneSetup};
use crate::wire;

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
    fn read(value: &Value) -> Option<SubscribeBody> {
        let sent: SentSubscribe = wire::from_value(value)?;
        Some(SubscribeBody {
            endpoint: sent.subscription.endpoint,
            p256dh: sent.subscription.keys.p256dh,
            auth: sent.subscription.keys.auth,
            patient_id: sent.patient_id,
            config: sent.config,
            unit: sent.unit,
            shared_ack: sent.shared_ack,
            key: sent.key,
        })
    }
}

/// [`SubscribeBody`] as the app sends it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SentSubscribe {
    subscription: SentPushSubscription,
    patient_id: Option<String>,
    config: Option<AlarmConfig>,
    unit: Option<GlucoseUnit>,
    shared_ack: Option<bool>,
    key: Option<String>,
}

/// The browser's `PushSubscription.toJSON()` (its other fields, `expirationTime`, are not used).
#[derive(serde::Deserialize)]
struct SentPushSubscription {
    endpoint: String,
    keys: SentPushKeys,
}

/// The subscription's keys.
#[derive(serde::Deserialize)]
struct SentPushKeys {
    p256dh: String,
    auth: String,
}

/// A phone presenting its subscription id and key: `{"id", "key", "kind"?, "action"?, "minutes"?}`.
#[derive(serde::Deserialize)]
struct Presented {
    id: String,
    key: String,
    kind: Option<AlarmKind>,
    action: Option<String>,
    minutes: Option<i64>,
    loud: Option<shared::loud::Loud>,
}

impl Presented {
    fn read(value: &Value) -> Option<Presented> {
        wire::from_value(value)
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
    let share_secret = links::share_secret(req);
    let body = crate::body::read_body(req).await?;
    let body = crate::body::body_json(&body).as_ref().and_then(SubscribeBody::read).ok_or_else(|| {
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
            let share = links::open_with_alarms(ctx, req, &secret).await?;
            let session = ctx.config.key.open(&share.session, ctx.now).map_err(|_| {
                ApiError::new(503, Code::OwnerSignedOut, &format!("Ask {} to sign in to Tidewatch again.", share.from))
            })?;
            let access = Access::Viewer {
                share_id: share.id.clone(),
                from: share.from.clone(),
                acts_for_all: share.acts_for_all,
            };
            (group_key(&session, &share.patient_id), share.patient_id, access, None)
        }
        None => {
            let (session, token) = crate::sessions::session(ctx, req).await?;
            if !matches!(session.kind, Kind::Full | Kind::Demo) {
                return Err(ApiError::wrong_session("Accept LibreLinkUp's documents first."));
            }
            let patient_id = body.patient_id.as_deref().unwrap_or_default().to_ascii_lowercase();
            if !policy::is_patient_id(&patient_id) || !links::follows(ctx, &session, &patient_id).await? {
                return Err(ApiError::new(404, Code::PatientNotFollowed, "This account does not follow that person."));
            }
            let held = crate::sessions::held_token(ctx, &session, &token);
            (group_key(&session, &patient_id), patient_id, Access::Owner { session: held }, body.shared_ack)
        }
    };
    let route = route::group_route(&group).ok_or_else(ApiError::internal)?;
    let object = route::object(&route);
    let new = NewSubscription {
        setup: PhoneSetup {
            endpoint: endpoint.clone(),
            p256dh: body.p256dh,
            auth: body.auth,
            group,
            patient_id,
            access,
            config: body.config.unwrap_or_default().with_quiet_checked(shared::time::UtcTime::from_unix_secs(ctx.now)),
            unit: body.unit.unwrap_or(GlucoseUnit::MgDl),
        },
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
            Code::AlarmsNotStarted,
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

/// `POST /api/push/unsubscribe`, `test`, `ack`, `receipt` and `status`: a phone presenting `{id, key}`.
pub async fn presented(ctx: &Ctx, req: &mut Request, what: Presenting) -> ApiResult<Reply> {
    let body = crate::body::read_body(req).await?;
    let p = crate::body::body_json(&body)
        .as_ref()
        .and_then(Presented::read)
        .ok_or_else(|| ApiError::bad_request("Send {\"id\", \"key\"} as JSON."))?;
    let object = route::object_of_phone(&p.id, rounds::LEGACY_WATCHER)
        .ok_or_else(|| ApiError::new(404, Code::PushNotFound, "This phone is not subscribed any more."))?;
    let request = match what {
        Presenting::Unsubscribe => WatchRequest::Unsubscribe { id: p.id, key: p.key },
        Presenting::Test => {
            if ctx.config.push.private_key.is_none() {
                return Err(not_configured());
            }
            WatchRequest::Test { id: p.id, key: p.key }
        }
        Presenting::Receipt => WatchRequest::Receipt { id: p.id, key: p.key },
        Presenting::Status => WatchRequest::Status { id: p.id, key: p.key },
        Presenting::Loud => {
            // Said, not implied: a body without "loud" is a mistake, not a wish to remove the channel.
            if body_has(&body, "loud") != Some(true) {
                return Err(ApiError::bad_request("Send {\"id\", \"key\", \"loud\"} (\"loud\": null removes it)."));
            }
            let targets = p.loud.as_ref().map(|l| l.url(&ctx.config.push.pushover_url));
            if let Some(url) = targets.filter(|u| *u != ctx.config.push.pushover_url)
                && !crate::endpoint::loud_target(&url, &ctx.config.push.loud_origins)
            {
                return Err(ApiError::bad_request(
                    "The loud channel's address must be https:// to a name (not an IP address), written as a \
                     browser shows it: lower case, without a user name or #.",
                ));
            }
            WatchRequest::SetLoud { id: p.id, key: p.key, loud: p.loud }
        }
        Presenting::LoudTest => WatchRequest::TestLoud { id: p.id, key: p.key },
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
        WatchAnswer::Phones { phones, .. } => Ok(Reply::json(json!({ "phone": wire::to_value(&phones.first()) }))),
        _ => Err(ApiError::internal()),
    }
}

/// Whether the JSON object in `body` has the field `name` (`None`: not a JSON object).
fn body_has(body: &[u8], name: &str) -> Option<bool> {
    crate::body::body_json(body).as_ref()?.as_object().map(|o| o.contains_key(name))
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
    /// `POST /api/push/receipt`: the service worker got a push.
    Receipt,
    /// `POST /api/push/status`: how alarms reach this phone (when the last one did).
    Status,
    /// `POST /api/push/loud`: `{id, key, loud}` sets this phone's loud channel (`null`: none).
    Loud,
    /// `POST /api/push/loud/test`: a test on this phone's loud channel now.
    LoudTest,
}

/// `GET /api/push/phones`: every phone that gets this account's alarms (the owner's and its links'), for its
/// owner to see and remove.
pub async fn phones(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let holder = holder(ctx, req).await?;
    match ask_watch(&ctx.env, &holder_object(&holder), &WatchRequest::Phones { holder }).await? {
        WatchAnswer::Phones { phones, interruptions, lost } => {
            Ok(Reply::json(wire::to_value(&shared::phones::PhoneList { phones, interruptions, lost })))
        }
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
pub(crate) async fn holder(ctx: &Ctx, req: &Request) -> ApiResult<Holder> {
    let (session, token) = crate::sessions::session(ctx, req).await?;
    match session.kind {
        Kind::Full => Ok(Holder::Account(session.account_id)),
        Kind::Demo => Ok(Holder::Demo(token)),
        _ => Err(ApiError::wrong_session("Accept LibreLinkUp's documents first.")),
    }
}
