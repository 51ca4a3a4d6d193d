//! What the app keeps on this device (`localStorage`): preferences, each patient's readings for up to 14 days, the
//! last answer for offline use, and each patient's alarm settings and state. Nothing here is a secret: the session
//! is an `HttpOnly` cookie the app cannot read.
//!
//! History is stored compactly (`[unix secs, mg/dL, range]` triples), so 14 days of 1-minute readings stay well
//! under a megabyte, and merged by `FactoryTimestamp` with every new answer.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::alarm::{AlarmConfig, AlarmState};
use shared::llu::wire::GraphData;
use shared::reading::{Origin, Reading, SensorRange, Series};
use shared::time::UtcTime;
use shared::units::{GlucoseUnit, MgDl};

/// The person's choices on this device.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// mg/dL or mmol/L.
    pub unit: GlucoseUnit,
    /// The patient last looked at.
    pub patient_id: Option<String>,
    /// The graph's window, hours.
    pub window_hours: i64,
    /// Alarm sounds in the page.
    pub sound: bool,
    /// Vibration with alarms.
    pub vibrate: bool,
    /// The name this device signs the family's notes with (the owner's; a link signs with its own).
    pub signature: String,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            unit: GlucoseUnit::MgDl,
            patient_id: None,
            window_hours: 6,
            sound: true,
            vibrate: true,
            signature: String::new(),
        }
    }
}

/// The last graph answer and when it arrived, for showing something (marked offline) with no network.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// The answer.
    pub graph: GraphData,
    /// When it was fetched, Unix seconds.
    pub fetched_at: i64,
}

/// One patient's alarm settings and the engine's state.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Alarms {
    /// The settings; `None` until the person changes one (defaults then come from LLU's rules).
    pub config: Option<AlarmConfig>,
    /// The alarm engine's state.
    pub state: AlarmState,
}

// `boot.js` reads `tw.follows`, `tw.prefs` and `tw.share` by name before the app exists (the follows rule in
// [`follows`], and a share link's early answer): a renamed key must be renamed there too.
const PREFS: &str = "tw.prefs";
const SNAPSHOT: &str = "tw.snapshot.";
const HISTORY: &str = "tw.history.";
const ALARMS: &str = "tw.alarms.";
const VIEWER: &str = "tw.share";
const PUSH: &str = "tw.push.";
const FOLLOWS: &str = "tw.follows";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    let text = storage()?.get_item(key).ok()??;
    serde_json::from_str(&text).ok()
}

fn save<T: Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(value)) {
        // A full storage keeps the previous copy; the app goes on with what it has in memory.
        let _ = storage.set_item(key, &text);
    }
}

/// The preferences (defaults when none are stored or they do not parse).
pub fn prefs() -> Prefs {
    load(PREFS).unwrap_or_default()
}

/// Stores the preferences.
pub fn save_prefs(prefs: &Prefs) {
    save(PREFS, prefs);
}

/// The last answer for `patient_id`.
pub fn snapshot(patient_id: &str) -> Option<Snapshot> {
    load(&format!("{SNAPSHOT}{patient_id}"))
}

/// Stores the last answer for `patient_id`.
pub fn save_snapshot(patient_id: &str, snapshot: &Snapshot) {
    save(&format!("{SNAPSHOT}{patient_id}"), snapshot);
}

/// The readings this device has for `patient_id`.
pub fn history(patient_id: &str) -> Series {
    let rows: Vec<(i64, u16, u8)> = load(&format!("{HISTORY}{patient_id}")).unwrap_or_default();
    Series::from_readings(rows.into_iter().filter_map(decode))
}

/// Stores `series` as the history of `patient_id`.
pub fn save_history(patient_id: &str, series: &Series) {
    let rows: Vec<(i64, u16, u8)> = series.as_slice().iter().map(encode).collect();
    save(&format!("{HISTORY}{patient_id}"), &rows);
}

/// The alarm settings and state for `patient_id`.
pub fn alarms(patient_id: &str) -> Alarms {
    load(&format!("{ALARMS}{patient_id}")).unwrap_or_default()
}

/// Stores the alarm settings and state for `patient_id`.
pub fn save_alarms(patient_id: &str, alarms: &Alarms) {
    save(&format!("{ALARMS}{patient_id}"), alarms);
}

/// This phone's background-alarm subscription for `patient_id`, if it has one.
pub fn push(patient_id: &str) -> Option<crate::api::PushSub> {
    load(&format!("{PUSH}{patient_id}"))
}

/// Remembers (or, with `None`, forgets) this phone's subscription for `patient_id`.
pub fn save_push(patient_id: &str, sub: Option<&crate::api::PushSub>) {
    match sub {
        Some(sub) => save(&format!("{PUSH}{patient_id}"), sub),
        None => {
            if let Some(storage) = storage() {
                let _ = storage.remove_item(&format!("{PUSH}{patient_id}"));
            }
        }
    }
}

/// The share link this device views (its secret), if it is a viewer's device.
pub fn viewer_secret() -> Option<String> {
    storage()?.get_item(VIEWER).ok()?
}

/// Remembers (or, with `None`, forgets) the share link this device views.
pub fn save_viewer_secret(secret: Option<&str>) {
    if let Some(storage) = storage() {
        let _ = match secret {
            Some(secret) => storage.set_item(VIEWER, secret),
            None => storage.remove_item(VIEWER),
        };
    }
}

/// Whether this device follows someone (it was on the follow screen, and has not gone back to sign-in since). A
/// device from before this was kept follows someone if it remembers a patient.
pub fn follows() -> bool {
    let Some(storage) = storage() else { return false };
    match storage.get_item(FOLLOWS).ok().flatten() {
        Some(value) => value == "1",
        None => prefs().patient_id.is_some(),
    }
}

/// Remembers whether this device follows someone.
pub fn save_follows(follows: bool) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(FOLLOWS, if follows { "1" } else { "0" });
    }
}

/// Forgets everything about the account's patients (sign-out), keeping the device preferences' unit.
pub fn forget_patients() {
    let Some(storage) = storage() else { return };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0)).filter_map(|i| storage.key(i).ok().flatten()).collect();
    for key in keys.iter().filter(|k| k.starts_with(SNAPSHOT) || k.starts_with(HISTORY) || k.starts_with(ALARMS)) {
        let _ = storage.remove_item(key);
    }
    let mut prefs = prefs();
    prefs.patient_id = None;
    save_prefs(&prefs);
}

/// A reading as a stored row.
pub fn encode(reading: &Reading) -> (i64, u16, u8) {
    let range = match reading.range {
        SensorRange::InRange => 0,
        SensorRange::Lo => 1,
        SensorRange::Hi => 2,
    };
    (reading.at.unix_secs(), reading.mgdl.get(), range)
}

/// A stored row as a reading (a row that is not a valid reading is dropped).
pub fn decode((at, mgdl, range): (i64, u16, u8)) -> Option<Reading> {
    let mgdl = MgDl::checked(u32::from(mgdl)).ok()?;
    let range = match range {
        0 => SensorRange::InRange,
        1 => SensorRange::Lo,
        2 => SensorRange::Hi,
        _ => return None,
    };
    Some(Reading { range, origin: Origin::Graph, ..Reading::new(UtcTime::from_unix_secs(at), mgdl) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_bad_rows_are_dropped() {
        let lo = Reading { range: SensorRange::Lo, ..Reading::new(UtcTime::from_unix_secs(60), MgDl::new(40)) };
        assert_eq!(decode(encode(&lo)), Some(lo));
        assert_eq!(decode((60, 0, 0)), None);
        assert_eq!(decode((60, 100, 7)), None);
    }
}
