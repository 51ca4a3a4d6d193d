//! The browser around the app: the clock, page visibility, sound, vibration, system notifications, the screen wake
//! lock and the service worker. Every call degrades quietly where the browser lacks the feature.

use std::cell::RefCell;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioContext, NotificationOptions, NotificationPermission, OscillatorType, ServiceWorkerRegistration};

use shared::time::UtcTime;

/// Now, from the device clock.
pub fn now() -> UtcTime {
    UtcTime::from_unix_millis(js_sys::Date::now() as i64)
}

/// This device's UTC offset in minutes (east positive), for wall-clock labels.
pub fn utc_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Whether the page is visible.
pub fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}

/// Calls `f` on every visibility change and on `online`, for the life of the page.
pub fn on_wake(f: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let closure = Closure::<dyn Fn()>::new(f);
    if let Some(document) = window.document() {
        let _ = document.add_event_listener_with_callback("visibilitychange", closure.as_ref().unchecked_ref());
    }
    let _ = window.add_event_listener_with_callback("online", closure.as_ref().unchecked_ref());
    closure.forget();
}

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
async fn registration() -> Option<ServiceWorkerRegistration> {
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

/// Registers the service worker, looks for a new version every hour and on each wake, and calls `on_update` when
/// one is installed and waiting.
pub fn register_service_worker(on_update: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else { return };
    if !Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let container = window.navigator().service_worker();
    let promise = container.register("/sw.js");
    let on_update = std::rc::Rc::new(on_update);
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = JsFuture::from(promise).await else { return };
        let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() else { return };
        let has_controller =
            || web_sys::window().is_some_and(|w| w.navigator().service_worker().controller().is_some());
        if registration.waiting().is_some() && has_controller() {
            on_update();
        }
        let reg = registration.clone();
        let found = Closure::<dyn Fn()>::new(move || {
            let Some(worker) = reg.installing() else { return };
            let on_update = on_update.clone();
            let worker_for_state = worker.clone();
            let changed = Closure::<dyn Fn()>::new(move || {
                if worker_for_state.state() == web_sys::ServiceWorkerState::Installed && has_controller() {
                    on_update();
                }
            });
            worker.set_onstatechange(Some(changed.as_ref().unchecked_ref()));
            changed.forget();
        });
        registration.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
        found.forget();
        // The browser looks for a new version only on navigation; a bedside screen stays open for days. So the
        // page asks every hour and whenever it wakes (shown again, back online); the prompt then shows as on any
        // other update.
        let check = move || {
            if let Ok(checked) = registration.update() {
                // Offline it rejects; the next check tries again.
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(checked).await;
                });
            }
        };
        let hourly = Closure::<dyn Fn()>::new(check.clone());
        if let Some(window) = web_sys::window() {
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                hourly.as_ref().unchecked_ref(),
                UPDATE_CHECK_MS,
            );
        }
        hourly.forget();
        on_wake(move || {
            if visible() {
                check();
            }
        });
    });
}

/// How often an open page asks whether a new version is out.
const UPDATE_CHECK_MS: i32 = 60 * 60 * 1000;

/// A button tapped on an alarm's notification, as the service worker reports it to open pages: which
/// subscription (pushed notifications, and the app's own with background alarms on) or which patient (the app's
/// own), which alarm, and "I'm on it" (`snooze_min` `None`) or "Snooze".
#[derive(Clone, PartialEq, Debug)]
pub struct AlarmAction {
    /// The server's id of the subscription the notification was for; empty when there was none.
    pub sub: String,
    /// The patient the app's own notification was about; empty for a pushed one.
    pub patient: String,
    /// The alarm kind, as the server names it (`UrgentLow`, …).
    pub kind: String,
    /// Minutes of snooze, or `None` for "I'm on it".
    pub snooze_min: Option<i64>,
}

/// The page's handler for [`AlarmAction`]s.
type AlarmActionHandler = std::rc::Rc<dyn Fn(AlarmAction)>;

thread_local! {
    /// Whether the listener is installed, and the page's handler.
    static ALARM_ACTION: RefCell<(bool, Option<AlarmActionHandler>)> = const { RefCell::new((false, None)) };
}

/// Reads the service worker's `{type: "tw-alarm-action", sub, patient, kind, action, minutes}` message; anything
/// else (another message, neither `sub` nor `patient`, a missing field, an unknown action) is `None`.
pub fn alarm_action(data: &JsValue) -> Option<AlarmAction> {
    let field = |name: &str| Reflect::get(data, &name.into()).ok();
    if field("type")?.as_string()? != "tw-alarm-action" {
        return None;
    }
    let snooze_min = match field("action")?.as_string()?.as_str() {
        "ack" => None,
        "snooze" => Some(field("minutes")?.as_f64().filter(|m| m.is_finite() && *m >= 1.0).unwrap_or(15.0) as i64),
        _ => return None,
    };
    // Absent is empty; present but not a string is not ours.
    let text = |name: &str| match field(name) {
        Some(v) if v.is_undefined() || v.is_null() => Some(String::new()),
        Some(v) => v.as_string(),
        None => Some(String::new()),
    };
    let (sub, patient) = (text("sub")?, text("patient")?);
    if sub.is_empty() && patient.is_empty() {
        return None;
    }
    Some(AlarmAction { sub, patient, kind: field("kind")?.as_string()?, snooze_min })
}

/// Makes `f` the page's handler for alarm actions taken on pushed notifications (replacing any earlier one);
/// [`clear_alarm_action`] removes it. The listener itself is installed once per page.
pub fn on_alarm_action(f: impl Fn(AlarmAction) + 'static) {
    let install = ALARM_ACTION.with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.1 = Some(std::rc::Rc::new(f));
        !std::mem::replace(&mut slot.0, true)
    });
    let Some(window) = web_sys::window().filter(|_| install) else { return };
    if !Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let container = window.navigator().service_worker();
    let listener = Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
        let Some(action) = alarm_action(&event.data()) else { return };
        // Cloned out first, so the handler may itself replace or clear the slot.
        if let Some(handler) = ALARM_ACTION.with(|slot| slot.borrow().1.clone()) {
            handler(action);
        }
    });
    // `onmessage` (not addEventListener) also starts the delivery of messages queued before it was set.
    container.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    listener.forget();
}

/// Removes the page's alarm-action handler (its component is gone).
pub fn clear_alarm_action() {
    ALARM_ACTION.with(|slot| slot.borrow_mut().1 = None);
}

/// Tells the waiting service worker to take over, then reloads when it has.
pub fn apply_update() {
    let Some(window) = web_sys::window() else { return };
    let container = window.navigator().service_worker();
    let reload = Closure::<dyn Fn()>::new(|| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    container.set_oncontrollerchange(Some(reload.as_ref().unchecked_ref()));
    reload.forget();
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = JsFuture::from(container.get_registration()).await else { return };
        let Ok(registration) = registration.dyn_into::<ServiceWorkerRegistration>() else { return };
        match registration.waiting() {
            Some(waiting) => {
                let _ = waiting.post_message(&"skip-waiting".into());
            }
            None => {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
        }
    });
}

/// Whether this is an iPhone/iPad (for the "add to home screen" hint: iOS allows push only there).
pub fn is_ios() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .is_some_and(|ua| ua.contains("iPhone") || ua.contains("iPad"))
}

/// Copies `text` to the clipboard where the browser allows it (the link is also shown, selectable, beside it).
pub fn copy_text(text: &str) {
    let Some(window) = web_sys::window() else { return };
    let Ok(clipboard) = Reflect::get(&window.navigator(), &"clipboard".into()) else { return };
    if let Ok(write) = Reflect::get(&clipboard, &"writeText".into()).and_then(|f| f.dyn_into::<Function>()) {
        let _ = write.call1(&clipboard, &text.into());
    }
}

/// The share link's secret when the page was opened from one (`/#/s/<secret>`); the fragment is then removed from
/// the address bar, so the secret is not left on screen or in the history. `boot.js` applies the same rule (16–64
/// of `A–Z a–z 0–9 - _`) to ask for the link's data early; the server checks the secret either way.
pub fn take_share_secret() -> Option<String> {
    let window = web_sys::window()?;
    let hash = window.location().hash().ok()?;
    let secret = hash.strip_prefix("#/s/")?.trim_end_matches('/');
    let valid = (16..=64).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let secret = valid.then(|| secret.to_owned());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some("/"));
    }
    secret
}

/// The answer to `GET /api/share/graph` that `boot.js` asked for while the app's code was downloading, if it was
/// for `secret`. Taken once: every later refresh asks again.
pub fn take_early_share_graph(secret: &str) -> Option<impl Future<Output = Result<web_sys::Response, JsValue>>> {
    let window = web_sys::window()?;
    let key = JsValue::from_str("__twShareGraph");
    let early = Reflect::get(&window, &key).ok().filter(JsValue::is_object)?;
    let _ = Reflect::delete_property(&window, &key);
    let same = Reflect::get(&early, &"secret".into()).ok().and_then(|s| s.as_string()).as_deref() == Some(secret);
    let answer: Promise = Reflect::get(&early, &"answer".into()).ok()?.dyn_into().ok()?;
    same.then_some(async move { JsFuture::from(answer).await?.dyn_into::<web_sys::Response>() })
}

/// Resolves in a task of its own (a zero-delay timer): the work after it no longer lengthens the task that awaited
/// it, so a slow phone's main thread is held in shorter pieces and a tap or a frame can come between them.
pub async fn next_task() {
    let promise = Promise::new(&mut |resolve, _| {
        let queued = web_sys::window().and_then(|w| w.set_timeout_with_callback(&resolve).ok());
        if queued.is_none() {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Whether this browser can receive Web Push here (a service worker and `PushManager`). On iOS that is only in an
/// app added to the home screen.
pub fn push_supported() -> bool {
    let global = js_sys::global();
    Reflect::has(&global, &"PushManager".into()).unwrap_or(false)
        && web_sys::window().is_some_and(|w| Reflect::has(&w.navigator(), &"serviceWorker".into()).unwrap_or(false))
}

/// Whether the app runs from the home screen (standalone), where iOS allows push.
pub fn is_standalone() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let media = window.match_media("(display-mode: standalone)").ok().flatten().is_some_and(|m| m.matches());
    media || Reflect::get(&window.navigator(), &"standalone".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

/// The service worker's `PushManager`.
async fn push_manager() -> Result<JsValue, String> {
    let registration = registration().await.ok_or("The service worker is not running.")?;
    Reflect::get(&registration, &"pushManager".into()).map_err(|_| "This browser has no push.".to_owned())
}

/// Calls `target.name(args…)` and awaits the promise it returns.
async fn call_async(target: &JsValue, name: &str, args: &Array) -> Result<JsValue, String> {
    let function: Function =
        Reflect::get(target, &name.into()).and_then(|f| f.dyn_into()).map_err(|_| format!("no {name}"))?;
    let promise: Promise = function.apply(target, args).and_then(|p| p.dyn_into()).map_err(|e| js_message(&e))?;
    JsFuture::from(promise).await.map_err(|e| js_message(&e))
}

fn js_message(error: &JsValue) -> String {
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the browser refused".to_owned())
}

/// Subscribes this browser to push with the server's VAPID key (base64url); `PushSubscription.toJSON()`.
pub async fn push_subscribe(public_key: &str) -> Result<JsValue, String> {
    let manager = push_manager().await?;
    let standard: String = public_key
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let padded = format!("{standard}{}", "=".repeat((4 - standard.len() % 4) % 4));
    let window = web_sys::window().ok_or("no window")?;
    let binary = window.atob(&padded).map_err(|_| "The server's push key is not base64.".to_owned())?;
    let key = js_sys::Uint8Array::new_with_length(binary.chars().count() as u32);
    for (i, c) in binary.chars().enumerate() {
        key.set_index(i as u32, c as u32 as u8);
    }
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE);
    let _ = Reflect::set(&options, &"applicationServerKey".into(), &key);
    let subscription = call_async(&manager, "subscribe", &Array::of1(&options)).await?;
    let to_json: Function =
        Reflect::get(&subscription, &"toJSON".into()).and_then(|f| f.dyn_into()).map_err(|_| "no toJSON")?;
    to_json.call0(&subscription).map_err(|e| js_message(&e))
}

/// Ends this browser's push subscription, if it has one.
pub async fn push_unsubscribe() {
    let Ok(manager) = push_manager().await else { return };
    if let Ok(subscription) = call_async(&manager, "getSubscription", &Array::new()).await
        && !subscription.is_null()
    {
        let _ = call_async(&subscription, "unsubscribe", &Array::new()).await;
    }
}
