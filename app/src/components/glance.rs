//! The glance: the current value, large, with its unit, trend arrow (and words for screen readers), the change
//! per 5 minutes, the age that updates by itself, and the state. Colour follows the range band but is never the
//! only signal: the state is written out, and a stale value is greyed and crossed with the word "stale".

use leptos::prelude::*;

use crate::model::Glance as GlanceData;

/// The big current value.
#[component]
pub fn Glance(
    /// What to show (from [`crate::model::glance`]).
    #[prop(into)]
    glance: Signal<GlanceData>,
    /// Show "offline" next to the age: the data are the last ones this device received.
    #[prop(into, optional)]
    offline: Signal<bool>,
) -> impl IntoView {
    let g = move || glance.get();
    let freshness_class = move || glance.with(GlanceData::freshness_class);
    let state_text = move || glance.with(GlanceData::state_text);
    view! {
        <section
            class=move || format!("glance {} {}", g().tone.class(), freshness_class())
            aria-label="Current glucose"
            data-freshness=freshness_class
        >
            <p class="sr-only" aria-live="polite">{move || g().spoken}</p>
            <div class="reading" aria-hidden="true">
                <span class="value" data-testid="value">{move || g().value}</span>
                <span class="side">
                    <span class="arrow" title=move || g().arrow_label>{move || g().arrow}</span>
                    <span class="unit">{move || g().unit}</span>
                </span>
            </div>
            <p class="tone-words" aria-hidden="true">{move || g().tone.words()}</p>
            <p class="details" aria-hidden="true">
                <span class="trend-words">{move || g().arrow_label}</span>
                {move || {
                    glance.with(GlanceData::marked_delta)
                        .map(|d| view! { <span class="delta" data-testid="delta">{d}</span> })
                }}
            </p>
            <p class="age" data-testid="age">
                {move || g().age}
                <Show when=move || offline.get()>
                    <span class="badge offline">"offline"</span>
                </Show>
            </p>
            {move || state_text().map(|t| view! { <p class="state" data-testid="state">{t}</p> })}
            {move || glance.with(GlanceData::footnote).map(|f| view! { <p class="footnote">{f}</p> })}
        </section>
    }
}
