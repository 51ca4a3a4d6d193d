//! What an alarm does on this phone: sound (WebAudio), vibration, system notifications through the service
//! worker, the screen kept awake and full screen.

use super::*;

thread_local! {
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

/// Creates or resumes the audio context. Browsers only allow sound after a tap, so every tap calls this.
pub fn unlock_audio() {
    AUDIO.with(|audio| {
        let mut audio = audio.borrow_mut();
        if audio.is_none() {
            *audio = AudioContext::new().ok();
        }
        if let Some(context) = audio.as_ref() {
            let _ = context.resume();
        }
    });
}

/// Plays `count` tones; urgent alarms use a lower, harsher tone. Silent until [`unlock_audio`] has run.
pub fn beep(urgent: bool, count: u32) {
    AUDIO.with(|audio| {
        let audio = audio.borrow();
        let Some(context) = audio.as_ref() else { return };
        let start = context.current_time();
        for i in 0..count {
            let at = start + f64::from(i) * 0.45;
            let (Ok(osc), Ok(gain)) = (context.create_oscillator(), context.create_gain()) else { return };
            osc.set_type(if urgent { OscillatorType::Square } else { OscillatorType::Sine });
            osc.frequency().set_value(if urgent { 660.0 } else { 880.0 });
            gain.gain().set_value(0.0);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.4, at + 0.02);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.0, at + 0.3);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&context.destination());
            let _ = osc.start_with_when(at);
            let _ = osc.stop_with_when(at + 0.32);
        }
    });
}

/// Vibrates with `pattern` (milliseconds on/off) where the device can.
pub fn vibrate(pattern: &[u32]) {
    if let Some(window) = web_sys::window() {
        let array: js_sys::Array = pattern.iter().map(|&ms| JsValue::from(ms)).collect();
        let _ = window.navigator().vibrate_with_pattern(&array);
    }
}

/// The notification permission: "granted", "denied" or "default" ("unsupported" without the API).
pub fn notification_permission() -> &'static str {
    if !Reflect::has(&js_sys::global(), &"Notification".into()).unwrap_or(false) {
        return "unsupported";
    }
    match web_sys::Notification::permission() {
        NotificationPermission::Granted => "granted",
        NotificationPermission::Denied => "denied",
        _ => "default",
    }
}

/// Asks for notification permission (call from a tap) and returns the answer.
pub async fn request_notifications() -> &'static str {
    if notification_permission() == "unsupported" {
        return "unsupported";
    }
    if let Ok(promise) = web_sys::Notification::request_permission() {
        let _ = JsFuture::from(promise).await;
    }
    notification_permission()
}

/// The service worker's registration, once it is active.
pub(super) async fn registration() -> Option<ServiceWorkerRegistration> {
    let container = web_sys::window()?.navigator().service_worker();
    let ready = container.ready().ok()?;
    JsFuture::from(ready).await.ok()?.dyn_into().ok()
}

/// An alarm's system notification, shown by the open app. It carries the tag, the buttons and the data of the
/// server's push for the same alarm (`sw.js`), so with background alarms on the two replace each other instead of
/// showing twice, and either one's "I'm on it" or "Snooze" works the same way.
#[derive(Clone, PartialEq, Debug)]
pub struct AlarmNote {
    /// `Urgent low: 45 mg/dL`.
    pub title: String,
    /// `Lee · falling · just now`.
    pub body: String,
    /// The alarm kind as the server names it (`UrgentLow`, …); the tag is `tw-` and this.
    pub kind: String,
    /// Keeps it on screen until the person acts.
    pub urgent: bool,
    /// Shown without sound or vibration (a quiet or silent profile).
    pub silent: bool,
    /// The snooze the "Snooze" button asks for, minutes.
    pub snooze_min: i64,
    /// The patient it is about, so an open page applies the button to the right alarms.
    pub patient: String,
    /// This phone's background-alarm subscription `(id, key)` for this patient, if on: the service worker then
    /// tells the server too, as it does for a pushed notification.
    pub sub: Option<(String, String)>,
}

/// Shows `note` through the service worker (so it works on phones and from an installed app); a newer one with
/// the same tag replaces it. Nothing happens without permission.
pub async fn notify(note: AlarmNote) {
    if notification_permission() != "granted" {
        return;
    }
    let Some(registration) = registration().await else { return };
    let tag = format!("tw-{}", note.kind);
    let set = |target: &JsValue, name: &str, value: JsValue| {
        let _ = Reflect::set(target, &name.into(), &value);
    };
    let action = |id: &str, title: String| {
        let action = js_sys::Object::new();
        set(&action, "action", id.into());
        set(&action, "title", title.into());
        action
    };
    let actions =
        Array::of2(&action("ack", "I'm on it".into()), &action("snooze", format!("Snooze {} min", note.snooze_min)));
    let data = js_sys::Object::new();
    let (sub, key) = note.sub.unwrap_or_default();
    for (name, value) in
        [("sub", sub), ("key", key), ("kind", note.kind), ("tag", tag.clone()), ("patient", note.patient)]
    {
        set(&data, name, value.into());
    }
    set(&data, "snooze_min", JsValue::from_f64(note.snooze_min as f64));
    set(&data, "from_page", JsValue::TRUE);
    let options = NotificationOptions::new();
    options.set_body(&note.body);
    options.set_tag(&tag);
    options.set_require_interaction(note.urgent);
    options.set_icon("/icons/icon-192.png");
    options.set_data(&data);
    set(&options, "renotify", JsValue::TRUE);
    options.set_silent(Some(note.silent));
    set(&options, "actions", actions.into());
    if let Ok(promise) = registration.show_notification_with_options(&note.title, &options) {
        let _ = JsFuture::from(promise).await;
    }
}

thread_local! {
    static WAKE_LOCK: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// Keeps the screen on (Screen Wake Lock API) until [`release_wake_lock`]. Returns whether it was granted.
pub async fn keep_awake() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(wake_lock) = Reflect::get(&window.navigator(), &"wakeLock".into()) else { return false };
    let Ok(request) = Reflect::get(&wake_lock, &"request".into()).and_then(|f| f.dyn_into::<Function>()) else {
        return false;
    };
    let Ok(promise) = request.call1(&wake_lock, &"screen".into()).and_then(|p| p.dyn_into::<Promise>()) else {
        return false;
    };
    match JsFuture::from(promise).await {
        Ok(sentinel) => {
            WAKE_LOCK.with(|lock| *lock.borrow_mut() = Some(sentinel));
            true
        }
        Err(_) => false,
    }
}

/// Lets the screen sleep again.
pub fn release_wake_lock() {
    if let Some(sentinel) = WAKE_LOCK.with(|lock| lock.borrow_mut().take())
        && let Ok(release) = Reflect::get(&sentinel, &"release".into()).and_then(|f| f.dyn_into::<Function>())
    {
        let _ = release.call0(&sentinel);
    }
}

/// Enters or leaves full screen (best effort: iOS has none).
pub fn full_screen(on: bool) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if on {
        if let Some(root) = document.document_element() {
            let _ = root.request_fullscreen();
        }
    } else if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    }
}
