//! The patients a follower sees, their graph and logbook: `GET /llu/connections[/{patientId}/graph|logbook]`.

use super::*;

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
