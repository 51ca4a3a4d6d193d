//! Component tests in headless Chromium (wasm-bindgen-test): each mounts one component in a fresh element and
//! asserts what a person sees. Run by `cargo xtask test`.
#![cfg(target_arch = "wasm32")]
// Test helpers fail loudly: a missing element is the test failing.
#![allow(clippy::unwrap_used, clippy::panic)]

use leptos::prelude::*;
use shared::reading::{Reading, SensorRange, Series};
use shared::time::{MINUTE, UtcTime};
use shared::units::{GlucoseUnit, MgDl};
use tidewatch_app::components::{glance::Glance, graph::Graph, stats::Stats};
use tidewatch_app::model;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A fixed "now": 2026-01-01 12:00 UTC.
const NOW: i64 = 1_767_268_800;

fn at(min: i64) -> UtcTime {
    UtcTime::from_unix_secs(NOW + min * MINUTE)
}

fn reading(min: i64, mgdl: u16) -> Reading {
    Reading::new(at(min), MgDl::new(mgdl))
}

fn flagged(min: i64, mgdl: u16, range: SensorRange) -> Reading {
    Reading { range, ..reading(min, mgdl) }
}

/// Mounts `view` in a new element and returns the element (the mount stays for the test's life).
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> HtmlElement {
    let document = web_sys::window().and_then(|w| w.document()).unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), view);
    std::mem::forget(handle);
    host
}

fn find(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector} in {}", root.inner_html()))
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default().trim().to_owned()
}

/// Mounts the glance for `readings` at `now_min` in `unit`.
fn glance(readings: Vec<Reading>, now_min: i64, unit: GlucoseUnit) -> Element {
    let series = Series::from_readings(readings);
    let data = model::glance(&series, at(now_min), unit);
    let host = mount(move || view! { <Glance glance=Signal::derive(move || data.clone()) /> });
    find(&host, "section.glance")
}

#[wasm_bindgen_test]
fn glance_in_range_shows_value_arrow_delta_and_age() {
    let readings = vec![reading(-15, 110), reading(-10, 112), reading(-5, 114), reading(0, 116)];
    let g = glance(readings, 1, GlucoseUnit::MgDl);
    assert_eq!(text(&g, "[data-testid=value]"), "116");
    assert_eq!(text(&g, ".unit"), "mg/dL");
    assert_eq!(text(&g, ".arrow"), "→");
    assert_eq!(find(&g, ".arrow").get_attribute("title").as_deref(), Some("steady"));
    assert_eq!(text(&g, "[data-testid=delta]"), "+2 mg/dL / 5 min");
    assert_eq!(text(&g, "[data-testid=age]"), "1 min ago");
    assert!(g.class_list().contains("tone-in-range"));
    assert_eq!(g.get_attribute("data-freshness").as_deref(), Some("current"));
    assert!(g.query_selector("[data-testid=state]").unwrap().is_none(), "a current value has no state line");
    assert!(text(&g, ".sr-only").starts_with("116 mg/dL, steady, in range, 1 min ago."));
}

#[wasm_bindgen_test]
fn glance_lo_and_hi_are_words_not_numbers() {
    let lo = glance(vec![flagged(0, 40, SensorRange::Lo)], 0, GlucoseUnit::MgDl);
    assert_eq!(text(&lo, "[data-testid=value]"), "LO");
    assert_eq!(text(&lo, ".unit"), "");
    assert!(lo.class_list().contains("tone-very-low"));
    assert_eq!(text(&lo, ".tone-words"), "very low");
    let hi = glance(vec![flagged(0, 500, SensorRange::Hi)], 0, GlucoseUnit::MmolL);
    assert_eq!(text(&hi, "[data-testid=value]"), "HI");
    assert!(hi.class_list().contains("tone-very-high"));
}

#[wasm_bindgen_test]
fn glance_signal_loss_and_stale_never_look_current() {
    let readings = vec![reading(-5, 150), reading(0, 160)];
    let loss = glance(readings.clone(), 7, GlucoseUnit::MgDl);
    assert_eq!(loss.get_attribute("data-freshness").as_deref(), Some("signal-loss"));
    assert!(text(&loss, "[data-testid=state]").starts_with("Signal loss"));
    assert_eq!(text(&loss, ".arrow"), "", "no trend arrow without a current value");
    let stale = glance(readings, 16, GlucoseUnit::MgDl);
    assert_eq!(stale.get_attribute("data-freshness").as_deref(), Some("stale"));
    assert!(stale.class_list().contains("tone-stale"), "a stale value is greyed");
    assert_eq!(text(&stale, "[data-testid=state]"), "Stale: not the current value");
    assert_eq!(text(&stale, "[data-testid=age]"), "16 min ago");
    assert!(stale.query_selector("[data-testid=delta]").unwrap().is_none());
}

#[wasm_bindgen_test]
fn glance_in_mmol_has_one_decimal() {
    let g = glance(vec![reading(-5, 117), reading(0, 123)], 0, GlucoseUnit::MmolL);
    assert_eq!(text(&g, "[data-testid=value]"), "6.8");
    assert_eq!(text(&g, ".unit"), "mmol/L");
    assert_eq!(text(&g, "[data-testid=delta]"), "+0.3 mmol/L / 5 min");
}

#[wasm_bindgen_test]
async fn graph_draws_the_series_with_a_gap_as_a_gap() {
    // 3-hour window ending at NOW, 30 minutes of forecast room: 210 minutes over 360 units; 40–300 mg/dL over 200.
    let series = Series::from_readings([reading(-180, 40), reading(-175, 170), reading(-60, 300), reading(-30, 105)]);
    let host = mount(move || {
        view! {
            <Graph
                series=Signal::derive(move || series.clone())
                targets=Signal::derive(|| (MgDl::new(70), MgDl::new(180)))
                lines=Signal::derive(|| (MgDl::new(70), MgDl::new(180)))
                now=Signal::derive(|| at(0))
                hours=RwSignal::new(3)
                unit=Signal::derive(|| GlucoseUnit::MgDl)
            />
        }
    });
    leptos::task::tick().await;
    let d = find(&host, "[data-testid=glucose-path]").get_attribute("d").unwrap_or_default();
    assert_eq!(d, "M0.0,200.0 L8.6,100.0 M205.7,0.0 h0 M257.1,150.0 h0");
    // The target band spans 70–180 mg/dL: y 92.3 (top) to 176.9.
    let band = find(&host, "rect.band");
    let number = |name: &str| band.get_attribute(name).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    assert!((number("y") - 92.31).abs() < 0.01, "band top {}", number("y"));
    assert!((number("height") - 84.62).abs() < 0.01, "band height {}", number("height"));
    assert_eq!(text(&host, ".windows button[aria-pressed=true]"), "3 h");
}

#[wasm_bindgen_test]
async fn stats_panel_shows_time_in_range_and_the_numbers() {
    // Two hours at 100 mg/dL then one hour at 200, every 5 minutes, ending now: the 3 h window.
    let readings = (0..36).map(|i| reading(-180 + i * 5, if i < 24 { 100 } else { 200 }));
    let series = Series::from_readings(readings);
    let host = mount(move || {
        view! {
            <Stats
                series=Signal::derive(move || series.clone())
                now=Signal::derive(|| at(0))
                hours=Signal::derive(|| 3)
                unit=Signal::derive(|| GlucoseUnit::MgDl)
            />
        }
    });
    leptos::task::tick().await;
    let window = find(&host, ".panel");
    assert_eq!(text(&window, "[data-testid=band-in-range]"), "67 %");
    assert_eq!(text(&window, "[data-testid=band-high]"), "33 %");
    assert_eq!(text(&window, "[data-testid=target-time-in-range]"), "67 %");
    assert_eq!(text(&window, "[data-testid=mean]"), "133 mg/dL");
    assert_eq!(text(&window, "[data-testid=gmi]"), "6.5 %");
    assert_eq!(text(&window, "[data-testid=sd]"), "47 mg/dL");
    assert_eq!(text(&window, "[data-testid=target-coverage]"), "100 %");
    assert!(find(&window, "tr.missed").text_content().unwrap_or_default().contains("Time in range"));
}

#[wasm_bindgen_test]
fn the_service_workers_alarm_action_message_is_read_and_anything_else_ignored() {
    use tidewatch_app::platform::{AlarmAction, alarm_action};
    let message = |json: &str| alarm_action(&js_sys::JSON::parse(json).unwrap());
    let base = r#""type":"tw-alarm-action","sub":"s1","key":"k","kind":"UrgentLow""#;
    assert_eq!(
        message(&format!(r#"{{{base},"action":"ack","minutes":5}}"#)),
        Some(AlarmAction { sub: "s1".into(), patient: String::new(), kind: "UrgentLow".into(), snooze_min: None })
    );
    // The app's own notification names the patient, and the subscription only when background alarms are on.
    assert_eq!(
        message(r#"{"type":"tw-alarm-action","sub":"","patient":"p2","kind":"Low","action":"snooze","minutes":15}"#),
        Some(AlarmAction { sub: String::new(), patient: "p2".into(), kind: "Low".into(), snooze_min: Some(15) })
    );
    assert_eq!(message(&format!(r#"{{{base},"patient":"p2","action":"ack"}}"#)).unwrap().patient, "p2");
    assert_eq!(message(&format!(r#"{{{base},"action":"snooze","minutes":10}}"#)).unwrap().snooze_min, Some(10));
    // A snooze without a usable length is the shortest sensible one, never zero or negative.
    assert_eq!(message(&format!(r#"{{{base},"action":"snooze","minutes":-3}}"#)).unwrap().snooze_min, Some(15));
    assert_eq!(message(&format!(r#"{{{base},"action":"snooze"}}"#)).unwrap().snooze_min, Some(15));
    for other in [
        r#""skip-waiting""#,
        "null",
        "42",
        r#"{"type":"something-else","sub":"s1","kind":"Low","action":"ack"}"#,
        r#"{"type":"tw-alarm-action","kind":"Low","action":"ack"}"#,
        r#"{"type":"tw-alarm-action","sub":"s1","action":"ack"}"#,
        r#"{"type":"tw-alarm-action","sub":"s1","kind":"Low","action":"dismiss"}"#,
        r#"{"type":"tw-alarm-action","sub":7,"kind":"Low","action":"ack"}"#,
        r#"{"type":"tw-alarm-action","sub":"","patient":"","kind":"Low","action":"ack"}"#,
        r#"{"type":"tw-alarm-action","patient":["p2"],"kind":"Low","action":"ack"}"#,
    ] {
        assert_eq!(message(other), None, "{other}");
    }
}

/// Futures that become ready together are run in slices of a task: once a task has polled futures for
/// `SLICE_MS`, the next one waits for a new task, so what the browser queued meanwhile (here a timer; on a phone a
/// frame or a tap) comes between them. Polled back to back, as wasm-bindgen-futures alone does, they made one long
/// task.
#[wasm_bindgen_test]
async fn futures_ready_together_run_in_slices_of_a_task() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use tidewatch_app::platform::slices::{SLICE_MS, spawn_sliced};

    let order = Rc::new(RefCell::new(Vec::new()));
    let timer = Rc::clone(&order);
    set_timeout(move || timer.borrow_mut().push("timer"), std::time::Duration::ZERO);
    let first = Rc::clone(&order);
    spawn_sliced(async move {
        // A poll as long as a slow phone's render: longer than the slice.
        let start = js_sys::Date::now();
        while js_sys::Date::now() - start < SLICE_MS + 2.0 {}
        first.borrow_mut().push("first");
    });
    let second = Rc::clone(&order);
    spawn_sliced(async move { second.borrow_mut().push("second") });
    while order.borrow().len() < 3 {
        tidewatch_app::platform::next_task().await;
    }
    assert_eq!(*order.borrow(), ["first", "timer", "second"]);
}
