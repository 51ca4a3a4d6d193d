//! "A loud channel for the last step": this phone's own ntfy topic, Pushover key or webhook (`shared::loud`). Web
//! Push cannot break through Do Not Disturb; when an alarm goes round the night shift and nobody answers, the
//! server sends it here too. Set up per phone, with a test button that says what the service answered.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;
use shared::loud::Loud;

use crate::api::{self, PushSub};
use crate::messages;

/// Which service the form is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Service {
    None,
    Ntfy,
    Pushover,
    Webhook,
}

impl Service {
    const ALL: [(Service, &'static str, &'static str); 4] = [
        (Service::None, "none", "None"),
        (Service::Ntfy, "ntfy", "ntfy"),
        (Service::Pushover, "pushover", "Pushover"),
        (Service::Webhook, "webhook", "A webhook of your own"),
    ];
}

/// The loud channel of the subscribed phone `sub`.
#[component]
pub fn LoudChannel(
    /// This phone's subscription.
    #[prop(into)]
    sub: Signal<Option<PushSub>>,
) -> impl IntoView {
    let service = RwSignal::new(Service::None);
    // ntfy: server, topic, token; Pushover: user, token; webhook: URL, secret.
    let first = RwSignal::new(String::new());
    let second = RwSignal::new(String::new());
    let third = RwSignal::new(String::new());
    let current = RwSignal::new(None::<String>);
    let note = RwSignal::new(None::<String>);
    let refresh = move || {
        if let Some(sub) = sub.get_untracked() {
            spawn_local(async move {
                let phone = api::push_status(&sub).await.ok().flatten();
                current.set(phone.and_then(|p| p.loud).map(|l| match l.last_status {
                    Some(status) => format!("{} · last answer: HTTP {status}", l.channel),
                    None => l.channel,
                }));
            });
        }
    };
    Effect::new(move |_| {
        if sub.get().is_some() {
            refresh();
        }
    });
    let optional = |text: String| (!text.trim().is_empty()).then(|| text.trim().to_owned());
    let channel = move || match service.get_untracked() {
        Service::None => None,
        Service::Ntfy => Some(Loud::Ntfy {
            server: first.get_untracked().trim().to_owned(),
            topic: second.get_untracked().trim().to_owned(),
            token: optional(third.get_untracked()),
        }),
        Service::Pushover => Some(Loud::Pushover {
            user: first.get_untracked().trim().to_owned(),
            token: second.get_untracked().trim().to_owned(),
        }),
        Service::Webhook => Some(Loud::Webhook {
            url: first.get_untracked().trim().to_owned(),
            secret: optional(third.get_untracked()),
        }),
    };
    let save = move |_| {
        let Some(sub) = sub.get_untracked() else { return };
        // The server checks it (and says why not): it also knows the test services a developer's worker allows.
        let loud = channel();
        note.set(Some("Saving…".into()));
        spawn_local(async move {
            note.set(Some(match api::set_loud(&sub, loud.as_ref()).await {
                Ok(_) if loud.is_some() => "Saved. Send a loud test to check it rings.".into(),
                Ok(_) => "No loud channel on this phone.".into(),
                Err(error) => format!("Not saved: {}", messages::explain(&error, None)),
            }));
            refresh();
        });
    };
    let test = move |_| {
        let Some(sub) = sub.get_untracked() else { return };
        note.set(Some("Sending a loud test…".into()));
        spawn_local(async move {
            let answer = api::push_call("loud/test", &sub).await;
            note.set(Some(match answer {
                Ok(a) if a.get("ok") == Some(&json!(true)) => "The loud test was taken: it should ring now.".into(),
                Ok(a) => format!(
                    "The service refused the loud test (HTTP {}): check the details.",
                    a.get("status").cloned().unwrap_or_default()
                ),
                Err(error) => messages::explain(&error, None),
            }));
            refresh();
        });
    };
    let choose = move |value: String| {
        if let Some(&(s, _, _)) = Service::ALL.iter().find(|(_, v, _)| *v == value) {
            service.set(s);
            for field in [first, second, third] {
                field.set(String::new());
            }
            if s == Service::Ntfy {
                first.set("https://ntfy.sh".into());
            }
        }
    };
    let field = move |label: &'static str, value: RwSignal<String>, testid: &'static str| {
        view! {
            <label>
                {label}
                <input
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    data-testid=testid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        }
    };
    view! {
        <fieldset class="loud" data-testid="loud">
            <legend>"A loud channel for the last step"</legend>
            <p class="hint">
                "Phones keep notifications quiet in Do Not Disturb. When an alarm goes round the night shift and \
                 nobody answers, it is also sent here, so it can ring through: ntfy at its highest priority \
                 (allow the ntfy app to override Do Not Disturb), Pushover's emergency priority (it repeats until \
                 acknowledged in Pushover), or a webhook of your own."
            </p>
            <p data-testid="loud-current">
                {move || current.get().map_or_else(|| "No loud channel on this phone.".to_owned(), |c| format!("Now: {c}"))}
            </p>
            <label>
                "Service"
                <select data-testid="loud-service" on:change=move |ev| choose(event_target_value(&ev))>
                    {Service::ALL
                        .map(|(s, value, label)| {
                            view! { <option value=value prop:selected=move || service.get() == s>{label}</option> }
                        })}
                </select>
            </label>
            {move || match service.get() {
                Service::None => ().into_any(),
                Service::Ntfy => view! {
                    {field("Server", first, "loud-first")}
                    {field("Topic", second, "loud-second")}
                    {field("Access token (for a protected topic)", third, "loud-third")}
                }
                .into_any(),
                Service::Pushover => view! {
                    {field("Your user key", first, "loud-first")}
                    {field("Application API token", second, "loud-second")}
                }
                .into_any(),
                Service::Webhook => view! {
                    {field("URL (https://…)", first, "loud-first")}
                    {field("Secret (sent as a bearer token)", third, "loud-third")}
                }
                .into_any(),
            }}
            <div class="push-actions">
                <button data-testid="loud-save" on:click=save>"Save the loud channel"</button>
                <Show when=move || current.get().is_some()>
                    <button data-testid="loud-test" class="secondary" on:click=test>"Send a loud test"</button>
                </Show>
            </div>
            <p class="hint" role="status" data-testid="loud-note">{move || note.get()}</p>
        </fieldset>
    }
}
