//! Tidewatch's Cloudflare Worker: an LLU-compatible facade in front of LibreLinkUp. It adds the headers LLU
//! demands, follows region redirects, keeps the LLU token sealed (AES-256-GCM), shares one cached upstream call
//! per account among all viewers, and protects the family's account from lockouts. It serves the app's static
//! files through Workers assets (`wrangler.toml`). It must never become an open proxy: no client-supplied host,
//! URL or path segment reaches the upstream unchecked.
//!
//! This file holds the entry point and the router, nothing else.

/// The HTTP surfaces: the LLU facade, share links and Nightscout, push, health; thin handlers over the features.
pub mod api;
/// Request bodies with a size limit.
pub mod body;
/// Configuration from vars and secrets.
pub mod config;
/// What a handler (or a tick) works with.
pub mod context;
/// The demo patient's facade answers.
pub mod demo;
/// What a phone is, in a few words, from its browser.
pub mod device;
/// Which push endpoints the worker sends to (parsed, never matched as strings).
pub mod endpoint;
/// Error answers with stable codes.
pub mod error;
/// Golden tests' check: the JSON earlier builds wrote, both ways.
#[cfg(test)]
mod golden;
/// The `Hub` Durable Object: per-account cache and per-e-mail login guard.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod hub;
/// The worker's floors, checked.
#[cfg(test)]
mod layers;
/// Per-minute counters (a phone's acknowledgements and tests, a client's subscriptions).
pub mod limit;
/// Durable Object transport: a message in, an answer out.
pub mod objects;
/// Routes, origins, CORS and security headers.
pub mod policy;
/// What a link's viewer is not shown of LibreLinkUp's answer.
pub mod redact;
/// Results into responses, with every header.
pub mod reply;
/// The minute's round: which `Watcher` objects have phones.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod rounds;
/// Which object a family's things live in: routes from account ids, phone ids that name their object.
pub mod route;
/// Sealed sessions.
pub mod seal;
/// Who is asking (the presented session, checked and renewed), and reading an account's data for them.
pub mod sessions;
/// The `Shares` Durable Object: the share book.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod shares;
/// Signing out on the server: an account's signed-out sessions and its "not before".
pub mod signout;
/// Durable Object storage: JSON text by key prefix, written in atomic batches.
pub mod storage;
/// The LLU adapter.
pub mod upstream;
/// The watch book: subscriptions, alarm states, the push outbox and the watchdog.
pub mod watch;
/// The worker's own JSON, written by hand (`shared::wire`).
pub use shared::wire;

use worker::{Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent, event};

use crate::api::push::Presenting;
use crate::api::rota::Asking;
use crate::api::shares as links;
use crate::api::shares::Nightscout;
use crate::api::{health, llu, notes, push, rota};
use crate::config::Config;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::Data;
use crate::policy::{OriginCheck, Route};
use crate::reply::Reply;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let url = req.inner().url();
    let origin = policy::origin_and_query(&url).0.to_owned();
    let config = Config::from_env(&env);
    let allowed = config.as_ref().map(|c| c.allowed_origins.as_slice()).unwrap_or_default();
    let check = policy::check_origin(req.headers().get("origin")?.as_deref(), &origin, allowed);
    let preflight = req.method() == Method::Options;
    let cors = policy::cors_headers(&check, preflight);
    let result = match (check, config) {
        (OriginCheck::Refused, _) => Err(ApiError::origin_not_allowed()),
        (_, _) if preflight => Ok(Reply::no_content()),
        (_, Err(error)) => Err(error),
        (_, Ok(config)) => {
            let ctx = Ctx::new(env, config, worker::Date::now().as_millis() as i64, origin);
            handle(&ctx, req).await.map(|reply| llu::with_renewal(&ctx, reply))
        }
    };
    reply::finish(result, &cors)
}

/// The router: one named handler per route.
async fn handle(ctx: &Ctx, mut req: Request) -> ApiResult<Reply> {
    let method = req.method().to_string();
    match policy::route(&method, &req.path())? {
        Route::Login => llu::login(ctx, &mut req).await.map(|reply| llu::for_caller(reply, &req)),
        Route::Continue(document) => llu::accept(ctx, &req, document).await.map(|r| llu::for_caller(r, &req)),
        Route::Connections => llu::read(ctx, &req, Data::Connections).await.map(|r| llu::for_caller(r, &req)),
        Route::Graph(patient) => llu::read(ctx, &req, Data::Graph(patient)).await.map(|r| llu::for_caller(r, &req)),
        Route::Logbook(patient) => llu::read(ctx, &req, Data::Logbook(patient)).await.map(|r| llu::for_caller(r, &req)),
        Route::CountryConfig => llu::country(ctx, &req).await,
        Route::Demo => llu::start_demo(ctx).map(|reply| llu::for_caller(reply, &req)),
        Route::Logout => llu::logout(ctx, &req).await,
        Route::LogoutEverywhere => llu::logout_everywhere(ctx, &req).await,
        Route::CreateShare => links::create(ctx, &mut req).await,
        Route::ListShares => links::list(ctx, &req).await,
        Route::Health => health::answer(ctx).await,
        Route::RevokeShare(id) => {
            let (reply, owner) = links::revoke(ctx, &req, id.clone()).await?;
            // The link's phones stop at once, not at the next minute's tick.
            push::forget_share(&ctx.env, &owner, &id).await;
            Ok(reply)
        }
        Route::ShareGraph => links::view(ctx, &req, false).await,
        Route::ShareLogbook => links::view(ctx, &req, true).await,
        Route::NightscoutEntries => links::nightscout(ctx, &req, Nightscout::Entries).await,
        Route::NightscoutCurrent => links::nightscout(ctx, &req, Nightscout::Current).await,
        Route::NightscoutStatus => links::nightscout(ctx, &req, Nightscout::Status).await,
        Route::Pebble => links::nightscout(ctx, &req, Nightscout::Pebble).await,
        Route::PushKey => push::key(ctx),
        Route::PushSubscribe => push::subscribe(ctx, &mut req).await,
        Route::PushUnsubscribe => push::presented(ctx, &mut req, Presenting::Unsubscribe).await,
        Route::PushTest => push::presented(ctx, &mut req, Presenting::Test).await,
        Route::PushAck => push::presented(ctx, &mut req, Presenting::Act).await,
        Route::PushReceipt => push::presented(ctx, &mut req, Presenting::Receipt).await,
        Route::PushStatus => push::presented(ctx, &mut req, Presenting::Status).await,
        Route::PushLoud => push::presented(ctx, &mut req, Presenting::Loud).await,
        Route::PushLoudTest => push::presented(ctx, &mut req, Presenting::LoudTest).await,
        Route::PushPhones => push::phones(ctx, &req).await,
        Route::RemovePhone(id) => push::remove_phone(ctx, &req, id).await,
        Route::PushRota => rota::answer(ctx, &mut req, Asking::Read).await,
        Route::SetRota => rota::answer(ctx, &mut req, Asking::Set).await,
        Route::TakeOver => rota::answer(ctx, &mut req, Asking::TakeOver).await,
        Route::SetAlarmTest => rota::answer(ctx, &mut req, Asking::SetAlarmTest).await,
        Route::Notes => notes::answer(ctx, &mut req, notes::Asking::Read).await,
        Route::AddNote => notes::answer(ctx, &mut req, notes::Asking::Add).await,
        Route::RemoveNote(id) => notes::answer(ctx, &mut req, notes::Asking::Remove(id)).await,
        Route::NightscoutTreatments => notes::treatments_json(ctx, &req).await,
    }
}

/// The Cron Trigger (every minute): the `Watcher` steps every phone's alarms and sends the pushes.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match push::tick(&env, event.schedule()).await {
        Ok(push::WatchAnswer::Ticked { ran, groups, subs, sent }) => {
            worker::console_log!("alarm tick: ran {ran}, {groups} patients, {subs} phones, {sent} pushes accepted");
        }
        Ok(_) => {}
        Err(error) => worker::console_error!("alarm tick failed: {} ({})", error.code, error.message),
    }
    // A few owners' links a minute move out of the book of earlier builds, until it is empty.
    crate::shares::move_legacy(&env, None).await;
}
