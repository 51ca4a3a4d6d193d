//! The graph: the last 3/6/12/24 hours as SVG, with the patient's target band, the low and high alarm lines, the
//! AR2 forecast cone for the next 30 minutes, gaps drawn as gaps, and a read-out of time and value under a finger
//! or the pointer.

use leptos::prelude::*;
use shared::notes::Note;
use shared::reading::Series;
use shared::time::{HOUR, UtcTime};
use shared::units::{GlucoseUnit, MgDl};

use crate::model::{self, Scale, WINDOWS_HOURS};
use crate::platform;

/// How far ahead the forecast is drawn, minutes.
const AHEAD_MIN: i64 = 30;

/// The glucose graph.
#[component]
pub fn Graph(
    /// Every reading known for the patient.
    #[prop(into)]
    series: Signal<Series>,
    /// The patient's target range (the shaded band).
    #[prop(into)]
    targets: Signal<(MgDl, MgDl)>,
    /// The low and high alarm thresholds (dashed lines).
    #[prop(into)]
    lines: Signal<(MgDl, MgDl)>,
    /// Now.
    #[prop(into)]
    now: Signal<UtcTime>,
    /// The window in hours (3, 6, 12 or 24); the buttons change it.
    hours: RwSignal<i64>,
    /// The unit of the read-out and labels.
    #[prop(into)]
    unit: Signal<GlucoseUnit>,
    /// The family's notes, marked at their times along the top.
    #[prop(optional, into)]
    notes: Signal<Vec<Note>>,
) -> impl IntoView {
    let scale = Memo::new(move |_| {
        let now = now.get();
        let hours = hours.get();
        series.with(|s| Scale::new(now, hours, AHEAD_MIN, s.since(now - hours * HOUR)))
    });
    let path = Memo::new(move |_| {
        let scale = scale.get();
        series.with(|s| model::glucose_path(s.since(scale.from), &scale))
    });
    let forecast = Memo::new(move |_| series.with(|s| model::forecast_now(s, now.get())));
    let cone = move || {
        let scale = scale.get();
        forecast.get().map(|(_, f)| model::cone_points(&f, &scale, scale.to)).unwrap_or_default()
    };
    let forecast_line = move || {
        let scale = scale.get();
        forecast.get().map(|(n, f)| model::forecast_path(&n, &f, &scale, scale.to)).unwrap_or_default()
    };
    let band = move || {
        let (s, (lo, hi)) = (scale.get(), targets.get());
        let (top, bottom) = (s.y(hi.as_f64()), s.y(lo.as_f64()));
        (top, (bottom - top).max(0.0))
    };
    let line_y = move |high: bool| {
        let (lo, hi) = lines.get();
        scale.get().y(if high { hi.as_f64() } else { lo.as_f64() })
    };
    let ticks = move || model::hour_ticks(&scale.get(), hours.get(), platform::utc_offset_min());
    let value_labels = move || {
        let s = scale.get();
        let unit = unit.get();
        let (lo, hi) = lines.get();
        [lo.as_f64(), hi.as_f64()].map(|v| (s.y(v), unit.format(v)))
    };
    // Each note in the window: a flag along the top, its words for the pointer and for screen readers.
    let note_marks = move || {
        let s = scale.get();
        notes.with(|notes| {
            notes
                .iter()
                .filter(|n| n.at >= s.from.unix_secs() && n.at <= s.to.unix_secs())
                .map(|n| {
                    let x = s.x(UtcTime::from_unix_secs(n.at));
                    let said = format!(
                        "{} · {} — {}",
                        model::clock(UtcTime::from_unix_secs(n.at), platform::utc_offset_min()),
                        n.summary(),
                        n.by
                    );
                    view! {
                        <g class="note-mark" data-testid="note-marker">
                            <title>{said}</title>
                            <line x1=x x2=x y1="0" y2=Scale::HEIGHT />
                            <circle cx=x cy="5" r="4" />
                        </g>
                    }
                })
                .collect_view()
        })
    };
    // The read-out: the x the pointer is at, in SVG units.
    let pointer_x = RwSignal::new(None::<f64>);
    let readout = move || {
        let x = pointer_x.get()?;
        let s = scale.get();
        let at = s.at(x);
        series.with(|series| model::nearest(series.as_slice(), at).copied()).map(|r| {
            let text = format!(
                "{} · {} {}",
                model::clock(r.at, platform::utc_offset_min()),
                r.display(unit.get()),
                unit.get().label()
            );
            (s.x(r.at), s.y(r.value()), text)
        })
    };
    let svg_ref = NodeRef::<leptos::svg::Svg>::new();
    let track = move |client_x: i32| {
        if let Some(svg) = svg_ref.get() {
            let rect = svg.get_bounding_client_rect();
            if rect.width() > 0.0 {
                pointer_x.set(Some((f64::from(client_x) - rect.left()) / rect.width() * Scale::WIDTH));
            }
        }
    };
    let window_buttons = WINDOWS_HOURS
        .into_iter()
        .map(|h| {
            view! {
                <button
                    class:selected=move || hours.get() == h
                    aria-pressed=move || (hours.get() == h).to_string()
                    on:click=move |_| hours.set(h)
                >
                    {format!("{h} h")}
                </button>
            }
        })
        .collect_view();
    view! {
        <section class="card graph" aria-label="Glucose graph">
            <div class="windows" role="group" aria-label="Graph window">{window_buttons}</div>
            <svg
                node_ref=svg_ref
                viewBox=format!("0 0 {} {}", Scale::WIDTH, Scale::HEIGHT + 16.0)
                role="img"
                aria-label=move || format!("Glucose over the last {} hours", hours.get())
                on:pointermove=move |ev| track(ev.client_x())
                on:pointerdown=move |ev| track(ev.client_x())
                on:pointerleave=move |_| pointer_x.set(None)
            >
                <rect class="band" x="0" width=Scale::WIDTH y=move || band().0 height=move || band().1 />
                <line class="limit low" x1="0" x2=Scale::WIDTH y1=move || line_y(false) y2=move || line_y(false) />
                <line class="limit high" x1="0" x2=Scale::WIDTH y1=move || line_y(true) y2=move || line_y(true) />
                {move || {
                    value_labels()
                        .into_iter()
                        .map(|(y, text)| view! { <text class="axis" x="2" y=y - 2.0>{text}</text> })
                        .collect_view()
                }}
                <line
                    class="now"
                    x1=move || scale.get().x(now.get())
                    x2=move || scale.get().x(now.get())
                    y1="0"
                    y2=Scale::HEIGHT
                />
                <polygon class="cone" points=cone />
                <path class="forecast" d=forecast_line />
                {note_marks}
                <path class="glucose" d=move || path.get() data-testid="glucose-path" />
                {move || {
                    ticks()
                        .into_iter()
                        .map(|(x, label)| {
                            view! {
                                <text class="axis tick" x=x y=Scale::HEIGHT + 13.0 text-anchor="middle">
                                    {label}
                                </text>
                            }
                        })
                        .collect_view()
                }}
                {move || {
                    readout()
                        .map(|(x, y, text)| {
                            let anchor = if x > Scale::WIDTH / 2.0 { "end" } else { "start" };
                            let tx = if x > Scale::WIDTH / 2.0 { x - 6.0 } else { x + 6.0 };
                            view! {
                                <g class="readout">
                                    <line x1=x x2=x y1="0" y2=Scale::HEIGHT />
                                    <circle cx=x cy=y r="4" />
                                    <text x=tx y="14" text-anchor=anchor data-testid="readout">{text}</text>
                                </g>
                            }
                        })
                }}
            </svg>
            <p class="legend">
                <span class="key band-key"></span>
                "target range "
                <span class="key cone-key"></span>
                "forecast (30 min)"
            </p>
        </section>
    }
}
