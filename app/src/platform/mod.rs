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

mod alerts;
mod service_worker;
/// The app's executor: futures run in slices of a task.
pub mod slices;

pub use self::alerts::*;
pub use self::service_worker::*;

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
    after(0).await;
}

/// Resolves after `ms` milliseconds, in a task of its own.
pub async fn after(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let queued =
            web_sys::window().and_then(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms).ok());
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
