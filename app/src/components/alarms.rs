//! The alarm banner: every open alarm episode, most urgent first, with "I'm on it" (acknowledge) and the snooze
//! lengths that kind allows. Urgent low can be muted for at most 15 minutes (the engine enforces it).

use leptos::prelude::*;
use shared::alarm::{ActiveAlarm, AlarmKind, Level};
use shared::sensor::format_duration;
use shared::time::UtcTime;

/// The open alarms.
#[component]
pub fn AlarmBanner(
    /// Open episodes (from `AlarmState::active`).
    #[prop(into)]
    active: Signal<Vec<ActiveAlarm>>,
    /// Now.
    #[prop(into)]
    now: Signal<UtcTime>,
    /// "I'm on it".
    on_ack: Callback<AlarmKind>,
    /// Snooze for the given minutes.
    on_snooze: Callback<(AlarmKind, i64)>,
) -> impl IntoView {
    view! {
        <div class="alarms" role="region" aria-label="Alarms">
            <For
                each=move || active.get()
                key=|a| (a.kind, a.level, a.acknowledged, a.snoozed_until, a.last_sent)
                children=move |alarm: ActiveAlarm| {
                    let kind = alarm.kind;
                    let level = match alarm.level {
                        Some(Level::Urgent) => "urgent",
                        Some(Level::Warning) => "warning",
                        Some(Level::Info) => "info",
                        None => "quiet",
                    };
                    let snoozed = move || {
                        alarm
                            .snoozed_until
                            .filter(|&until| until > now.get())
                            .map(|until| format!("snoozed for {}", format_duration(until.secs_since(now.get()))))
                    };
                    let snooze_buttons = kind
                        .snooze_choices_min()
                        .iter()
                        .map(|&m| {
                            view! {
                                <button class="snooze" on:click=move |_| on_snooze.run((kind, m))>
                                    {format!("{m} min")}
                                </button>
                            }
                        })
                        .collect_view();
                    view! {
                        <div class=format!("alarm {level}") role="alert" data-kind=format!("{kind:?}")>
                            <p class="alarm-title">
                                <strong>{kind.label()}</strong>
                                " since "
                                {format_duration(now.get_untracked().secs_since(alarm.since))}
                                {alarm.acknowledged.then_some(" · acknowledged")}
                            </p>
                            <p class="alarm-state">{snoozed}</p>
                            <div class="alarm-actions">
                                <button class="ack" on:click=move |_| on_ack.run(kind)>"I'm on it"</button>
                                <span class="snooze-label">"Snooze:"</span>
                                {snooze_buttons}
                            </div>
                        </div>
                    }
                }
            />
        </div>
    }
}
