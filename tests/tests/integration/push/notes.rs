//! The family's notes (issue 31, item 2) through the worker, as the app and a Nightscout client use them: the owner
//! and grandma's link write "15 g juice" and "sensor changed", everyone who follows the patient reads them, a
//! Nightscout client reads them as treatments, and only the owner removes one. Bad input and strangers get clear
//! refusals.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Owner, client, grandmas_link, owner, owners_phone, stack};

/// A call with `authorization` (and a JSON body): its status and JSON.
async fn notes_call(
    method: reqwest::Method,
    path: &str,
    authorization: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client().request(method, stack().url(path)).header("authorization", authorization);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A plain `GET` (a Nightscout client's), as JSON.
async fn get_json(path: &str) -> Value {
    client().get(stack().url(path)).send().await.unwrap().json().await.unwrap()
}

fn texts(notes: &Value) -> Vec<String> {
    notes.as_array().into_iter().flatten().map(|n| n["text"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn the_family_writes_notes_everyone_reads_them_and_nightscout_clients_get_treatments() {
    let Owner { _clock, t: _, account: _, token, patient } = owner("notes", 120, 0, 10 * 60).await;
    let bearer = format!("Bearer {token}");
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // Before any phone gets the patient's alarms there is nowhere to keep a note: a clear 404, not a lost note.
    let note = json!({"patientId": patient, "kind": "carbs", "carbs": 15, "text": "juice", "by": "Sam"});
    let (status, said) = notes_call(post.clone(), "/api/notes", &bearer, Some(note.clone())).await;
    assert_eq!((status, said["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("push_not_found")), "{said}");

    let phone = owners_phone(&token, &patient).await;
    let (status, said) = notes_call(post.clone(), "/api/notes", &bearer, Some(note)).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    assert_eq!((said["note"]["by"].as_str(), said["note"]["carbs"].as_u64()), (Some("Sam"), Some(15)));
    let juice_id = said["note"]["id"].as_str().unwrap().to_owned();
    assert_eq!(juice_id.len(), 24);

    // The app names the patient in the query, as for reading.
    let path = format!("/api/notes?patientId={patient}");
    let (status, said) = notes_call(post.clone(), &path, &bearer, Some(json!({"text": "woke up sweaty"}))).await;
    assert_eq!((status, said["note"]["by"].as_str()), (StatusCode::OK, Some("Someone")), "{said}");
    let sweaty = said["note"]["id"].as_str().unwrap().to_owned();
    let (status, _) =
        notes_call(reqwest::Method::DELETE, &format!("/api/notes/{sweaty}?patientId={patient}"), &bearer, None).await;
    assert_eq!(status, StatusCode::OK);

    // Grandma's link writes one too, signed with the link's name whatever it claims.
    let share = grandmas_link(&bearer, &patient).await;
    let grandma = format!("Share {}", share["secret"].as_str().unwrap());
    let sensor = json!({"kind": "sensor", "text": "new sensor on the left arm", "by": "Sam"});
    let (status, said) = notes_call(post.clone(), "/api/notes", &grandma, Some(sensor)).await;
    assert_eq!((status, said["note"]["by"].as_str()), (StatusCode::OK, Some("Grandma")), "{said}");

    // Everyone reads both, oldest first: the owner by the patient's id, grandma by her link.
    let (status, mine) = notes_call(get.clone(), &format!("/api/notes?patientId={patient}"), &bearer, None).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(texts(&mine["notes"]), ["juice", "new sensor on the left arm"]);
    let (_, hers) = notes_call(get.clone(), "/api/notes", &grandma, None).await;
    assert_eq!(hers["notes"], mine["notes"]);

    // A Nightscout client with the link's token reads them as treatments, newest first.
    let ns_token = share["nightscoutToken"].as_str().unwrap();
    let treatments: Value = get_json(&format!("/api/v1/treatments.json?token={ns_token}")).await;
    let types: Vec<&str> = treatments.as_array().unwrap().iter().map(|t| t["eventType"].as_str().unwrap()).collect();
    assert_eq!(types, ["Sensor Change", "Carb Correction"], "{treatments}");
    assert_eq!((treatments[1]["carbs"].as_u64(), treatments[1]["enteredBy"].as_str()), (Some(15), Some("Sam")));
    let one: Value = get_json(&format!("/api/v1/treatments?token={ns_token}&count=1")).await;
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    let wrong = client().get(stack().url("/api/v1/treatments.json?token=not-a-token")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::GONE);

    // Only the owner removes a note; then it is gone for everyone.
    let path = format!("/api/notes/{juice_id}?patientId={patient}");
    let (status, _) = notes_call(reqwest::Method::DELETE, &path, &grandma, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, said) = notes_call(reqwest::Method::DELETE, &path, &bearer, None).await;
    assert_eq!(status, StatusCode::OK, "{said}");
    let (status, _) = notes_call(reqwest::Method::DELETE, &path, &bearer, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "removed once");
    let (_, hers) = notes_call(get.clone(), "/api/notes", &grandma, None).await;
    assert_eq!(texts(&hers["notes"]), ["new sensor on the left arm"]);

    super::present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn bad_notes_and_strangers_get_clear_refusals_and_nothing_is_kept() {
    let Owner { _clock, t: _, account: _, token, patient } = owner("notes-bad", 120, 0, 10 * 60).await;
    let bearer = format!("Bearer {token}");
    let phone = owners_phone(&token, &patient).await;
    let post = reqwest::Method::POST;
    let refused = [
        json!({"patientId": patient, "kind": "note", "text": "   "}),
        json!({"patientId": patient, "text": "x".repeat(141)}),
        json!({"patientId": patient, "kind": "carbs", "text": "juice"}),
        json!({"patientId": patient, "kind": "carbs", "carbs": 1000}),
        json!({"patientId": patient, "kind": "insulin", "text": "2 u"}),
        json!({"patientId": patient, "text": "last week", "at": 1_000_000_000}),
        json!({"patientId": patient, "text": 5}),
        json!(["not", "an", "object"]),
    ];
    for body in refused {
        let (status, said) = notes_call(post.clone(), "/api/notes", &bearer, Some(body.clone())).await;
        assert_eq!(
            (status, said["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{body}: {said}"
        );
    }
    let html = client()
        .post(stack().url("/api/notes"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("<html>not json</html>")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::BAD_REQUEST);
    // Someone else's patient, a wrong token, and a link that does not share alarms.
    let other = "00000000-0000-4000-8000-0000000000ff";
    let (status, _) =
        notes_call(post.clone(), "/api/notes", &bearer, Some(json!({"patientId": other, "text": "x"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = notes_call(post.clone(), "/api/notes", "Bearer not-a-session", Some(json!({"text": "x"}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let body = json!({"patientId": patient, "label": "Neighbour", "from": "Alex", "alarms": false});
    let (_, quiet) = notes_call(post.clone(), "/api/shares", &bearer, Some(body)).await;
    let neighbour = format!("Share {}", quiet["secret"].as_str().unwrap());
    let (status, said) = notes_call(post.clone(), "/api/notes", &neighbour, Some(json!({"text": "x"}))).await;
    assert_eq!((status, said["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("alarms_not_shared")), "{said}");
    let ns = quiet["nightscoutToken"].as_str().unwrap();
    let treatments: Value = get_json(&format!("/api/v1/treatments?token={ns}")).await;
    assert_eq!(treatments, json!([]), "a link without alarms reads no notes");
    // Nothing of that was kept.
    let (_, mine) = notes_call(reqwest::Method::GET, &format!("/api/notes?patientId={patient}"), &bearer, None).await;
    assert_eq!(mine["notes"], json!([]));
    // The demo keeps none: its visitors would read each other's.
    let demo: Value = client().post(stack().url("/api/demo")).send().await.unwrap().json().await.unwrap();
    let demo_token = demo["data"]["authTicket"]["token"].as_str().unwrap_or_default();
    let (status, said) =
        notes_call(post, "/api/notes", &format!("Bearer {demo_token}"), Some(json!({"text": "x"}))).await;
    assert_eq!((status, said["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_session")), "{said}");

    super::present("/api/push/unsubscribe", &phone, json!({})).await;
}
