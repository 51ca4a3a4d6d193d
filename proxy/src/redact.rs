//! What a link's viewer is not shown of LibreLinkUp's answer. A link shows one person's glucose to someone without
//! an account; it has no need of the sensor's serial number, the uploading phone's id or the person's last name,
//! and a link travels (a family chat, a screenshot). Those fields are emptied, not removed, so the answer keeps
//! LibreLinkUp's shape for every client that reads it. The alarm settings and targets stay: a viewer's own alarms
//! and graph start from them.

use serde_json::Value;

/// Empties, in a graph or logbook answer, what identifies the sensor, the phone and the person beyond their first
/// name: `connection.lastName`, every sensor's `sn` and `deviceId`, every device's `did`.
pub fn for_viewer(body: &mut Value) {
    let Some(data) = body.get_mut("data") else { return };
    if let Some(connection) = data.get_mut("connection") {
        blank(connection, &["lastName"]);
        if let Some(sensor) = connection.get_mut("sensor") {
            blank(sensor, &["sn", "deviceId"]);
        }
        if let Some(device) = connection.get_mut("patientDevice") {
            blank(device, &["did"]);
        }
    }
    for active in data.get_mut("activeSensors").and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(sensor) = active.get_mut("sensor") {
            blank(sensor, &["sn", "deviceId"]);
        }
        if let Some(device) = active.get_mut("device") {
            blank(device, &["did"]);
        }
    }
}

/// Sets each of `fields` that `object` has to the empty string.
fn blank(object: &mut Value, fields: &[&str]) {
    for field in fields {
        if let Some(value) = object.get_mut(*field) {
            *value = Value::String(String::new());
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::llu::{Envelope, GraphData};
    use shared::time::UtcTime;

    use super::*;
    use crate::hub::Data;

    #[test]
    fn a_viewer_gets_no_serial_number_device_id_or_last_name_and_the_same_readings() {
        let now = UtcTime::from_unix_secs(1_800_000_000);
        let connections = crate::demo::answer(&Data::Connections, now).unwrap();
        let patient = connections["data"][0]["patientId"].as_str().unwrap().to_owned();
        let full = crate::demo::answer(&Data::Graph(patient), now).unwrap();
        let mut shown = full.clone();
        for_viewer(&mut shown);
        let text = shown.to_string();
        for field in ["sn", "deviceId", "did", "lastName"] {
            let before = full.to_string().matches(&format!("\"{field}\":\"\"")).count();
            let after = text.matches(&format!("\"{field}\":\"\"")).count();
            assert!(after > before, "{field} is emptied");
        }
        let serial = full["data"]["connection"]["sensor"]["sn"].as_str().unwrap();
        assert!(!serial.is_empty() && !text.contains(serial), "the serial is nowhere: {serial}");
        let device = full["data"]["connection"]["patientDevice"]["did"].as_str().unwrap();
        assert!(!device.is_empty() && !text.contains(device), "the phone's id is nowhere");
        let read = |v: &Value| serde_json::from_value::<Envelope<GraphData>>(v.clone()).unwrap().data.unwrap();
        assert_eq!(read(&shown).readings(), read(&full).readings(), "the same readings");
        assert_eq!(shown["data"]["connection"]["firstName"], full["data"]["connection"]["firstName"]);
        assert_eq!(
            shown["data"]["connection"]["patientDevice"]["ll"],
            full["data"]["connection"]["patientDevice"]["ll"]
        );
        let mut junk = serde_json::json!({"data": {"connection": 3, "activeSensors": "x"}});
        for_viewer(&mut junk);
        for_viewer(&mut Value::Null);
    }
}
