//! The service worker: registration and updates, the alarm actions it posts back to the page, and Web Push
//! subscriptions through its push manager.

use super::*;

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
pub(super) const UPDATE_CHECK_MS: i32 = 60 * 60 * 1000;

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

/// The service worker's `PushManager`.
pub(super) async fn push_manager() -> Result<JsValue, String> {
    let registration = registration().await.ok_or("The service worker is not running.")?;
    Reflect::get(&registration, &"pushManager".into()).map_err(|_| "This browser has no push.".to_owned())
}

/// Calls `target.name(args…)` and awaits the promise it returns.
pub(super) async fn call_async(target: &JsValue, name: &str, args: &Array) -> Result<JsValue, String> {
    let function: Function =
        Reflect::get(target, &name.into()).and_then(|f| f.dyn_into()).map_err(|_| format!("no {name}"))?;
    let promise: Promise = function.apply(target, args).and_then(|p| p.dyn_into()).map_err(|e| js_message(&e))?;
    JsFuture::from(promise).await.map_err(|e| js_message(&e))
}

pub(super) fn js_message(error: &JsValue) -> String {
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
