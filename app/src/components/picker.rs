//! The patient picker, shown when the account follows more than one person; the choice is remembered on the
//! device.

use leptos::prelude::*;

use crate::model::PatientRef;

/// The picker.
#[component]
pub fn Picker(
    /// Everyone the account follows.
    #[prop(into)]
    patients: Signal<Vec<PatientRef>>,
    /// The chosen patient's id.
    #[prop(into)]
    selected: Signal<Option<String>>,
    /// Called with the newly chosen id.
    on_pick: Callback<String>,
) -> impl IntoView {
    view! {
        <Show
            when=move || patients.with(|p| p.len() > 1)
            fallback=move || {
                view! {
                    <h2 class="patient-name">
                        {move || patients.with(|p| p.first().map(|p| p.name.clone()).unwrap_or_default())}
                    </h2>
                }
            }
        >
            <label class="picker">
                <span class="sr-only">"Patient"</span>
                <select
                    aria-label="Patient"
                    on:change=move |ev| on_pick.run(event_target_value(&ev))
                    prop:value=move || selected.get().unwrap_or_default()
                >
                    {move || {
                        patients
                            .get()
                            .into_iter()
                            .map(|p| {
                                let chosen = selected.get().as_deref() == Some(p.id.as_str());
                                view! { <option value=p.id selected=chosen>{p.name}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
        </Show>
    }
}
