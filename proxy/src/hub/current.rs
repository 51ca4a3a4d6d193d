//! Gentler polling (llu-protocol.md 6; issue 29, item 8): the current value of every patient of an account comes
//! from one `/llu/connections` call a minute, and a patient's graph (history in 5-minute steps that lags the current
//! value by about a quarter of an hour, llu-protocol.md 4.2) is read every [`GRAPH_SECS`], or within a minute when a
//! viewer opens it. A graph answer older than a minute carries the patient's entry from the connections list as its
//! `connection`, so every caller (the app, links, the Nightscout API, the alarms) still sees the current value of
//! the minute. For a family of two children this is 60 + 24 upstream calls an hour instead of 180.

use super::*;

/// How long a graph's history is served before LLU is asked again (its points are 5 minutes apart).
pub const GRAPH_SECS: u32 = 300;

impl Hub {
    /// `patient`'s graph (`data`): the history at most [`GRAPH_SECS`] old (a minute when `opened`), with the
    /// current value of the minute from the account's connections list.
    pub(super) async fn read_graph(&self, config: &Config, read: ItemRead, patient: &str, opened: bool) -> HubAnswer {
        let history_secs = if opened { CACHE_SECS } else { GRAPH_SECS };
        let graph = self.read_item(config, read.clone(), history_secs).await;
        let HubAnswer::Data { body, age_secs, .. } = &graph else { return graph };
        if *age_secs < CACHE_SECS {
            // Read within the minute: its own current value is the minute's.
            return graph;
        }
        let list = self.read_item(config, ItemRead { data: Data::Connections, ..read }, CACHE_SECS).await;
        match list {
            HubAnswer::Data { body: connections, age_secs: list_age, ticket } if list_age < *age_secs => {
                match with_current(body.clone(), &connections, patient) {
                    Some(body) => HubAnswer::Data { body, age_secs: list_age, ticket },
                    // Not in the list (any more): the graph as LLU gave it.
                    None => graph,
                }
            }
            HubAnswer::Data { .. } => graph,
            // The current value cannot be had: said, not hidden behind a history minutes old.
            error => error,
        }
    }
}

/// One data item to read for a caller: what, with which token, for which account, on whose clock.
#[derive(Clone)]
pub(super) struct ItemRead {
    pub data: Data,
    pub token: String,
    pub region: Region,
    pub account_id: String,
    /// The caller's clock (Unix ms), when ahead of the object's.
    pub at_ms: f64,
}

/// `graph` (LLU's envelope) with its `data.connection` replaced by `patient`'s entry in `connections` (the
/// `/llu/connections` envelope: the same fields, with the newer `glucoseMeasurement`); `None` when the list does
/// not name the patient or either answer is not shaped as LLU's.
pub fn with_current(mut graph: Value, connections: &Value, patient: &str) -> Option<Value> {
    let entry = connections
        .get("data")?
        .as_array()?
        .iter()
        .find(|entry| entry.get("patientId").and_then(Value::as_str) == Some(patient))?;
    let connection = graph.get_mut("data")?.as_object_mut()?.get_mut("connection")?;
    if !connection.is_object() {
        return None;
    }
    *connection = entry.clone();
    Some(graph)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn connections(entries: Value) -> Value {
        json!({"status": 0, "data": entries})
    }

    #[test]
    fn a_graph_carries_the_patients_newer_current_value_from_the_list() {
        let graph = json!({"status": 0, "data": {
            "connection": {"patientId": "p", "glucoseMeasurement": {"Timestamp": "old", "ValueInMgPerDl": 100}},
            "graphData": [{"ValueInMgPerDl": 99}],
        }});
        let list = connections(json!([
            {"patientId": "q", "glucoseMeasurement": {"Timestamp": "other child", "ValueInMgPerDl": 200}},
            {"patientId": "p", "glucoseMeasurement": {"Timestamp": "new", "ValueInMgPerDl": 64}},
        ]));
        let spliced = with_current(graph, &list, "p").unwrap();
        assert_eq!(spliced["data"]["connection"]["glucoseMeasurement"]["ValueInMgPerDl"], 64);
        assert_eq!(spliced["data"]["graphData"], json!([{"ValueInMgPerDl": 99}]), "the history is kept as it was");
    }

    #[test]
    fn a_patient_the_list_does_not_name_or_a_strange_answer_gives_nothing_to_splice() {
        let graph = json!({"data": {"connection": {"patientId": "p"}, "graphData": []}});
        assert!(with_current(graph.clone(), &connections(json!([{"patientId": "q"}])), "p").is_none());
        assert!(with_current(graph.clone(), &json!({"data": "<html>"}), "p").is_none());
        assert!(with_current(json!({"data": []}), &connections(json!([{"patientId": "p"}])), "p").is_none());
        assert!(
            with_current(json!({"data": {"connection": null}}), &connections(json!([{"patientId": "p"}])), "p")
                .is_none()
        );
    }

    /// The real answers' shapes: the fixtures' list entry and graph connection have the same fields.
    #[test]
    fn the_fixtures_list_entry_replaces_a_fixture_graphs_connection() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu/");
        let read = |file: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}{file}")).unwrap()).unwrap()
        };
        let (graph, list) = (read("graph_mgdl.json"), read("connections.json"));
        let patient = list["data"][0]["patientId"].as_str().unwrap().to_owned();
        let spliced = with_current(graph.clone(), &list, &patient).unwrap();
        assert_eq!(spliced["data"]["connection"], list["data"][0]);
        assert_eq!(spliced["data"]["graphData"], graph["data"]["graphData"]);
        let typed: shared::llu::Envelope<shared::llu::GraphData> = serde_json::from_value(spliced).unwrap();
        assert!(typed.data.unwrap().connection.current_item().is_some());
    }
}
