//! Following a patient: the glance, the graph, the sensor and the statistics, refreshed every minute while
//! visible; the alarms evaluated on every refresh and every clock tick; the last data kept on the device and shown,
//! marked offline, when the server cannot be reached.
//!
//! Here the page, composed of named pieces: `reads.rs` what it reads and does with each answer, `alarms.rs` its
//! in-page alarm engine, `pacing.rs` how its drawing is spread over tasks; the window and the sign-out below.

use leptos::prelude::*;
use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmKind, AlarmState, Level, Volume};
use shared::reading::Series;
use shared::time::MINUTE;
use shared::units::MgDl;

use crate::api::{self, ApiError};
use crate::components::{
    alarms::AlarmBanner, bedside::Bedside, glance::Glance, graph::Graph, notes::Notes, outage::OutageBanner,
    picker::Picker, sensor::SensorCard, settings::Settings, share::ShareSheet, stats::Stats,
};
use crate::model;
use crate::pages::signin::ErrorNote;
use crate::store;
use crate::{AppState, Screen, platform};

mod alarms;
mod pacing;
mod reads;

use self::alarms::Alarms;
use self::pacing::{Later, next_task};
use self::reads::Shown;

/// The follow page.
#[component]
pub fn Follow() -> impl IntoView {
    let state = expect_context::<AppState>();
    let connections = reads::patient_list(state);
    let share = RwSignal::new(None::<api::ShareMeta>);
    let shown = RwSignal::new(None::<Shown>);
    reads::show_last_seen(state, shown);
    let patients = reads::patients(connections, shown);
    let selected = reads::selection(state, patients);
    let graph = reads::graph_reads(state, selected, share);
    let error = RwSignal::new(None::<ApiError>);
    reads::take_graph_answers(state, graph, selected, shown, error);
    reads::sign_in_when_refused(state, connections);
    let current = Memo::new(move |_| {
        let id = selected.get();
        shown.get().filter(|s| Some(&s.data.patient.id) == id.as_ref())
    });
    let series = Memo::new(move |_| current.with(|c| c.as_ref().map(|c| c.data.series.clone()).unwrap_or_default()));
    let unit = Signal::derive(move || state.prefs.with(|p| p.unit));
    let now = Signal::derive(move || state.now.get());
    // A memo: the glance, the bedside view and the screen reader's text read it many times per change.
    let glance = Memo::new(move |_| series.with(|s| model::glance(s, state.now.get(), unit.get())));
    // A slow phone's main thread is never held long: the glance is drawn first, then the graph, then the rest, each
    // in a task of its own (when the data first arrive, and for every new answer), so a tap waits at most one.
    let graph_series = next_task(series.into());
    let stats_series = next_task(graph_series.into());
    let offline = Signal::derive(move || current.with(|c| c.as_ref().is_some_and(|c| c.offline)));
    let hours = remembered_window(state);

    // A viewer sees alarms only when the owner allowed it.
    let alarms_on =
        Signal::derive(move || state.viewer.get().is_none() || share.with(|s| s.as_ref().is_some_and(|s| s.alarms)));
    let alarms = Alarms::new(state, selected, current, series, alarms_on);
    let show_settings = RwSignal::new(false);
    let show_share = RwSignal::new(false);
    let bedside = RwSignal::new(false);
    let sign_out = sign_out_action(state);
    // A viewer leaves the shared view: this device forgets the link and what it showed.
    let leave = move || {
        state.stop_viewing();
        state.screen.set(Screen::SignIn);
    };
    let shown_patient = Signal::derive(move || current.with(|c| c.as_ref().map(|c| c.data.patient.clone())));
    let pick = Callback::new(move |id: String| state.prefs.update(|p| p.patient_id = Some(id)));
    // The family's notes: listed below, marked on the graph. A link reads its patient's; the owner the one shown.
    let notes = RwSignal::new(Vec::<api::Note>::new());
    let notes_of = Signal::derive(move || match state.viewer.get() {
        Some(secret) => Some(api::NotesOf::Link(secret)),
        None => selected.get().map(api::NotesOf::Patient),
    });

    view! {
        <main class="follow">
            <h1 class="sr-only">"Tidewatch"</h1>
            <header class="topbar">
                <Picker patients=patients selected=selected on_pick=pick />
                <div class="actions">
                    <Show when=move || state.viewer.with(Option::is_none)>
                        <button class="icon" aria-label="Share with family" title="Share with family" on:click=move |_| show_share.set(true)>
                            "⇪"
                        </button>
                    </Show>
                    <button class="icon" aria-label="Bedside mode" title="Bedside mode" on:click=move |_| bedside.set(true)>
                        "☾"
                    </button>
                    <button class="icon" aria-label="Settings" title="Settings" on:click=move |_| show_settings.set(true)>
                        "⚙"
                    </button>
                </div>
            </header>
            // A viewer always sees that this is someone else's data, read-only: with the names once the server has
            // said them, and without them before that or offline (they are not kept on the device).
            {move || state.viewer.with(Option::is_some).then(|| {
                let text = share.with(|meta| {
                    shared::glance::shared_by(meta.as_ref().map(|m| (m.label.as_str(), m.from.as_str())))
                });
                view! { <p class="note shared-by">{text}</p> }
            })}
            <OutageBanner error=Signal::derive(move || error.get()) />
            <ErrorNote error=Signal::derive(move || error.get()) />
            {move || {
                matches!(connections.get(), Some(Some(Ok(ref list))) if list.is_empty())
                    .then(|| {
                        view! {
                            <p class="card hint">
                                "This LibreLinkUp account does not follow anyone yet. Accept the invitation in the \
                                 LibreLinkUp app first."
                            </p>
                        }
                    })
            }}
            <Show
                when=move || current.with(Option::is_some)
                fallback=move || view! { <p class="loading" aria-busy="true">"Loading…"</p> }
            >
                <Glance glance=glance offline=offline />
                <Show when=move || alarms_on.get()>
                    <AlarmBanner
                        active=alarms.active
                        now=now
                        on_ack=Callback::new(move |kind| alarms.acknowledge(kind))
                        on_snooze=Callback::new(move |(kind, minutes)| alarms.snooze(kind, minutes))
                    />
                </Show>
                <Later tasks=1>
                    <Graph
                        series=graph_series
                        targets=Signal::derive(move || {
                            current.with(|c| c.as_ref().map(|c| c.data.targets()))
                                .unwrap_or((MgDl::new(70), MgDl::new(180)))
                        })
                        lines=Signal::derive(move || {
                            alarms.config.with(|c| {
                                let (p, _) = c.profile_at(state.now.get());
                                (p.low, p.high)
                            })
                        })
                        now=now
                        hours=hours
                        unit=unit
                        notes=notes
                    />
                </Later>
                <Later tasks=2>
                    <SensorCard
                        status=Signal::derive(move || {
                            current.with(|c| c.as_ref().and_then(|c| c.data.sensor_status(state.now.get())))
                        })
                        now=now
                    />
                    <Stats series=stats_series now=now hours=hours unit=unit />
                    {move || {
                        current
                            .with(|c| c.as_ref().map(|c| c.data.rejected).filter(|&n| n > 0))
                            .map(|n| {
                                view! {
                                    <p class="hint">{format!("{n} readings from LibreLinkUp could not be read and are not shown.")}</p>
                                }
                            })
                    }}
                    // Below what is drawn last, so nothing on screen moves when that arrives.
                    <p class="note footer-note">
                        "In-app alarms sound while Tidewatch is open. For alarms with the app closed or the phone \
                         asleep, turn on “Alarms on this phone” in Settings."
                    </p>
                    <Notes of=notes_of notes=notes now=now />
                </Later>
            </Show>
            <Show when=move || show_settings.get()>
                <Settings
                    config=alarms.config
                    patient=shown_patient
                    on_reset=Callback::new(move |_| alarms.reset())
                    viewer=Signal::derive(move || state.viewer.with(Option::is_some))
                    on_sign_out=Callback::new(move |everywhere: bool| {
                        if state.viewer.with_untracked(Option::is_some) {
                            leave();
                        } else {
                            sign_out.action.dispatch(everywhere);
                        }
                    })
                    sign_out_error=sign_out.error
                    on_close=Callback::new(move |_| show_settings.set(false))
                />
            </Show>
            <Show when=move || show_share.get()>
                <ShareSheet patient=shown_patient on_close=Callback::new(move |_| show_share.set(false)) />
            </Show>
            <Show when=move || bedside.get()>
                <Bedside glance=glance on_exit=Callback::new(move |_| bedside.set(false)) />
            </Show>
        </main>
    }
}

/// The graph's window in hours, as last chosen on this device (kept in its preferences).
fn remembered_window(state: AppState) -> RwSignal<i64> {
    let hours = RwSignal::new(state.prefs.with_untracked(|p| p.window_hours));
    Effect::new(move |_| {
        let h = hours.get();
        state.prefs.update(|p| {
            if p.window_hours != h {
                p.window_hours = h;
            }
        });
    });
    hours
}

/// Signing out (of this device, or everywhere), and what Settings says when the server could not record it.
#[derive(Clone, Copy)]
struct SignOut {
    /// Dispatched with "everywhere".
    action: Action<bool, Result<(), ApiError>>,
    /// Why the server could not record it.
    error: Signal<Option<String>>,
}

/// The page's sign-out. Signed out (or already signed out elsewhere): the device forgets its patients and goes back to sign-in; a
/// sign-out the server could not record leaves the session as it was.
fn sign_out_action(state: AppState) -> SignOut {
    let sign_out = Action::new_local(|everywhere: &bool| api::logout(*everywhere));
    let error = Signal::derive(move || {
        sign_out
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !e.needs_sign_in())
            .map(|e| crate::messages::explain(&e, None))
    });
    Effect::new(move |_| {
        if sign_out.value().get().is_some_and(|answer| answer.as_ref().map_or_else(ApiError::needs_sign_in, |()| true))
        {
            store::forget_patients();
            state.screen.set(Screen::SignIn);
        }
    });
    SignOut { action: sign_out, error }
}
