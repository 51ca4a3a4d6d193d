//! The in-page alarm engine of the follow page: `shared::alarm::step` on every new answer and clock tick, its
//! state kept on the device, and what each alarm that fires does (sound, vibration, a system notification).

use super::*;

/// The in-page alarm engine for the selected patient: `shared::alarm::step` on every new answer and clock tick,
/// its state kept on the device, and sound, vibration and a system notification for each alarm that fires.
#[derive(Clone, Copy)]
pub(super) struct Alarms {
    pub(super) patient: Memo<Option<String>>,
    pub(super) config: RwSignal<AlarmConfig>,
    state: RwSignal<AlarmState>,
    pub(super) active: Signal<Vec<alarm::ActiveAlarm>>,
    defaults: Memo<Option<AlarmConfig>>,
    customised: RwSignal<bool>,
}

impl Alarms {
    pub(super) fn new(
        app: AppState,
        patient: Memo<Option<String>>,
        current: Memo<Option<Shown>>,
        series: Memo<Series>,
        enabled: Signal<bool>,
    ) -> Alarms {
        let config = RwSignal::new(AlarmConfig::default());
        let state = RwSignal::new(AlarmState::new());
        let customised = RwSignal::new(false);
        let defaults = Memo::new(move |_| current.with(|c| c.as_ref().map(|c| c.data.connection.alarm_defaults())));
        // Load the stored settings and state when the patient changes.
        Effect::new(move |_| {
            let Some(id) = patient.get() else { return };
            let stored = store::alarms(&id);
            customised.set(stored.config.is_some());
            config.set(stored.config.unwrap_or_else(|| defaults.get_untracked().unwrap_or_default()));
            state.set(stored.state);
        });
        // Until the person changes something, follow LibreLinkUp's settings as they arrive.
        Effect::new(move |_| {
            if let Some(d) = defaults.get()
                && !customised.get_untracked()
            {
                config.set(d);
            }
        });
        let active = Signal::derive(move || state.with(AlarmState::active));
        let alarms = Alarms { patient, config, state, active, defaults, customised };
        // One step per clock tick and per new answer.
        Effect::new(move |_| {
            let now = app.now.get();
            let Some(id) = patient.get() else { return };
            if !enabled.get() || current.with(|c| c.as_ref().is_none_or(|c| c.pending)) {
                return;
            }
            let mut cfg = config.get();
            cfg.utc_offset_min = i16::try_from(platform::utc_offset_min()).unwrap_or(0);
            cfg.sensor_ends_at =
                current.with(|c| c.as_ref().and_then(|c| c.data.sensor_status(now)).map(|s| s.ends_at));
            let previous = state.get_untracked();
            let (events, next) = series.with(|s| alarm::step(now, s.as_slice(), &cfg, &previous));
            if next != previous {
                state.set(next);
                alarms.save(&id);
            }
            let prefs = app.prefs.get_untracked();
            for event in events {
                if let AlarmEvent::Fired(alert) = event {
                    let urgent = alert.level == Level::Urgent;
                    // The profile's volume: quiet vibrates without the sound, silent does neither.
                    if prefs.sound && alert.level > Level::Info && alert.volume >= Volume::Normal {
                        platform::beep(urgent, if urgent { 4 } else { 2 });
                    }
                    if prefs.vibrate && alert.level > Level::Info && alert.volume >= Volume::Quiet {
                        platform::vibrate(if urgent { &[400, 200, 400, 200, 400] } else { &[300, 150, 300] });
                    }
                    let (title, body) = current.with(|c| {
                        let who = c.as_ref().map_or("", |c| c.data.patient.name.as_str());
                        series.with(|s| alert.notification(who, s.newest(), prefs.unit, now))
                    });
                    let note = platform::AlarmNote {
                        title,
                        body,
                        kind: format!("{:?}", alert.kind),
                        urgent,
                        silent: !urgent && alert.volume <= Volume::Quiet,
                        snooze_min: cfg.snooze_min(alert.kind),
                        patient: id.clone(),
                        sub: store::push(&id).map(|sub| (sub.id, sub.key)),
                    };
                    leptos::task::spawn_local(platform::notify(note));
                }
            }
        });
        // Urgent alarms keep ringing every 5 s until someone acknowledges or snoozes them.
        let ringing = Memo::new(move |_| {
            let now = app.now.get();
            state.with(|s| {
                s.active().iter().any(|a| {
                    a.level == Some(Level::Urgent) && !a.acknowledged && a.snoozed_until.is_none_or(|u| u <= now)
                })
            })
        });
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if ringing.get_untracked() && app.prefs.with_untracked(|p| p.sound) {
                    platform::beep(true, 3);
                }
            },
            std::time::Duration::from_secs(5),
        ) {
            on_cleanup(move || handle.clear());
        }
        platform::on_alarm_action(move |action| alarms.on_notification_action(action));
        on_cleanup(platform::clear_alarm_action);
        // The person changed a setting: keep it for this patient.
        Effect::new(move |prev: Option<AlarmConfig>| {
            let now = config.get();
            if prev.as_ref().is_some_and(|p| *p != now) && Some(&now) != defaults.get_untracked().as_ref() {
                customised.set(true);
                alarms.save_current();
            }
            now
        });
        alarms
    }

    /// Stores the selected patient's alarm settings and state.
    fn save_current(&self) {
        if let Some(id) = self.patient.get_untracked() {
            self.save(&id);
        }
    }

    fn save(&self, id: &str) {
        let config = self.customised.get_untracked().then(|| self.config.get_untracked());
        store::save_alarms(id, &store::Alarms { config, state: self.state.get_untracked() });
    }

    /// "I'm on it" tapped in the app.
    pub(super) fn acknowledge(&self, kind: AlarmKind) {
        self.apply(kind, None);
        self.tell_server(kind, None);
    }

    /// "Snooze" tapped in the app.
    pub(super) fn snooze(&self, kind: AlarmKind, minutes: i64) {
        self.apply(kind, Some(minutes));
        self.tell_server(kind, Some(minutes));
    }

    /// Acknowledges (`None`) or snoozes an alarm on this device.
    fn apply(&self, kind: AlarmKind, snooze_min: Option<i64>) {
        let now = platform::now();
        self.state.update(|s| match snooze_min {
            None => {
                s.acknowledge(kind, now);
            }
            Some(minutes) => {
                s.snooze(kind, now, now + minutes * MINUTE);
            }
        });
        self.save_current();
    }

    /// With background alarms on for this patient, the server hears it too, so its pushes stop repeating (on
    /// this phone, or on every phone with shared acknowledgement) instead of waking the person who already
    /// answered. If the call fails the server keeps repeating: the safe way to fail.
    fn tell_server(&self, kind: AlarmKind, snooze_min: Option<i64>) {
        let Some(sub) = self.patient.get_untracked().and_then(|id| store::push(&id)) else { return };
        leptos::task::spawn_local(async move {
            let _ = api::push_act(&sub, kind, snooze_min).await;
        });
    }

    /// A button tapped on an alarm's notification about this patient: the app's own (by patient) or a pushed one
    /// (by this phone's subscription). The service worker has told the server already; the open page stops
    /// ringing too.
    fn on_notification_action(&self, action: platform::AlarmAction) {
        let Some(id) = self.patient.get_untracked() else { return };
        let ours = if action.patient.is_empty() {
            store::push(&id).is_some_and(|sub| sub.id == action.sub)
        } else {
            action.patient == id
        };
        if !ours {
            return;
        }
        if let Some(&kind) = AlarmKind::ALL.iter().find(|k| format!("{k:?}") == action.kind) {
            self.apply(kind, action.snooze_min);
        }
    }

    pub(super) fn reset(&self) {
        self.customised.set(false);
        self.config.set(self.defaults.get_untracked().unwrap_or_default());
        self.save_current();
    }
}
