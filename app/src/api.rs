//! The one place the app talks to the Tidewatch server (same origin): the LibreLinkUp-compatible facade and the
//! server's own `/api/*`. The session is the server's `HttpOnly` cookie, so no token ever passes through here.

use gloo_net::http::{Request, RequestBuilder};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shared::alarm::AlarmKind;
use shared::code::Code;
use shared::llu::wire::{Connection, Envelope, GraphData, LoginStep};
pub use shared::notes::{Note, NoteKind};
pub use shared::phones::{Interruption, PhoneInfo, PhoneList};
pub use shared::rota::{Rota, RotaView};

/// Why a call failed, as the app explains it.
#[derive(Clone, PartialEq, Debug)]
pub enum ApiError {
    /// The server answered with one of its error codes (see the proxy's `error.rs`).
    Server {
        /// HTTP status.
        http: u16,
        /// The stable code, such as `bad_credentials` or `locked`.
        code: String,
        /// The server's own sentence.
        message: String,
        /// How long to wait before trying again, when the server said.
        retry_after_secs: Option<u32>,
    },
    /// No answer: the phone is offline or the server is unreachable.
    Network,
    /// An answer that is not what the server sends (an HTML page, broken JSON).
    Malformed,
}

impl ApiError {
    /// The error's code as written on the wire (the server's, or `network` / `malformed_answer`), for `data-code`.
    pub fn code_name(&self) -> &str {
        match self {
            ApiError::Server { code, .. } => code,
            ApiError::Network => Code::Network.as_str(),
            ApiError::Malformed => Code::MalformedAnswer.as_str(),
        }
    }

    /// The error's code; `None` for a code this app does not know (a newer server's).
    pub fn code(&self) -> Option<Code> {
        Code::parse(self.code_name())
    }

    /// Whether this error means "sign in again".
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self.code(),
            Some(
                Code::NoSession
                    | Code::SessionInvalid
                    | Code::SessionExpired
                    | Code::SessionRevoked
                    | Code::WrongSession
            )
        )
    }
}

/// The server's error body: `{"status": n, "error": {"code", "message", "retryAfterSecs"}}`.
#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    retry_after_secs: Option<u32>,
}

/// Sends `request` and decodes a LibreLinkUp envelope of `T`; any non-2xx answer becomes an [`ApiError`].
async fn call<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<Envelope<T>, ApiError> {
    send(request).await
}

/// Sends `request` and reads a JSON answer of type `T`, or the server's error.
async fn send<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> Result<T, ApiError> {
    let request = request.map_err(|_| ApiError::Malformed)?;
    read(request.send().await.map_err(|_| ApiError::Network)?).await
}

/// Reads a JSON answer of type `T`, or the server's error.
async fn read<T: DeserializeOwned>(response: gloo_net::http::Response) -> Result<T, ApiError> {
    let http = response.status();
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    if !(200..300).contains(&http) {
        return Err(match serde_json::from_str::<ErrorEnvelope>(&text) {
            Ok(ErrorEnvelope { error }) => ApiError::Server {
                http,
                code: error.code,
                message: error.message,
                retry_after_secs: error.retry_after_secs,
            },
            Err(_) => ApiError::Malformed,
        });
    }
    serde_json::from_str(&text).map_err(|_| ApiError::Malformed)
}

/// A bodiless POST.
fn post(path: &str) -> Result<Request, gloo_net::Error> {
    RequestBuilder::new(path).method(gloo_net::http::Method::POST).build()
}

/// The result of a sign-in attempt.
#[derive(Clone, PartialEq, Debug)]
pub enum SignIn {
    /// Signed in: the cookie is set.
    Done,
    /// LibreLinkUp asks the user to accept a document (or verify the e-mail) first.
    Step(LoginStep),
}

/// Reads a login answer: `data.user` means signed in, `data.step` a step.
fn sign_in_of(envelope: Envelope<Value>) -> Result<SignIn, ApiError> {
    let data = envelope.data.unwrap_or(Value::Null);
    if data.get("step").is_some() {
        return serde_json::from_value(data).map(SignIn::Step).map_err(|_| ApiError::Malformed);
    }
    if envelope.status == 0 && data.get("user").is_some() {
        return Ok(SignIn::Done);
    }
    Err(ApiError::Malformed)
}

/// `POST /llu/auth/login`, starting at `entry` (`global`, or `ru`/`cn` for accounts made in Russia or China, which
/// LibreLinkUp's global host does not know).
/// `keep`: "keep me signed in for the alarms" (the server keeps the sign-in, sealed, to sign in again by itself).
pub async fn login(email: &str, password: &str, entry: &str, keep: bool) -> Result<SignIn, ApiError> {
    let body = serde_json::json!({"email": email, "password": password, "entry": entry, "keepSignedIn": keep});
    sign_in_of(call(Request::post("/llu/auth/login").json(&body)).await?)
}

/// `POST /auth/continue/{tou|pp}`: accepts the document the step showed, on the user's explicit tap.
pub async fn accept(document: &str) -> Result<SignIn, ApiError> {
    sign_in_of(call(post(&format!("/auth/continue/{document}"))).await?)
}

/// `POST /api/demo`: a demo session.
pub async fn demo() -> Result<SignIn, ApiError> {
    sign_in_of(call(post("/api/demo")).await?)
}

/// `POST /api/logout` (this session, on the server too), or `POST /api/logout/everywhere` (every session of the
/// account: a lost phone, a browser left signed in).
pub async fn logout(everywhere: bool) -> Result<(), ApiError> {
    let path = if everywhere { "/api/logout/everywhere" } else { "/api/logout" };
    call::<Value>(post(path)).await.map(|_| ())
}

/// `GET /llu/connections`: everyone this account follows.
pub async fn connections() -> Result<Vec<Connection>, ApiError> {
    call::<Vec<Connection>>(Request::get("/llu/connections").build()).await?.data.ok_or(ApiError::Malformed)
}

/// `GET /llu/connections/{patientId}/graph`: the last 12 hours and the current value. `opened`: the first read of
/// this patient on this page (`?open=1`): the server reads the history again if it is over a minute old, where
/// otherwise it reads it every 5 minutes (the current value is always the minute's).
pub async fn graph(patient_id: &str, opened: bool) -> Result<GraphData, ApiError> {
    let open = if opened { "?open=1" } else { "" };
    let path = format!("/llu/connections/{patient_id}/graph{open}");
    call::<GraphData>(Request::get(&path).build()).await?.data.ok_or(ApiError::Malformed)
}

/// `GET /api/health`: what the server last heard from LibreLinkUp, per region (nothing about any account).
#[derive(Clone, PartialEq, Debug, Deserialize)]
pub struct Health {
    /// Every region's last word was a success.
    pub ok: bool,
    /// By region code.
    #[serde(default)]
    pub librelinkup: std::collections::BTreeMap<String, RegionHealth>,
}

/// One region's last success and last error (ISO 8601 times).
#[derive(Clone, PartialEq, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionHealth {
    /// When LibreLinkUp last answered well.
    pub last_success: Option<String>,
    /// Its last error.
    pub last_error: Option<LastError>,
}

/// A region's last error.
#[derive(Clone, PartialEq, Debug, Deserialize)]
pub struct LastError {
    /// The error's code (`maintenance`, `edge_blocked`, …).
    pub code: String,
    /// When.
    pub at: String,
}

impl Health {
    /// A region whose last word was the error `code` (the newest such): the server as a whole cannot reach
    /// LibreLinkUp there, for that reason. Its last success, if it had one.
    pub fn outage(&self, code: Code) -> Option<Option<&str>> {
        self.librelinkup
            .values()
            .filter_map(|region| {
                let error = region.last_error.as_ref().filter(|e| e.code == code.as_str())?;
                // ISO 8601 in UTC sorts as text.
                let recovered = region.last_success.as_deref().is_some_and(|ok| ok > error.at.as_str());
                (!recovered).then_some((error.at.as_str(), region.last_success.as_deref()))
            })
            .max_by(|a, b| a.0.cmp(b.0))
            .map(|(_, last_success)| last_success)
    }
}

/// `GET /api/health`.
pub async fn health() -> Result<Health, ApiError> {
    send::<Health>(Request::get("/api/health").build()).await
}

/// A family share link as its owner sees it (never its secret).
#[derive(Clone, PartialEq, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareInfo {
    /// Its id (to revoke it).
    pub id: String,
    /// The patient it shows.
    pub patient_id: String,
    /// Who it is for.
    pub label: String,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub expires: i64,
    /// Unix seconds, if a viewer has used it.
    pub last_used: Option<i64>,
    /// `active`, `owner_signed_out`, `revoked` or `expired`.
    pub state: String,
    /// Whether its "I'm on it" may quiet every phone (absent from servers before the choice existed).
    #[serde(default)]
    pub acts_for_all: bool,
}

/// A share link just made: the only time its secret is seen.
#[derive(Clone, PartialEq, Debug, Deserialize)]
pub struct NewShare {
    /// The link to send (`https://host/#/s/<secret>`).
    pub url: String,
    /// The same share for Nightscout clients.
    pub nightscout: String,
}

#[derive(Deserialize)]
struct ShareList {
    shares: Vec<ShareInfo>,
}

/// `GET /api/shares`.
pub async fn shares() -> Result<Vec<ShareInfo>, ApiError> {
    send::<ShareList>(Request::get("/api/shares").build()).await.map(|l| l.shares)
}

/// `POST /api/shares`: a link to `patient_id` for `label`, for `days` days.
pub async fn create_share(
    patient_id: &str,
    label: &str,
    from: &str,
    days: i64,
    alarms: bool,
    acts_for_all: bool,
) -> Result<NewShare, ApiError> {
    let body = serde_json::json!({
        "patientId": patient_id, "label": label, "from": from, "expiresInDays": days, "alarms": alarms,
        "actsForAll": alarms && acts_for_all,
    });
    send(Request::post("/api/shares").json(&body)).await
}

/// `DELETE /api/shares/{id}`.
pub async fn revoke_share(id: &str) -> Result<(), ApiError> {
    send::<Value>(RequestBuilder::new(&format!("/api/shares/{id}")).method(gloo_net::http::Method::DELETE).build())
        .await
        .map(|_| ())
}

/// `GET /api/push/phones`.
pub async fn phones() -> Result<PhoneList, ApiError> {
    send::<PhoneList>(Request::get("/api/push/phones").build()).await
}

/// `DELETE /api/push/phones/{id}`.
pub async fn remove_phone(id: &str) -> Result<(), ApiError> {
    let path = format!("/api/push/phones/{id}");
    send::<Value>(RequestBuilder::new(&path).method(gloo_net::http::Method::DELETE).build()).await.map(|_| ())
}

#[derive(Deserialize)]
struct Rotas {
    rotas: Vec<RotaView>,
}

/// `GET /api/push/rota`: the owner's patients that have phones, each rota, who is on duty, the night log.
pub async fn rotas() -> Result<Vec<RotaView>, ApiError> {
    send::<Rotas>(Request::get("/api/push/rota").build()).await.map(|r| r.rotas)
}

/// `POST /api/push/rota`: the owner sets (`None`: removes) `patient_id`'s rota.
pub async fn set_rota(patient_id: &str, rota: Option<&Rota>) -> Result<(), ApiError> {
    let body = serde_json::json!({"patientId": patient_id, "rota": rota});
    send::<Value>(Request::post("/api/push/rota").json(&body)).await.map(|_| ())
}

/// `POST /api/push/alarm-test`: the owner sets (`None`: removes) `patient_id`'s daily alarm test.
pub async fn set_alarm_test(patient_id: &str, test: Option<shared::phones::AlarmTest>) -> Result<(), ApiError> {
    let body = serde_json::json!({"patientId": patient_id, "alarmTest": test});
    send::<Value>(Request::post("/api/push/alarm-test").json(&body)).await.map(|_| ())
}

/// `POST /api/push/duty`: "I take over" on this phone for `hours`.
pub async fn take_over(sub: &PushSub, hours: i64) -> Result<(), ApiError> {
    let body = serde_json::json!({"id": sub.id, "key": sub.key, "hours": hours});
    send::<Value>(Request::post("/api/push/duty").json(&body)).await.map(|_| ())
}

/// Whose notes: the owner's patient (the session's cookie) or a link's (its secret).
#[derive(Clone, PartialEq, Debug)]
pub enum NotesOf {
    /// The owner's patient, by LibreLinkUp's id.
    Patient(String),
    /// A link's patient.
    Link(String),
}

impl NotesOf {
    /// `path` with the patient's id for the owner, and the link's `Authorization` for a link.
    fn request(&self, method: gloo_net::http::Method, path: &str) -> RequestBuilder {
        match self {
            NotesOf::Patient(id) => RequestBuilder::new(&format!("{path}?patientId={id}")).method(method),
            NotesOf::Link(secret) => {
                RequestBuilder::new(path).method(method).header("authorization", &format!("Share {secret}"))
            }
        }
    }
}

#[derive(Deserialize)]
struct Notes {
    notes: Vec<Note>,
}

#[derive(Deserialize)]
struct Added {
    note: Note,
}

/// `GET /api/notes`: the family's notes on the patient of the last two weeks, oldest first.
pub async fn notes(of: &NotesOf) -> Result<Vec<Note>, ApiError> {
    send::<Notes>(of.request(gloo_net::http::Method::GET, "/api/notes").build()).await.map(|n| n.notes)
}

/// `POST /api/notes`: a note now (`kind`, words, grams for carbs, and the name the owner signs with; a link signs
/// with its own).
pub async fn add_note(
    of: &NotesOf,
    kind: NoteKind,
    text: &str,
    carbs: Option<u16>,
    by: &str,
) -> Result<Note, ApiError> {
    let body = serde_json::json!({"kind": kind, "text": text, "carbs": carbs, "by": by});
    send::<Added>(of.request(gloo_net::http::Method::POST, "/api/notes").json(&body)).await.map(|a| a.note)
}

/// `DELETE /api/notes/{id}`: the owner removes a note.
pub async fn remove_note(of: &NotesOf, id: &str) -> Result<(), ApiError> {
    let request = of.request(gloo_net::http::Method::DELETE, &format!("/api/notes/{id}")).build();
    send::<Value>(request).await.map(|_| ())
}

/// What a viewer's page knows about the share it shows.
#[derive(Clone, PartialEq, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareMeta {
    /// Who it is for.
    pub label: String,
    /// Who shared it.
    pub from: String,
    /// Whether the viewer may see alarms.
    pub alarms: bool,
}

#[derive(Deserialize)]
struct SharedGraph {
    data: Option<GraphData>,
    share: ShareMeta,
}

/// `GET /api/share/graph` with the link's secret: the shared patient's graph and the share's details.
/// The first time, it takes the answer `boot.js` asked for while the app's code was downloading.
pub async fn share_graph(secret: &str) -> Result<(GraphData, ShareMeta), ApiError> {
    let answer = match crate::platform::take_early_share_graph(secret) {
        Some(early) => read::<SharedGraph>(early.await.map_err(|_| ApiError::Network)?.into()).await?,
        None => {
            let request = Request::get("/api/share/graph").header("authorization", &format!("Share {secret}")).build();
            send::<SharedGraph>(request).await?
        }
    };
    Ok((answer.data.ok_or(ApiError::Malformed)?, answer.share))
}

/// This phone's background-alarm subscription on the server.
#[derive(Clone, PartialEq, Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSub {
    /// Its id.
    pub id: String,
    /// Its key (what the service worker's actions present too).
    pub key: String,
    /// Whether "I'm on it" on one phone stops every phone (the owner's choice).
    #[serde(default)]
    pub shared_ack: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushKey {
    public_key: String,
}

/// `GET /api/push/key`: the server's VAPID public key (`push_not_configured` when it has none).
pub async fn push_key() -> Result<String, ApiError> {
    send::<PushKey>(Request::get("/api/push/key").build()).await.map(|k| k.public_key)
}

/// `POST /api/push/subscribe`, as the owner (cookie) or with a share link's secret.
pub async fn push_subscribe(share_secret: Option<&str>, body: &Value) -> Result<PushSub, ApiError> {
    let mut request = RequestBuilder::new("/api/push/subscribe").method(gloo_net::http::Method::POST);
    if let Some(secret) = share_secret {
        request = request.header("authorization", &format!("Share {secret}"));
    }
    send(request.json(body)).await
}

/// `POST /api/push/{what}` (`unsubscribe`, `test`) for this phone.
pub async fn push_call(what: &str, sub: &PushSub) -> Result<Value, ApiError> {
    let body = serde_json::json!({"id": sub.id, "key": sub.key});
    send(Request::post(&format!("/api/push/{what}")).json(&body)).await
}

#[derive(Deserialize)]
struct PhoneStatus {
    phone: Option<PhoneInfo>,
}

/// `POST /api/push/status`: how alarms reach this phone (when one last did), or `None` if the server no longer
/// has it.
pub async fn push_status(sub: &PushSub) -> Result<Option<PhoneInfo>, ApiError> {
    let body = serde_json::json!({"id": sub.id, "key": sub.key});
    send::<PhoneStatus>(Request::post("/api/push/status").json(&body)).await.map(|s| s.phone)
}

/// `POST /api/push/loud`: this phone's loud channel (`None` removes it).
pub async fn set_loud(sub: &PushSub, loud: Option<&shared::loud::Loud>) -> Result<Value, ApiError> {
    let body = serde_json::json!({"id": sub.id, "key": sub.key, "loud": loud});
    send(Request::post("/api/push/loud").json(&body)).await
}

/// `POST /api/push/ack`: "I'm on it" (`snooze_min` `None`) or "Snooze" tapped in the app, so the server's
/// repeats stop too (for this phone, or every phone of the patient with shared acknowledgement). The same call
/// the service worker makes for a notification's buttons.
pub async fn push_act(sub: &PushSub, kind: AlarmKind, snooze_min: Option<i64>) -> Result<Value, ApiError> {
    let action = if snooze_min.is_some() { "snooze" } else { "ack" };
    let body = serde_json::json!({"id": sub.id, "key": sub.key, "kind": kind, "action": action, "minutes": snooze_min});
    send(Request::post("/api/push/ack").json(&body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(json: &str) -> Health {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn an_outage_is_a_region_whose_last_word_was_that_error() {
        let answer = health(
            r#"{"ok": false, "version": {}, "alarms": null, "librelinkup": {
                "eu": {"lastSuccess": "2026-12-07T02:10:00Z", "lastError": {"code": "maintenance", "at": "2026-12-07T02:14:00Z"}},
                "us": {"lastSuccess": "2026-12-07T02:20:00Z", "lastError": {"code": "maintenance", "at": "2026-12-07T01:00:00Z"}},
                "jp": {"lastSuccess": null, "lastError": {"code": "edge_blocked", "at": "2026-12-07T02:00:00Z"}}
            }}"#,
        );
        assert_eq!(answer.outage(Code::Maintenance), Some(Some("2026-12-07T02:10:00Z")), "eu, not the recovered us");
        assert_eq!(answer.outage(Code::EdgeBlocked), Some(None), "never answered");
        assert_eq!(answer.outage(Code::ProtocolChanged), None, "another failure than the page's");
        assert_eq!(health(r#"{"ok": true}"#).outage(Code::Maintenance), None);
    }
}
