//! "Tonight's alarm test", for the owner, under the night shift: a time of day at which every phone of the patient
//! gets a silent push that its service worker confirms. A phone that does not confirm is reported to the others
//! (the server's `watch::receipts`), so a phone that went quiet is found in the evening, not during an alarm.

use leptos::prelude::*;
use shared::phones::AlarmTest;

use super::rota::{hhmm, minutes};
use crate::api::{self, ApiError};
use crate::pages::signin::ErrorNote;
use crate::platform;

/// The daily alarm test of `patient_id`, now `current`.
#[component]
pub fn AlarmTestSetting(
    /// The patient.
    #[prop(into)]
    patient_id: Signal<Option<String>>,
    /// The test the server has.
    #[prop(into)]
    current: Signal<Option<AlarmTest>>,
) -> impl IntoView {
    let time = RwSignal::new(String::new());
    // The server's time fills the field when it changes, not on every reload: a reload that brings the same answer
    // must not wipe what the person is typing.
    Effect::new(move |previous: Option<Option<AlarmTest>>| {
        let now = current.get();
        if previous != Some(now) {
            time.set(now.map(|t| hhmm(t.minute)).unwrap_or_default());
        }
        now
    });
    let note = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let save = Action::new_local(move |(): &()| {
        let patient = patient_id.get_untracked().unwrap_or_default();
        let text = time.get_untracked();
        let offset = i16::try_from(platform::utc_offset_min()).unwrap_or(0);
        let test = (!text.trim().is_empty()).then(|| AlarmTest { minute: minutes(&text), utc_offset_min: offset });
        async move { api::set_alarm_test(&patient, test).await.map(|()| test) }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(Some(test))) => {
            error.set(None);
            note.set(Some(format!("Saved: every phone gets a silent test at {} each day.", hhmm(test.minute))));
        }
        Some(Ok(None)) => {
            error.set(None);
            note.set(Some("The daily alarm test is off.".into()));
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    view! {
        <fieldset class="alarm-test" data-testid="alarm-test">
            <legend>"Tonight's alarm test"</legend>
            <p class="hint">
                "Each day at this time every phone gets a silent test and confirms it. A phone that does not is \
                 reported to the others, so you find out in the evening rather than during an alarm."
            </p>
            <label>
                "Time (empty: no test)"
                <input type="time" prop:value=move || time.get() on:input=move |ev| time.set(event_target_value(&ev)) />
            </label>
            <button disabled=move || save.pending().get() on:click=move |_| {
                save.dispatch(());
            }>"Save the alarm test"</button>
            <p class="hint" role="status" data-testid="alarm-test-note">
                {move || note.get()}
            </p>
            <ErrorNote error=Signal::derive(move || error.get()) />
        </fieldset>
    }
}
