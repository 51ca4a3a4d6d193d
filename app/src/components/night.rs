//! The night profile's own settings: its hours, the nights it is kept (school nights), and how loud its
//! non-urgent alarms are. Urgent alarms are always loud.

use leptos::prelude::*;
use shared::alarm::{AlarmConfig, Volume};

/// The night window's start and end, local time.
#[component]
pub fn NightWindow(
    /// The settings.
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    let as_time = |min: u16| format!("{:02}:{:02}", min / 60, min % 60);
    let parse = |text: &str| -> Option<u16> {
        let (h, m) = text.split_once(':')?;
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let set = move |start: bool, text: String| {
        if let Some(min) = parse(&text) {
            config.update(|c| {
                if let Some(n) = c.night.as_mut() {
                    if start {
                        n.starts_min = min;
                    } else {
                        n.ends_min = min;
                    }
                }
            });
        }
    };
    let get = move |start: bool| {
        config.with(|c| c.night.map(|n| as_time(if start { n.starts_min } else { n.ends_min })).unwrap_or_default())
    };
    view! {
        <div class="night-window">
            <label>
                "From "
                <input type="time" prop:value=move || get(true) on:change=move |ev| set(true, event_target_value(&ev)) />
            </label>
            <label>
                " to "
                <input type="time" prop:value=move || get(false) on:change=move |ev| set(false, event_target_value(&ev)) />
            </label>
        </div>
    }
}

/// The volume of a profile's non-urgent alarms (urgent alarms are always loud).
#[component]
pub fn VolumeChoice(
    /// The settings.
    config: RwSignal<AlarmConfig>,
    /// The night profile's volume instead of the day's.
    night: bool,
) -> impl IntoView {
    let choices = [
        (Volume::Loud, "Loud"),
        (Volume::Normal, "Normal"),
        (Volume::Quiet, "Vibrate only"),
        (Volume::Silent, "Silent"),
    ];
    let current =
        move || config.with(|c| if night { c.night.map_or(c.day.volume, |n| n.profile.volume) } else { c.day.volume });
    let options = choices
        .into_iter()
        .map(|(volume, label)| {
            view! {
                <option value=format!("{volume:?}") prop:selected=move || current() == volume>
                    {label}
                </option>
            }
        })
        .collect_view();
    let set = move |text: String| {
        let Some(&(volume, _)) = choices.iter().find(|(v, _)| format!("{v:?}") == text) else { return };
        config.update(|c| match (night, c.night.as_mut()) {
            (true, Some(n)) => n.profile.volume = volume,
            _ => c.day.volume = volume,
        });
    };
    view! {
        <label class="threshold wide">
            <span>"Other alarms"</span>
            <select
                data-testid=if night { "night-volume" } else { "day-volume" }
                on:change=move |ev| set(event_target_value(&ev))
            >
                {options}
            </select>
        </label>
        <p class="hint">
            "Vibrate only: no sound in the app, and a closed phone shows it silently. Silent: shown without a sound, \
             and a closed phone is not woken for it. Urgent low, urgent high and no data for 30 minutes are always \
             loud."
        </p>
    }
}

/// The nights the night profile is kept, by the day its window starts on.
#[component]
pub fn NightDays(
    /// The settings.
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let boxes = DAYS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let bit = 1u8 << i;
            let on = move || config.with(|c| c.night.is_some_and(|n| n.days & bit != 0));
            let toggle = move |_| {
                config.update(|c| {
                    if let Some(n) = c.night.as_mut() {
                        n.days ^= bit;
                    }
                })
            };
            view! {
                <label class="day">
                    <input type="checkbox" data-testid=format!("night-{name}") prop:checked=on on:change=toggle />
                    {*name}
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="night-days" role="group" aria-label="Nights">
            {boxes}
        </div>
        <p class="hint">"The evenings it starts on (school nights: Sun to Thu). Other nights use the day settings."</p>
    }
}
