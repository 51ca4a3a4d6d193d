//! Tidewatch's Cloudflare Worker: an LLU-compatible facade in front of LibreLinkUp. It adds the headers LLU
//! demands, follows region redirects, keeps the LLU token sealed (AES-256-GCM), shares one cached upstream call
//! per account among all viewers, and protects the family's account from lockouts. It serves the app's static
//! files through Workers assets (`wrangler.toml`). It must never become an open proxy: no client-supplied host,
//! URL or path segment reaches the upstream unchecked.
//!
//! This file holds the entry point and the router, nothing else.

/// Background alarms: the push API, the Cron Trigger and the `Watcher` Durable Object.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod alarms;
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
/// One handler per facade route.
pub mod facade;
/// One shared upstream read per data item, one login at a time (the Hub's).
pub mod flight;
/// `GET /api/health`: LibreLinkUp as the server sees it, for whoever runs it.
pub mod health;
/// The `Hub` Durable Object: per-account cache and per-e-mail login guard.
#[allow(missing_docs)] // `#[durable_object]` generates undocumented glue; everything written here is documented.
pub mod hub;
/// Futures run side by side (the Watcher's reads and pushes), or against a deadline.
pub mod join;
/// A small sorted-vector map (the watch book's).
pub mod keyed;
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
/// Share links over HTTP and the Nightscout-compatible read API.
pub mod sharing;
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

use crate::alarms::Presenting;
use crate::config::Config;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::Data;
use crate::policy::{OriginCheck, Route};
use crate::reply::Reply;
use crate::sharing::Nightscout;

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
            handle(&ctx, req).await.map(|reply| facade::with_renewal(&ctx, reply))
        }
    };
    reply::finish(result, &cors)
}

/// The router: one named handler per route.
async fn handle(ctx: &Ctx, mut req: Request) -> ApiResult<Reply> {
    let method = req.method().to_string();
    match policy::route(&method, &req.path())? {
        Route::Login => facade::login(ctx, &mut req).await.map(|reply| facade::for_caller(reply, &req)),
        Route::Continue(document) => facade::accept(ctx, &req, document).await.map(|r| facade::for_caller(r, &req)),
        Route::Connections => facade::read(ctx, &req, Data::Connections).await.map(|r| facade::for_caller(r, &req)),
        Route::Graph(patient) => {
            facade::read(ctx, &req, Data::Graph(patient)).await.map(|r| facade::for_caller(r, &req))
        }
        Route::Logbook(patient) => {
            facade::read(ctx, &req, Data::Logbook(patient)).await.map(|r| facade::for_caller(r, &req))
        }
        Route::CountryConfig => facade::country(ctx, &req).await,
        Route::Demo => facade::start_demo(ctx).map(|reply| facade::for_caller(reply, &req)),
        Route::Logout => facade::logout(ctx, &req).await,
        Route::LogoutEverywhere => facade::logout_everywhere(ctx, &req).await,
        Route::CreateShare => sharing::create(ctx, &mut req).await,
        Route::ListShares => sharing::list(ctx, &req).await,
        Route::Health => health::answer(ctx).await,
        Route::RevokeShare(id) => {
            let (reply, owner) = sharing::revoke(ctx, &req, id.clone()).await?;
            // The link's phones stop at once, not at the next minute's tick.
            alarms::forget_share(&ctx.env, &owner, &id).await;
            Ok(reply)
        }
        Route::ShareGraph => sharing::view(ctx, &req, false).await,
        Route::ShareLogbook => sharing::view(ctx, &req, true).await,
        Route::NightscoutEntries => sharing::nightscout(ctx, &req, Nightscout::Entries).await,
        Route::NightscoutCurrent => sharing::nightscout(ctx, &req, Nightscout::Current).await,
        Route::NightscoutStatus => sharing::nightscout(ctx, &req, Nightscout::Status).await,
        Route::Pebble => sharing::nightscout(ctx, &req, Nightscout::Pebble).await,
        Route::PushKey => alarms::key(ctx),
        Route::PushSubscribe => alarms::subscribe(ctx, &mut req).await,
        Route::PushUnsubscribe => alarms::presented(ctx, &mut req, Presenting::Unsubscribe).await,
        Route::PushTest => alarms::presented(ctx, &mut req, Presenting::Test).await,
        Route::PushAck => alarms::presented(ctx, &mut req, Presenting::Act).await,
        Route::PushPhones => alarms::phones(ctx, &req).await,
        Route::RemovePhone(id) => alarms::remove_phone(ctx, &req, id).await,
    }
}

/// The Cron Trigger (every minute): the `Watcher` steps every phone's alarms and sends the pushes.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match alarms::tick(&env, event.schedule()).await {
        Ok(alarms::WatchAnswer::Ticked { ran, groups, subs, sent }) => {
            worker::console_log!("alarm tick: ran {ran}, {groups} patients, {subs} phones, {sent} pushes accepted");
        }
        Ok(_) => {}
        Err(error) => worker::console_error!("alarm tick failed: {} ({})", error.code, error.message),
    }
    // A few owners' links a minute move out of the book of earlier builds, until it is empty.
    crate::shares::move_legacy(&env, None).await;
}
