//! LibreLinkUp-shaped JSON for any `now`: connections, graph and logbook envelopes.

use super::*;

/// The kind of glucose item, which decides `type` and the optional fields.
#[derive(Clone, Copy)]
pub(super) enum Item {
    Graph,
    Current,
    Log(LogbookKind),
}

pub(super) fn uom(unit: GlucoseUnit) -> u8 {
    match unit {
        GlucoseUnit::MmolL => 0,
        GlucoseUnit::MgDl => 1,
    }
}

/// mg/dL to mmol/L with one decimal.
pub(super) fn mmol(mgdl: u16) -> f64 {
    GlucoseUnit::MmolL.convert(f64::from(mgdl))
}

/// LLU's `MeasurementColor`: 1 in target, 2 above, 3 very high, 4 below.
pub(super) fn measurement_color(patient: &Patient, mgdl: u16) -> u8 {
    if mgdl < patient.target_low.get() {
        4
    } else if mgdl >= COLOR_VERY_HIGH {
        3
    } else if mgdl > patient.target_high.get() {
        2
    } else {
        1
    }
}

pub(super) fn glucose_item(patient: &Patient, reading: &Reading, item: Item) -> Value {
    let mgdl = reading.mgdl.get();
    let value = match patient.unit {
        GlucoseUnit::MgDl => json!(mgdl),
        GlucoseUnit::MmolL => json!(mmol(mgdl)),
    };
    let local = UtcTime::from_unix_secs(patient.local_secs(reading.at));
    let (kind, alarm) = match item {
        Item::Graph => (0, None),
        Item::Current | Item::Log(LogbookKind::Scan) => (1, None),
        Item::Log(LogbookKind::LowAlarm) => (3, Some(1)),
        Item::Log(LogbookKind::HighAlarm) => (3, Some(2)),
    };
    let mut v = json!({
        "FactoryTimestamp": reading.at.to_llu(),
        "Timestamp": local.to_llu(),
        "type": kind,
        "ValueInMgPerDl": mgdl,
        "MeasurementColor": measurement_color(patient, mgdl),
        "GlucoseUnits": uom(patient.unit),
        "Value": value,
        "isHigh": reading.range == SensorRange::Hi,
        "isLow": reading.range == SensorRange::Lo,
    });
    if let Some(map) = v.as_object_mut() {
        if !matches!(item, Item::Graph) {
            map.insert("TrendArrow".into(), json!(llu_arrow(rate_at(patient, reading.at))));
            map.insert("TrendMessage".into(), Value::Null);
        }
        if let Some(alarm) = alarm {
            map.insert("alarmType".into(), json!(alarm));
        }
    }
    v
}

pub(super) fn sensor_json(patient: &Patient, now: UtcTime, device_id: &str) -> Value {
    json!({
        "deviceId": device_id,
        "sn": patient.sensor_serial(now),
        "a": patient.sensor_activation(now).unix_secs(),
        "w": WARM_UP / MINUTE,
        "pt": patient.sensor_model.product_type(),
        "s": true,
        "lj": false,
    })
}

pub(super) fn device_json(patient: &Patient) -> Value {
    json!({
        "did": patient.device_id(),
        "dtid": patient.sensor_model.device_type_id(),
        "v": APP_VERSION,
        "l": true,
        "ll": patient.alarm_low.get(),
        "h": true,
        "hl": patient.alarm_high.get(),
        "u": patient.sensor_anchor.unix_secs(),
        "fixedLowAlarmValues": {"mgdl": 60, "mmoll": 3.3},
        "alarms": false,
        "fixedLowThreshold": 0,
    })
}

pub(super) fn alarm_rules(patient: &Patient) -> Value {
    let (low, high) = (patient.alarm_low.get(), patient.alarm_high.get());
    json!({
        "c": true,
        "h": {"on": true, "th": high, "thmm": mmol(high), "d": 1440, "f": 0.1},
        "f": {"th": FIXED_LOW, "thmm": 3, "d": 30, "tl": 10, "tlmm": 0.6},
        "l": {"on": true, "th": low, "thmm": mmol(low), "d": 1440, "tl": 10, "tlmm": 0.6},
        "nd": {"i": 20, "r": 5, "l": 6},
        "p": 5,
        "r": 5,
        "std": {},
    })
}

/// One LLU connection object for `patient` at `now` (its current value in `glucoseMeasurement`/`glucoseItem`).
pub fn connection_json(patient: &Patient, now: UtcTime) -> Value {
    let measurement = current(patient, now).map_or(Value::Null, |r| glucose_item(patient, &r, Item::Current));
    let sensor = if patient.sensor_null { Value::Null } else { sensor_json(patient, now, "") };
    json!({
        "id": patient.connection_id(),
        "patientId": patient.patient_id(),
        "country": patient.country,
        "status": 2,
        "firstName": patient.first_name,
        "lastName": patient.last_name,
        "targetLow": patient.target_low.get(),
        "targetHigh": patient.target_high.get(),
        "uom": uom(patient.unit),
        "sensor": sensor,
        "alarmRules": alarm_rules(patient),
        "glucoseMeasurement": measurement.clone(),
        "glucoseItem": measurement,
        "glucoseAlarm": null,
        "patientDevice": device_json(patient),
        "created": patient.sensor_anchor.unix_secs() - 400 * DAY,
    })
}

pub(super) fn envelope(data: Value, now: UtcTime, ticket: &str) -> Value {
    json!({
        "status": 0,
        "data": data,
        "ticket": {"token": ticket, "expires": (now + 180 * DAY).unix_secs(), "duration": TICKET_DURATION_MS},
    })
}

/// `GET /llu/connections` at `now`: every patient's connection with its current value.
pub fn connections_json(patients: &[Patient], now: UtcTime, ticket: &str) -> Value {
    let data: Vec<Value> = patients.iter().map(|p| connection_json(p, now)).collect();
    envelope(Value::Array(data), now, ticket)
}

/// `GET /llu/connections/{patientId}/graph` at `now`: the connection, the active sensor and 12 hours of graph
/// points.
pub fn graph_json(patient: &Patient, now: UtcTime, ticket: &str) -> Value {
    let device_id = patient.device_id();
    let graph: Vec<Value> = graph_points(patient, now).iter().map(|r| glucose_item(patient, r, Item::Graph)).collect();
    let data = json!({
        "connection": connection_json(patient, now),
        "activeSensors": [{"sensor": sensor_json(patient, now, &device_id), "device": device_json(patient)}],
        "graphData": graph,
    });
    envelope(data, now, ticket)
}

/// `GET /llu/connections/{patientId}/logbook` at `now`: 14 days of scans and alarms, newest first.
pub fn logbook_json(patient: &Patient, now: UtcTime, ticket: &str) -> Value {
    let data: Vec<Value> =
        logbook(patient, now).iter().map(|e| glucose_item(patient, &e.reading, Item::Log(e.kind))).collect();
    envelope(Value::Array(data), now, ticket)
}
