//! The graph and statistics with 14 days of 1-minute data, rendered in headless Chromium (`cargo xtask bench`;
//! budget ≤ 16 ms, one frame). Criterion does not run in a browser, so this times with `performance.now()` and
//! prints; nothing here asserts a time. Each sample runs from the signal change to the DOM being updated and laid
//! out (a forced layout), which is what a person waits for after a tap or a new reading.
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use leptos::prelude::*;
use shared::reading::{Reading, Series};
use shared::time::{DAY, MINUTE, UtcTime};
use shared::units::{GlucoseUnit, MgDl};
use tidewatch_app::components::{graph::Graph, stats::Stats};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// 2026-01-01 12:00 UTC.
const NOW: i64 = 1_767_268_800;

/// `performance.now()` in milliseconds.
fn now_ms() -> f64 {
    let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).unwrap();
    let now = js_sys::Reflect::get(&performance, &"now".into()).unwrap().unchecked_into::<js_sys::Function>();
    now.call0(&performance).unwrap().as_f64().unwrap()
}

/// 14 days of one reading a minute, a smooth day curve with meals, ending at `NOW`.
fn fourteen_days() -> Vec<Reading> {
    let minutes = 14 * DAY / MINUTE;
    (0..minutes)
        .map(|i| {
            let t = (i as f64) / 60.0;
            let mgdl = 130.0 + 45.0 * (t * std::f64::consts::TAU / 24.0).sin() + 25.0 * (t * 1.7).sin();
            Reading::new(UtcTime::from_unix_secs(NOW - (minutes - 1 - i) * MINUTE), MgDl::new(mgdl.round() as u16))
        })
        .collect()
}

fn graph(series: RwSignal<Series>, now: RwSignal<UtcTime>, hours: RwSignal<i64>) -> impl IntoView {
    view! {
        <Graph
            series=series
            targets=Signal::derive(|| (MgDl::new(70), MgDl::new(180)))
            lines=Signal::derive(|| (MgDl::new(70), MgDl::new(250)))
            now=now
            hours=hours
            unit=Signal::derive(|| GlucoseUnit::MgDl)
        />
    }
}

fn statistics(series: RwSignal<Series>, now: RwSignal<UtcTime>, hours: RwSignal<i64>) -> impl IntoView {
    view! { <Stats series=series now=now hours=hours unit=Signal::derive(|| GlucoseUnit::MgDl) /> }
}

fn stats(samples: &mut [f64]) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    (mean, samples[samples.len() / 2], samples[samples.len() - 1])
}

#[wasm_bindgen_test]
async fn graph_and_stats_with_fourteen_days_of_minute_data() {
    let readings = fourteen_days();
    assert_eq!(readings.len(), 20_160);
    let series = RwSignal::new(Series::from_readings(readings.iter().copied()));
    let now = RwSignal::new(UtcTime::from_unix_secs(NOW));
    let hours = RwSignal::new(3_i64);
    let document = web_sys::window().and_then(|w| w.document()).unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();

    // Warm-up and split: each component alone, mounted and dropped.
    for round in 0..2 {
        let start = now_ms();
        let graph_only = leptos::mount::mount_to(host.clone(), move || graph(series, now, hours));
        leptos::task::tick().await;
        let _ = host.get_bounding_client_rect();
        let graph_ms = now_ms() - start;
        drop(graph_only);
        let start = now_ms();
        let stats_only = leptos::mount::mount_to(host.clone(), move || statistics(series, now, hours));
        leptos::task::tick().await;
        let _ = host.get_bounding_client_rect();
        let stats_ms = now_ms() - start;
        drop(stats_only);
        console_log!("  mount #{round}: graph alone {graph_ms:.2} ms, statistics alone {stats_ms:.2} ms");
    }

    let start = now_ms();
    let handle =
        leptos::mount::mount_to(host.clone(), move || (graph(series, now, hours), statistics(series, now, hours)));
    leptos::task::tick().await;
    let _ = host.get_bounding_client_rect();
    let first = now_ms() - start;
    let path = host.query_selector("[data-testid=glucose-path]").unwrap().unwrap();
    assert!(path.get_attribute("d").unwrap_or_default().len() > 1000, "the graph drew the window");

    let mut switch = Vec::new();
    for round in 0..20 {
        let start = now_ms();
        hours.set([24, 3, 12, 6][round % 4]);
        leptos::task::tick().await;
        let _ = host.get_bounding_client_rect();
        switch.push(now_ms() - start);
    }
    hours.set(24);
    leptos::task::tick().await;
    let mut refresh = Vec::new();
    for round in 1..=20 {
        let start = now_ms();
        let at = UtcTime::from_unix_secs(NOW + round * MINUTE);
        series.update(|s| s.merge([Reading::new(at, MgDl::new(140))]));
        now.set(at);
        leptos::task::tick().await;
        let _ = host.get_bounding_client_rect();
        refresh.push(now_ms() - start);
    }
    let (s_mean, s_median, s_max) = stats(&mut switch);
    let (r_mean, r_median, r_max) = stats(&mut refresh);
    console_log!("graph+stats, 14 days of 1-minute data (20,160 readings), Chromium:");
    console_log!("  first render (mount, 3 h window, 14-day stats): {first:.2} ms");
    console_log!("  window switch 3/6/12/24 h: mean {s_mean:.2} ms, median {s_median:.2} ms, max {s_max:.2} ms (20)");
    console_log!("  new reading (24 h window): mean {r_mean:.2} ms, median {r_median:.2} ms, max {r_max:.2} ms (20)");
    drop(handle);
}
