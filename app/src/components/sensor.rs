//! The sensor: which day of its life, when it ends (or when warm-up is over), and the lifetime assumption when
//! the model had to be guessed.

use leptos::prelude::*;
use shared::sensor::{SensorPhase, SensorStatus};
use shared::time::UtcTime;

/// The sensor card.
#[component]
pub fn SensorCard(
    /// The sensor's state, `None` when LibreLinkUp reports no sensor.
    #[prop(into)]
    status: Signal<Option<SensorStatus>>,
    /// Now.
    #[prop(into)]
    now: Signal<UtcTime>,
) -> impl IntoView {
    view! {
        <section class="card sensor" aria-label="Sensor">
            <h2>"Sensor"</h2>
            {move || match status.get() {
                None => view! { <p class="hint">"LibreLinkUp reports no active sensor."</p> }.into_any(),
                Some(s) => {
                    let phase = match s.phase {
                        SensorPhase::WarmingUp { .. } => "warming-up",
                        SensorPhase::Active => "active",
                        SensorPhase::Expired => "expired",
                    };
                    view! {
                        <p class=format!("sensor-line {phase}") data-testid="sensor">
                            <strong>{s.model.label()}</strong>
                            ", "
                            {s.day_text()}
                            ", "
                            {s.summary(now.get())}
                        </p>
                        {s.assumption_text().map(|t| view! { <p class="hint">{t}</p> })}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
