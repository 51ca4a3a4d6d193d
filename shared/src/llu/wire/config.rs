//! The other endpoints: the country config, `/account`, notification settings.

use super::*;

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
