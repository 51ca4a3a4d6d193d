//! Who is asking, and reading for them: the session a request presents (its cookie or bearer token), opened,
//! checked against the account's sign-outs and renewed when due; and an account's data read with a session (through
//! the account's hub and its shared cache, or the demo), for the facade, the links and the alarms alike.

use serde_json::Value;
use shared::code::Code;
use shared::llu::Ticket;
use shared::time::UtcTime;
use worker::Request;

use crate::context::Ctx;
use crate::demo;
use crate::error::{ApiError, ApiResult};
use crate::hub::{self, Data, HubAnswer, HubRequest};
use crate::policy;
use crate::seal::{Kind, Session, random_nonce};
use crate::signout::Presented;

/// `data` for `session`, a copy the server holds (a link's, the alarms'): through the account's hub (shared
/// cache), or the demo. LLU's envelope without its `ticket`, and its age in seconds.
pub async fn read_data(ctx: &Ctx, session: &Session, data: Data) -> ApiResult<(Value, u32)> {
    read_as(ctx, session, data, None, false).await.map(|(body, age, _)| (body, age))
}

/// Whether a viewer opened the graph (`?open=1`, the app's first read of a patient): then its history is read again
/// when over a minute old, not only every [`hub::GRAPH_SECS`].
pub fn opened(req: &Request) -> bool {
    let url = req.inner().url();
    crate::policy::query_value(crate::policy::origin_and_query(&url).1, "open") == Some("1")
}

/// [`read_data`] for a copy the server holds (a link's, the alarms'), and that copy carried onto LLU's newer
/// ticket when it is due ([`Session::rolled`]), for the holder to keep: so a link or a phone that is read every
/// minute never reaches its first token's end either. `opened`: see [`opened`].
pub async fn read_held(
    ctx: &Ctx,
    session: &Session,
    data: Data,
    opened: bool,
) -> ApiResult<(Value, u32, Option<Session>)> {
    let (body, age, newest) = read_as(ctx, session, data, None, opened).await?;
    let rolled = newest.and_then(|ticket| session.rolled("", &ticket, ctx.now)).map(|rolled| rolled.held(""));
    Ok((body, age, rolled))
}

/// [`read_data`], refused by the hub when `presented` was signed out; with the account's newest LLU ticket.
pub(crate) async fn read_as(
    ctx: &Ctx,
    session: &Session,
    data: Data,
    presented: Option<Presented>,
    opened: bool,
) -> ApiResult<(Value, u32, Option<Ticket>)> {
    match session.kind {
        Kind::Demo if !ctx.config.demo => Err(demo_off()),
        Kind::Demo => Ok((demo::answer(&data, UtcTime::from_unix_secs(ctx.now))?, 0, None)),
        Kind::Full => {
            let request = HubRequest::Read {
                data,
                token: session.llu_token.clone(),
                region: session.region,
                account_id: session.account_id.clone(),
                at_ms: Some(ctx.now as f64 * 1000.0),
                presented,
                opened,
            };
            match hub::ask(&ctx.env, &hub::account_object(&session.account_id), &request).await? {
                HubAnswer::Data { body, age_secs, ticket } => Ok((body, age_secs, ticket)),
                HubAnswer::Error(error) => Err(error),
                _ => Err(ApiError::internal()),
            }
        }
        Kind::Tou | Kind::Pp => {
            Err(ApiError::wrong_session("Accept LibreLinkUp's documents first (POST /auth/continue/…)."))
        }
    }
}

/// The server's own copy of a presented session, for a link's reads and the alarms (see [`Session::held`]); a
/// demo's is its token itself (a demo visitor is known by it).
pub fn held_token(ctx: &Ctx, session: &Session, token: &str) -> String {
    match session.kind {
        Kind::Full => ctx.config.key.seal(&session.held(token), random_nonce()),
        _ => token.to_owned(),
    }
}

/// The session a request carries: opened, still signed in (a follower's is checked with its account's hub), and
/// renewed when due (the router hands the renewal back).
pub async fn session(ctx: &Ctx, req: &Request) -> ApiResult<(Session, String)> {
    let (session, token) = presented_session(ctx, req)?;
    if session.kind == Kind::Full {
        let check = HubRequest::Check(presented(&session, &token));
        match hub::ask(&ctx.env, &hub::account_object(&session.account_id), &check).await? {
            HubAnswer::Admitted => {}
            HubAnswer::Error(error) => return Err(error),
            _ => return Err(ApiError::internal()),
        }
    }
    renew(ctx, &session, &token);
    Ok((session, token))
}

/// What the hub checks a presented session by.
pub(crate) fn presented(session: &Session, token: &str) -> Presented {
    Presented { id: session.revocation_id(token), signed_in_ms: session.signed_in_ms() }
}

/// Seals `session` again with a later expiry when it is due ([`Session::slid`]), for the router to hand back.
pub(crate) fn renew(ctx: &Ctx, session: &Session, token: &str) {
    if let Some(slid) = session.slid(token, ctx.now) {
        let sealed = ctx.config.key.seal(&slid, random_nonce());
        *ctx.renewed.borrow_mut() = Some((sealed, slid.expires));
    }
}

/// The session a request carries, opened but not checked against sign-outs (a demo session only while the server
/// serves the demo).
pub(crate) fn presented_session(ctx: &Ctx, req: &Request) -> ApiResult<(Session, String)> {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let token = policy::session_token(header("authorization").as_deref(), header("cookie").as_deref(), &ctx.origin)
        .ok_or_else(ApiError::no_session)?;
    let session = ctx.config.key.open(&token, ctx.now).map_err(ApiError::from_seal)?;
    if session.kind == Kind::Demo && !ctx.config.demo {
        return Err(demo_off());
    }
    Ok((session, token))
}

pub(crate) fn demo_off() -> ApiError {
    ApiError::new(404, Code::DemoOff, "This Tidewatch server does not serve the demo.")
}
