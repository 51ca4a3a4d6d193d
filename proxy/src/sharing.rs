//! Share links over HTTP: the owner's API (`/api/shares`), the viewer's reads (`/api/share/…` with
//! `Authorization: Share <secret>`) and the Nightscout-compatible read API (`?token=<secret>` or `api-secret`).
//! Every read goes through the owner's account hub, so viewers share the owner's 60-second cache; a share never
//! reaches the LLU facade, and its answers carry neither the LLU token, the account id nor the owner's e-mail.

use serde_json::{Value, json};
use shared::glance;
use shared::llu::wire::GlucoseItem;
use shared::nightscout;
use shared::reading::{Origin, Series};
use shared::time::{DAY, UtcTime};
use shared::units::GlucoseUnit;
use worker::Request;

use crate::error::{ApiError, ApiResult};
use crate::facade::{self, Ctx};
use crate::hub::Data;
use crate::policy;
use crate::reply::Reply;
use crate::seal::{Kind, Session, random_bytes, random_hex, sha256_hex};
use crate::shares::{self, Hashes, Key, Share, ShareAnswer, ShareRequest};
use crate::wire::{self, Wire};

/// Bytes of randomness in a secret (128 bits: 22 base64url characters).
pub const SECRET_BYTES: usize = 16;
/// Nightscout's default and largest `count`.
const NS_DEFAULT_COUNT: usize = 10;
const NS_MAX_COUNT: usize = 1000;
/// The device name Nightscout entries carry.
const NS_DEVICE: &str = "tidewatch";

/// `POST /api/shares`'s body: `{"patientId", "label", "expiresInDays"?, "alarms"?, "from"?}`, nothing else.
struct NewShare {
    patient_id: String,
    label: String,
    expires_in_days: Option<i64>,
    alarms: Option<bool>,
    acts_for_all: Option<bool>,
    from: Option<String>,
}

impl NewShare {
    const FIELDS: [&str; 6] = ["patientId", "label", "expiresInDays", "alarms", "actsForAll", "from"];

    fn read(value: &Value) -> Option<NewShare> {
        if !value.as_object()?.keys().all(|key| NewShare::FIELDS.contains(&key.as_str())) {
            return None;
        }
        Some(NewShare {
            patient_id: wire::get(value, "patientId")?,
            label: wire::get(value, "label")?,
            expires_in_days: wire::get(value, "expiresInDays")?,
            alarms: wire::get(value, "alarms")?,
            acts_for_all: wire::get(value, "actsForAll")?,
            from: wire::get(value, "from")?,
        })
    }
}

/// `POST /api/shares`: a new share of one of the owner's patients.
pub async fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let (session, token) = owner(ctx, req).await?;
    let body = facade::read_body(req).await?;
    let new = facade::body_json(&body).as_ref().and_then(NewShare::read).ok_or_else(|| {
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
        return Err(ApiError::new(404, "patient_not_followed", "This account does not follow that person."));
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
        session: facade::held_token(ctx, &session, &token),
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
    ask(ctx, &ShareRequest::Create(share)).await?;
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
    match ask(ctx, &ShareRequest::List { owner: owner_id(&session, &token) }).await? {
        ShareAnswer::List(list) => Ok(Reply::json(json!({ "shares": crate::wire::list(&list) }))),
        _ => Err(ApiError::internal()),
    }
}

/// `DELETE /api/shares/{id}`: revoked at once, for every viewer.
/// Also the owner (whose alarm object keeps the link's phones).
pub async fn revoke(ctx: &Ctx, req: &Request, id: String) -> ApiResult<(Reply, String)> {
    let (session, token) = owner(ctx, req).await?;
    let owner = owner_id(&session, &token);
    ask(ctx, &ShareRequest::Revoke { owner: owner.clone(), id }).await?;
    Ok((Reply::json(json!({ "revoked": true })), owner))
}

/// `GET /api/share/graph` and `/api/share/logbook`: LLU's envelope for the shared patient, plus what the
/// viewer's page shows about the share.
pub async fn view(ctx: &Ctx, req: &Request, logbook: bool) -> ApiResult<Reply> {
    let secret = share_secret(req).ok_or_else(no_share)?;
    let share = open(ctx, req, Key::Sha256(sha256_hex(&secret))).await?;
    // The logbook is the patient's alarm history: only for a link that shares alarms.
    if logbook && !share.alarms {
        return Err(ApiError::new(403, "logbook_not_shared", "Whoever shared this link did not share alarms."));
    }
    let data = if logbook { Data::Logbook(share.patient_id.clone()) } else { Data::Graph(share.patient_id.clone()) };
    let (mut body, age_secs) = read(ctx, &share, data).await?;
    crate::redact::for_viewer(&mut body);
    let glance = if logbook {
        None
    } else {
        glance_unit(req).map(|unit| first_glance(&body, ctx.now, unit, (&share.label, &share.from)))
    };
    if let Some(envelope) = body.as_object_mut() {
        envelope.remove("ticket");
        if let Some(glance) = glance {
            envelope.insert("glance".into(), glance);
        }
        envelope.insert(
            "share".into(),
            json!({
                "label": share.label,
                "from": share.from,
                "alarms": share.alarms,
                "expiresAt": UtcTime::from_unix_secs(share.expires).to_iso8601(),
            }),
        );
    }
    Ok(Reply::json(body).with_header("age", age_secs.to_string()))
}

/// The unit of `?glance=` (`mgdl` or `mmoll`) on a viewer's graph read: `boot.js` asks for the glance with a
/// link's first answer, in the unit the device shows.
fn glance_unit(req: &Request) -> Option<GlucoseUnit> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    match policy::query_value(query, "glance")? {
        "mgdl" => Some(GlucoseUnit::MgDl),
        "mmoll" => Some(GlucoseUnit::MmolL),
        _ => None,
    }
}

/// The glance as the app would draw it for this answer at `now` (`shared::glance`), as text for `boot.js`: a share
/// link's first look at the value does not wait for the app's code. The patient is named as the app names them,
/// and `sharedBy` is the app's line for the share's `(label, from)`.
pub fn first_glance(body: &Value, now: i64, unit: GlucoseUnit, names: (&str, &str)) -> Value {
    let g = glance::glance(&graph_series(body), UtcTime::from_unix_secs(now), unit);
    let connection = body.get("data").and_then(|d| d.get("connection"));
    let name = |field| connection.and_then(|c| c.get(field)).and_then(Value::as_str).unwrap_or_default();
    json!({
        "patient": shared::llu::display_name(name("firstName"), name("lastName")),
        "sharedBy": glance::shared_by(Some(names)),
        "value": g.value,
        "unit": g.unit,
        "arrow": g.arrow,
        "arrowLabel": g.arrow_label,
        "delta": g.marked_delta(),
        "footnote": g.footnote(),
        "age": g.age,
        "freshness": g.freshness_class(),
        "state": g.state_text(),
        "tone": g.tone.class(),
        "toneWords": g.tone.words(),
        "spoken": g.spoken,
    })
}

/// Which Nightscout read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Nightscout {
    /// `/api/v1/entries[.json]`, `/api/v1/entries/sgv[.json]`.
    Entries,
    /// `/api/v1/entries/current[.json]`.
    Current,
    /// `/api/v1/status[.json]`.
    Status,
    /// `/pebble`.
    Pebble,
}

/// The Nightscout-compatible reads of one share.
pub async fn nightscout(ctx: &Ctx, req: &Request, what: Nightscout) -> ApiResult<Reply> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    let api_secret = req.headers().get("api-secret").ok().flatten();
    let key = nightscout_key(query, api_secret.as_deref()).ok_or_else(no_share)?;
    let share = open(ctx, req, key).await?;
    let now = UtcTime::from_unix_secs(ctx.now);
    if what == Nightscout::Status {
        return Ok(Reply::json(status(&share, now)));
    }
    let (body, age_secs) = read(ctx, &share, Data::Graph(share.patient_id.clone())).await?;
    let series = graph_series(&body);
    let readings = series.as_slice();
    let count = |default: usize| {
        policy::query_value(query, "count")
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(default)
            .clamp(1, NS_MAX_COUNT)
    };
    let answer = match what {
        Nightscout::Entries => {
            let since = date_filter(query);
            nightscout::entries(readings, since, count(NS_DEFAULT_COUNT), NS_DEVICE).to_wire()
        }
        Nightscout::Current => nightscout::entries(readings, None, 1, NS_DEVICE).to_wire(),
        Nightscout::Pebble | Nightscout::Status => {
            let unit = match policy::query_value(query, "units") {
                Some("mmol") => GlucoseUnit::MmolL,
                _ => GlucoseUnit::MgDl,
            };
            nightscout::pebble(readings, now, count(1), unit).to_wire()
        }
    };
    Ok(Reply::json(answer).with_header("age", age_secs.to_string()))
}

/// The readings of an LLU graph envelope: its points and the current value, item by item (an item that does not
/// convert is left out, as the app does). Only the items go through LLU's wire types: deserialising the whole
/// `GraphData` would add its every type to the worker for nothing Nightscout needs.
pub fn graph_series(body: &Value) -> Series {
    let data = body.get("data");
    let points = data.and_then(|d| d.get("graphData")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let current = data.and_then(|d| d.get("connection")).and_then(|c| c.get("glucoseMeasurement"));
    let items = points.iter().map(|item| (item, Origin::Graph)).chain(current.map(|item| (item, Origin::Current)));
    Series::from_readings(
        items.filter_map(|(item, origin)| GlucoseItem::from_wire(item).and_then(|item| item.to_reading(origin).ok())),
    )
}

/// The owner signed in again: their share links read through the new session (best effort: a failure here
/// never fails the sign-in; the links then say "ask … to sign in again" until the next one).
pub async fn renew(ctx: &Ctx, owner: &str, sealed: &str) {
    let request = ShareRequest::Renew { owner: owner.to_owned(), session: sealed.to_owned() };
    let _ = ask(ctx, &request).await;
}

/// The signed-in owner of a request (a LibreLinkUp or demo session; never a share).
async fn owner(ctx: &Ctx, req: &Request) -> ApiResult<(Session, String)> {
    let (session, token) = facade::session(ctx, req).await?;
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
    let (body, _) = facade::read_data(ctx, session, Data::Connections).await?;
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
    let ip = policy::client_network(&ip);
    let share = match ask(ctx, &ShareRequest::Open { key, ip }).await? {
        ShareAnswer::Opened(share) => share,
        _ => return Err(ApiError::internal()),
    };
    if share.owner_signed_out {
        return Err(owner_signed_out(&share));
    }
    Ok(share)
}

/// Reads `data` through the owner's session; a session LibreLinkUp (or time) ended marks the share.
async fn read(ctx: &Ctx, share: &Share, data: Data) -> ApiResult<(Value, u32)> {
    let session = match ctx.config.key.open(&share.session, ctx.now) {
        Ok(session) => session,
        Err(_) => return Err(signed_out(ctx, share).await),
    };
    match facade::read_data(ctx, &session, data).await {
        Err(error) if error.code == "session_expired" => Err(signed_out(ctx, share).await),
        other => other,
    }
}

async fn signed_out(ctx: &Ctx, share: &Share) -> ApiError {
    let _ = ask(ctx, &ShareRequest::SignedOut { id: share.id.clone() }).await;
    owner_signed_out(share)
}

fn owner_signed_out(share: &Share) -> ApiError {
    let message = format!("Ask {} to sign in to Tidewatch again: their LibreLinkUp session has ended.", share.from);
    ApiError::new(503, "owner_signed_out", &message)
}

fn no_share() -> ApiError {
    ApiError::new(401, "no_share", "This needs a share link's secret.")
}

/// Sends `request` to the share book; its error answers become errors.
pub async fn ask(ctx: &Ctx, request: &ShareRequest) -> ApiResult<ShareAnswer> {
    let answer = facade::ask_object_text(&ctx.env, "SHARES", shares::BOOK, crate::wire::encode(request)).await?;
    match crate::wire::decode(&answer).ok_or_else(ApiError::internal)? {
        ShareAnswer::Error(error) => Err(error),
        answer => Ok(answer),
    }
}

/// Lower-case hex SHA-1 (Nightscout's `api-secret`).
pub async fn sha1_hex(text: &str) -> ApiResult<String> {
    push::sha1(text.as_bytes()).await.map(|digest| crate::seal::hex(&digest)).map_err(|_| ApiError::internal())
}

/// The key a Nightscout client presents: `?token=<token>`, or `api-secret` as the SHA-1 of the token (or, as some
/// clients send it, `token=<token>`). It opens a link's Nightscout token (or, for a link made before links had
/// one, the link's secret), never the link itself.
pub fn nightscout_key(query: &str, api_secret: Option<&str>) -> Option<Key> {
    if let Some(token) = policy::query_value(query, "token").filter(|t| !t.is_empty()) {
        return Some(Key::NightscoutSha256(sha256_hex(token)));
    }
    let header = api_secret?.trim();
    if let Some(token) = header.strip_prefix("token=") {
        return Some(Key::NightscoutSha256(sha256_hex(token)));
    }
    (header.len() == 40 && header.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Key::NightscoutSha1(header.to_ascii_lowercase()))
}

/// `find[date][$gte]` / `$gt` (epoch ms), percent-encoded or not, as an instant.
pub fn date_filter(query: &str) -> Option<UtcTime> {
    let names = [
        ("find[date][$gte]", 0),
        ("find%5Bdate%5D%5B%24gte%5D", 0),
        ("find[date][$gt]", 1),
        ("find%5Bdate%5D%5B%24gt%5D", 1),
    ];
    names.iter().find_map(|(name, after)| {
        let ms = policy::query_value(query, name)?.parse::<i64>().ok()?;
        // Readings are whole seconds: `$gt` of an instant starts one millisecond later, i.e. at the next second.
        Some(UtcTime::from_unix_millis(ms + after + 999))
    })
}

/// Nightscout's `status.json` for a share: enough for clients to see a live Nightscout-style server.
fn status(share: &Share, now: UtcTime) -> Value {
    json!({
        "status": "ok",
        "name": "Tidewatch",
        "version": env!("CARGO_PKG_VERSION"),
        "serverTime": now.to_iso8601(),
        "serverTimeEpoch": now.unix_millis(),
        "apiEnabled": true,
        "careportalEnabled": false,
        "boluscalcEnabled": false,
        "authorized": null,
        "settings": {
            "units": "mg/dl",
            "customTitle": format!("Tidewatch: {}", share.label),
            "alarmUrgentHigh": share.alarms,
            "alarmHigh": share.alarms,
            "alarmLow": share.alarms,
            "alarmUrgentLow": share.alarms,
            "thresholds": {"bgHigh": 250, "bgTargetTop": 180, "bgTargetBottom": 70, "bgLow": 55},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nightscout_clients_present_the_token_three_ways() {
        let by_token = Some(Key::NightscoutSha256(sha256_hex("s3cret")));
        assert_eq!(nightscout_key("count=5&token=s3cret", None), by_token);
        assert_eq!(nightscout_key("", Some("token=s3cret")), by_token);
        let sha1 = "fef341f85d87439e7d91a2d465b9871ef66b5e98".to_owned(); // SHA-1("s3cret")
        assert_eq!(nightscout_key("", Some(&sha1.to_ascii_uppercase())), Some(Key::NightscoutSha1(sha1)));
        assert_eq!(nightscout_key("count=5", None), None);
        assert_eq!(nightscout_key("", Some("not-a-hash")), None);
    }

    /// A link's first look and the app's glance say the same thing: the worker's text for LibreLinkUp answers (mg/dL
    /// and mmol/L patients) equals `shared::glance` on the app's typed path (`GraphData::readings`), when current
    /// and once the reading has gone stale.
    #[test]
    fn the_first_glance_is_the_apps_glance() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu/");
        for file in ["graph_mgdl.json", "graph_mmol.json"] {
            let text = std::fs::read_to_string(format!("{dir}{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
            let body: Value = serde_json::from_str(&text).unwrap();
            let typed: shared::llu::Envelope<shared::llu::GraphData> = serde_json::from_str(&text).unwrap();
            let graph = typed.data.unwrap();
            let series = graph.readings().series;
            let newest = series.newest().unwrap().at;
            for (unit, later) in [(GlucoseUnit::MgDl, 60), (GlucoseUnit::MmolL, 60), (GlucoseUnit::MgDl, 20 * 60)] {
                let now = newest.unix_secs() + later;
                let app = glance::glance(&series, UtcTime::from_unix_secs(now), unit);
                let first = first_glance(&body, now, unit, ("Grandma", "Alex"));
                assert_eq!(first["value"], app.value, "{file}");
                assert_eq!(first["unit"], app.unit);
                assert_eq!(first["arrow"], app.arrow);
                assert_eq!(first["arrowLabel"], app.arrow_label);
                assert_eq!(first["delta"], json!(app.marked_delta()));
                assert_eq!(first["footnote"], json!(app.footnote()));
                assert_eq!(first["sharedBy"], "Shared with Grandma by Alex · read-only");
                assert_eq!(first["age"], app.age);
                assert_eq!(first["freshness"], app.freshness_class());
                assert_eq!(first["state"], json!(app.state_text()));
                assert_eq!(first["tone"], app.tone.class());
                assert_eq!(first["spoken"], app.spoken);
                let name = shared::llu::display_name(&graph.connection.first_name, &graph.connection.last_name);
                assert_eq!(first["patient"], name);
            }
            let stale = first_glance(&body, newest.unix_secs() + 20 * 60, GlucoseUnit::MgDl, ("Grandma", "Alex"));
            assert_eq!((stale["freshness"].as_str(), stale["tone"].as_str()), (Some("stale"), Some("tone-stale")));
        }
        let empty = first_glance(
            &json!({"status": 0, "data": {"connection": {}, "graphData": []}}),
            0,
            GlucoseUnit::MgDl,
            ("a", "b"),
        );
        assert_eq!((empty["value"].as_str(), empty["freshness"].as_str()), (Some("---"), Some("no-data")));
        assert_eq!(empty["patient"], "Patient");
        let html = first_glance(&Value::String("<html>".into()), 0, GlucoseUnit::MgDl, ("a", "b"));
        assert_eq!(html["freshness"], "no-data");
    }

    #[test]
    fn date_filters_in_either_encoding() {
        let at = UtcTime::from_unix_secs(1_700_000_000);
        assert_eq!(date_filter("find[date][$gte]=1700000000000"), Some(at));
        assert_eq!(date_filter("count=3&find%5Bdate%5D%5B%24gte%5D=1700000000000"), Some(at));
        assert_eq!(date_filter("find[date][$gte]=1699999999500"), Some(at), "rounded up to whole seconds");
        assert_eq!(date_filter("find[date][$gt]=1700000000000"), Some(at + 1));
        assert_eq!(date_filter("count=3"), None);
    }
}
