//! Tidewatch's follower app: a Leptos (client-side rendering) PWA that shows a LibreLinkUp patient's glucose at a
//! glance, on the same origin as the Tidewatch worker. It computes and formats nothing itself: values, trends,
//! statistics, alarms and sensor age come from `shared`; the server is reached only through [`api`].

/// The one module that talks to the server.
pub mod api;
/// Components, one per file.
pub mod components;
/// The sentence for each server error code.
pub mod messages;
/// Screen data derived from LLU answers with `shared` (pure).
pub mod model;
/// Pages, one per screen.
pub mod pages;
/// Browser features: clock, visibility, sound, notifications, wake lock, service worker.
pub mod platform;
/// What the app keeps on this device.
pub mod store;

use leptos::prelude::*;
use shared::llu::wire::LoginStep;
use shared::time::UtcTime;

use crate::store::Prefs;

/// Which screen is showing.
#[derive(Clone, PartialEq, Debug)]
pub enum Screen {
    /// Sign in (or try the demo).
    SignIn,
    /// LibreLinkUp asks for consent to a document (or an e-mail check) before signing in.
    Step(LoginStep),
    /// Following: the glance, graph, statistics and alarms (an account's patients, or one shared patient).
    Follow,
    /// The share link this device viewed was revoked or has expired: the sentence to show, and no data.
    ShareEnded(String),
}

/// What every page can read and change.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The current screen.
    pub screen: RwSignal<Screen>,
    /// This device's preferences (saved whenever they change).
    pub prefs: RwSignal<Prefs>,
    /// The clock, ticking every 10 seconds so ages update by themselves.
    pub now: RwSignal<UtcTime>,
    /// Bumped to refresh: every 60 s while visible, and at once when the page becomes visible again.
    pub refresh: RwSignal<u32>,
    /// A new version of the app is installed and waiting.
    pub update_ready: RwSignal<bool>,
    /// The secret of the share link this device views (read-only, one patient, no account), if it is one.
    pub viewer: RwSignal<Option<String>>,
}

impl AppState {
    /// This device stops viewing a share link: it forgets the link and everything the link showed.
    pub fn stop_viewing(&self) {
        self.viewer.set(None);
        store::save_viewer_secret(None);
        store::forget_patients();
    }
}

/// The whole app: starts on the follow screen, which falls back to sign-in when there is no session.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState {
        screen: RwSignal::new(Screen::Follow),
        prefs: RwSignal::new(store::prefs()),
        now: RwSignal::new(platform::now()),
        refresh: RwSignal::new(0),
        update_ready: RwSignal::new(false),
        viewer: RwSignal::new(viewer_secret()),
    };
    provide_context(state);
    Effect::new(move |_| state.prefs.with(store::save_prefs));
    start_clocks(state);
    platform::register_service_worker(move || state.update_ready.set(true));
    view! {
        <div class="app" on:click=|_| platform::unlock_audio()>
            <Show when=move || state.update_ready.get()>
                <div class="update" role="status">
                    "A new version of Tidewatch is ready. "
                    <button on:click=|_| platform::apply_update()>"Reload"</button>
                </div>
            </Show>
            {move || match state.screen.get() {
                Screen::SignIn => view! { <pages::signin::SignIn /> }.into_any(),
                Screen::Step(step) => view! { <pages::signin::Consent step=step /> }.into_any(),
                Screen::Follow => view! { <pages::follow::Follow /> }.into_any(),
                Screen::ShareEnded(message) => view! { <pages::signin::ShareEnded message=message /> }.into_any(),
            }}
        </div>
    }
}

/// The share link this device views: a link just opened (which replaces any earlier one, and what this device
/// kept of it), else the one remembered.
fn viewer_secret() -> Option<String> {
    match platform::take_share_secret() {
        Some(secret) => {
            if store::viewer_secret().as_deref() != Some(secret.as_str()) {
                store::forget_patients();
            }
            store::save_viewer_secret(Some(&secret));
            Some(secret)
        }
        None => store::viewer_secret(),
    }
}

/// The 10-second clock, the 60-second refresh while visible, and an immediate refresh on return.
fn start_clocks(state: AppState) {
    let tick = move || {
        state.now.set(platform::now());
    };
    let every_10s = set_interval_with_handle(tick, std::time::Duration::from_secs(10));
    let every_60s = set_interval_with_handle(
        move || {
            if platform::visible() {
                state.refresh.update(|n| *n += 1);
            }
        },
        std::time::Duration::from_secs(60),
    );
    platform::on_wake(move || {
        if platform::visible() {
            state.now.set(platform::now());
            state.refresh.update(|n| *n += 1);
        }
    });
    on_cleanup(move || {
        for handle in [every_10s, every_60s].into_iter().flatten() {
            handle.clear();
        }
    });
}
