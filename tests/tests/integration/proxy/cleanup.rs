//! Objects that leave nothing behind (issue 28, item 9): a client network's `Hub` object schedules the deletion of
//! what it stored for when its windows end, and deletes it then.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use tidewatch_proxy::hub;
use tidewatch_tests::stack::Stack;
use tidewatch_tests::stored;

use super::client;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[tokio::test]
async fn a_client_networks_object_deletes_what_it_stored_when_its_window_ends() {
    let own = Stack::start_worker_only(&[]).expect("a stack of its own");
    let asked = now_ms();
    let guess = client().get(own.url("/api/share/graph")).header("authorization", "Share not-a-link").send().await;
    assert_eq!(guess.unwrap().status(), StatusCode::GONE);

    let state = own.state();
    let object = stored::object_named(&state, "Hub", &hub::client_object("127.0.0.1")).expect("the network's object");
    let stored_here = || stored::values(&state, "Hub").into_iter().filter(|v| v.file == object).count();
    assert_eq!(stored_here(), 1, "the miss is counted in storage");
    let alarm = stored::alarms(&state, "Hub").into_iter().find(|(file, _)| *file == object).map(|(_, at)| at);
    let window_ms = i64::from(tidewatch_proxy::shares::MISS_WINDOW_SECS) * 1000;
    let alarm = alarm.expect("a clean-up is scheduled");
    assert!((asked + window_ms..asked + window_ms + 30_000).contains(&alarm), "when the window ends, not {alarm}");

    let start = Instant::now();
    while stored_here() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(150),
            "the object still keeps its count (log: {})",
            own.log.display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
