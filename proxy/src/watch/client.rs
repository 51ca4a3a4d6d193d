//! How the rest of the worker talks to the `Watcher` objects: the minute handed to every one in the round, a
//! renewed session, a revoked link's phones, a holder's object, and any request (`ask`).

use shared::code::Code;

use worker::Env;

use super::requests::{WatchAnswer, WatchRequest};
use crate::error::{ApiError, ApiResult};
use crate::rounds::{self, RoundsAnswer, RoundsRequest};
use crate::route;
use crate::seal::{Kind, Session};
use crate::watch::Holder;
use crate::wire::{self};

/// The binding.
pub(crate) const BINDING: &str = "WATCH";
/// The Cron Trigger: hands the scheduled minute to every `Watcher` in the round, side by side, and drops from the
/// round those that have no phone left. One object's failure is logged and does not stop the others'.
pub async fn tick(env: &Env, scheduled_ms: f64) -> ApiResult<WatchAnswer> {
    let now = (scheduled_ms / 1000.0).floor() as i64;
    let asked_ms = worker::Date::now().as_millis() as i64;
    let RoundsAnswer::List(names) = rounds::ask(env, &RoundsRequest::List).await? else {
        return Err(ApiError::internal());
    };
    let request = WatchRequest::Tick { now };
    let answers = futures::future::join_all(names.iter().map(|name| ask_watch(env, name, &request))).await;
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

pub(crate) fn not_configured() -> ApiError {
    ApiError::new(503, Code::PushNotConfigured, "This server has no VAPID keys, so it cannot send alarms to phones.")
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

/// The object of a holder's phones.
pub fn holder_object(holder: &Holder) -> String {
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

/// Sends `request` to the `Watcher` object `object` and reads its answer (its error as an `Err`).
pub async fn ask_watch(env: &Env, object: &str, request: &WatchRequest) -> ApiResult<WatchAnswer> {
    let answer = crate::objects::ask_object_text(env, BINDING, object, wire::to_json(request)).await?;
    match wire::from_json(&answer).ok_or_else(ApiError::internal)? {
        WatchAnswer::Error(error) => Err(error),
        answer => Ok(answer),
    }
}
