//! Share links over HTTP: the owner's API (`/api/shares`), the viewer's reads (`/api/share/…` with
//! `Authorization: Share <secret>`) and the Nightscout-compatible read API (`?token=<secret>` or `api-secret`).
//! Every read goes through the owner's account hub, so viewers share the owner's 60-second cache; a share never
//! reaches the LLU facade, and its answers carry neither the LLU token, the account id nor the owner's e-mail.

mod nightscout;
mod view;

use serde_json::{Value, json};
use shared::code::Code;
use shared::time::{DAY, UtcTime};
use worker::Request;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::Data;
use crate::policy;
use crate::reply::Reply;
use crate::seal::{Kind, Session, random_bytes, random_hex, sha256_hex};
use crate::shares::{self, Hashes, Key, Share, ShareAnswer, ShareRequest};
use crate::wire;

pub use self::nightscout::{Nightscout, date_filter, nightscout, nightscout_key};
pub use self::view::{first_glance, view};
use crate::shares::{ask_owner, find_share};

/// Bytes of randomness in a secret (128 bits: 22 base64url characters).
pub const SECRET_BYTES: usize = 16;

/// `POST /api/shares`'s body: `{"patientId", "label", "expiresInDays"?, "alarms"?, "from"?}`, nothing else.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewShare {
    patient_id: String,
    label: String,
    expires_in_days: Option<i64>,
    alarms: Option<bool>,
    acts_for_all: Option<bool>,
    from: Option<String>,
}

impl NewShare {
    fn read(value: &Value) -> Option<NewShare> {
        wire::from_value(value)
    }
}

/// `POST /api/shares`: a new share of one of the owner's patients.
pub async fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let (session, token) = owner(ctx, req).await?;
    let body = crate::body::read_body(req).await?;
    let new = crate::body::body_json(&body).as_ref().and_then(NewShare::read).ok_or_else(|| {
        ApiError::bad_request("Send {\"patientId\", \"label\", \"expiresInDays\", \"alarms\"} as JSON.")
    })?;
    let label = new.label.trim().to_owned();
    let from = new.from.as_deref().map(str::trim).filter(|f| !f.is_empty()).unwrap_or("the person who shared it");
    if label.is_empty() || label.chars().count() > shares::MAX_LABEL_CHARS || from.chars().count() > 60 {
        return Err(ApiError::bad_request("Give the share a name of 1 to 60 characters (for example \"Grandma\")."));
    }
    let days = new.expires_in_days.unwrap_or(shares::DEFAULT_DAYS);
    if !(1..=shares::MAX_DAYS).contains(&days) {
        return Err(ApiError::bad_request("A share lasts 1 to 365 days."));
    }
    let patient_id = new.patient_id.to_ascii_lowercase();
    if !policy::is_patient_id(&patient_id) || !follows(ctx, &session, &patient_id).await? {
        return Err(ApiError::new(404, Code::PatientNotFollowed, "This account does not follow that person."));
    }
    let secret = new_secret();
    // The Nightscout apps get a token of their own: it goes into their settings and URLs (and so into logs),
    // reads the Nightscout routes and nothing else, and ends with the link.
    let nightscout = new_secret();
    let id = random_hex(8);
    // A demo visitor's link ends with the visit's session: the demo leaves nothing behind for long.
    let expires = match session.kind {
        Kind::Demo => (ctx.now + days * DAY).min(session.expires),
        _ => ctx.now + days * DAY,
    };
    let share = Share {
        id: id.clone(),
        sha256: sha256_hex(&secret),
        sha1: sha1_hex(&secret).await?,
        nightscout: Some(Hashes { sha256: sha256_hex(&nightscout), sha1: sha1_hex(&nightscout).await? }),
        owner: owner_id(&session, &token),
        session: crate::sessions::held_token(ctx, &session, &token),
        patient_id,
        label,
        from: from.to_owned(),
        alarms: new.alarms.unwrap_or(true),
        // Only with alarms: a link that shows none has nothing to acknowledge.
        acts_for_all: new.alarms.unwrap_or(true) && new.acts_for_all.unwrap_or(false),
        created: ctx.now,
        expires,
        revoked: None,
        last_used: None,
        owner_signed_out: false,
    };
    ask_owner(ctx, &share.owner.clone(), &ShareRequest::Create(share)).await?;
    Ok(Reply::json(json!({
        "id": id,
        "secret": secret,
        "url": format!("{}/#/s/{secret}", ctx.origin),
        "nightscout": format!("{}/api/v1/entries.json?token={nightscout}", ctx.origin),
        "nightscoutToken": nightscout,
        "expiresAt": UtcTime::from_unix_secs(expires).to_iso8601(),
    })))
}

/// A fresh random secret: [`SECRET_BYTES`] as base64url.
fn new_secret() -> String {
    let mut bytes = [0_u8; SECRET_BYTES];
    random_bytes(&mut bytes);
    push::b64(&bytes)
}

/// `GET /api/shares`: the owner's shares, never their secrets.
pub async fn list(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let (session, token) = owner(ctx, req).await?;
    let owner = owner_id(&session, &token);
    match ask_owner(ctx, &owner, &ShareRequest::List { owner: owner.clone() }).await? {
        ShareAnswer::List(list) => Ok(Reply::json(json!({ "shares": list }))),
        _ => Err(ApiError::internal()),
    }
}

/// `DELETE /api/shares/{id}`: revoked at once, for every viewer.
/// Also the owner (whose alarm object keeps the link's phones).
pub async fn revoke(ctx: &Ctx, req: &Request, id: String) -> ApiResult<(Reply, String)> {
    let (session, token) = owner(ctx, req).await?;
    let owner = owner_id(&session, &token);
    ask_owner(ctx, &owner, &ShareRequest::Revoke { owner: owner.clone(), id }).await?;
    Ok((Reply::json(json!({ "revoked": true })), owner))
}

/// The signed-in owner of a request (a LibreLinkUp or demo session; never a share).
async fn owner(ctx: &Ctx, req: &Request) -> ApiResult<(Session, String)> {
    let (session, token) = crate::sessions::session(ctx, req).await?;
    match session.kind {
        Kind::Full | Kind::Demo => Ok((session, token)),
        Kind::Tou | Kind::Pp => Err(ApiError::wrong_session("Accept LibreLinkUp's documents first.")),
    }
}

/// Who owns the shares a session makes: the LibreLinkUp account, or for the demo (one account id for everyone)
/// that one demo session, so demo visitors never see or revoke each other's links.
fn owner_id(session: &Session, token: &str) -> String {
    match session.kind {
        Kind::Demo => format!("demo:{}", sha256_hex(token)),
        _ => session.account_id.clone(),
    }
}

/// Whether the owner's account follows `patient_id` (through the shared cache).
pub async fn follows(ctx: &Ctx, session: &Session, patient_id: &str) -> ApiResult<bool> {
    let (body, _) = crate::sessions::read_data(ctx, session, Data::Connections).await?;
    let list = body.get("data").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    Ok(list
        .iter()
        .any(|c| c.get("patientId").and_then(Value::as_str).is_some_and(|id| id.eq_ignore_ascii_case(patient_id))))
}

/// The secret of `Authorization: Share <secret>`, if the request has one.
pub fn share_secret(req: &Request) -> Option<String> {
    let header = req.headers().get("authorization").ok().flatten()?;
    let (scheme, secret) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("share").then(|| secret.trim().to_owned())
}

/// The live share for `key`, or the one answer for unknown, revoked and expired secrets.
pub async fn open(ctx: &Ctx, req: &Request, key: Key) -> ApiResult<Share> {
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    let share = find_share(ctx, &key, &policy::client_network(&ip)).await?.ok_or_else(shares::share_gone)?;
    if share.owner_signed_out {
        return Err(owner_signed_out(&share));
    }
    Ok(share)
}

/// The live share for a link's `secret` that shares alarms (its phones get them, and its notes are kept with
/// them); a link without them is told so.
pub async fn open_with_alarms(ctx: &Ctx, req: &Request, secret: &str) -> ApiResult<Share> {
    let share = open(ctx, req, Key::Sha256(sha256_hex(secret))).await?;
    if !share.alarms {
        return Err(ApiError::new(403, Code::AlarmsNotShared, "Whoever shared this link did not share alarms."));
    }
    Ok(share)
}

/// Reads `data` through the owner's session; a session LibreLinkUp (or time) ended marks the share. `opened`: a
/// viewer opened the link ([`crate::sessions::opened`]).
async fn read(ctx: &Ctx, share: &Share, data: Data, opened: bool) -> ApiResult<(Value, u32)> {
    let session = match ctx.config.key.open(&share.session, ctx.now) {
        Ok(session) => session,
        Err(_) => return Err(signed_out(ctx, share).await),
    };
    match crate::sessions::read_held(ctx, &session, data, opened).await {
        Err(error) if error.code == Code::SessionExpired => Err(signed_out(ctx, share).await),
        Err(error) => Err(error),
        Ok((body, age, rolled)) => {
            // LLU's newer ticket carries the owner's links on (best effort: the next read tries again).
            if let Some(rolled) = rolled {
                let sealed = ctx.config.key.seal(&rolled, crate::seal::random_nonce());
                let renew = ShareRequest::Renew { owner: share.owner.clone(), session: sealed };
                let _ = ask_owner(ctx, &share.owner, &renew).await;
            }
            Ok((body, age))
        }
    }
}

async fn signed_out(ctx: &Ctx, share: &Share) -> ApiError {
    let _ = ask_owner(ctx, &share.owner, &ShareRequest::SignedOut { id: share.id.clone() }).await;
    owner_signed_out(share)
}

fn owner_signed_out(share: &Share) -> ApiError {
    let message = format!("Ask {} to sign in to Tidewatch again: their LibreLinkUp session has ended.", share.from);
    ApiError::new(503, Code::OwnerSignedOut, &message)
}

pub(crate) fn no_share() -> ApiError {
    ApiError::new(401, Code::NoShare, "This needs a share link's secret.")
}

/// Lower-case hex SHA-1 (Nightscout's `api-secret`).
pub async fn sha1_hex(text: &str) -> ApiResult<String> {
    push::sha1(text.as_bytes()).await.map(|digest| crate::seal::hex(&digest)).map_err(|_| ApiError::internal())
}
