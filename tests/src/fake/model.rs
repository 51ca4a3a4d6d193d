//! What a test configures (an [`Account`] and its failure switches) and what the fake records (a [`Call`]).
//!
//! JSON (the `/__fake/` control API) uses the Rust field names in snake_case. Only `email` and `password` are
//! required when posting an account; every other field defaults as in [`Account::new`]. `patients` is a list
//! whose items are `"demo"` ([`Patient::demo`]), `"second"` ([`Patient::second`]) or an object with any of the
//! simulator's fields (`{"seed": 7}` is the demo profile with another seed); accounts serialise their patients
//! the same way, by name when they are one of the two stock patients. A patient's `script`
//! (`[{"from": <unix secs>, "level": <mg/dL>}]`) makes it go low or high on cue.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use shared::llu::{Region, StepKind};
use shared::simulate::{Hold, Patient, SensorModel};
use shared::time::UtcTime;
use shared::units::{GlucoseUnit, MgDl};

/// The version floor a new account enforces (LLU's minimum since 2025-10-08, llu-protocol.md 2.2).
pub const DEFAULT_MIN_VERSION: &str = "4.16.0";

/// A LibreLinkUp follower account on the fake, with the switches that make it fail the ways LLU fails.
///
/// As JSON (the `/__fake/accounts` control call) the fields keep these snake_case names; only `email` and
/// `password` are required, the rest default as in [`Account::new`]. Regions are codes (`"eu2"`), steps are
/// LLU's names (`"tou"`, `"pp"`, `"verifyEmail"`), `maintenance` is `"body"` or `"http"`, and each of
/// `patients` is `"demo"`, `"second"` or an object with any of the simulator's `Patient` fields (`{"seed": 7}`
/// is the demo profile with another seed). Unknown fields are refused.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(from = "AccountWire")]
pub struct Account {
    /// The login e-mail, matched ignoring case.
    pub email: String,
    /// The password, matched exactly.
    pub password: String,
    /// The follower's UUID (`data.user.id`); `account-id` must be the lower-case hex SHA-256 of it.
    pub user_id: String,
    /// The follower's first name.
    pub first_name: String,
    /// The follower's last name.
    pub last_name: String,
    /// The follower's two-letter country (`data.user.country`).
    pub country: String,
    /// The home region: the only host where login succeeds and data is served.
    pub region: Region,
    /// If set, the global host redirects here first, and this region redirects on to `region`
    /// ("login over api-eu leads to redirect to api-de").
    pub via: Option<Region>,
    /// Pending steps in order (`tou`, `pp`, `verifyEmail`), removed as they are accepted.
    pub steps: Vec<StepKind>,
    /// The patients this follower sees, simulated by `shared::simulate`.
    #[serde(serialize_with = "serialize_patients")]
    pub patients: Vec<Patient>,
    /// The lowest `version` header the data endpoints accept (compared numerically, part by part).
    pub min_version: String,
    /// If set, every call of this account answers "maintenance".
    pub maintenance: Option<Maintenance>,
    /// If set, this account's calls get Cloudflare's HTML 403 page.
    pub edge_block: bool,
    /// If set, a sign-in with the right password answers HTTP 430: Abbott published new documents that the person
    /// must accept in the LibreLinkUp app first.
    pub new_documents: bool,
    /// If set, the account is answered in LibreLinkUp 5's protocol: its sign-in gets the new error shape (HTTP
    /// 400), its data calls the encrypted envelope.
    pub llu5: bool,
    /// If set, a burst of calls answers HTTP 429 with `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// The simulator's "now" is the real now minus this many seconds: the wearer's phone stopped uploading.
    pub data_delay_secs: i64,
    /// If set, its full tokens (a sign-in's and every data answer's `ticket`) last this many seconds, not 180 days:
    /// a client that does not adopt the tickets is signed out that soon.
    pub token_secs: Option<i64>,
    /// Data calls with this account's tokens are answered this many milliseconds late (a slow upstream), so tests
    /// can make calls overlap.
    pub answer_delay_ms: u64,
}

impl Account {
    /// An account in the `eu` region with the two stock patients, no pending steps, floor
    /// [`DEFAULT_MIN_VERSION`], every failure switch off, and a user id derived from the e-mail
    /// ([`user_id_for`]).
    pub fn new(email: &str, password: &str) -> Account {
        Account {
            email: email.to_owned(),
            password: password.to_owned(),
            user_id: user_id_for(email),
            first_name: "Alex".to_owned(),
            last_name: "Follower".to_owned(),
            country: "NL".to_owned(),
            region: Region::Eu,
            via: None,
            steps: Vec::new(),
            patients: vec![Patient::demo(), Patient::second()],
            min_version: DEFAULT_MIN_VERSION.to_owned(),
            maintenance: None,
            edge_block: false,
            new_documents: false,
            llu5: false,
            token_secs: None,
            rate_limit: None,
            data_delay_secs: 0,
            answer_delay_ms: 0,
        }
    }

    /// The `account-id` header this account's data calls must carry.
    pub fn account_id(&self) -> String {
        account_id_for(&self.user_id)
    }
}

/// A UUID-shaped user id derived from the e-mail (case ignored), so the same e-mail always has the same id.
pub fn user_id_for(email: &str) -> String {
    let digest = Sha256::digest(email.to_lowercase().as_bytes());
    let hex = hex(&digest);
    let part = |from: usize, to: usize| hex.get(from..to).unwrap_or_default().to_owned();
    // Version nibble 4, variant nibble 8–b, like a random UUID.
    let variant = ["8", "9", "a", "b"].get(usize::from(digest.get(8).copied().unwrap_or(0) & 3)).copied();
    format!(
        "{}-{}-4{}-{}{}-{}",
        part(0, 8),
        part(8, 12),
        part(13, 16),
        variant.unwrap_or("8"),
        part(17, 20),
        part(20, 32)
    )
}

/// The `account-id` header for a user id: the lower-case hex SHA-256 of its UTF-8 bytes (llu-protocol.md 2.4).
pub fn account_id_for(user_id: &str) -> String {
    hex(&Sha256::digest(user_id.as_bytes()))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How an account's maintenance shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Maintenance {
    /// HTTP 200 with `{"status":911}`.
    Body,
    /// HTTP 911 with `{"status":911}`.
    Http,
}

/// A per-account burst limit: more than `max_calls` calls within `per_secs` seconds answer HTTP 429.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RateLimit {
    /// Calls allowed in the window.
    pub max_calls: u32,
    /// The sliding window, seconds.
    pub per_secs: u32,
    /// What `Retry-After` says, seconds.
    pub retry_after_secs: u32,
}

/// Which endpoint a request was for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// `POST /llu/auth/login`.
    Login,
    /// `POST /auth/continue/tou`.
    ContinueTou,
    /// `POST /auth/continue/pp`.
    ContinuePp,
    /// `GET /llu/connections`.
    Connections,
    /// `GET /llu/connections/{patientId}/graph`.
    Graph,
    /// `GET /llu/connections/{patientId}/logbook`.
    Logbook,
    /// `GET /llu/config/country`.
    CountryConfig,
    /// Anything else: unknown paths and prefixes, `/auth/continue/{type}` for any other type.
    Other,
}

/// One request the fake answered.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Call {
    /// The HTTP method, upper case.
    pub method: String,
    /// The regional host it went to; `None` for the global host.
    pub region: Option<Region>,
    /// The path without the region prefix, with the query (`/llu/config/country?country=DE`).
    pub path: String,
    /// Which endpoint.
    pub kind: CallKind,
    /// Every request header, names lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The HTTP status the fake answered.
    pub status: u16,
}

impl Call {
    /// The value of header `name` (lower case), if the request had it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Serde: accounts with defaults, patients by name or by fields.

/// An account as posted to `/__fake/accounts`: only `email` and `password` are required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountWire {
    email: String,
    password: String,
    user_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    country: Option<String>,
    region: Option<Region>,
    via: Option<Region>,
    steps: Option<Vec<StepKind>>,
    #[serde(default, deserialize_with = "deserialize_patients")]
    patients: Option<Vec<Patient>>,
    min_version: Option<String>,
    maintenance: Option<Maintenance>,
    edge_block: Option<bool>,
    new_documents: Option<bool>,
    llu5: Option<bool>,
    token_secs: Option<i64>,
    rate_limit: Option<RateLimit>,
    data_delay_secs: Option<i64>,
    answer_delay_ms: Option<u64>,
}

impl From<AccountWire> for Account {
    fn from(w: AccountWire) -> Account {
        let d = Account::new(&w.email, &w.password);
        Account {
            user_id: w.user_id.unwrap_or(d.user_id),
            first_name: w.first_name.unwrap_or(d.first_name),
            last_name: w.last_name.unwrap_or(d.last_name),
            country: w.country.unwrap_or(d.country),
            region: w.region.unwrap_or(d.region),
            via: w.via,
            steps: w.steps.unwrap_or(d.steps),
            patients: w.patients.unwrap_or(d.patients),
            min_version: w.min_version.unwrap_or(d.min_version),
            maintenance: w.maintenance,
            edge_block: w.edge_block.unwrap_or(d.edge_block),
            new_documents: w.new_documents.unwrap_or(d.new_documents),
            llu5: w.llu5.unwrap_or(d.llu5),
            token_secs: w.token_secs,
            rate_limit: w.rate_limit,
            data_delay_secs: w.data_delay_secs.unwrap_or(d.data_delay_secs),
            answer_delay_ms: w.answer_delay_ms.unwrap_or(d.answer_delay_ms),
            email: w.email,
            password: w.password,
        }
    }
}

/// A patient on the wire: a stock name or the simulator's fields.
#[derive(Serialize)]
#[serde(untagged)]
enum PatientSpec {
    /// `"demo"` or `"second"`.
    Named(String),
    /// Any of the fields; the rest come from [`Patient::demo`].
    Fields(PatientFields),
}

/// [`Patient`]'s fields, each defaulting to the demo patient's.
#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PatientFields {
    seed: u64,
    first_name: String,
    last_name: String,
    country: String,
    target_low: MgDl,
    target_high: MgDl,
    alarm_low: MgDl,
    alarm_high: MgDl,
    unit: GlucoseUnit,
    utc_offset_min: i16,
    sensor_model: SensorModel,
    sensor_anchor: UtcTime,
    sensor_null: bool,
    script: Vec<Hold>,
}

impl Default for PatientFields {
    fn default() -> Self {
        Patient::demo().into()
    }
}

impl From<Patient> for PatientFields {
    fn from(p: Patient) -> Self {
        PatientFields {
            seed: p.seed,
            first_name: p.first_name,
            last_name: p.last_name,
            country: p.country,
            target_low: p.target_low,
            target_high: p.target_high,
            alarm_low: p.alarm_low,
            alarm_high: p.alarm_high,
            unit: p.unit,
            utc_offset_min: p.utc_offset_min,
            sensor_model: p.sensor_model,
            sensor_anchor: p.sensor_anchor,
            sensor_null: p.sensor_null,
            script: p.script,
        }
    }
}

impl From<PatientFields> for Patient {
    fn from(f: PatientFields) -> Self {
        Patient {
            seed: f.seed,
            first_name: f.first_name,
            last_name: f.last_name,
            country: f.country,
            target_low: f.target_low,
            target_high: f.target_high,
            alarm_low: f.alarm_low,
            alarm_high: f.alarm_high,
            unit: f.unit,
            utc_offset_min: f.utc_offset_min,
            sensor_model: f.sensor_model,
            sensor_anchor: f.sensor_anchor,
            sensor_null: f.sensor_null,
            script: f.script,
        }
    }
}

fn serialize_patients<S: Serializer>(patients: &[Patient], s: S) -> Result<S::Ok, S::Error> {
    let specs: Vec<PatientSpec> = patients
        .iter()
        .map(|p| {
            if *p == Patient::demo() {
                PatientSpec::Named("demo".to_owned())
            } else if *p == Patient::second() {
                PatientSpec::Named("second".to_owned())
            } else {
                PatientSpec::Fields(p.clone().into())
            }
        })
        .collect();
    specs.serialize(s)
}

fn deserialize_patients<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Patient>>, D::Error> {
    use serde::de::Error;
    let Some(specs) = Option::<Vec<serde_json::Value>>::deserialize(d)? else {
        return Ok(None);
    };
    specs
        .into_iter()
        .map(|spec| match spec {
            serde_json::Value::String(name) if name == "demo" => Ok(Patient::demo()),
            serde_json::Value::String(name) if name == "second" => Ok(Patient::second()),
            serde_json::Value::String(name) => {
                Err(D::Error::custom(format!("unknown patient {name:?} (want \"demo\" or \"second\")")))
            }
            fields => PatientFields::deserialize(fields).map(Patient::from).map_err(D::Error::custom),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_uuid_shaped_and_stable_ignoring_case() {
        let id = user_id_for("Family@Tidewatch.test");
        assert_eq!(id, user_id_for("family@tidewatch.test"));
        assert_ne!(id, user_id_for("other@tidewatch.test"));
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(id.chars().all(|c| c == '-' || (c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
        assert_eq!(id.chars().nth(14), Some('4'));
    }

    #[test]
    fn account_id_is_hex_sha256_of_the_user_id() {
        // sha256("7ad66b40-ba9b-401e-9845-4f49f998cf16"), as every client computes it.
        let id = account_id_for("7ad66b40-ba9b-401e-9845-4f49f998cf16");
        assert_eq!(id.len(), 64);
        assert_eq!(account_id_for(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn minimal_json_gets_the_defaults_and_round_trips() {
        let a: Account = serde_json::from_str(r#"{"email":"a@b.test","password":"pw"}"#).unwrap();
        assert_eq!(a, Account::new("a@b.test", "pw"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["patients"], serde_json::json!(["demo", "second"]));
        assert_eq!(serde_json::from_value::<Account>(json).unwrap(), a);
    }

    #[test]
    fn patients_by_name_seed_or_fields() {
        let a: Account = serde_json::from_str(
            r#"{"email":"a@b.test","password":"pw","region":"eu2","via":"eu","steps":["tou","pp"],
                "patients":["second",{"seed":7},{"first_name":"Kim","unit":"mmoll","sensor_null":true}],
                "maintenance":"http","rate_limit":{"max_calls":2,"per_secs":60,"retry_after_secs":30}}"#,
        )
        .unwrap();
        assert_eq!((a.region, a.via), (Region::Eu2, Some(Region::Eu)));
        assert_eq!(a.steps, [StepKind::TermsOfUse, StepKind::PrivacyPolicy]);
        assert_eq!(a.patients[0], Patient::second());
        assert_eq!(a.patients[1], Patient::with_seed(7));
        assert_eq!((a.patients[2].first_name.as_str(), a.patients[2].sensor_null), ("Kim", true));
        assert_eq!(a.maintenance, Some(Maintenance::Http));
        let back: Account = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back, a);
        assert!(serde_json::from_str::<Account>(r#"{"email":"a","password":"p","patients":["third"]}"#).is_err());
        let typo = serde_json::from_str::<Account>(r#"{"email":"a","password":"p","patients":[{"sed":1}]}"#);
        assert!(typo.unwrap_err().to_string().contains("sed"));
        assert!(serde_json::from_str::<Account>(r#"{"email":"a","password":"p","pasword":"typo"}"#).is_err());
    }
}
