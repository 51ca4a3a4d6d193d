//! Family links, for the signed-in follower: make a read-only link to one patient for someone without a
//! LibreLinkUp account ("Grandma"), see who has one (created, expires, last used) and revoke any of them at once.

use leptos::prelude::*;
use shared::sensor::format_duration;
use shared::time::UtcTime;

use crate::api::{self, ApiError, NewShare, ShareInfo};
use crate::model::{self, PatientRef};
use crate::pages::signin::ErrorNote;
use crate::{AppState, platform};

/// The sheet that makes, lists and revokes share links for `patient`.
#[component]
pub fn ShareSheet(
    /// The patient a new link shows.
    #[prop(into)]
    patient: Signal<Option<PatientRef>>,
    /// Closes the sheet.
    on_close: Callback<()>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let label = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let days = RwSignal::new(30_i64);
    let alarms = RwSignal::new(true);
    let acts_for_all = RwSignal::new(false);
    let made = RwSignal::new(None::<NewShare>);
    let error = RwSignal::new(None::<ApiError>);
    let reload = RwSignal::new(0_u32);
    let list = LocalResource::new(move || {
        reload.track();
        async { api::shares().await }
    });
    let create = Action::new_local(move |_: &()| {
        let id = patient.with_untracked(|p| p.as_ref().map(|p| p.id.clone())).unwrap_or_default();
        let (label, from, days, alarms) =
            (label.get_untracked(), from.get_untracked(), days.get_untracked(), alarms.get_untracked());
        let for_all = acts_for_all.get_untracked();
        async move { api::create_share(&id, &label, &from, days, alarms, for_all).await }
    });
    let revoke = Action::new_local(|id: &String| {
        let id = id.clone();
        async move { api::revoke_share(&id).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(new)) => {
            made.set(Some(new));
            error.set(None);
            label.set(String::new());
            reload.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => reload.update(|n| *n += 1),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let name = move || patient.with(|p| p.as_ref().map(|p| p.name.clone()).unwrap_or_default());
    let offset = platform::utc_offset_min();
    let when = move |secs: i64| {
        let at = UtcTime::from_unix_secs(secs);
        format!("{} {}", model::date(at, offset), model::clock(at, offset))
    };
    let rows = move || match list.get() {
        None => view! { <p class="loading">"Loading the links…"</p> }.into_any(),
        Some(Err(e)) => view! { <ErrorNote error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
        Some(Ok(shares)) if shares.is_empty() => view! { <p class="hint">"No links yet."</p> }.into_any(),
        Some(Ok(shares)) => {
            let now = state.now.get_untracked();
            shares
                .into_iter()
                .map(|share: ShareInfo| {
                    let ShareInfo { id, label, created, expires, last_used, state: status, acts_for_all, .. } = share;
                    let live = matches!(status.as_str(), "active" | "owner_signed_out");
                    let status_text = match status.as_str() {
                        "active" => "Active".to_owned(),
                        "owner_signed_out" => "Stopped: sign in to LibreLinkUp again to restart it".to_owned(),
                        "revoked" => "Revoked".to_owned(),
                        _ => "Expired".to_owned(),
                    };
                    let used = last_used.map_or_else(
                        || "never used".to_owned(),
                        |t| format!("last used {} ago", format_duration(now.secs_since(UtcTime::from_unix_secs(t)).max(0))),
                    );
                    let aria = format!("Revoke the link for {label}");
                    view! {
                        <li class="share" data-state=status.clone()>
                            <p>
                                <strong>{label.clone()}</strong>
                                " · "
                                {status_text}
                            </p>
                            <p class="note">
                                {format!("Made {} · ends {} · {used}", when(created), when(expires))}
                            </p>
                            {acts_for_all.then(|| view! {
                                <p class="note">"May acknowledge alarms for everyone"</p>
                            })}
                            {live.then(|| {
                                let id = id.clone();
                                view! {
                                    <button class="danger" aria-label=aria on:click=move |_| { revoke.dispatch(id.clone()); }>
                                        "Revoke"
                                    </button>
                                }
                            })}
                        </li>
                    }
                })
                .collect_view()
                .into_any()
        }
    };
    view! {
        <div class="sheet" role="dialog" aria-modal="true" aria-labelledby="share-title">
            <div class="sheet-body">
                <header class="sheet-head">
                    <h2 id="share-title">"Family links"</h2>
                    <button class="close" on:click=move |_| on_close.run(())>"Done"</button>
                </header>
                <p class="note">
                    "A link lets someone see "
                    {name}
                    "'s glucose without a LibreLinkUp account: read-only, on their own phone. Anyone who has the \
                     link can look, so send it only to them. You can revoke it here at any time; it stops working at once."
                </p>
                <form
                    class="share-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        create.dispatch(());
                    }
                >
                    <label>
                        "Who is it for?"
                        <input type="text" maxlength="60" required placeholder="Grandma"
                            prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "Your name, as they will see it"
                        <input type="text" maxlength="60" placeholder="Alex"
                            prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev)) />
                    </label>
                    <label>
                        "Works for"
                        <select on:change=move |ev| days.set(event_target_value(&ev).parse().unwrap_or(30))>
                            <option value="1">"1 day"</option>
                            <option value="7">"1 week"</option>
                            <option value="30" selected>"30 days"</option>
                            <option value="90">"90 days"</option>
                            <option value="365">"1 year"</option>
                        </select>
                    </label>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || alarms.get()
                            on:change=move |ev| alarms.set(event_target_checked(&ev)) />
                        "They may see alarms"
                    </label>
                    <Show when=move || alarms.get()>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || acts_for_all.get()
                                on:change=move |ev| acts_for_all.set(event_target_checked(&ev)) />
                            "Their “I'm on it” may quiet everyone's alarm (when acknowledgement is shared)"
                        </label>
                    </Show>
                    <button type="submit" disabled=move || create.pending().get()>"Make a link"</button>
                </form>
                <ErrorNote error=Signal::derive(move || error.get()) />
                {move || made.get().map(|new| view! {
                    <div class="card made" role="status">
                        <p><strong>"Send this link:"</strong></p>
                        <input class="link" type="text" readonly aria-label="The new link" prop:value=new.url.clone() />
                        <button on:click={
                            let url = new.url.clone();
                            move |_| platform::copy_text(&url)
                        }>"Copy the link"</button>
                        <p class="note">
                            "For Nightscout apps and watchfaces (xDrip+, Nightguard, GlucoDataHandler): "
                            <code class="link">{new.nightscout.clone()}</code>
                        </p>
                    </div>
                })}
                <h3>"Links you made"</h3>
                <ul class="shares">{rows}</ul>
            </div>
        </div>
    }
}
