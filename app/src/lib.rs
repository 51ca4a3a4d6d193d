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
    /// The page woke (became visible or came back online) since the last graph read: the next one is an opening
    /// (`api::graph`), so history that moved while it slept is read again.
    pub woke: StoredValue<bool>,
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

/// The whole app: starts on the follow screen if this device follows someone (it falls back to sign-in when the
/// session has ended), else on sign-in.
#[component]
pub fn App() -> impl IntoView {
    let viewer = viewer_secret();
    let state = AppState {
        // A device that follows no one yet starts on sign-in, without fetching the follow page's code.
        screen: RwSignal::new(if store::follows() || viewer.is_some() { Screen::Follow } else { Screen::SignIn }),
        prefs: RwSignal::new(store::prefs()),
        now: RwSignal::new(platform::now()),
        refresh: RwSignal::new(0),
        woke: StoredValue::new(false),
        update_ready: RwSignal::new(false),
        viewer: RwSignal::new(viewer),
    };
    provide_context(state);
    Effect::new(move |_| state.prefs.with(store::save_prefs));
    // Remembered for the next start: the follow screen (signed in, or a share link), or back at sign-in.
    Effect::new(move |_| match state.screen.get() {
        Screen::Follow => store::save_follows(true),
        Screen::SignIn => store::save_follows(false),
        Screen::Step(_) | Screen::ShareEnded(_) => {}
    });
    // Not in the start's own task, which draws the first screen (and hands the page's copy of it over): a slow
    // phone's main thread is held as little as it can be before the first screen shows.
    let owner = Owner::current();
    set_timeout(
        move || {
            let start = move || {
                start_clocks(state);
                platform::register_service_worker(move || state.update_ready.set(true));
            };
            match &owner {
                Some(owner) => owner.with(start),
                None => start(),
            }
        },
        std::time::Duration::ZERO,
    );
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
                Screen::Step(step) => lazy_screen(move || consent_page(step.clone())).into_any(),
                Screen::Follow => lazy_screen(follow_page).into_any(),
                Screen::ShareEnded(message) => lazy_screen(move || share_ended_page(message.clone())).into_any(),
            }}
        </div>
    }
}

/// A screen whose code is loaded on demand (`load`): "Loading…" until it is here, and a way to try again if it
/// cannot be fetched (offline before the service worker has kept it). Not in a `<Suspense>`: that would also wait
/// for every resource the screen reads, and the follow page shows the device's last data before the first answer.
fn lazy_screen<F, E>(load: impl Fn() -> F + Send + Sync + 'static) -> impl IntoView
where
    F: std::future::Future<Output = Result<AnyView, E>> + 'static,
{
    let attempt = RwSignal::new(0_u32);
    move || {
        attempt.track();
        let loading = RwSignal::new(true);
        let failed = RwSignal::new(false);
        let screen = load();
        let screen = Suspend::new(send_wrapper::SendWrapper::new(async move {
            let screen = screen.await;
            loading.set(false);
            failed.set(screen.is_err());
            screen.ok()
        }));
        // The screen comes first, and the stylesheet hides a "Loading…" that follows a screen (`.app > main ~
        // .loading`): the placeholder goes in the very frame the screen arrives, even when the effect that removes
        // it runs a task later (`platform::slices`), so nothing on screen is pushed down and back.
        view! {
            {screen}
            <Show when=move || loading.get()>
                <p class="loading" role="status">"Loading…"</p>
            </Show>
            <Show when=move || failed.get()>
                <div class="error" role="alert">
                    <p>"Tidewatch could not load this page. Is this phone online?"</p>
                    <button on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
                </div>
            </Show>
        }
    }
}

/// A screen in its own wasm module. With the `split` feature, the linker moves the screen's code into the module
/// named first (`app/build/wasm-link.sh`), fetched the first time the screen is shown and kept by the service worker for
/// offline use, so a first visit's sign-in page does not wait for it. A failed fetch is an `Err` (never a panic,
/// which would stop the whole app), and the next call fetches again. Without the feature (the component tests),
/// an ordinary `async fn`.
macro_rules! split_screen {
    ($(#[$doc:meta])* $module:ident, $preload:ident, fn $name:ident($($arg:ident: $ty:ty),*) => $body:expr) => {
        $(#[$doc])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split(
            $module,
            wasm_split_path = ::leptos::wasm_split,
            fallible,
            preload(#[allow(dead_code)] $preload)
        )]
        fn $name($($arg: $ty),*) -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
            Ok($body)
        }

        $(#[$doc])*
        #[cfg(not(feature = "split"))]
        async fn $name($($arg: $ty),*) -> Result<AnyView, std::convert::Infallible> {
            Ok($body)
        }
    };
}

split_screen! {
    /// The follow page.
    follow_page, preload_follow_page, fn follow_page() => view! { <pages::follow::Follow /> }.into_any()
}

split_screen! {
    /// LibreLinkUp's consent step (rare: when Abbott updates a document).
    steps, preload_consent_page, fn consent_page(step: LoginStep) => view! { <pages::signin::Consent step=step /> }.into_any()
}

split_screen! {
    /// The end of a share link.
    steps, preload_share_ended_page, fn share_ended_page(message: String) =>
        view! { <pages::signin::ShareEnded message=message /> }.into_any()
}

/// Starts fetching the follow page's module (a sign-in is on its way), so it is here when the answer is.
pub fn prefetch_follow_page() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        // A failure here is tried again when the page is shown, which says so.
        let _ = preload_follow_page().await;
    });
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
            state.woke.set_value(true);
            state.refresh.update(|n| *n += 1);
        }
    });
    on_cleanup(move || {
        for handle in [every_10s, every_60s].into_iter().flatten() {
            handle.clear();
        }
    });
}
