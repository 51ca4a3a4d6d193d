//! Statistics for the graph's window and for 14 days: the five-band time-in-range bar, mean, GMI, CV, SD and
//! coverage, each with the international consensus target beside it (Battelino et al. 2019).

use leptos::prelude::*;
use shared::reading::Series;
use shared::stats::{self, Summary, Target};
use shared::time::{DAY, HOUR, UtcTime};
use shared::units::GlucoseUnit;

/// The statistics panel.
#[component]
pub fn Stats(
    /// Every reading known for the patient.
    #[prop(into)]
    series: Signal<Series>,
    /// Now.
    #[prop(into)]
    now: Signal<UtcTime>,
    /// The graph's window, hours.
    #[prop(into)]
    hours: Signal<i64>,
    /// The unit for mean and SD.
    #[prop(into)]
    unit: Signal<GlucoseUnit>,
) -> impl IntoView {
    let window = Memo::new(move |_| {
        let (now, hours) = (now.get(), hours.get());
        series.with(|s| stats::summarize(s.as_slice(), now - hours * HOUR, now))
    });
    let fortnight = Memo::new(move |_| {
        let now = now.get();
        series.with(|s| stats::summarize(s.as_slice(), now - 14 * DAY, now))
    });
    view! {
        <section class="card stats" aria-label="Statistics">
            <h2>"Statistics"</h2>
            <Panel title=Signal::derive(move || format!("Last {} hours", hours.get())) summary=window unit=unit />
            <Panel title=Signal::derive(|| "Last 14 days (on this device)".to_owned()) summary=fortnight unit=unit />
        </section>
    }
}

/// One window's numbers.
#[component]
fn Panel(
    /// The heading.
    #[prop(into)]
    title: Signal<String>,
    /// The statistics, `None` without readings.
    #[prop(into)]
    summary: Signal<Option<Summary>>,
    /// The unit for mean and SD.
    #[prop(into)]
    unit: Signal<GlucoseUnit>,
) -> impl IntoView {
    view! {
        <div class="panel">
            <h3>{title}</h3>
            {move || match summary.get() {
                None => view! { <p class="hint">"No readings in this window yet."</p> }.into_any(),
                Some(s) => view! { <Numbers summary=s unit=unit.get() /> }.into_any(),
            }}
        </div>
    }
}

/// The bar and the table of one summary.
#[component]
fn Numbers(
    /// The statistics.
    summary: Summary,
    /// The unit for mean and SD.
    unit: GlucoseUnit,
) -> impl IntoView {
    let b = summary.bands;
    let bands = [
        ("very-low", "Very low (<54)", b.very_low),
        ("low", "Low (54–69)", b.low),
        ("in-range", "In range (70–180)", b.in_range),
        ("high", "High (181–250)", b.high),
        ("very-high", "Very high (>250)", b.very_high),
    ];
    let pct = |f: f64| format!("{:.0} %", f * 100.0);
    // An SVG bar: widths as attributes, so the CSP needs no inline styles.
    let mut left = 0.0;
    let bar = bands
        .iter()
        .filter(|(_, _, f)| *f > 0.0)
        .map(|&(class, label, f)| {
            let x = left;
            left += f * 100.0;
            view! {
                <rect class=format!("seg {class}") x=format!("{x:.2}") width=format!("{:.2}", f * 100.0) y="0" height="6">
                    <title>{format!("{label}: {}", pct(f))}</title>
                </rect>
            }
        })
        .collect_view();
    let legend = bands
        .iter()
        .map(|&(class, label, f)| {
            view! {
                <li>
                    <span class=format!("key {class}")></span>
                    <span class="label">{label}</span>
                    <span class="num" data-testid=format!("band-{class}")>{pct(f)}</span>
                </li>
            }
        })
        .collect_view();
    let target_row = |target: Target, name: &'static str| {
        let met = target.is_met(&summary);
        let value = target.value_percent(&summary);
        view! {
            <tr class:met=met class:missed=!met>
                <th scope="row">{name}</th>
                <td class="num" data-testid=format!("target-{}", name.to_lowercase().replace(' ', "-"))>
                    {format!("{value:.0} %")}
                </td>
                <td class="goal">{target_text(target)}</td>
                <td class="mark">{if met { "✓ met" } else { "✗ not met" }}</td>
            </tr>
        }
    };
    let (mean, sd) = (unit.format(summary.mean), unit.format(summary.sd));
    view! {
        <svg
            class="tir-bar"
            viewBox="0 0 100 6"
            preserveAspectRatio="none"
            role="img"
            aria-label=format!("Time in range {}", pct(b.in_range))
        >
            {bar}
        </svg>
        <ul class="tir-legend">{legend}</ul>
        <table class="numbers">
            <tbody>
                {target_row(Target::TimeInRange, "Time in range")}
                {target_row(Target::BelowRange, "Below 70")}
                {target_row(Target::VeryLow, "Below 54")}
                {target_row(Target::AboveRange, "Above 180")}
                {target_row(Target::VeryHigh, "Above 250")}
                <tr>
                    <th scope="row">"Mean"</th>
                    <td class="num" data-testid="mean">{format!("{mean} {}", unit.label())}</td>
                    <td class="goal"></td>
                    <td></td>
                </tr>
                <tr>
                    <th scope="row">"GMI"</th>
                    <td class="num" data-testid="gmi">{format!("{:.1} %", summary.gmi_percent)}</td>
                    <td class="goal">{format!("{:.0} mmol/mol", summary.gmi_mmol_mol)}</td>
                    <td></td>
                </tr>
                {target_row(Target::Variability, "CV")}
                <tr>
                    <th scope="row">"SD"</th>
                    <td class="num" data-testid="sd">{format!("{sd} {}", unit.label())}</td>
                    <td class="goal"></td>
                    <td></td>
                </tr>
                {target_row(Target::Coverage, "Coverage")}
            </tbody>
        </table>
    }
}

/// The consensus target in words: "target > 70 %".
fn target_text(target: Target) -> String {
    let limit = target.limit_percent();
    match target {
        Target::TimeInRange => format!("target > {limit:.0} %"),
        Target::Coverage => format!("target ≥ {limit:.0} %"),
        Target::Variability => format!("target ≤ {limit:.0} %"),
        _ => format!("target < {limit:.0} %"),
    }
}
