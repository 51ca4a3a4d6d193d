//! "Notes": what the family writes about the patient ("15 g juice", "sensor changed"), kept on the server with the
//! patient's alarms so every follower (the owner's phones and the links that share alarms) reads the same ones.
//! The last day's are listed here, newest first; the graph marks each one at its time (`graph.rs`). The owner signs
//! with a name this device remembers and may remove a note; a link signs with the name the owner gave it.

use leptos::prelude::*;
use shared::notes::{MAX_TEXT, Note, NoteKind};
use shared::time::{DAY, UtcTime};

use crate::api::{self, ApiError, NotesOf};
use crate::pages::signin::ErrorNote;
use crate::{AppState, platform};

/// How often the notes are read again while the page is open, in the page's refreshes (one a minute).
const READ_EVERY: u32 = 5;

/// The kinds a note can have, as the form names them.
const KINDS: [(NoteKind, &str, &str); 3] = [
    (NoteKind::Note, "note", "Note"),
    (NoteKind::Carbs, "carbs", "Carbs given"),
    (NoteKind::Sensor, "sensor", "Sensor changed"),
];

/// The notes on the patient `of` (nothing is shown without one, or where the server keeps none: the demo, a link
/// without alarms). `notes` holds what was read, for the graph's markers too.
#[component]
pub fn Notes(
    /// Whose notes.
    #[prop(into)]
    of: Signal<Option<NotesOf>>,
    /// The notes read, oldest first.
    notes: RwSignal<Vec<Note>>,
    /// Now.
    #[prop(into)]
    now: Signal<UtcTime>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let kept = RwSignal::new(true);
    let changed = RwSignal::new(0_u32);
    let error = RwSignal::new(None::<ApiError>);
    // Read when the patient changes, after each change here, and every few refreshes.
    let every = Memo::new(move |_| state.refresh.get() / READ_EVERY);
    let loaded = LocalResource::new(move || {
        changed.track();
        every.track();
        let of = of.get();
        async move {
            match of {
                Some(of) => Some(api::notes(&of).await),
                None => None,
            }
        }
    });
    Effect::new(move |_| match loaded.get() {
        Some(Some(Ok(list))) => {
            kept.set(true);
            notes.set(list);
        }
        Some(Some(Err(e)))
            if e.code().is_some_and(|c| {
                matches!(c, shared::code::Code::WrongSession | shared::code::Code::AlarmsNotShared)
            }) =>
        {
            kept.set(false);
            notes.set(Vec::new());
        }
        Some(None) => notes.set(Vec::new()),
        _ => {}
    });

    let kind = RwSignal::new(NoteKind::Note);
    let text = RwSignal::new(String::new());
    let grams = RwSignal::new(String::new());
    let signature = RwSignal::new(state.prefs.with_untracked(|p| p.signature.clone()));
    let is_link = Signal::derive(move || of.with(|o| matches!(o, Some(NotesOf::Link(_)))));
    let add =
        Action::new_local(move |(of, kind, text, carbs, by): &(NotesOf, NoteKind, String, Option<u16>, String)| {
            let (of, kind, text, carbs, by) = (of.clone(), *kind, text.clone(), *carbs, by.clone());
            async move { api::add_note(&of, kind, &text, carbs, &by).await }
        });
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            error.set(None);
            text.set(String::new());
            grams.set(String::new());
            changed.update(|c| *c += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let remove = Action::new_local(move |(of, id): &(NotesOf, String)| {
        let (of, id) = (of.clone(), id.clone());
        async move { api::remove_note(&of, &id).await }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => changed.update(|c| *c += 1),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(of) = of.get_untracked() else { return };
        let by = signature.get_untracked().trim().to_owned();
        if !is_link.get_untracked() {
            state.prefs.update(|p| p.signature.clone_from(&by));
        }
        let carbs = grams.get_untracked().trim().parse::<u16>().ok();
        add.dispatch((of, kind.get_untracked(), text.get_untracked(), carbs, by));
    };
    let recent = move || {
        let since = now.get() - DAY;
        let mut list: Vec<Note> = notes.with(|n| n.iter().filter(|n| n.at >= since.unix_secs()).cloned().collect());
        list.reverse();
        list
    };

    view! {
        <Show when=move || kept.get() && of.with(Option::is_some)>
            <section class="card notes" aria-labelledby="notes-title">
                <h2 id="notes-title">"Notes"</h2>
                <ul class="note-list" data-testid="notes">
                    {move || {
                        let owner = !is_link.get();
                        let list = recent();
                        if list.is_empty() {
                            return view! { <li class="hint">"No notes in the last day."</li> }.into_any();
                        }
                        list.into_iter()
                            .map(|n| {
                                let at = UtcTime::from_unix_secs(n.at).wall_clock(platform::utc_offset_min());
                                let id = n.id.clone();
                                view! {
                                    <li data-testid="note">
                                        <time>{at}</time>
                                        " "
                                        <span class="what">{n.summary()}</span>
                                        <span class="by">{format!(" — {}", n.by)}</span>
                                        {owner.then(|| view! {
                                            <button
                                                class="secondary small"
                                                aria-label=format!("Remove the note of {at}", at = UtcTime::from_unix_secs(n.at).wall_clock(platform::utc_offset_min()))
                                                on:click=move |_| {
                                                    if let Some(of) = of.get_untracked() {
                                                        remove.dispatch((of, id.clone()));
                                                    }
                                                }
                                            >
                                                "Remove"
                                            </button>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </ul>
                <form class="note-form" on:submit=submit>
                    <label>
                        "What"
                        <select on:change=move |ev| {
                            let value = event_target_value(&ev);
                            kind.set(KINDS.iter().find(|k| k.1 == value).map_or(NoteKind::Note, |k| k.0));
                        }>
                            {KINDS.iter().map(|(k, value, words)| {
                                let k = *k;
                                view! { <option value=*value selected=move || kind.get() == k>{*words}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <Show when=move || kind.get() == NoteKind::Carbs>
                        <label>
                            "Grams"
                            <input type="number" inputmode="numeric" min="1" max="300" required
                                prop:value=move || grams.get()
                                on:input=move |ev| grams.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                    <label class="wide">
                        "Note"
                        <input type="text" maxlength=MAX_TEXT.to_string() placeholder="15 g juice, woke up sweaty…"
                            prop:value=move || text.get()
                            on:input=move |ev| text.set(event_target_value(&ev)) />
                    </label>
                    <Show when=move || !is_link.get()>
                        <label>
                            "Your name"
                            <input type="text" maxlength="40" autocomplete="given-name"
                                prop:value=move || signature.get()
                                on:input=move |ev| signature.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                    <button type="submit" class="primary" disabled=move || add.pending().get()>"Add note"</button>
                </form>
                <ErrorNote error=Signal::derive(move || error.get()) />
            </section>
        </Show>
    }
}
