//! `/api/notes` and Nightscout's `/api/v1/treatments`: the family's notes on a patient ("15 g juice", "sensor
//! changed"). The owner (their session and `patientId`) and a link that shares alarms (`Authorization: Share
//! <secret>`, signed with the link's name) read and write them; only the owner removes one; Nightscout clients
//! read them with the link's Nightscout token. They are kept with the patient's alarms (`watch::notes`), so a
//! patient's notes exist once a phone gets its alarms, and the demo keeps none (its visitors would read each
//! other's).

use serde_json::json;
use shared::code::Code;
use shared::notes::{Note, NoteKind, treatments};
use worker::Request;

use super::shares as links;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::policy;
use crate::reply::Reply;
use crate::route;
use crate::seal::{Kind, random_hex};
use crate::shares::Share;
use crate::watch::client::{ask_watch, group_key};
use crate::watch::requests::{WatchAnswer, WatchRequest};
use crate::wire;

/// Nightscout's treatments: how many when a client does not say, and at most.
const NS_DEFAULT_COUNT: usize = 100;
const NS_MAX_COUNT: usize = 1000;

/// Which request.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Asking {
    /// `GET /api/notes[?patientId=]`: the notes of the last two weeks, oldest first.
    Read,
    /// `POST /api/notes` `{"patientId"?, "kind"?, "text"?, "carbs"?, "at"?, "by"?}`: a note (now unless `at`,
    /// Unix seconds; `by` for the owner, a link signs with its own name).
    Add,
    /// `DELETE /api/notes/{id}?patientId=`: the owner removes a note.
    Remove(String),
}

/// What a note is written with (the app's JSON).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sent {
    patient_id: Option<String>,
    #[serde(default)]
    kind: NoteKind,
    #[serde(default)]
    text: String,
    carbs: Option<u16>,
    at: Option<i64>,
    #[serde(default)]
    by: String,
}

/// Whose notes a caller may touch: the patient group, its `Watcher`, and the link's name if a link asks.
struct Whose {
    group: String,
    object: String,
    link: Option<String>,
}

/// The three `/api/notes` requests.
pub async fn answer(ctx: &Ctx, req: &mut Request, asking: Asking) -> ApiResult<Reply> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    let queried = policy::query_value(query, "patientId").map(str::to_owned);
    match asking {
        Asking::Read => {
            let whose = whose(ctx, req, queried.as_deref()).await?;
            let notes = notes(ctx, &whose).await?;
            Ok(Reply::json(json!({ "notes": wire::to_value(&notes) })))
        }
        Asking::Add => {
            let body = crate::body::read_body(req).await?;
            let sent: Sent = crate::body::body_json(&body).as_ref().and_then(wire::from_value).ok_or_else(|| {
                ApiError::bad_request(
                    "Send {\"kind\": \"note\" | \"carbs\" | \"sensor\", \"text\", \"carbs\"?, \"at\"?}.",
                )
            })?;
            let whose = whose(ctx, req, sent.patient_id.as_deref().or(queried.as_deref())).await?;
            let now = ctx.now;
            let at = sent.at.unwrap_or(now);
            let id = format!("{:08x}{}", at.clamp(0, i64::from(u32::MAX)), random_hex(8));
            let by = whose.link.as_deref().unwrap_or(&sent.by);
            let note = Note::checked(id, at, sent.kind, &sent.text, sent.carbs, by, now)
                .map_err(|e| ApiError::bad_request(&e.to_string()))?;
            ask_watch(&ctx.env, &whose.object, &WatchRequest::AddNote { group: whose.group, note: note.clone() })
                .await?;
            Ok(Reply::json(json!({ "note": wire::to_value(&note) })))
        }
        Asking::Remove(id) => {
            let whose = whose(ctx, req, queried.as_deref()).await?;
            if whose.link.is_some() {
                return Err(ApiError::wrong_session("Only the account's owner removes notes."));
            }
            ask_watch(&ctx.env, &whose.object, &WatchRequest::RemoveNote { group: whose.group, id }).await?;
            Ok(Reply::json(json!({ "removed": true })))
        }
    }
}

/// Nightscout's `GET /api/v1/treatments[.json]` for a link's Nightscout token: its patient's notes, newest first,
/// `count` of them (100 unless it says), from `find[created_at][$gte]` on when given. A link that does not share
/// alarms reads none.
pub async fn treatments_json(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    let api_secret = req.headers().get("api-secret").ok().flatten();
    let key = links::nightscout_key(query, api_secret.as_deref()).ok_or_else(links::no_share)?;
    let share = links::open(ctx, req, key).await?;
    if !share.alarms {
        return Ok(Reply::json(json!([])));
    }
    let notes = notes(ctx, &of_share(ctx, &share)?).await?;
    let count = policy::query_value(query, "count")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(NS_DEFAULT_COUNT)
        .clamp(1, NS_MAX_COUNT);
    let since = ["find[created_at][$gte]", "find%5Bcreated_at%5D%5B%24gte%5D"]
        .iter()
        .find_map(|name| policy::query_value(query, name))
        .and_then(|at| shared::time::parse_iso8601(&at.replace("%3A", ":")));
    Ok(Reply::json(wire::to_value(&treatments(&notes, since, count))))
}

/// The notes of `whose`' patient.
async fn notes(ctx: &Ctx, whose: &Whose) -> ApiResult<Vec<Note>> {
    match ask_watch(&ctx.env, &whose.object, &WatchRequest::Notes { group: whose.group.clone() }).await? {
        WatchAnswer::Notes(notes) => Ok(notes),
        _ => Err(ApiError::internal()),
    }
}

/// The caller's patient: a link's (`Authorization: Share`), or the owner's `patient_id`, which their account must
/// follow.
async fn whose(ctx: &Ctx, req: &Request, patient_id: Option<&str>) -> ApiResult<Whose> {
    if let Some(secret) = links::share_secret(req) {
        return of_share(ctx, &links::open_with_alarms(ctx, req, &secret).await?);
    }
    let (session, _) = crate::sessions::session(ctx, req).await?;
    match session.kind {
        Kind::Full => {}
        Kind::Demo => return Err(ApiError::wrong_session("The demo keeps no notes: sign in to your own account.")),
        _ => return Err(ApiError::wrong_session("Accept LibreLinkUp's documents first.")),
    }
    let patient_id = patient_id.unwrap_or_default().to_ascii_lowercase();
    if !policy::is_patient_id(&patient_id) || !links::follows(ctx, &session, &patient_id).await? {
        return Err(ApiError::new(404, Code::PatientNotFollowed, "This account does not follow that person."));
    }
    at_group(group_key(&session, &patient_id), None)
}

/// A link's patient, through its owner's session.
fn of_share(ctx: &Ctx, share: &Share) -> ApiResult<Whose> {
    let session = ctx.config.key.open(&share.session, ctx.now).map_err(|_| {
        ApiError::new(503, Code::OwnerSignedOut, &format!("Ask {} to sign in to Tidewatch again.", share.from))
    })?;
    if session.kind == Kind::Demo {
        return Err(ApiError::wrong_session("The demo keeps no notes: sign in to your own account."));
    }
    at_group(group_key(&session, &share.patient_id), Some(share.label.clone()))
}

fn at_group(group: String, link: Option<String>) -> ApiResult<Whose> {
    let object = route::object(&route::group_route(&group).ok_or_else(ApiError::internal)?);
    Ok(Whose { group, object, link })
}
