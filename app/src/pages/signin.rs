//! Signing in: the LibreLinkUp follower account's e-mail and password (and, for an account made in Russia or China,
//! that country: LibreLinkUp's global host does not know those; every other region is found by following its
//! redirects), "Try the demo", and LibreLinkUp's consent steps, which continue only on an explicit tap.

use leptos::prelude::*;
use shared::llu::wire::{LoginStep, StepKind};

use crate::api::{self, ApiError, SignIn as Answer};
use crate::{AppState, Screen, messages, platform, store};

/// What the sign-in form sends.
#[derive(Clone)]
struct Credentials {
    email: String,
    password: String,
    entry: String,
    keep: bool,
}

/// Goes where a sign-in answer leads.
fn follow_answer(state: AppState, answer: &Result<Answer, ApiError>) {
    match answer {
        Ok(Answer::Done) => {
            // Signed in to an account: this device is no longer a share link's viewer.
            if state.viewer.get_untracked().is_some() {
                state.stop_viewing();
            }
            state.screen.set(Screen::Follow);
        }
        Ok(Answer::Step(step)) => state.screen.set(Screen::Step(step.clone())),
        Err(_) => {}
    }
}

/// The sign-in page.
#[component]
pub fn SignIn() -> impl IntoView {
    let state = expect_context::<AppState>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let entry = RwSignal::new("global".to_owned());
    let keep = RwSignal::new(false);
    // The follow page's code downloads while the server answers.
    let login = Action::new_local(|c: &Credentials| {
        let c = c.clone();
        crate::prefetch_follow_page();
        async move { api::login(&c.email, &c.password, &c.entry, c.keep).await }
    });
    let demo = Action::new_local(|_: &()| {
        crate::prefetch_follow_page();
        async { api::demo().await }
    });
    Effect::new(move |_| {
        if let Some(answer) = login.value().get() {
            if answer.is_ok() {
                store::forget_patients();
            }
            follow_answer(state, &answer);
        }
    });
    Effect::new(move |_| {
        if let Some(answer) = demo.value().get() {
            follow_answer(state, &answer);
        }
    });
    let error = move || {
        let failed = |a: Option<Result<Answer, ApiError>>| a.and_then(Result::err);
        failed(login.value().get()).or_else(|| failed(demo.value().get()))
    };
    let busy = move || login.pending().get() || demo.pending().get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        platform::unlock_audio();
        if !busy() {
            login.dispatch(Credentials {
                email: email.get_untracked(),
                password: password.get_untracked(),
                entry: entry.get_untracked(),
                keep: keep.get_untracked(),
            });
        }
    };
    view! {
        <main class="signin">
            <header class="brand">
                <img src="/icons/icon-192.png" alt="" width="56" height="56" />
                <h1>"Tidewatch"</h1>
                <p class="lede">"Follow the glucose of someone who shares it with you through LibreLinkUp."</p>
            </header>
            <form class="card" on:submit=submit>
                <h2>"Sign in with your LibreLinkUp follower account"</h2>
                <label>
                    "E-mail"
                    <input type="email" name="email" autocomplete="username" required bind:value=email />
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        bind:value=password
                    />
                </label>
                <label>
                    "Account region"
                    <select name="entry" bind:value=entry>
                        <option value="global">"All other countries"</option>
                        <option value="ru">"Russia"</option>
                        <option value="cn">"China"</option>
                    </select>
                </label>
                <label>
                    <input
                        type="checkbox"
                        name="keep"
                        prop:checked=keep
                        on:change=move |ev| keep.set(event_target_checked(&ev))
                    />
                    "Keep me signed in for the alarms"
                </label>
                <ErrorNote error=Signal::derive(error) />
                <button type="submit" class="primary" disabled=busy>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
                <p class="hint">
                    "Your password goes to LibreLinkUp through this Tidewatch server and is not stored, unless you "
                    "keep the sign-in: then it is kept sealed, to sign in again by itself when LibreLinkUp ends the "
                    "session (\"Sign out everywhere\" forgets it). "
                    "LibreLinkUp locks an account for 5 minutes after 3 wrong passwords."
                </p>
            </form>
            <div class="card demo">
                <p>"No account at hand? See how it works with a simulated patient."</p>
                <button class="secondary" disabled=busy on:click=move |_| { demo.dispatch(()); }>
                    "Try the demo"
                </button>
            </div>
        </main>
    }
}

/// An error with its sentence and, when the server said how long to wait, a live countdown.
#[component]
pub fn ErrorNote(
    /// The error to explain, if any.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    // The instant the error arrived, to count down from.
    let since = Memo::new(move |_| error.get().map(|_| state.now.get_untracked()));
    let text = move || {
        let error = error.get()?;
        let retry_in = match (&error, since.get()) {
            (ApiError::Server { retry_after_secs: Some(wait), .. }, Some(at)) => {
                Some(i64::from(*wait) - state.now.get().secs_since(at))
            }
            _ => None,
        };
        Some(messages::explain(&error, retry_in))
    };
    view! {
        <Show when=move || error.get().is_some()>
            <p class="error" role="alert" data-code=move || error.get().map(|e| e.code_name().to_owned())>
                {text}
            </p>
        </Show>
    }
}

/// LibreLinkUp's consent step: what Abbott asks, and a button that accepts only when tapped.
#[component]
pub fn Consent(
    /// The step LibreLinkUp sent.
    step: LoginStep,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let kind = step.step.kind.clone();
    let accept = Action::new_local(|document: &String| {
        let document = document.clone();
        async move { api::accept(&document).await }
    });
    Effect::new(move |_| {
        if let Some(answer) = accept.value().get() {
            follow_answer(state, &answer);
        }
    });
    let error = Signal::derive(move || accept.value().get().and_then(Result::err));
    let (title, body) = match &kind {
        StepKind::TermsOfUse => (
            "LibreLinkUp's Terms of Use",
            "Abbott has updated the Terms of Use of LibreLinkUp. To go on following, you have to accept them \
             for your LibreLinkUp account.",
        ),
        StepKind::PrivacyPolicy => (
            "LibreLinkUp's Privacy Notice",
            "Abbott has updated the Privacy Notice of LibreLinkUp. To go on following, you have to accept it \
             for your LibreLinkUp account.",
        ),
        StepKind::VerifyEmail => (
            "Verify your e-mail first",
            "LibreLinkUp wants you to confirm your e-mail address. Open the LibreLinkUp app or the e-mail Abbott \
             sent you, confirm, then sign in here again.",
        ),
        StepKind::Other(_) => (
            "LibreLinkUp needs something first",
            "LibreLinkUp asks for a step Tidewatch cannot show. Open the LibreLinkUp app, finish it there, then \
             sign in here again.",
        ),
    };
    let document = kind.as_str().to_owned();
    let can_continue = kind.can_continue();
    view! {
        <main class="signin">
            <section class="card consent" aria-labelledby="consent-title">
                <h2 id="consent-title">{title}</h2>
                <p>{body}</p>
                <p class="hint">
                    "You can read them in the LibreLinkUp app or at "
                    <a href="https://www.libreview.com/" rel="noopener noreferrer" target="_blank">"libreview.com"</a>
                    ". Tidewatch accepts nothing unless you tap the button below."
                </p>
                <ErrorNote error=error />
                <Show when=move || can_continue>
                    <button
                        class="primary"
                        disabled=move || accept.pending().get()
                        on:click={
                            let document = document.clone();
                            move |_| {
                                accept.dispatch(document.clone());
                            }
                        }
                    >
                        "I accept"
                    </button>
                </Show>
                <button class="secondary" on:click=move |_| state.screen.set(Screen::SignIn)>
                    "Back to sign-in"
                </button>
            </section>
        </main>
    }
}

/// A share link that no longer works: what happened, no data, and the way to sign in instead.
#[component]
pub fn ShareEnded(
    /// The server's sentence.
    message: String,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <main class="signin">
            <h1>"This link no longer works"</h1>
            <p class="card" role="alert" data-code="share_gone">{message}</p>
            <button class="secondary" on:click=move |_| state.screen.set(Screen::SignIn)>
                "Sign in with a LibreLinkUp account instead"
            </button>
        </main>
    }
}
