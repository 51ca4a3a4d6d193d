//! Settings on this device: the unit, alarm sound and vibration, system notifications, a quiet window, every alarm
//! rule with its thresholds (seeded from the patient's LibreLinkUp alarm settings and targets), repeats and
//! snoozes, a night profile (its nights and volume), and sign-out. The alarm settings go to the server with this
//! phone's background alarms, so both follow the same rules.

use leptos::prelude::*;
use shared::alarm::{AlarmConfig, AlarmKind, EVERY_DAY, NightProfile, Profile};
use shared::units::{GlucoseUnit, MgDl};

use crate::components::night::{NightDays, NightWindow, VolumeChoice};
use crate::components::push::PushAlarms;
use crate::components::quiet::QuietWindow;
use crate::components::rules::{Repeats, Snoozes};
use crate::model::PatientRef;
use crate::store::Prefs;
use crate::{AppState, platform};

/// The settings sheet.
#[component]
pub fn Settings(
    /// The patient's alarm settings (the parent saves them).
    config: RwSignal<AlarmConfig>,
    /// The patient shown (background alarms are about this one).
    patient: Signal<Option<PatientRef>>,
    /// Puts the settings back to the LibreLinkUp-derived defaults.
    on_reset: Callback<()>,
    /// Whether this device views a share link (no account: "Leave" instead of "Sign out").
    #[prop(into)]
    viewer: Signal<bool>,
    /// Signs out (or leaves the shared view); `true`: every session of the account.
    on_sign_out: Callback<bool>,
    /// Why the last sign-out did not happen, if it did not.
    #[prop(into)]
    sign_out_error: Signal<Option<String>>,
    /// Closes the sheet.
    on_close: Callback<()>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let unit = Signal::derive(move || state.prefs.with(|p| p.unit));
    let permission = RwSignal::new(platform::notification_permission());
    let ask = Action::new_local(|_: &()| async { platform::request_notifications().await });
    Effect::new(move |_| {
        if let Some(answer) = ask.value().get() {
            permission.set(answer);
        }
    });
    let night_on = move || config.with(|c| c.night.is_some());
    let confirm_everywhere = RwSignal::new(false);
    let toggle_night = move |_| {
        config.update(|c| {
            c.night = match c.night {
                Some(_) => None,
                None => Some(NightProfile { starts_min: 22 * 60, ends_min: 7 * 60, profile: c.day, days: EVERY_DAY }),
            }
        })
    };
    let rules = AlarmKind::ALL
        .into_iter()
        .map(|kind| {
            let on = move || config.with(|c| c.is_enabled(kind));
            let toggle = move |_| {
                config.update(|c| {
                    if c.disabled.contains(&kind) {
                        c.disabled.retain(|k| *k != kind);
                    } else {
                        c.disabled.push(kind);
                    }
                })
            };
            view! {
                <li>
                    <label>
                        <input type="checkbox" prop:checked=on disabled=!kind.can_disable() on:change=toggle />
                        {kind.label()}
                        {(!kind.can_disable()).then_some(" (always on)")}
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="sheet" role="dialog" aria-modal="true" aria-labelledby="settings-title">
            <div class="sheet-body">
                <header class="sheet-head">
                    <h2 id="settings-title">"Settings"</h2>
                    <button class="close" on:click=move |_| on_close.run(())>
                        "Done"
                    </button>
                </header>
                <fieldset>
                    <legend>"Unit"</legend>
                    <div class="segmented" role="group">
                        {[GlucoseUnit::MgDl, GlucoseUnit::MmolL]
                            .map(|u| {
                                view! {
                                    <button
                                        class:selected=move || unit.get() == u
                                        aria-pressed=move || (unit.get() == u).to_string()
                                        on:click=move |_| state.prefs.update(|p| p.unit = u)
                                    >
                                        {u.label()}
                                    </button>
                                }
                            })}
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Alarms on this phone"</legend>
                    <PushAlarms patient=patient config=config />
                    <PrefToggle label="Sound" field=|p| &mut p.sound />
                    <PrefToggle label="Vibration" field=|p| &mut p.vibrate />
                    <p>
                        "System notifications: "
                        <strong data-testid="permission">{move || permission.get()}</strong>
                        <Show when=move || permission.get() == "default">
                            " "
                            <button on:click=move |_| { ask.dispatch(()); }>"Allow notifications"</button>
                        </Show>
                    </p>
                </fieldset>
                <fieldset data-testid="quiet">
                    <legend>"Quiet"</legend>
                    <QuietWindow config=config />
                </fieldset>
                <fieldset>
                    <legend>"Thresholds (day)"</legend>
                    <Thresholds config=config night=false unit=unit />
                    <VolumeChoice config=config night=false />
                </fieldset>
                <fieldset>
                    <legend>"Night profile"</legend>
                    <label>
                        <input type="checkbox" prop:checked=night_on on:change=toggle_night />
                        "Different thresholds at night"
                    </label>
                    <Show when=night_on>
                        <NightWindow config=config />
                        <NightDays config=config />
                        <Thresholds config=config night=true unit=unit />
                        <VolumeChoice config=config night=true />
                    </Show>
                </fieldset>
                <fieldset>
                    <legend>"Which alarms"</legend>
                    <ul class="rules">{rules}</ul>
                </fieldset>
                <fieldset data-testid="repeats">
                    <legend>"Repeats and snoozes"</legend>
                    <Repeats config=config />
                    <Snoozes config=config />
                </fieldset>
                <div class="sheet-actions">
                    <button class="secondary" on:click=move |_| on_reset.run(())>
                        "Reset to LibreLinkUp's settings"
                    </button>
                    <button class="danger" on:click=move |_| on_sign_out.run(false)>
                        {move || if viewer.get() { "Stop viewing this link" } else { "Sign out" }}
                    </button>
                    <Show when=move || !viewer.get()>
                        <button class="secondary" on:click=move |_| confirm_everywhere.set(true)>
                            "Sign out everywhere…"
                        </button>
                    </Show>
                </div>
                <Show when=move || confirm_everywhere.get()>
                    <div class="confirm" role="alertdialog" aria-label="Sign out everywhere">
                        <p>
                            "Every phone and browser signed in to this account is signed out, this one too. "
                            "Links you shared and alarms keep going: revoke a link or remove a phone to stop them."
                        </p>
                        <button class="danger" on:click=move |_| on_sign_out.run(true)>
                            "Sign out everywhere"
                        </button>
                        <button class="secondary" on:click=move |_| confirm_everywhere.set(false)>"Cancel"</button>
                    </div>
                </Show>
                {move || sign_out_error.get().map(|text| view! { <p class="error" role="alert">{text}</p> })}
            </div>
        </div>
    }
}

/// A checkbox bound to one of the device preferences.
#[component]
fn PrefToggle(
    /// The words beside the box.
    label: &'static str,
    /// Which preference.
    field: fn(&mut Prefs) -> &mut bool,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <label>
            <input
                type="checkbox"
                prop:checked=move || state.prefs.with(|p| *field(&mut p.clone()))
                on:change=move |_| state.prefs.update(|p| *field(p) = !*field(p))
            />
            {label}
        </label>
    }
}

/// A threshold input: its label, and where it lives in a profile.
type Field = (&'static str, fn(&mut Profile) -> &mut MgDl, fn(&Profile) -> MgDl);

/// The four thresholds of the day or night profile, in the chosen unit, kept in order.
#[component]
fn Thresholds(
    /// The settings.
    config: RwSignal<AlarmConfig>,
    /// Edit the night profile instead of the day one.
    night: bool,
    /// The unit of the inputs.
    #[prop(into)]
    unit: Signal<GlucoseUnit>,
) -> impl IntoView {
    let error = RwSignal::new(None::<&'static str>);
    let profile = move || config.with(|c| if night { c.night.map(|n| n.profile).unwrap_or(c.day) } else { c.day });
    let fields: [Field; 4] = [
        ("Urgent low below", |p| &mut p.urgent_low, |p| p.urgent_low),
        ("Low below", |p| &mut p.low, |p| p.low),
        ("High above", |p| &mut p.high, |p| p.high),
        ("Urgent high above", |p| &mut p.urgent_high, |p| p.urgent_high),
    ];
    let inputs = fields
        .into_iter()
        .map(|(label, field, read)| {
            let set = move |text: String| {
                let Ok(number) = text.trim().replace(',', ".").parse::<f64>() else {
                    error.set(Some("Enter a number."));
                    return;
                };
                let value = match unit.get_untracked() {
                    GlucoseUnit::MgDl => MgDl::round(number),
                    GlucoseUnit::MmolL => MgDl::from_mmol(number),
                };
                let mut candidate = profile();
                *field(&mut candidate) = value;
                let ordered = candidate.urgent_low < candidate.low
                    && candidate.low < candidate.high
                    && candidate.high < candidate.urgent_high
                    && candidate.urgent_low.get() >= 40
                    && candidate.urgent_high.get() <= 400;
                if !ordered {
                    error.set(Some("Keep urgent low < low < high < urgent high, between 40 and 400 mg/dL."));
                    return;
                }
                error.set(None);
                config.update(|c| match (night, c.night.as_mut()) {
                    (true, Some(n)) => n.profile = candidate,
                    _ => c.day = candidate,
                });
            };
            view! {
                <label class="threshold">
                    <span>{label}</span>
                    <input
                        type="number"
                        inputmode="decimal"
                        step=move || if unit.get() == GlucoseUnit::MmolL { "0.1" } else { "1" }
                        prop:value=move || unit.get().format(read(&profile()).as_f64())
                        on:change=move |ev| set(event_target_value(&ev))
                    />
                    <span class="unit">{move || unit.get().label()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <div class="thresholds">{inputs}</div>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}
