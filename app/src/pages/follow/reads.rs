//! What the follow page reads and what it does with each answer: the list of patients, the selected patient's
//! graph (or a share link's), the device's copy shown at once and offline, and a refused session sending the user
//! back to sign in. Each is a named resource or effect the page composes.

use std::time::Duration;

use leptos::prelude::*;
use shared::code::Code;
use shared::llu::{Connection, GraphData};
use shared::time::UtcTime;

use crate::api::{self, ApiError};
use crate::model::{PatientData, PatientRef};
use crate::store::{self, Snapshot};
use crate::{AppState, Screen, platform};

/// What the page shows for the selected patient.
#[derive(Clone, PartialEq, Debug)]
pub(super) struct Shown {
    /// The data.
    pub(super) data: PatientData,
    /// When the newest answer arrived.
    pub(super) fetched_at: UtcTime,
    /// The newest attempt failed: this is the device's copy.
    pub(super) offline: bool,
    /// The device's copy shown on opening, before the first attempt has ended: alarms wait for that attempt, so
    /// hours-old data on opening never rings a "no data" alarm the next answer would clear.
    pub(super) pending: bool,
}

/// What this device last saw for patient `id` (its stored answer and history), if anything.
fn last_seen(id: &str) -> Option<Shown> {
    let snapshot = store::snapshot(id)?;
    let data = PatientData::from_graph(&snapshot.graph, store::history(id), platform::now());
    Some(Shown { data, fetched_at: UtcTime::from_unix_secs(snapshot.fetched_at), offline: false, pending: true })
}

/// The patients this account follows, read again on every refresh; `None` for a share link's viewer, who has no
/// account and sees one patient.
pub(super) fn patient_list(state: AppState) -> LocalResource<Option<Result<Vec<Connection>, ApiError>>> {
    LocalResource::new(move || {
        state.refresh.track();
        let viewer = state.viewer.get().is_some();
        async move { if viewer { None } else { Some(api::connections().await) } }
    })
}

/// Who can be picked: the list's patients; offline, when the list cannot load, the patient on screen (who still
/// has a name).
pub(super) fn patients(
    connections: LocalResource<Option<Result<Vec<Connection>, ApiError>>>,
    shown: RwSignal<Option<Shown>>,
) -> Memo<Vec<PatientRef>> {
    Memo::new(move |_| match connections.get() {
        Some(Some(Ok(list))) => list.iter().map(PatientRef::of).collect::<Vec<_>>(),
        _ => shown.with(|s| s.as_ref().map(|s| vec![s.data.patient.clone()]).unwrap_or_default()),
    })
}

/// The selected patient: the remembered one while the list loads, then the remembered one if still followed, else
/// the first.
pub(super) fn selection(state: AppState, patients: Memo<Vec<PatientRef>>) -> Memo<Option<String>> {
    Memo::new(move |_| {
        let remembered = state.prefs.with(|p| p.patient_id.clone());
        let list = patients.get();
        if list.is_empty() {
            return remembered;
        }
        match remembered {
            Some(id) if list.iter().any(|p| p.id == id) => Some(id),
            _ => list.first().map(|p| p.id.clone()),
        }
    })
}

/// Shows the last data this device saw for the remembered patient at once (its age and freshness say how old it
/// is) while the first answer is on its way; replaced by that answer, or marked offline if it fails. Read and drawn
/// in the task after the page's first one, so that starting the page and reading and drawing the stored copy are
/// not one long hold of a slow phone's main thread; an answer that came first is not replaced.
pub(super) fn show_last_seen(state: AppState, shown: RwSignal<Option<Shown>>) {
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
}

/// The patient whose graph was read, and the answer.
pub(super) type GraphAnswer = Option<(String, Result<GraphData, ApiError>)>;

/// The selected patient's graph, read again on every refresh; a share link's graph (and its label, into `share`)
/// for a viewer. A patient read for the first time, or the first read after the page woke, is asked for as opened
/// (`api::graph`).
pub(super) fn graph_reads(
    state: AppState,
    selected: Memo<Option<String>>,
    share: RwSignal<Option<api::ShareMeta>>,
) -> LocalResource<GraphAnswer> {
    // The patient whose graph this page last asked for.
    let read_for = StoredValue::new(None::<String>);
    LocalResource::new(move || {
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
    })
}

/// Takes each graph answer: merges it into the device's history and keeps a copy for offline use (storage is the
/// outside world), shows it, and remembers its patient; on failure keeps what is shown, marked offline, sends a
/// refused session to sign in, and ends a revoked or expired link's view.
pub(super) fn take_graph_answers(
    state: AppState,
    graph: LocalResource<GraphAnswer>,
    selected: Memo<Option<String>>,
    shown: RwSignal<Option<Shown>>,
    error: RwSignal<Option<ApiError>>,
) {
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
}

/// Sends the user to sign in when the server refused the session reading the list.
pub(super) fn sign_in_when_refused(
    state: AppState,
    connections: LocalResource<Option<Result<Vec<Connection>, ApiError>>>,
) {
    Effect::new(move |_| {
        if let Some(Some(Err(e))) = connections.get()
            && e.needs_sign_in()
        {
            state.screen.set(Screen::SignIn);
        }
    });
}
