//! The demo (design decision 6): a session whose facade answers come from `shared::simulate`, shaped exactly
//! like LLU's, so the app and any LLU client can be tried with no account and no internet. No upstream call.

use serde_json::Value;
use shared::simulate::{self, Patient};
use shared::time::{DAY, UtcTime};

use crate::error::{ApiError, ApiResult};
use crate::hub::Data;

/// The e-mail an LLU client can sign in with (any password) to get the demo.
pub const DEMO_EMAIL: &str = "demo@tidewatch.invalid";
/// How long a demo session lasts.
pub const DEMO_SESSION_SECS: i64 = 30 * DAY;
/// The demo follower's user id.
pub const DEMO_USER_ID: &str = "00000000-0000-4000-8000-00000000d3e0";

/// The people the demo follower follows: the demo patient and a second one (mmol/L, `sensor: null`).
pub fn patients() -> [Patient; 2] {
    [Patient::demo(), Patient::second()]
}

/// The demo's answer for `data` at `now`, as LLU's envelope without its `ticket`.
pub fn answer(data: &Data, now: UtcTime) -> ApiResult<Value> {
    let patients = patients();
    let find = |id: &str| patients.iter().find(|p| p.patient_id() == id).ok_or_else(patient_not_found);
    let mut body = match data {
        Data::Connections => simulate::connections_json(&patients, now, ""),
        Data::Graph(id) => simulate::graph_json(find(id)?, now, ""),
        Data::Logbook(id) => simulate::logbook_json(find(id)?, now, ""),
    };
    if let Some(envelope) = body.as_object_mut() {
        envelope.remove("ticket");
    }
    Ok(body)
}

fn patient_not_found() -> ApiError {
    ApiError::from_outcome(&shared::llu::Outcome::PatientNotFound)
}

/// LLU's login answer for the demo follower (the caller puts the sealed token in `authTicket`).
pub fn login_body() -> Value {
    crate::wire::parse(LOGIN_BODY).unwrap_or(Value::Null)
}

/// [`login_body`] as text: it never changes, and as `json!` it was 3.6 KB of the worker's code.
const LOGIN_BODY: &str = r#"{"status":0,"data":{"user":{"id":"00000000-0000-4000-8000-00000000d3e0","firstName":"Demo",
"lastName":"Follower","email":"demo@tidewatch.invalid","country":"DE","uiLanguage":"en-GB",
"communicationLanguage":"en-GB","accountType":"pat","uom":"1","dateFormat":"2","timeFormat":"2","emailDay":[1],
"created":1700000000},"messages":{"unread":0},"notifications":{"unresolved":0},"authTicket":null,
"invitations":null,"trustedDeviceToken":""}}"#;

#[cfg(test)]
mod tests {
    use shared::code::Code;

    use super::*;
    use shared::llu::{Endpoint, Outcome, Payload, classify};

    const NOW: i64 = 1_800_000_000;

    fn classified(endpoint: Endpoint, body: &Value) -> Outcome {
        classify(endpoint, 200, &[], body.to_string().as_bytes())
    }

    #[test]
    fn the_demo_sign_in_names_the_demo_follower() {
        let body = login_body();
        assert_eq!(body["data"]["user"]["id"], DEMO_USER_ID);
        assert_eq!(body["data"]["user"]["email"], DEMO_EMAIL);
        assert_eq!(body["status"], 0);
    }

    #[test]
    fn demo_answers_read_as_llu_answers() {
        let now = UtcTime::from_unix_secs(NOW);
        let connections = answer(&Data::Connections, now).unwrap();
        assert!(connections.get("ticket").is_none());
        let Outcome::Success { payload: Payload::Connections(list), .. } =
            classified(Endpoint::Connections, &connections)
        else {
            panic!("not a connections answer")
        };
        assert_eq!(list.len(), 2);
        let id = list[0].patient_id.clone();
        let graph = answer(&Data::Graph(id.clone()), now).unwrap();
        assert!(matches!(classified(Endpoint::Graph, &graph), Outcome::Success { payload: Payload::Graph(_), .. }));
        let logbook = answer(&Data::Logbook(id), now).unwrap();
        assert!(matches!(
            classified(Endpoint::Logbook, &logbook),
            Outcome::Success { payload: Payload::Logbook(_), .. }
        ));
    }

    #[test]
    fn an_unknown_patient_is_not_found() {
        let error = answer(&Data::Graph("00000000-0000-0000-0000-000000000000".into()), UtcTime::from_unix_secs(NOW));
        assert_eq!(error.unwrap_err().code, Code::PatientNotFound);
    }

    #[test]
    fn the_demo_login_has_llu_login_shape_once_a_ticket_is_in() {
        let mut body = login_body();
        body["data"]["authTicket"] = serde_json::json!({"token": "tw1.x.y", "expires": NOW, "duration": 1});
        assert!(matches!(classified(Endpoint::Login, &body), Outcome::Success { payload: Payload::Login(_), .. }));
    }
}
