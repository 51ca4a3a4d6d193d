//! The LLU-compatible facade (design decision 3): one handler per route. Same paths and JSON as LLU, with LLU's
//! token replaced by the sealed session everywhere it appears; the demo session answers from the simulator.

use serde_json::{Value, json};
use shared::code::Code;
use shared::llu::{Endpoint, Outcome, Region, StepKind};
use worker::{Method, Request};

use crate::body::{body_json, read_body};
use crate::config::is_version;
use crate::context::Ctx;
use crate::demo;
use crate::error::{ApiError, ApiResult};
use crate::hub::{self, Data, HubAnswer, HubRequest};
use crate::policy::{self, Document};
use crate::reply::Reply;
use crate::seal::{Kind, SLIDE_SECS, Session, random_hex, random_nonce, sha256_hex};
use crate::sessions::{demo_off, opened, presented, presented_session, read_as, renew, session};
use crate::upstream::{self, SignIn};

pub use crate::seal::{MAX_SESSION_SECS, STEP_SESSION_SECS};
/// How long a country's configuration is reused by a worker instance. It names LibreLinkUp's regional hosts, which
/// change with a new region, not by the hour; and anyone can ask for it without an account, so without a cache
/// anyone could make the worker call Abbott as often as they liked (and get the worker's address banned).
pub const COUNTRY_CACHE_SECS: i64 = 3600;
/// How many `(country, version)` answers an instance keeps.
const COUNTRY_CACHE_ENTRIES: usize = 32;

std::thread_local! {
    /// `(upstream path, fetched at, LLU's answer)`, newest last.
    static COUNTRIES: core::cell::RefCell<Vec<(String, i64, Value)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// `POST /llu/auth/login`.
pub async fn login(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let body = read_body(req).await?;
    let json = body_json(&body);
    let credentials = json
        .as_ref()
        .and_then(|v| Some((v.get("email")?.as_str()?.to_owned(), v.get("password")?.as_str()?.to_owned())));
    let (email, password) =
        credentials.ok_or_else(|| ApiError::bad_request("Send {\"email\": …, \"password\": …} as JSON."))?;
    // Russia's and China's accounts are not known to the global host (where a wrong host's "no such account" would
    // count towards a lockout): the sign-in names that entry. Nothing else may be named.
    let entry = match json.as_ref().and_then(|v| v.get("entry")).and_then(Value::as_str) {
        None | Some("" | "global") => Region::Global,
        Some("ru") => Region::Ru,
        Some("cn") => Region::Cn,
        Some(_) => return Err(ApiError::bad_request("\"entry\" is \"global\", \"ru\" or \"cn\".")),
    };
    let email = email.trim().to_owned();
    if email.len() > 254 || !email.contains('@') || password.is_empty() || password.len() > 1024 {
        return Err(ApiError::bad_request("Enter the e-mail and password of the LibreLinkUp account."));
    }
    if email.eq_ignore_ascii_case(demo::DEMO_EMAIL) {
        return start_demo(ctx);
    }
    // Before anything reaches Abbott: a private server relays only its own family's sign-ins.
    if !ctx.config.allows_account(&email) {
        return Err(ApiError::new(
            403,
            Code::AccountNotAllowed,
            "This Tidewatch server is private: ask whoever runs it to add your LibreLinkUp e-mail.",
        ));
    }
    // At most so many sign-ins from one client network, whatever e-mails it tries.
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    let client = hub::client_object(&policy::client_network(&ip));
    match hub::ask(&ctx.env, &client, &HubRequest::Admit { limit: ctx.config.logins_per_client }).await? {
        HubAnswer::Admitted => {}
        HubAnswer::Error(error) => return Err(error),
        _ => return Err(ApiError::internal()),
    }
    // "Keep me signed in for the alarms": the account's object keeps this sign-in (sealed) to sign in again by
    // itself when LibreLinkUp ends the account's sessions. Only when asked; "sign out everywhere" forgets it.
    let keep = json.as_ref().and_then(|v| v.get("keepSignedIn")).and_then(Value::as_bool).unwrap_or(false);
    let kept = keep.then(|| hub::KeptSignIn { email: email.clone(), password: password.clone(), entry });
    let request = HubRequest::Login { email: email.clone(), password, entry };
    let answer = hub::ask(&ctx.env, &hub::login_object(&email), &request).await?;
    if let (Some(kept), HubAnswer::SignIn(SignIn::Success { user_id, .. })) = (kept, &answer) {
        let object = hub::account_object(&sha256_hex(user_id));
        if !matches!(hub::ask(&ctx.env, &object, &HubRequest::Keep(Some(kept))).await, Ok(HubAnswer::Admitted)) {
            worker::console_error!("facade: the sign-in to keep for the alarms could not be kept");
        }
    }
    signed_in(ctx, answer).await
}

/// `POST /auth/continue/{tou|pp}` with a step session: accepts one document, on the user's explicit request.
pub async fn accept(ctx: &Ctx, req: &Request, document: Document) -> ApiResult<Reply> {
    let (session, _) = presented_session(ctx, req)?;
    let waits_for = match document {
        Document::Tou => Kind::Tou,
        Document::Pp => Kind::Pp,
    };
    if session.kind != waits_for {
        return Err(ApiError::wrong_session(
            "Only a sign-in that is waiting for this document can accept it (LLU's step names which).",
        ));
    }
    let end = upstream::accept(&ctx.config, session.region, document.as_str(), &session.llu_token).await;
    signed_in(ctx, HubAnswer::from(end)).await
}

/// `GET /llu/connections`, `.../graph`, `.../logbook`: through the account's hub (shared cache), or the demo. The
/// hub refuses a session that was signed out within the same call. LLU's `ticket` carries the session (renewed
/// when due), as LLU's carries its token.
pub async fn read(ctx: &Ctx, req: &Request, data: Data) -> ApiResult<Reply> {
    let (session, token) = presented_session(ctx, req)?;
    let presented = (session.kind == Kind::Full).then(|| presented(&session, &token));
    let (mut body, age_secs, newest) = read_as(ctx, &session, data, presented, opened(req)).await?;
    match newest.and_then(|ticket| session.rolled(&token, &ticket, ctx.now)) {
        // LLU's newer ticket, sealed into the session: it reads on past its first token's end.
        Some(rolled) => {
            let sealed = ctx.config.key.seal(&rolled, random_nonce());
            *ctx.renewed.borrow_mut() = Some((sealed, rolled.expires));
        }
        None => renew(ctx, &session, &token),
    }
    let (current, expires) = ctx.renewed.borrow().clone().unwrap_or((token, session.expires));
    if let Some(envelope) = body.as_object_mut() {
        envelope.insert("ticket".into(), ticket(&current, expires, ctx.now));
    }
    Ok(Reply::json(body).with_header("age", age_secs.to_string()))
}

/// `GET /llu/config/country?country=XX[&version=…]`, with `regionalMap` pointing back at this server.
pub async fn country(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    let get = |name: &str| policy::query_value(query, name);
    let country = get("country")
        .and_then(policy::country_code)
        .ok_or_else(|| ApiError::bad_request("Add ?country= with a two-letter country code."))?;
    if get("version").is_some_and(|version| !is_version(version)) {
        return Err(ApiError::bad_request("version must be digits and dots."));
    }
    // The client's `version` is checked but not sent: the worker's own is, so the cache has one entry per country
    // and no made-up version gets past it to Abbott.
    let path = format!("/llu/config/country?country={country}&version={}", ctx.config.version);
    let cached = COUNTRIES.with_borrow(|kept| {
        kept.iter().find(|(p, at, _)| *p == path && ctx.now - at < COUNTRY_CACHE_SECS).map(|(.., body)| body.clone())
    });
    if let Some(body) = cached {
        return Ok(Reply::json(point_back(body, &ctx.origin)));
    }
    let (outcome, answer) =
        upstream::call(&ctx.config, Endpoint::CountryConfig, Region::Global, Method::Get, &path, None, None).await?;
    match outcome {
        Outcome::Success { .. } => {
            let body = answer.json();
            COUNTRIES.with_borrow_mut(|kept| {
                kept.retain(|(p, at, _)| *p != path && ctx.now - at < COUNTRY_CACHE_SECS);
                if kept.len() >= COUNTRY_CACHE_ENTRIES {
                    kept.remove(0);
                }
                kept.push((path, ctx.now, body.clone()));
            });
            Ok(Reply::json(point_back(body, &ctx.origin)))
        }
        other => Err(ApiError::from_outcome(&other)),
    }
}

/// `POST /api/demo`: a demo session, answered like an LLU login.
pub fn start_demo(ctx: &Ctx) -> ApiResult<Reply> {
    if !ctx.config.demo {
        return Err(demo_off());
    }
    let session = Session {
        llu_token: shared::simulate::DEMO_TICKET.to_owned(),
        region: Region::Global,
        account_id: sha256_hex(demo::DEMO_USER_ID),
        expires: ctx.now + demo::DEMO_SESSION_SECS,
        kind: Kind::Demo,
        id: None,
        signed_in_ms: None,
        ends: None,
    };
    Ok(with_session(ctx, demo::login_body(), &session))
}

/// `POST /api/logout`: the presented session is signed out on the server (its account's hub refuses it from now
/// on, whoever holds a copy) and the cookie is deleted. If the server cannot record the sign-out, nothing changes
/// and the answer says so (503 `sign_out_failed`), so the user can try again with the same session.
pub async fn logout(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    if let Ok((session, token)) = presented_session(ctx, req)
        && session.kind == Kind::Full
    {
        let request =
            HubRequest::SignOut { presented: presented(&session, &token), until: session.ends(), everywhere: false };
        let object = hub::account_object(&session.account_id);
        if !matches!(hub::ask(&ctx.env, &object, &request).await, Ok(HubAnswer::Admitted)) {
            return Err(sign_out_failed());
        }
    }
    Ok(Reply::json(json!({"status": 0})).with_header("set-cookie", policy::session_cookie(&ctx.origin, "", 0)))
}

/// `POST /api/logout/everywhere`: every session of the account that signed in until now is signed out (a lost
/// phone, a browser left signed in), this one included. The links and the alarms go on: they are the family's,
/// and have their own controls (revoke a link, remove a phone).
pub async fn logout_everywhere(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let (session, token) = session(ctx, req).await?;
    if session.kind != Kind::Full {
        return Err(ApiError::wrong_session("Only a signed-in LibreLinkUp account can sign out everywhere."));
    }
    let request =
        HubRequest::SignOut { presented: presented(&session, &token), until: session.ends(), everywhere: true };
    match hub::ask(&ctx.env, &hub::account_object(&session.account_id), &request).await {
        Ok(HubAnswer::Admitted) => Ok(Reply::json(json!({"status": 0, "signedOutEverywhere": true}))
            .with_header("set-cookie", policy::session_cookie(&ctx.origin, "", 0))),
        _ => Err(sign_out_failed()),
    }
}

/// 503 when a sign-out could not be recorded (nothing changed: try again).
fn sign_out_failed() -> ApiError {
    ApiError::new(503, Code::SignOutFailed, "The server could not sign you out just now. Try again in a moment.")
}

/// The router's last step: a session renewed by this request goes back as the cookie (unless the answer sets
/// its own: a sign-in, a sign-out).
pub fn with_renewal(ctx: &Ctx, mut reply: Reply) -> Reply {
    if let Some((sealed, expires)) = ctx.renewed.borrow().as_ref()
        && !reply.headers.iter().any(|(name, _)| *name == "set-cookie")
    {
        reply.headers.push(("set-cookie", policy::session_cookie(&ctx.origin, sealed, expires - ctx.now)));
    }
    reply
}

/// Turns a login or acceptance answer into the facade's answer: a sealed session in `authTicket` and the cookie.
/// A full sign-in also renews the session of the account's share links and of its owners' phones.
async fn signed_in(ctx: &Ctx, answer: HubAnswer) -> ApiResult<Reply> {
    match answer {
        HubAnswer::SignIn(SignIn::Success { region, user_id, ticket, body }) => {
            let ends = ticket.expires.min(ctx.now + MAX_SESSION_SECS);
            let session = Session {
                llu_token: ticket.token,
                region,
                account_id: sha256_hex(&user_id),
                expires: ends.min(ctx.now + SLIDE_SECS),
                kind: Kind::Full,
                id: Some(random_hex(16)),
                signed_in_ms: Some(ctx.now_ms),
                ends: Some(ends),
            };
            let held = ctx.config.key.seal(&session.held(""), random_nonce());
            crate::shares::renew(ctx, &session.account_id, &held).await;
            crate::api::push::renew(&ctx.env, &session.account_id, &held).await;
            Ok(with_session(ctx, body, &session))
        }
        HubAnswer::SignIn(SignIn::Step { region, kind, ticket, mut body }) => {
            let kind = match kind {
                StepKind::TermsOfUse => Kind::Tou,
                StepKind::PrivacyPolicy => Kind::Pp,
                // verifyEmail (or anything new) cannot be done over the API: no session, the user acts by e-mail.
                StepKind::VerifyEmail | StepKind::Other(_) => {
                    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
                        data.remove("authTicket");
                    }
                    return Ok(Reply::json(body));
                }
            };
            let Some(ticket) = ticket else {
                return Err(ApiError::from_outcome(&Outcome::Unexpected {
                    http_status: 200,
                    message: "a step without a token".into(),
                }));
            };
            let session = Session {
                llu_token: ticket.token,
                region,
                account_id: String::new(),
                expires: ticket.expires.min(ctx.now + STEP_SESSION_SECS),
                kind,
                id: None,
                signed_in_ms: None,
                ends: None,
            };
            Ok(with_session(ctx, body, &session))
        }
        HubAnswer::Error(error) => Err(error),
        HubAnswer::Data { .. } | HubAnswer::Admitted | HubAnswer::Version(_) | HubAnswer::Health { .. } => {
            Err(ApiError::internal())
        }
    }
}

/// LLU's login body with `data.authTicket` replaced by the sealed session, and the cookie set.
fn with_session(ctx: &Ctx, mut body: Value, session: &Session) -> Reply {
    let sealed = &ctx.config.key.seal(session, random_nonce());
    if let Some(envelope) = body.as_object_mut() {
        envelope.remove("ticket");
        if let Some(data) = envelope.get_mut("data").and_then(Value::as_object_mut) {
            data.insert("authTicket".into(), ticket(sealed, session.expires, ctx.now));
        }
    }
    Reply::json(body).with_header("set-cookie", policy::session_cookie(&ctx.origin, sealed, session.expires - ctx.now))
}

/// An answer carrying the session, for the caller: to a page of this very origin (the app: its browser says
/// `Sec-Fetch-Site: same-origin`, which a page's script cannot set) the sealed token is only in the `HttpOnly`
/// cookie, not in the JSON, so a script that ran in the page could not carry the session away. LibreLinkUp
/// clients (no such header) get it in `data.authTicket.token` (a sign-in) or `ticket.token` (a read), as
/// LibreLinkUp answers.
pub fn for_caller(mut reply: Reply, req: &Request) -> Reply {
    let same_origin = req.headers().get("sec-fetch-site").ok().flatten().is_some_and(|v| v == "same-origin");
    if same_origin && let Some(body) = reply.body.as_mut() {
        for place in ["/data/authTicket", "/ticket"] {
            if let Some(ticket) = body.pointer_mut(place).and_then(Value::as_object_mut) {
                ticket.insert("token".into(), Value::String(String::new()));
            }
        }
    }
    reply
}

/// LLU's ticket shape around a sealed token.
fn ticket(sealed: &str, expires: i64, now: i64) -> Value {
    json!({"token": sealed, "expires": expires, "duration": (expires - now).max(0) * 1000})
}

/// Rewrites `regionalMap` (and the top-level `lslApi`) so every region points at this server; drops the push
/// hubs and LibreView's `LSL-ServiceURL`, which the proxy does not serve. Drops any `ticket`.
pub fn point_back(mut body: Value, origin: &str) -> Value {
    let base = Value::String(format!("{origin}/"));
    if let Some(envelope) = body.as_object_mut() {
        envelope.remove("ticket");
    }
    if let Some(data) = body.get_mut("data").and_then(Value::as_object_mut) {
        if data.contains_key("lslApi") {
            data.insert("lslApi".into(), base.clone());
        }
        // LibreView's own API on the same host: not part of LLU, not served here.
        data.remove("LSL-ServiceURL");
        if let Some(map) = data.get_mut("regionalMap").and_then(Value::as_object_mut) {
            for entry in map.values_mut().filter_map(Value::as_object_mut) {
                entry.insert("lslApi".into(), base.clone());
                entry.remove("socketHub");
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_map_points_back_at_the_proxy() {
        // The repository's own LibreLinkUp fixture (`fixtures/llu/`).
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu/config_country.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let body = point_back(serde_json::from_str(&text).unwrap(), "https://tide.example");
        let map = body["data"]["regionalMap"].as_object().unwrap();
        assert!(map.len() >= 10);
        for entry in map.values() {
            assert_eq!(entry["lslApi"], "https://tide.example/");
            assert!(entry.get("socketHub").is_none());
        }
        assert_eq!(body["data"]["lslApi"], "https://tide.example/");
        let text = body.to_string();
        assert!(!text.contains("api-eu.libreview.io"), "an Abbott API host is left");
    }
}
