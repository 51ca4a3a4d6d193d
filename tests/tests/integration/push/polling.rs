//! Gentler polling (issue 29, item 8): a family with two children on sensors and three phones, each phone with the
//! app open and subscribed to background alarms, for an hour of the cron's clock. The current values of both children
//! come from one `/llu/connections` call a minute and each child's graph from one call every 5 minutes, where each of
//! the three data items used to be read every minute (180 calls an hour). Nobody sees an older value for it, and an
//! urgent low rings at the minute its reading arrives.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::llu::{Envelope, GraphData};
use shared::reading::Origin;
use shared::simulate::{self, Hold};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::MgDl;
use tidewatch_tests::{Account, CallKind};

use super::{CLOCK, client, cron, fresh_start, gapless_patient, kinds, stack, subscribe};

/// What a phone with the app open reads each minute: the list, then its child's graph (the first one as opened).
/// The graph's current value, checked to be the minute's.
async fn app_reads(token: &str, patient: &str, opened: bool) -> Value {
    let http = client();
    let list = http.get(stack().url("/llu/connections")).bearer_auth(token).send().await.unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let open = if opened { "?open=1" } else { "" };
    let graph = http.get(stack().url(&format!("/llu/connections/{patient}/graph{open}"))).bearer_auth(token);
    let graph = graph.send().await.unwrap();
    assert_eq!(graph.status(), StatusCode::OK);
    graph.json().await.unwrap()
}

/// When the graph's current value was measured.
fn current_at(graph: &Value) -> i64 {
    let typed: Envelope<GraphData> = serde_json::from_value(graph.clone()).unwrap();
    let data = typed.data.unwrap();
    data.connection.current_item().unwrap().to_reading(Origin::Current).unwrap().at.unix_secs()
}

#[tokio::test]
async fn a_family_of_two_children_and_three_phones_costs_under_half_the_upstream_calls_and_no_freshness() {
    let mut clock = CLOCK.lock().await;
    let t = fresh_start(&mut clock, HOUR + 2 * MINUTE);
    // Lee stays in range; Sam falls to an urgent low 37 minutes into the hour.
    let level = |mgdl| MgDl::new(mgdl);
    let lee_script = vec![Hold { from: UtcTime::from_unix_secs(t - 24 * HOUR), level: level(120) }];
    let lee = gapless_patient("Lee", lee_script, (t, t + HOUR + 5 * MINUTE), 1..2000);
    let sam_script = vec![
        Hold { from: UtcTime::from_unix_secs(t - 24 * HOUR), level: level(120) },
        Hold { from: UtcTime::from_unix_secs(t + 37 * MINUTE), level: level(45) },
    ];
    let sam = gapless_patient("Sam", sam_script, (t, t + HOUR + 5 * MINUTE), 2000..4000);
    let email = format!("push-polling-{}@tidewatch.test", std::process::id());
    let account = Account { patients: vec![lee, sam.clone()], ..Account::new(&email, "right-password") };
    stack().fake.add_account(account.clone());
    let login = json!({"email": email, "password": "right-password"});
    let signed_in: Value =
        client().post(stack().url("/llu/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = signed_in["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: Value =
        client().get(stack().url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let id = |name: &str| {
        let entries = list["data"].as_array().unwrap();
        let entry = entries.iter().find(|c| c["firstName"] == name).unwrap();
        entry["patientId"].as_str().unwrap().to_owned()
    };
    let (lee_id, sam_id) = (id("Lee"), id("Sam"));
    // Two parents' phones on Lee, one on Sam; each with the app open and background alarms on.
    let bearer = format!("Bearer {token}");
    let watching = [lee_id.clone(), lee_id.clone(), sam_id.clone()];
    let mut phones = Vec::new();
    for patient in &watching {
        phones.push(subscribe(&bearer, patient, json!({})).await);
    }
    let count = |kind| stack().fake.count(&email, kind);
    let before = (count(CallKind::Connections), count(CallKind::Graph));
    // The first minute Sam's reading is an urgent low (below 55 mg/dL), on the fake's own data.
    let urgent_minute = (0..60)
        .find(|k| {
            let at = UtcTime::from_unix_secs(t + k * MINUTE);
            simulate::current(&sam, at).is_some_and(|r| r.mgdl.get() < 55)
        })
        .expect("Sam's low comes within the hour");
    let mut rang_at = None;
    for k in 0..60 {
        let at = t + k * MINUTE;
        cron(&account, at).await;
        for patient in &watching {
            let graph = app_reads(&token, patient, k == 0).await;
            let measured = current_at(&graph);
            assert!(measured > at - MINUTE && measured <= at + 5, "minute {k}: a value from {measured}, at {at}");
        }
        if rang_at.is_none() && kinds(&phones[2]).iter().any(|kind| kind == "UrgentLow") {
            rang_at = Some(k);
        }
    }
    let (connections, graphs) = (count(CallKind::Connections) - before.0, count(CallKind::Graph) - before.1);
    eprintln!("an hour of two children and three phones: {connections} connections + {graphs} graphs upstream");
    assert!(connections <= 60, "one list a minute at most: {connections}");
    assert!(graphs <= 2 * 12, "each child's graph every 5 minutes at most: {graphs}");
    assert!(2 * (connections + graphs) <= 3 * 60, "at most half of one call a minute for each of the 3 items");
    assert_eq!(rang_at, Some(urgent_minute), "Sam's urgent low rings at the minute it is read");
    assert!(kinds(&phones[0]).iter().all(|kind| kind != "UrgentLow"), "Lee's phones hear nothing of Sam's low");
    // Two minutes after the graphs were last read, a phone that opens Lee's graph has it read again; the next
    // minute's read of it by the same phone is not.
    cron(&account, t + 60 * MINUTE).await;
    cron(&account, t + 62 * MINUTE).await;
    let graphs = count(CallKind::Graph);
    app_reads(&token, &lee_id, true).await;
    assert_eq!(count(CallKind::Graph), graphs + 1, "an opened graph over a minute old is read again");
    app_reads(&token, &lee_id, false).await;
    assert_eq!(count(CallKind::Graph), graphs + 1, "and then served as read");
    drop(clock);
}
