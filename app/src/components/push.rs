//! "Alarms on this phone": background alarms through Web Push. One tap asks for notification permission (iOS
//! requires a tap, and allows push only in an app added to the home screen), subscribes this browser with the
//! server's VAPID key and sends the subscription with this phone's alarm settings; the server's cron then
//! watches every minute. Turning it off and sending a test alarm are one tap each. The owner can choose shared
//! acknowledgement: "I'm on it" on one phone stops the alarm on every phone following this person.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use shared::alarm::AlarmConfig;
use shared::code::Code;

use crate::api::{self, PushSub};
use crate::components::loud::LoudChannel;
use crate::components::phones::Phones;
use crate::components::rota::NightShift;
use crate::model::PatientRef;
use crate::{AppState, messages, platform, store};

/// Where this phone stands.
#[derive(Clone, PartialEq, Debug)]
enum Status {
    /// Not subscribed.
    Off,
    /// Talking to the browser or the server.
    Working,
    /// Subscribed.
    On(PushSub),
}

/// How long settings must stay unchanged before they are sent to the server.
const SETTLE_MS: i32 = 800;

/// The "Alarms on this phone" controls for `patient`.
#[component]
pub fn PushAlarms(
    /// The patient the alarms are about.
    patient: Signal<Option<PatientRef>>,
    /// This phone's alarm settings (sent with the subscription, and again when they change).
    config: RwSignal<AlarmConfig>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let patient_id = move || patient.with(|p| p.as_ref().map(|p| p.id.clone()));
    let status = RwSignal::new(Status::Off);
    let note = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let stored = patient_id().and_then(|id| store::push(&id));
        status.set(stored.map_or(Status::Off, Status::On));
    });
    let viewer = move || state.viewer.get_untracked();
    let subscribe = move |shared_ack: Option<bool>| {
        let Some(id) = patient_id() else { return };
        status.set(Status::Working);
        note.set(None);
        let unit = state.prefs.with_untracked(|p| p.unit);
        let mut config = config.get_untracked();
        // The server runs the night profile on this phone's clock, not UTC.
        config.utc_offset_min = i16::try_from(platform::utc_offset_min()).unwrap_or(0);
        spawn_local(async move {
            let result = turn_on(&id, viewer(), unit, &config, shared_ack).await;
            match result {
                Ok(sub) => {
                    store::save_push(&id, Some(&sub));
                    status.set(Status::On(sub));
                }
                Err(message) => {
                    status.set(store::push(&id).map_or(Status::Off, Status::On));
                    note.set(Some(message));
                }
            }
        });
    };
    // Settings changed while subscribed: the server gets them (same browser subscription, same phone), once the
    // person has stopped changing them for a moment, so a run of changes costs one request, not one each.
    let changes = StoredValue::new(0u32);
    Effect::new(move |previous: Option<(AlarmConfig, shared::units::GlucoseUnit)>| {
        let now = (config.get(), state.prefs.with(|p| p.unit));
        if previous.as_ref().is_some_and(|p| *p != now) && matches!(status.get_untracked(), Status::On(_)) {
            changes.update_value(|n| *n = n.wrapping_add(1));
            let this = changes.get_value();
            // "Quiet" and "End quiet now" are one tap, often the last before the phone is put away: at once.
            let quiet_changed = previous.is_some_and(|p| p.0.quiet_until != now.0.quiet_until);
            spawn_local(async move {
                if !quiet_changed {
                    platform::after(SETTLE_MS).await;
                }
                if changes.get_value() == this {
                    subscribe(None);
                }
            });
        }
        now
    });
    let turn_off = move |_| {
        let (Some(id), Status::On(sub)) = (patient_id(), status.get_untracked()) else { return };
        status.set(Status::Working);
        spawn_local(async move {
            let _ = api::push_call("unsubscribe", &sub).await;
            platform::push_unsubscribe().await;
            store::save_push(&id, None);
            status.set(Status::Off);
            note.set(Some("Background alarms are off on this phone.".into()));
        });
    };
    // When an alarm last reached this phone, as its service worker confirmed to the server (a receipt).
    let reached = RwSignal::new(None::<Option<i64>>);
    Effect::new(move |_| {
        if let Status::On(sub) = status.get() {
            spawn_local(async move { reached.set(api::push_status(&sub).await.ok().flatten().map(|p| p.received)) });
        }
    });
    let test = move |_| {
        let Status::On(sub) = status.get_untracked() else { return };
        note.set(Some("Sending a test alarm…".into()));
        spawn_local(async move {
            let before = api::push_status(&sub).await.ok().flatten().and_then(|p| p.received);
            let message = match api::push_call("test", &sub).await {
                Ok(answer) if answer.get("ok") == Some(&json!(true)) => {
                    note.set(Some("Test alarm sent: it should appear within a few seconds.".into()));
                    // The whole chain, checked: the server hears back from this phone's service worker.
                    match confirmed_after(&sub, before).await {
                        Some(at) => {
                            reached.set(Some(Some(at)));
                            format!("The test alarm reached this phone at {}.", when(at))
                        }
                        None => "The test alarm was sent, but this phone has not confirmed it. Check that Tidewatch \
                                 may show notifications, and that the phone is online."
                            .into(),
                    }
                }
                Ok(answer) => format!(
                    "The push service refused the test (HTTP {}).",
                    answer.get("status").cloned().unwrap_or_default()
                ),
                Err(error) if error.code() == Some(Code::PushNotFound) => {
                    "This phone is no longer subscribed: turn alarms on again.".into()
                }
                Err(error) => messages::explain(&error, None),
            };
            note.set(Some(message));
        });
    };
    let is_owner = move || state.viewer.with(Option::is_none);
    let shared_ack = move || matches!(status.get(), Status::On(ref sub) if sub.shared_ack);
    let ios_not_installed = platform::is_ios() && !platform::is_standalone();
    view! {
        <div class="push" data-testid="push">
            <p data-testid="push-state">
                {move || match status.get() {
                    Status::On(_) => "Background alarms: on. Tidewatch's server checks every minute and wakes this phone, even with the app closed.",
                    Status::Working => "Background alarms: setting up…",
                    Status::Off => "Background alarms: off. Alarms sound only while Tidewatch is open on screen.",
                }}
            </p>
            {ios_not_installed
                .then(|| {
                    view! {
                        <p class="hint">
                            "On an iPhone or iPad, add Tidewatch to the Home Screen first (Share → Add to Home \
                             Screen) and open it from there: iOS allows push only for home-screen apps."
                        </p>
                    }
                })}
            <div class="push-actions">
                <Show
                    when=move || matches!(status.get(), Status::On(_))
                    fallback=move || {
                        view! {
                            <button
                                disabled=move || status.get() == Status::Working
                                on:click=move |_| subscribe(None)
                            >
                                "Turn on alarms on this phone"
                            </button>
                        }
                    }
                >
                    <button on:click=test>"Send a test alarm"</button>
                    <button class="secondary" on:click=turn_off>
                        "Turn off"
                    </button>
                </Show>
            </div>
            <Show when=move || is_owner() && matches!(status.get(), Status::On(_))>
                <label>
                    <input
                        type="checkbox"
                        prop:checked=shared_ack
                        on:change=move |_| subscribe(Some(!shared_ack()))
                    />
                    "When anyone taps “I'm on it”, stop the alarm on every phone following this person"
                </label>
            </Show>
            <p class="hint" role="status" data-testid="push-note">
                {move || note.get()}
            </p>
            <Show when=move || matches!(status.get(), Status::On(_))>
                <p class="hint" data-testid="push-reached">
                    {move || match reached.get() {
                        None => String::new(),
                        Some(Some(at)) => format!("The last alarm reached this phone at {}.", when(at)),
                        Some(None) => "No alarm has reached this phone yet: send a test alarm to check.".into(),
                    }}
                </p>
            </Show>
            <Show when=move || matches!(status.get(), Status::On(_))>
                <LoudChannel sub=Signal::derive(move || match status.get() {
                    Status::On(sub) => Some(sub),
                    _ => None,
                }) />
            </Show>
            <Show when=is_owner>
                <Phones
                    this_phone=Signal::derive(move || match status.get() {
                        Status::On(sub) => Some(sub.id),
                        _ => None,
                    })
                    on_removed_this=Callback::new(move |()| {
                        if let Some(id) = patient_id() {
                            store::save_push(&id, None);
                        }
                        status.set(Status::Off);
                        note.set(Some("This phone was removed: background alarms are off on it.".into()));
                    })
                />
                <NightShift
                    patient_id=Signal::derive(patient_id)
                    this_phone=Signal::derive(move || match status.get() {
                        Status::On(sub) => Some(sub),
                        _ => None,
                    })
                />
            </Show>
        </div>
    }
}

/// How long the test waits for this phone's receipt: a push normally arrives within seconds.
const RECEIPT_WAIT_MS: i32 = 30_000;

/// Waits (at most [`RECEIPT_WAIT_MS`]) until the server has a receipt from this phone newer than `before`; when.
async fn confirmed_after(sub: &PushSub, before: Option<i64>) -> Option<i64> {
    for _ in 0..RECEIPT_WAIT_MS / 2_000 {
        platform::after(2_000).await;
        let received = api::push_status(sub).await.ok().flatten().and_then(|p| p.received);
        if received > before {
            return received;
        }
    }
    None
}

/// "7 Dec 2026 21:52" on this device's clock.
fn when(at: i64) -> String {
    let (at, offset) = (shared::time::UtcTime::from_unix_secs(at), platform::utc_offset_min());
    format!("{} {}", crate::model::date(at, offset), crate::model::clock(at, offset))
}

/// Permission, browser subscription, server subscription.
async fn turn_on(
    patient_id: &str,
    share_secret: Option<String>,
    unit: shared::units::GlucoseUnit,
    config: &AlarmConfig,
    shared_ack: Option<bool>,
) -> Result<PushSub, String> {
    if !platform::push_supported() {
        return Err(if platform::is_ios() {
            "Add Tidewatch to the Home Screen and open it from there: iOS allows push only there.".into()
        } else {
            "This browser cannot receive push notifications.".into()
        });
    }
    if platform::request_notifications().await != "granted" {
        return Err("Notifications are blocked for Tidewatch: allow them in the browser's site settings.".into());
    }
    let key = api::push_key().await.map_err(|e| messages::explain(&e, None))?;
    let subscription =
        platform::push_subscribe(&key).await.map_err(|e| format!("The browser could not subscribe to push: {e}"))?;
    let subscription: serde_json::Value =
        serde_wasm_bindgen_free(&subscription).ok_or("The browser gave a subscription Tidewatch cannot read.")?;
    let owner = share_secret.is_none();
    let body = json!({
        "subscription": subscription,
        "config": config,
        "unit": unit,
        "patientId": owner.then_some(patient_id),
        "sharedAck": shared_ack.filter(|_| owner),
        // The key this phone already holds: the server gives a known endpoint new keys only to its holder.
        "key": store::push(patient_id).map(|sub| sub.key),
    });
    api::push_subscribe(share_secret.as_deref(), &body).await.map_err(|e| messages::explain(&e, None))
}

/// A plain JS object as JSON (through `JSON.stringify`, so no serde-wasm-bindgen is compiled in).
fn serde_wasm_bindgen_free(value: &wasm_bindgen::JsValue) -> Option<serde_json::Value> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}
