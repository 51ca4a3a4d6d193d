//! "Phones that get alarms", for the signed-in follower: every phone the account's background alarms reach (its
//! own and those of its family links), what each is, when it was added and when an alarm last reached it, and a
//! one-tap "Remove" for a lost phone or a former family member's. A phone whose push service ended it (its
//! browser's data cleared, notifications revoked) is listed for a week as having stopped. A removed phone stays removed when the
//! account signs in again. Above them, when the server's background alarms were interrupted this week: from
//! when to when (each phone was told by a push as well).

use leptos::prelude::*;
use shared::time::UtcTime;

use crate::api::{self, ApiError, PhoneInfo, PhoneList};
use crate::model;
use crate::pages::signin::ErrorNote;
use crate::platform;

/// The list of the account's phones. `this_phone` is this phone's subscription id, if it has one.
#[component]
pub fn Phones(
    /// This phone's subscription id.
    #[prop(into)]
    this_phone: Signal<Option<String>>,
    /// Called when this very phone was removed.
    on_removed_this: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reload = RwSignal::new(0_u32);
    let error = RwSignal::new(None::<ApiError>);
    let list = LocalResource::new(move || {
        reload.track();
        let wanted = open.get();
        async move { if wanted { Some(api::phones().await) } else { None } }
    });
    let remove = Action::new_local(|id: &String| {
        let id = id.clone();
        async move { api::remove_phone(&id).await.map(|()| id) }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(id)) => {
            if this_phone.get_untracked().as_deref() == Some(id.as_str()) {
                on_removed_this.run(());
            }
            reload.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let offset = platform::utc_offset_min();
    let when = move |secs: i64| {
        let at = UtcTime::from_unix_secs(secs);
        format!("{} {}", model::date(at, offset), model::clock(at, offset))
    };
    let rows = move || match list.get().flatten() {
        None => view! { <p class="loading">"Loading the phones…"</p> }.into_any(),
        Some(Err(e)) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
        Some(Ok(PhoneList { phones, .. })) if phones.is_empty() => {
            view! { <p class="hint">"No phone gets these alarms yet."</p> }.into_any()
        }
        Some(Ok(PhoneList { phones, .. })) => phones
            .into_iter()
            .map(|phone: PhoneInfo| {
                let PhoneInfo { id, device, share_id, created, delivered, received, missing_since, .. } = phone;
                let mine = this_phone.get_untracked().as_deref() == Some(id.as_str());
                let name = if device.is_empty() { "A phone".to_owned() } else { device };
                let whose = match (mine, share_id.is_some()) {
                    (true, _) => " · this phone",
                    (false, true) => " · through a family link",
                    (false, false) => "",
                };
                // Confirmed by the phone when it sends receipts; else as far as its push service said.
                let reached = match (received, delivered) {
                    (Some(at), _) => format!("Last alarm reached it {}.", when(at)),
                    (None, Some(at)) => format!("Last alarm sent to it {}.", when(at)),
                    (None, None) => "No alarm has reached it yet.".to_owned(),
                };
                let missing = missing_since.map(|since| {
                    view! {
                        <br />
                        <strong class="warning" data-testid="missing-phone">
                            {format!("Has not received alarms since {}.", when(since))}
                        </strong>
                    }
                });
                view! {
                    <li class="phone" data-testid="phone">
                        <strong>{name}</strong>
                        {whose}
                        <br />
                        <span class="hint">{format!("Added {}. {reached}", when(created))}</span>
                        {missing}
                        <button
                            class="secondary"
                            disabled=move || remove.pending().get()
                            on:click=move |_| {
                                remove.dispatch(id.clone());
                            }
                        >
                            "Remove"
                        </button>
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    };
    let lost = move || {
        let Some(Ok(list)) = list.get().flatten() else { return Vec::new() };
        list.lost
            .into_iter()
            .rev()
            .map(|phone| {
                let reached = phone
                    .last_reached
                    .map(|at| format!(" The last alarm reached it {}.", when(at)))
                    .unwrap_or_default();
                let text = format!(
                    "{}: stopped getting alarms {} (its browser ended the notifications).{reached} Turn alarms on \
                     again on that phone.",
                    phone.name,
                    when(phone.at)
                );
                view! {
                    <p class="error" role="status" data-testid="lost-phone">
                        {text}
                    </p>
                }
            })
            .collect_view()
    };
    let interruptions = move || {
        let Some(Ok(list)) = list.get().flatten() else { return Vec::new() };
        list.interruptions
            .into_iter()
            .rev()
            .map(|stretch| {
                let text = format!(
                    "Background alarms were interrupted from {} to {}: alarms due then were not sent.",
                    when(stretch.from),
                    when(stretch.to)
                );
                view! {
                    <p class="error" role="status" data-testid="interruption">
                        {text}
                    </p>
                }
            })
            .collect_view()
    };
    view! {
        <div class="phones">
            <Show
                when=move || open.get()
                fallback=move || {
                    view! {
                        <button class="secondary" on:click=move |_| open.set(true)>
                            "Phones that get these alarms"
                        </button>
                    }
                }
            >
                <h3>"Phones that get these alarms"</h3>
                <ErrorNote error=Signal::derive(move || error.get()) />
                {interruptions}
                {lost}
                <ul class="phones-list">{rows}</ul>
            </Show>
        </div>
    }
}
