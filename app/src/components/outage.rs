//! "Tidewatch cannot reach LibreLinkUp": a banner over the follow page while the page's own read fails for a reason
//! of LibreLinkUp's (its edge, its maintenance, its protocol) and the server's `/api/health` says that LibreLinkUp's
//! last word to the whole server was that same failure. It says why in plain words, when LibreLinkUp last answered,
//! and that readings and alarms come back by themselves. The page's own error note still says what to do.

use leptos::prelude::*;
use shared::time::{MINUTE, UtcTime};

use crate::api::{self, ApiError};
use crate::{AppState, messages, model, platform};

/// How often the banner asks the server while the failure lasts.
const ASK_EVERY_SECS: i64 = 5 * MINUTE;

/// The banner for the page's read `error`.
#[component]
pub fn OutageBanner(
    /// The page's newest read error, if the newest read failed.
    #[prop(into)]
    error: Signal<Option<ApiError>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    // While the page's read fails for LibreLinkUp's reason: that reason, and a new value every 5 minutes (so the
    // server is asked once when it starts failing and then every 5 minutes, not at each refresh).
    let failing = Memo::new(move |_| {
        let code = error.with(|e| e.as_ref().and_then(ApiError::code))?;
        messages::outage(code)?;
        Some((code, state.now.get().unix_secs() / ASK_EVERY_SECS))
    });
    let health = LocalResource::new(move || {
        let failing = failing.get();
        async move {
            let (code, _) = failing?;
            let health = api::health().await.ok()?;
            let last_success = health.outage(code)?.map(str::to_owned);
            Some((code, last_success))
        }
    });
    let text = move || {
        // Gone as soon as the page reads again.
        failing.with(Option::is_some).then_some(())?;
        let (code, last_success) = health.get().flatten()?;
        let why = messages::outage(code)?;
        let last = last_success
            .map(|iso| UtcTime::from_unix_millis(js_sys::Date::parse(&iso) as i64))
            .map(|at| format!(" It last answered this server at {}.", model::clock(at, platform::utc_offset_min())))
            .unwrap_or_default();
        Some(format!(
            "Tidewatch cannot reach LibreLinkUp: {why}.{last} Readings and alarms come back by themselves when it \
             answers again."
        ))
    };
    view! {
        {move || text().map(|text| view! { <p class="card outage" role="status" data-testid="outage">{text}</p> })}
    }
}
