//! How often each alarm repeats and how long a notification's "Snooze" lasts: the engine's numbers
//! (`shared::alarm::AlarmConfig`), set per phone and sent to the server with the phone's background alarms.

use leptos::prelude::*;
use shared::alarm::{AlarmConfig, AlarmKind, URGENT_LOW_MAX_MUTE};
use shared::time::{HOUR, MINUTE};

/// One repeat interval: its alarm, where it lives in the config, and the longest it may be.
type Repeat = (AlarmKind, fn(&mut AlarmConfig) -> &mut i64, i64);

/// "Repeat until answered": one minutes input per alarm that repeats.
#[component]
pub fn Repeats(
    /// The settings.
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let repeats: [Repeat; 6] = [
        (AlarmKind::UrgentLow, |c| &mut c.urgent_low_repeat_secs, URGENT_LOW_MAX_MUTE),
        (AlarmKind::Low, |c| &mut c.low_repeat_secs, 2 * HOUR),
        (AlarmKind::PredictedLow, |c| &mut c.predicted_low_repeat_secs, 2 * HOUR),
        (AlarmKind::UrgentHigh, |c| &mut c.urgent_high_repeat_secs, 4 * HOUR),
        (AlarmKind::PersistentHigh, |c| &mut c.persistent_high_every_secs, 8 * HOUR),
        (AlarmKind::StaleData, |c| &mut c.stale_repeat_secs, 2 * HOUR),
    ];
    let inputs = repeats
        .into_iter()
        .map(|(kind, field, longest)| {
            let shown = move || config.with(|c| (*field(&mut c.clone()) / MINUTE).to_string());
            let set = move |text: String| match text.trim().parse::<i64>() {
                Ok(min) if (1..=longest / MINUTE).contains(&min) => {
                    error.set(None);
                    config.update(|c| *field(c) = min * MINUTE);
                }
                _ => error.set(Some(format!("{}: between 1 and {} minutes.", kind.label(), longest / MINUTE))),
            };
            view! {
                <label class="threshold">
                    <span>{kind.label()}</span>
                    <input
                        type="number"
                        inputmode="numeric"
                        min="1"
                        max=longest / MINUTE
                        data-testid=format!("repeat-{}", kind.name())
                        prop:value=shown
                        on:change=move |ev| set(event_target_value(&ev))
                    />
                    <span class="unit">"min"</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <p class="hint">"Until someone taps \"I'm on it\", each of these rings again after:"</p>
        <div class="thresholds">{inputs}</div>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// One snooze group: its words, the alarm whose choices it offers, and where it lives in the config.
type Snooze = (&'static str, AlarmKind, fn(&mut AlarmConfig) -> &mut i64);

/// The snooze each notification's "Snooze" button asks for, per group, from the lengths that group allows.
#[component]
pub fn Snoozes(
    /// The settings.
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    let groups: [Snooze; 3] = [
        ("Urgent low", AlarmKind::UrgentLow, |c| &mut c.snooze.urgent_low),
        ("Low, low predicted, no data", AlarmKind::Low, |c| &mut c.snooze.low),
        ("High and the others", AlarmKind::High, |c| &mut c.snooze.other),
    ];
    let selects = groups
        .into_iter()
        .map(|(label, kind, field)| {
            let options = kind
                .snooze_choices_min()
                .iter()
                .map(|&m| {
                    let selected = move || config.with(|c| c.snooze_min(kind) == m);
                    view! { <option value=m.to_string() prop:selected=selected>{format!("{m} min")}</option> }
                })
                .collect_view();
            let set = move |text: String| {
                if let Ok(min) = text.parse::<i64>() {
                    config.update(|c| *field(c) = min);
                }
            };
            view! {
                <label class="threshold">
                    <span>{label}</span>
                    <select data-testid=format!("snooze-{}", kind.name()) on:change=move |ev| set(event_target_value(&ev))>
                        {options}
                    </select>
                </label>
            }
        })
        .collect_view();
    view! {
        <p class="hint">"A notification's \"Snooze\" button silences that alarm for:"</p>
        <div class="thresholds">{selects}</div>
    }
}
