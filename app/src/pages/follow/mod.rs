//! Following a patient: the glance, the graph, the sensor and the statistics, refreshed every minute while
//! visible; the alarms evaluated on every refresh and every clock tick; the last data kept on the device and shown,
//! marked offline, when the server cannot be reached.

use std::time::Duration;

use leptos::prelude::*;
use shared::alarm::{self, AlarmConfig, AlarmEvent, AlarmKind, AlarmState, Level};
use shared::code::Code;
use shared::reading::Series;
use shared::time::{MINUTE, UtcTime};
use shared::units::MgDl;

use crate::api::{self, ApiError};
use crate::components::{
    alarms::AlarmBanner, bedside::Bedside, glance::Glance, graph::Graph, outage::OutageBanner, picker::Picker,
    sensor::SensorCard, settings::Settings, share::ShareSheet, stats::Stats,
};
use crate::model::{self, PatientData, PatientRef};
use crate::pages::signin::ErrorNote;
use crate::store::{self, Snapshot};
use crate::{AppState, Screen, platform};

mod alarms;

use self::alarms::Alarms;

/// What the page shows for the selected patient.
#[derive(Clone, PartialEq, Debug)]
struct Shown {
    /// The data.
    data: PatientData,
    /// When the newest answer arrived.
    fetched_at: UtcTime,
    /// The newest attempt failed: this is the device's copy.
    offline: bool,
    /// The device's copy shown on opening, before the first attempt has ended: alarms wait for that attempt, so
    /// hours-old data on opening never rings a "no data" alarm the next answer would clear.
    pending: bool,
}

/// What this device last saw for patient `id` (its stored answer and history), if anything.
fn last_seen(id: &str) -> Option<Shown> {
    let snapshot = store::snapshot(id)?;
    let data = PatientData::from_graph(&snapshot.graph, store::history(id), platform::now());
    Some(Shown { data, fetched_at: UtcTime::from_unix_secs(snapshot.fetched_at), offline: false, pending: true })
}

/// The follow page.
#[component]
pub fn Follow() -> impl IntoView {
    let state = expect_context::<AppState>();
    // A share link's viewer has no account: no list, one patient.
    let connections = LocalResource::new(move || {
        state.refresh.track();
        let viewer = state.viewer.get().is_some();
        async move { if viewer { None } else { Some(api::connections().await) } }
    });
    let share = RwSignal::new(None::<api::ShareMeta>);
    // The last data this device saw for the remembered patient, shown at once (its age and freshness say how old
    // it is) while the first answer is on its way; replaced by that answer, or marked offline if it fails.
    // Read and drawn in the task after this page's first one, so that starting the page and reading and drawing the
    // stored copy are not one long hold of a slow phone's main thread; an answer that came first is not replaced.
    let shown = RwSignal::new(None::<Shown>);
    if let Some(id) = state.prefs.with_untracked(|p| p.patient_id.clone()) {
        set_timeout(
            move || {
                let Some(last) = last_seen(&id) else { return };
                shown.try_update(|s| {
                    if s.is_none() {
                        *s = Some(last);
                    }
                });
            },
            Duration::ZERO,
        );
    }
    // Offline, the list cannot load: the patient on screen still has a name.
    let patients = Memo::new(move |_| match connections.get() {
        Some(Some(Ok(list))) => list.iter().map(PatientRef::of).collect::<Vec<_>>(),
        _ => shown.with(|s| s.as_ref().map(|s| vec![s.data.patient.clone()]).unwrap_or_default()),
    });
    // The remembered patient while the list loads, then the remembered one if still followed, else the first.
    let selected = Memo::new(move |_| {
        let remembered = state.prefs.with(|p| p.patient_id.clone());
        let list = patients.get();
        if list.is_empty() {
            return remembered;
        }
        match remembered {
            Some(id) if list.iter().any(|p| p.id == id) => Some(id),
            _ => list.first().map(|p| p.id.clone()),
        }
    });
    // The patient whose graph this page last asked for: a new one is asked for as opened (`api::graph`), as is the
    // first read after the page woke.
    let read_for = StoredValue::new(None::<String>);
    let graph = LocalResource::new(move || {
        state.refresh.track();
        let viewer = state.viewer.get();
        // A share link shows one patient whatever is selected: the selection settling on that patient (once the
        // first answer names them) asks for nothing again.
        let id = if viewer.is_some() { selected.get_untracked() } else { selected.get() };
        async move {
            // Asked for (or, for a share link, taken from boot.js and decoded) in a task after the page is drawn.
            platform::next_task().await;
            let answer = match (viewer, id) {
                (Some(secret), id) => {
                    let answer = api::share_graph(&secret).await;
                    let id = match &answer {
                        Ok((graph, _)) => graph.connection.patient_id.clone(),
                        Err(_) => id.unwrap_or_default(),
                    };
                    Some((
                        id,
                        answer.map(|(graph, meta)| {
                            share.set(Some(meta));
                            graph
                        }),
                    ))
                }
                (None, Some(id)) => {
                    let woke = state.woke.get_value();
                    state.woke.set_value(false);
                    let opened = woke || read_for.with_value(|last| last.as_deref() != Some(id.as_str()));
                    read_for.set_value(Some(id.clone()));
                    Some((id.clone(), api::graph(&id, opened).await))
                }
                (None, None) => None,
            };
            // The answer was decoded in this task; it is merged, stored and drawn in the next ones.
            platform::next_task().await;
            answer
        }
    });
    let error = RwSignal::new(None::<ApiError>);
    // Storage is the outside world: merge each answer into the device's history and keep a copy for offline use.
    Effect::new(move |_| {
        let Some(Some((id, answer))) = graph.get() else { return };
        let now = platform::now();
        match answer {
            Ok(graph) => {
                let data = PatientData::from_graph(&graph, store::history(&id), now);
                // Stored in a task of its own, after the new value is drawn.
                let (key, series) = (id.clone(), data.series.clone());
                set_timeout(
                    move || {
                        store::save_history(&key, &series);
                        store::save_snapshot(&key, &Snapshot { graph, fetched_at: now.unix_secs() });
                    },
                    Duration::ZERO,
                );
                // The patient on screen is the one shown at once (and offline) next time, even when nobody picked
                // them from a list: an account that follows one person, or a share link. A late answer for a
                // patient the user has since moved away from does not undo that choice.
                let on_screen = selected.with_untracked(|s| s.as_deref().is_none_or(|s| s == id));
                if on_screen && state.prefs.with_untracked(|p| p.patient_id.as_deref() != Some(id.as_str())) {
                    state.prefs.update(|p| p.patient_id = Some(id.clone()));
                }
                error.set(None);
                shown.set(Some(Shown { data, fetched_at: now, offline: false, pending: false }));
            }
            Err(e) if e.needs_sign_in() => state.screen.set(Screen::SignIn),
            // A revoked or expired link shows nothing it had: no data, only what happened.
            Err(e) if e.code() == Some(Code::ShareGone) => {
                state.stop_viewing();
                shown.set(None);
                state.screen.set(Screen::ShareEnded(crate::messages::explain(&e, None)));
            }
            Err(e) => {
                let keep = shown.with_untracked(|s| s.as_ref().is_some_and(|s| s.data.patient.id == id));
                if keep {
                    shown.update(|s| {
                        if let Some(s) = s {
                            s.offline = true;
                            s.pending = false;
                        }
                    });
                } else if let Some(last) = last_seen(&id) {
                    shown.set(Some(Shown { offline: true, pending: false, ..last }));
                }
                error.set(Some(e));
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(Err(e))) = connections.get()
            && e.needs_sign_in()
        {
            state.screen.set(Screen::SignIn);
        }
    });
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
    let hours = RwSignal::new(state.prefs.with_untracked(|p| p.window_hours));
    Effect::new(move |_| {
        let h = hours.get();
        state.prefs.update(|p| {
            if p.window_hours != h {
                p.window_hours = h;
            }
        });
    });

    // A viewer sees alarms only when the owner allowed it.
    let alarms_on =
        Signal::derive(move || state.viewer.get().is_none() || share.with(|s| s.as_ref().is_some_and(|s| s.alarms)));
    let alarms = Alarms::new(state, selected, current, series, alarms_on);
    let show_settings = RwSignal::new(false);
    let show_share = RwSignal::new(false);
    let bedside = RwSignal::new(false);
    let sign_out = Action::new_local(|everywhere: &bool| api::logout(*everywhere));
    // Signed out (or already signed out elsewhere): back to sign-in. A sign-out the server could not record
    // leaves the session as it was, and Settings says so.
    let sign_out_error = Signal::derive(move || {
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
    // A viewer leaves the shared view: this device forgets the link and what it showed.
    let leave = move || {
        state.stop_viewing();
        state.screen.set(Screen::SignIn);
    };
    let shown_patient = Signal::derive(move || current.with(|c| c.as_ref().map(|c| c.data.patient.clone())));
    let pick = Callback::new(move |id: String| state.prefs.update(|p| p.patient_id = Some(id)));

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
                            sign_out.dispatch(everywhere);
                        }
                    })
                    sign_out_error=sign_out_error
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

/// Its children, drawn `tasks` zero-delay timers after it is: what comes before them on screen is drawn, and can be
/// painted, without waiting for them.
#[component]
fn Later(tasks: u8, children: ChildrenFn) -> impl IntoView {
    fn wait(tasks: u8, ready: RwSignal<bool>) {
        if tasks == 0 {
            // The page may be gone by then: `try_set` does nothing once it is.
            ready.try_set(true);
        } else {
            set_timeout(move || wait(tasks - 1, ready), Duration::ZERO);
        }
    }
    let ready = RwSignal::new(false);
    wait(tasks, ready);
    view! { <Show when=move || ready.get()>{children()}</Show> }
}

/// `source`'s value, one task later: what reads it is redrawn in a task of its own, after what reads `source`.
fn next_task<T>(source: Signal<T>) -> ReadSignal<T>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let (later, set_later) = signal(source.get_untracked());
    Effect::new(move |_| {
        source.track();
        set_timeout(
            // The page may be gone by then: the `try_` forms do nothing once it is.
            move || {
                let Some(value) = source.try_get_untracked() else { return };
                set_later.try_maybe_update(|v| {
                    let changed = *v != value;
                    if changed {
                        *v = value;
                    }
                    (changed, ())
                });
            },
            Duration::ZERO,
        );
    });
    later
}
