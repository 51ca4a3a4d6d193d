//! Bedside mode: full screen, dark, huge digits and dimmed, with the screen kept awake (Screen Wake Lock) so a
//! parent can glance at it at night. A tap anywhere leaves it.

use leptos::prelude::*;

use crate::model::Glance;
use crate::platform;

/// The bedside overlay.
#[component]
pub fn Bedside(
    /// What to show.
    #[prop(into)]
    glance: Signal<Glance>,
    /// Leaves bedside mode.
    on_exit: Callback<()>,
) -> impl IntoView {
    let awake = RwSignal::new(None::<bool>);
    platform::full_screen(true);
    leptos::task::spawn_local(async move {
        awake.set(Some(platform::keep_awake().await));
    });
    on_cleanup(|| {
        platform::release_wake_lock();
        platform::full_screen(false);
    });
    let g = move || glance.get();
    view! {
        <div
            class=move || format!("bedside {}", g().tone.class())
            role="dialog"
            aria-label="Bedside mode. Tap to leave."
            on:click=move |_| on_exit.run(())
        >
            <p class="bedside-value" aria-live="polite">
                {move || g().value}
                <span class="bedside-arrow" aria-label=move || g().arrow_label>{move || g().arrow}</span>
            </p>
            <p class="bedside-age">{move || g().age}</p>
            {move || {
                (g().tone == crate::model::Tone::Stale)
                    .then(|| view! { <p class="bedside-state">"Stale: not the current value"</p> })
            }}
            <p class="bedside-hint">
                {move || match awake.get() {
                    Some(false) => "This browser cannot keep the screen on. Tap to leave.",
                    _ => "Screen kept on. Tap to leave.",
                }}
            </p>
        </div>
    }
}
