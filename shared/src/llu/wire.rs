//! The LLU v4 (`/llu/*`) JSON shapes, exactly as on the wire (llu-protocol.md sections 3–4).
//!
//! Every type deserialises the real captures in `fixtures/llu/` and serialises back to the same typed value, so
//! the proxy and the simulator can re-emit LLU JSON. Tolerance is deliberate and local: a field is optional only
//! where real responses vary (`sensor: null`, no `activeSensors`, no `graphData`, no `glucoseMeasurement`,
//! `alarmRules` members absent, `invitations: null`, no `patientDevice.u`). Unknown fields are ignored, except on
//! the login user and the country config, where they are kept (`extra`) because the proxy re-emits them.
//! Numbers that are sometimes integers and sometimes not, or whose unit nobody documents, stay
//! [`serde_json::Number`] so that re-emitted JSON keeps their exact form (`55` stays `55`, `3.3` stays `3.3`).

use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

/// The envelope around every LLU answer: `{status, data, ticket, error}`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// 0 for success; 2 bad credentials, 4 action required / not loadable, 429 locked, 911 maintenance, 920 version.
    pub status: i64,
    /// The payload (absent in most error answers).
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
    /// A freshly issued 180-day token, sent with every authenticated answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    /// `{"message": …}` on errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `Option::None` without requiring `T: Default` (serde's `default` on a generic field).
const fn none<T>() -> Option<T> {
    None
}

/// The `error` member of an envelope.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-ish text such as `couldNotLoadPatient` or `notAuthenticated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An LLU token with its expiry (`authTicket` in a login, `ticket` in every authenticated answer).
///
/// `Debug` does not print the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The HS256 JWT to send as `authorization: Bearer …`.
    pub token: String,
    /// When it expires, epoch **seconds**.
    pub expires: i64,
    /// Its lifetime in **milliseconds** (180 days for a login, 1 h for a step token).
    pub duration: i64,
}

impl crate::wire::Wire for Ticket {
    fn to_wire(&self) -> serde_json::Value {
        crate::wire::object(vec![
            ("token", self.token.clone().into()),
            ("expires", self.expires.into()),
            ("duration", self.duration.into()),
        ])
    }

    fn from_wire(value: &serde_json::Value) -> Option<Ticket> {
        Some(Ticket {
            token: crate::wire::get(value, "token")?,
            expires: crate::wire::get(value, "expires")?,
            duration: crate::wire::get(value, "duration")?,
        })
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("token", &format_args!("<{} bytes>", self.token.len()))
            .field("expires", &self.expires)
            .field("duration", &self.duration)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Login (`POST /llu/auth/login`, `POST /auth/continue/{tou|pp}`)
// ---------------------------------------------------------------------------------------------------------------

/// `data` of a successful login (or of a successful `/auth/continue/*`).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginSuccess {
    /// The follower's account.
    pub user: User,
    /// The 180-day token.
    pub auth_ticket: Ticket,
    /// Pending invitation ids; LLU sends `null` for none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub invitations: Vec<String>,
    /// `messages`, `notifications`, `trustedDeviceToken` and anything new, kept for re-emission.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The logged-in (follower) user. Only what Tidewatch reads is typed; the rest is kept in `extra`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user's UUID; `account-id` is the hex SHA-256 of it.
    pub id: String,
    /// Country code, e.g. `DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The follower's display unit as a string: `"0"` mmol/L, `"1"` mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// UI language, e.g. `de-DE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_language: Option<String>,
    /// `pat` in every capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Everything else (`system`, `twoFactor`, `devices`, `consents`, `created`, `lastLogin`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of a login that belongs to another region: `{"redirect": true, "region": "eu2"}`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LoginRedirect {
    /// Always `true`.
    pub redirect: bool,
    /// The region code, lower case (see [`crate::llu::Region`]).
    pub region: String,
}

/// `data` of a status-4 answer: the user must do something first.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginStep {
    /// What to do.
    pub step: Step,
    /// A partial user with **no id**.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<StepUser>,
    /// The 1-hour step token for `/auth/continue/{type}` (missing only in a mangled capture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_ticket: Option<Ticket>,
}

/// The `step` of a status-4 answer.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `tou`, `pp`, `verifyEmail`, or something new.
    #[serde(rename = "type")]
    pub kind: StepKind,
    /// The app's screen, `AcceptDocument` or `VerifyEmail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    /// Screen parameters (`titleKey`, `reaccept`, `email`, …), kept as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub props: Option<Value>,
}

/// What a status-4 step asks for.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum StepKind {
    /// Accept the terms of use (`tou`).
    TermsOfUse,
    /// Accept the privacy policy (`pp`).
    PrivacyPolicy,
    /// Verify the e-mail address (`verifyEmail`); not possible over the API.
    VerifyEmail,
    /// A step type not seen before, kept verbatim (cut to 64 characters).
    Other(String),
}

impl StepKind {
    /// The wire name (`tou`, `pp`, `verifyEmail`, or the unknown text).
    pub fn as_str(&self) -> &str {
        match self {
            StepKind::TermsOfUse => "tou",
            StepKind::PrivacyPolicy => "pp",
            StepKind::VerifyEmail => "verifyEmail",
            StepKind::Other(s) => s,
        }
    }

    /// Whether `POST /auth/continue/{type}` can complete it (only `tou` and `pp`, and only with the user's consent).
    pub const fn can_continue(&self) -> bool {
        matches!(self, StepKind::TermsOfUse | StepKind::PrivacyPolicy)
    }
}

impl From<String> for StepKind {
    fn from(s: String) -> Self {
        match s.as_str() {
            "tou" => StepKind::TermsOfUse,
            "pp" => StepKind::PrivacyPolicy,
            "verifyEmail" => StepKind::VerifyEmail,
            _ => StepKind::Other(s.chars().take(64).collect()),
        }
    }
}

impl From<StepKind> for String {
    fn from(k: StepKind) -> Self {
        k.as_str().to_owned()
    }
}

/// The partial user of a step answer.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUser {
    /// `pat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// Country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// UI language (may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_language: Option<String>,
}

// ---------------------------------------------------------------------------------------------------------------
// Connections, graph, logbook
// ---------------------------------------------------------------------------------------------------------------

/// One patient the follower may see (`GET /llu/connections` lists them; the graph embeds one).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// The connection's UUID.
    pub id: String,
    /// The patient's UUID: the one to put in `/llu/connections/{patientId}/…` URLs.
    pub patient_id: String,
    /// Country code.
    #[serde(default)]
    pub country: String,
    /// Always 2 in captures; meaning unknown.
    #[serde(default)]
    pub status: i64,
    /// Patient's first name.
    #[serde(default)]
    pub first_name: String,
    /// Patient's last name.
    #[serde(default)]
    pub last_name: String,
    /// Target range low, **always mg/dL** (even for mmol/L accounts).
    pub target_low: Number,
    /// Target range high, **always mg/dL**.
    pub target_high: Number,
    /// The patient's unit: 0 mmol/L, 1 mg/dL.
    #[serde(default)]
    pub uom: i64,
    /// The current sensor; `null` when there is none.
    #[serde(default)]
    pub sensor: Option<Sensor>,
    /// The follower's alarm settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_rules: Option<AlarmRules>,
    /// The current value (absent for brand-new accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glucose_measurement: Option<GlucoseItem>,
    /// The same value again (LLU sends both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glucose_item: Option<GlucoseItem>,
    /// Always `null` so far (`Some(Value::Null)`); `None` when absent.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub glucose_alarm: Option<Value>,
    /// The wearer's phone app and its alarm settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_device: Option<PatientDevice>,
    /// When the connection was made, epoch s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
}

/// A sensor (`connection.sensor`, `activeSensors[].sensor`).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Sensor {
    /// The uploader device id (`deviceId`; empty in `connection.sensor`).
    #[serde(rename = "deviceId", default)]
    pub device_id: String,
    /// The serial number as LLU sends it (`sn`; often missing a leading digit).
    #[serde(rename = "sn", default)]
    pub serial: String,
    /// Activation time, epoch s (`a`).
    #[serde(rename = "a", default)]
    pub activated: i64,
    /// `w`: 60 in every capture, probably warm-up minutes (inferred).
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub warmup_minutes: Option<i64>,
    /// `pt`: product type (unreliable).
    #[serde(rename = "pt", default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<i64>,
    /// `s`: streaming? (meaning unconfirmed).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// `lj`: late-joined? (meaning unconfirmed).
    #[serde(rename = "lj", default, skip_serializing_if = "Option::is_none")]
    pub late_joined: Option<bool>,
}

/// The follower's alarm settings. No source documents them, so every member is optional and numbers stay
/// [`Number`].
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct AlarmRules {
    /// `c` (may be missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<bool>,
    /// `h`: the high alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<AlarmRule>,
    /// `l`: the low alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<AlarmRule>,
    /// `f`: the fixed (urgent) low alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<AlarmRule>,
    /// `nd`: probably the no-data (signal loss) alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nd: Option<NoDataRule>,
    /// `p` (5 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<Number>,
    /// `r` (5 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<Number>,
    /// `std`: `{}` or `{"sd": true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Value>,
}

/// One of the `h`/`l`/`f` alarm rules.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct AlarmRule {
    /// `on`: enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
    /// `th`: threshold in mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub th: Option<Number>,
    /// `thmm`: threshold in mmol/L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thmm: Option<Number>,
    /// `d`: a duration, probably minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<Number>,
    /// `f` (0.1 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<Number>,
    /// `tl` (mg/dL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tl: Option<Number>,
    /// `tlmm` (mmol/L).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlmm: Option<Number>,
}

/// The `nd` rule.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct NoDataRule {
    /// `on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
    /// `i` (20 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i: Option<Number>,
    /// `r` (5 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<Number>,
    /// `l` (6 in captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<Number>,
}

/// The wearer's phone app (`patientDevice`, `activeSensors[].device`).
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientDevice {
    /// `did`: the uploader device UUID.
    #[serde(default)]
    pub did: String,
    /// `dtid`: device type (40068 Libre 3 app, 40067 Libre 2, 40066 Libre 1/LibreLink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtid: Option<i64>,
    /// `v`: the wearer's app version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<String>,
    /// `l`: low alarm on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<bool>,
    /// `ll`: low alarm level, mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ll: Option<Number>,
    /// `h`: high alarm on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<bool>,
    /// `hl`: high alarm level, mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hl: Option<Number>,
    /// `u`: some update time, epoch s (may be missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u: Option<i64>,
    /// `fixedLowAlarmValues`: `{mgdl: 60, mmoll: 3.3}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_low_alarm_values: Option<FixedLowAlarmValues>,
    /// `alarms`: whether the wearer's app has alarms (Libre 2 if true with dtid 40066).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarms: Option<bool>,
    /// `fixedLowThreshold`: 0 or 70 seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_low_threshold: Option<Number>,
}

/// `fixedLowAlarmValues`.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct FixedLowAlarmValues {
    /// In mg/dL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mgdl: Option<Number>,
    /// In mmol/L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmoll: Option<Number>,
}

/// One glucose value (`glucoseMeasurement`, `glucoseItem`, `graphData[]`, logbook entries).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct GlucoseItem {
    /// UTC, `M/D/YYYY h:mm:ss AM|PM`: the instant to order and dedupe by.
    #[serde(rename = "FactoryTimestamp")]
    pub factory_timestamp: String,
    /// The same instant on the wearer's wall clock, no offset. Display only.
    #[serde(rename = "Timestamp", default)]
    pub timestamp: String,
    /// 0 graph, 1 current or logbook measurement, 2 alarm (no value), 3 alarm with measurement.
    #[serde(rename = "type", default)]
    pub kind: i64,
    /// The value in mg/dL, an integer. The one to use. Absent on type-2 logbook alarms.
    #[serde(rename = "ValueInMgPerDl", default, skip_serializing_if = "Option::is_none")]
    pub value_in_mg_per_dl: Option<Number>,
    /// 1 ↓ … 5 ↑, 0 not determined; absent in graph points.
    #[serde(rename = "TrendArrow", default, skip_serializing_if = "Option::is_none")]
    pub trend_arrow: Option<i64>,
    /// Always `null` in captures (`Some(Value::Null)`); `None` when absent, as in graph points.
    #[serde(rename = "TrendMessage", default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub trend_message: Option<Value>,
    /// 1 green, 2 yellow, 3 orange, 4 red.
    #[serde(rename = "MeasurementColor", default, skip_serializing_if = "Option::is_none")]
    pub measurement_color: Option<i64>,
    /// The unit of `Value`: 0 mmol/L, 1 mg/dL.
    #[serde(rename = "GlucoseUnits", default, skip_serializing_if = "Option::is_none")]
    pub glucose_units: Option<i64>,
    /// The value in `GlucoseUnits` (an integer or a one-decimal mmol/L float). Not used for maths.
    #[serde(rename = "Value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Number>,
    /// The sensor's HI flag (above what it can measure).
    #[serde(rename = "isHigh", default)]
    pub is_high: bool,
    /// The sensor's LO flag (below what it can measure).
    #[serde(rename = "isLow", default)]
    pub is_low: bool,
}

/// `data` of `GET /llu/connections/{patientId}/graph`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphData {
    /// The patient, with the current value in `glucoseMeasurement`.
    pub connection: Connection,
    /// The wearer's sensors (missing or empty for some users since LLU 4.12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_sensors: Option<Vec<ActiveSensor>>,
    /// About 12 h of 5-minute history, oldest first, without the current value (missing for new accounts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_data: Option<Vec<GlucoseItem>>,
}

/// One `activeSensors[]` entry.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct ActiveSensor {
    /// The sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor: Option<Sensor>,
    /// The phone that uploads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<PatientDevice>,
}

/// One `GET /llu/connections/{patientId}/logbook` entry.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogbookEntry {
    /// The glucose item (type 1 scan, 2 alarm without value, 3 alarm with value).
    #[serde(flatten)]
    pub item: GlucoseItem,
    /// On alarm entries: 0 fixed low, 1 low, 2 high.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_type: Option<i64>,
}

// ---------------------------------------------------------------------------------------------------------------
// Other endpoints
// ---------------------------------------------------------------------------------------------------------------

/// `data` of `GET /llu/config/country?country=XX`. Only what the proxy rewrites is typed; everything else is kept.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct CountryConfig {
    /// Region code → hosts (with a trailing slash). The proxy rewrites these to point back at itself.
    #[serde(rename = "regionalMap", default)]
    pub regional_map: BTreeMap<String, RegionalHosts>,
    /// The minimum app version the server accepts.
    #[serde(rename = "MinVersion", default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// This host's own API base.
    #[serde(rename = "lslApi", default, skip_serializing_if = "Option::is_none")]
    pub lsl_api: Option<String>,
    /// Every other member (`CountryList`, document URLs, `features`, …), kept for re-emission.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One `regionalMap` entry.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionalHosts {
    /// The API base, e.g. `https://api-eu.libreview.io/`.
    pub lsl_api: String,
    /// The push hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_hub: Option<String>,
    /// Anything else, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `GET /account` (a partial user).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct AccountData {
    /// The user.
    pub user: User,
}

/// `data` of `GET /llu/notifications/settings/{connectionId}`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    /// The connection's UUID.
    pub connection_id: String,
    /// The alarm rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_rules: Option<AlarmRules>,
    /// `std` again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<Value>,
    /// The wearer's device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_device: Option<PatientDevice>,
}

/// Reads `null` (or absence, with `default`) as an empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Keeps a member that is present, even as `null` (`Some(Value::Null)`), so it is re-emitted exactly; absence
/// (with `default`) stays `None`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}
