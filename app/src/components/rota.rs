//! "Night shift", for the signed-in follower: who an urgent low (and the alarms the family adds) wakes first, who
//! next, and after how long everyone; each person's nights on duty; who is on duty now, who is on it, and the
//! night log. And, on a phone in the rota, "I take over tonight". The server runs the ladder (`shared::rota`); this
//! only sets it and shows it.

use leptos::prelude::*;
use shared::alarm::AlarmKind;
use shared::rota::{Person, Rota, RotaView, Shift, Step, What};
use shared::time::{HOUR, UtcTime, next_wall_clock};

use super::alarm_test::AlarmTestSetting;
use crate::api::{self, ApiError, PhoneInfo, PushSub};
use crate::pages::signin::ErrorNote;
use crate::{messages, model, platform};

/// The waits an owner can choose, minutes.
const WAITS: [u16; 8] = [1, 2, 3, 5, 10, 15, 20, 30];
/// The alarms that may go round the rota besides urgent low (always), with their names here.
const KINDS: [(AlarmKind, &str); 3] =
    [(AlarmKind::Low, "Lows"), (AlarmKind::UrgentHigh, "Urgent highs"), (AlarmKind::StaleData, "No data")];
/// Nights on duty, as the form offers them: (value, words, days bits Monday = bit 0).
const NIGHTS: [(&str, &str, u8); 4] = [
    ("", "No regular nights", 0),
    ("every", "Every night", 0x7f),
    ("school", "School nights (Sun–Thu)", 0x4f),
    ("weekend", "Weekend nights (Fri, Sat)", 0x30),
];

/// One phone in the form.
#[derive(Clone, Copy)]
struct Entry {
    phone: StoredValue<String>,
    label: StoredValue<String>,
    name: RwSignal<String>,
    included: RwSignal<bool>,
    nights: RwSignal<String>,
}

/// The night shift of `patient_id`. `this_phone` is this phone's own subscription, if alarms are on here.
#[component]
pub fn NightShift(
    /// The patient.
    #[prop(into)]
    patient_id: Signal<Option<String>>,
    /// This phone's subscription.
    #[prop(into)]
    this_phone: Signal<Option<PushSub>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reload = RwSignal::new(0_u32);
    let note = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let fields = Fields::new();
    let view_now = RwSignal::new(None::<RotaView>);
    let loaded = LocalResource::new(move || {
        reload.track();
        let wanted = open.get();
        async move {
            if !wanted {
                return None;
            }
            let rotas = api::rotas().await;
            let phones = api::phones().await;
            Some(rotas.and_then(|rotas| phones.map(|phones| (rotas, phones.phones))))
        }
    });
    Effect::new(move |_| {
        let (rotas, phones) = match loaded.get().flatten() {
            Some(Ok(both)) => both,
            Some(Err(e)) => return error.set(Some(e)),
            None => return,
        };
        let Some(patient) = patient_id.get_untracked() else { return };
        let mine = rotas.into_iter().find(|v| v.patient_id == patient);
        let this = this_phone.get_untracked().map(|s| s.id);
        fields.fill(&mine, &phones, &patient, this.as_deref());
        view_now.set(mine);
    });
    let save = Action::new_local(move |(): &()| {
        let rota = fields.rota();
        let patient = patient_id.get_untracked().unwrap_or_default();
        async move { api::set_rota(&patient, rota.as_ref()).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(())) => {
            note.set(Some("Saved: alarms now go round the rota.".into()));
            error.set(None);
            reload.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let take_over = move |_| {
        let Some(sub) = this_phone.get_untracked() else { return };
        let hours = hours_until_morning(js_sys::Date::now() as i64 / 1000, platform::utc_offset_min());
        leptos::task::spawn_local(async move {
            match api::take_over(&sub, hours).await {
                Ok(()) => {
                    note.set(Some("You are on duty until 08:00: alarms come to this phone first.".into()));
                    reload.update(|n| *n += 1);
                }
                Err(e) => note.set(Some(messages::explain(&e, None))),
            }
        });
    };
    let in_rota = move || {
        let this = this_phone.get().map(|s| s.id);
        view_now.with(|v| {
            v.as_ref().and_then(|v| v.rota.as_ref()).is_some_and(|r| this.is_some_and(|id| r.person(&id).is_some()))
        })
    };
    view! {
        <div class="night-shift" data-testid="night-shift">
            <Show
                when=move || open.get()
                fallback=move || {
                    view! {
                        <button class="secondary" on:click=move |_| open.set(true)>
                            "Night shift: who is woken first"
                        </button>
                    }
                }
            >
                <h3>"Night shift"</h3>
                <p class="hint">
                    "An urgent low wakes the person on duty first. If nobody taps “I'm on it”, it wakes the next \
                     person too, and after the same wait again every phone. Whoever answers is shown to the others."
                </p>
                <Status view=Signal::derive(move || view_now.get()) />
                <Show when=in_rota>
                    <button on:click=take_over>"I take over tonight"</button>
                </Show>
                <p class="hint" role="status" data-testid="rota-note">
                    {move || note.get()}
                </p>
                <ErrorNote error=Signal::derive(move || error.get()) />
                <Form fields />
                <button disabled=move || save.pending().get() on:click=move |_| {
                    save.dispatch(());
                }>"Save the rota"</button>
                <AlarmTestSetting
                    patient_id=patient_id
                    current=Signal::derive(move || view_now.with(|v| v.as_ref().and_then(|v| v.alarm_test)))
                />
            </Show>
        </div>
    }
}

/// What the form holds: the phones (in order), the wait, the alarms the rota covers, and the nights' times.
#[derive(Clone, Copy)]
struct Fields {
    entries: RwSignal<Vec<Entry>>,
    wait: RwSignal<u16>,
    kinds: RwSignal<Vec<AlarmKind>>,
    from: RwSignal<String>,
    to: RwSignal<String>,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            entries: RwSignal::new(Vec::new()),
            wait: RwSignal::new(shared::rota::DEFAULT_WAIT_MIN),
            kinds: RwSignal::new(vec![AlarmKind::UrgentLow]),
            from: RwSignal::new("22:00".to_owned()),
            to: RwSignal::new("07:00".to_owned()),
        }
    }

    /// The form from the server's rota (if any) and the account's phones of this patient: the rota's people first,
    /// in its order, then the other phones (not in it).
    fn fill(self, view: &Option<RotaView>, phones: &[PhoneInfo], patient: &str, this: Option<&str>) {
        let Fields { entries, wait, kinds, from, to } = self;
        let rota = view.as_ref().and_then(|v| v.rota.clone());
        let mut phones: Vec<&PhoneInfo> = phones.iter().filter(|p| p.patient_id == patient).collect();
        let place =
            |id: &str| rota.as_ref().and_then(|r| r.people.iter().position(|p| p.phone == id)).unwrap_or(usize::MAX);
        phones.sort_by_key(|p| place(&p.id));
        let made = phones
            .into_iter()
            .map(|p| {
                let person = rota.as_ref().and_then(|r| r.person(&p.id));
                let turn = rota.as_ref().and_then(|r| r.shifts.iter().find(|s| s.phone == p.id));
                let nights = turn.and_then(|t| NIGHTS.iter().find(|n| n.2 == t.days)).map_or("", |n| n.0).to_owned();
                let device = if p.device.is_empty() { "A phone".to_owned() } else { p.device.clone() };
                let whose = match (this == Some(p.id.as_str()), p.share_id.is_some()) {
                    (true, _) => " · this phone",
                    (false, true) => " · through a family link",
                    (false, false) => "",
                };
                Entry {
                    phone: StoredValue::new(p.id.clone()),
                    label: StoredValue::new(format!("{device}{whose}")),
                    name: RwSignal::new(person.map(|p| p.name.clone()).unwrap_or_default()),
                    included: RwSignal::new(person.is_some() || rota.is_none()),
                    nights: RwSignal::new(nights),
                }
            })
            .collect();
        entries.set(made);
        if let Some(rota) = &rota {
            wait.set(rota.wait_min);
            kinds.set(rota.kinds.clone());
            if let Some(turn) = rota.shifts.first() {
                from.set(hhmm(turn.from_min));
                to.set(hhmm(turn.to_min));
            }
        }
    }

    /// The rota the form describes (`None`: nobody in it, so no rota).
    fn rota(self) -> Option<Rota> {
        let Fields { entries, wait, kinds, from, to } = self;
        let entries = entries.get_untracked();
        let people: Vec<(Person, String)> = entries
            .iter()
            .filter(|e| e.included.get_untracked())
            .map(|e| {
                let name = e.name.get_untracked().trim().to_owned();
                let name = if name.is_empty() { e.label.get_value() } else { name };
                (Person { phone: e.phone.get_value(), name }, e.nights.get_untracked())
            })
            .collect();
        if people.is_empty() {
            return None;
        }
        let (from_min, to_min) = (minutes(&from.get_untracked()), minutes(&to.get_untracked()));
        let shifts = people
            .iter()
            .filter_map(|(person, nights)| {
                let days = NIGHTS.iter().find(|n| n.0 == nights.as_str()).map_or(0, |n| n.2);
                (days != 0).then(|| Shift { phone: person.phone.clone(), days, from_min, to_min })
            })
            .collect();
        Some(Rota {
            people: people.into_iter().map(|(p, _)| p).collect(),
            shifts,
            take_over: None,
            wait_min: wait.get_untracked(),
            kinds: kinds.get_untracked(),
            utc_offset_min: i16::try_from(platform::utc_offset_min()).unwrap_or(0),
        })
    }
}

/// The form's fields.
#[component]
fn Form(fields: Fields) -> impl IntoView {
    let Fields { entries, wait, kinds, from, to } = fields;
    let rows = move || {
        entries
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let up = move |_| {
                    entries.update(|list| {
                        if i > 0 {
                            list.swap(i - 1, i)
                        }
                    })
                };
                view! {
                    <li class="rota-person" data-testid="rota-person">
                        <label>
                            <input
                                type="checkbox"
                                prop:checked=move || entry.included.get()
                                on:change=move |ev| entry.included.set(event_target_checked(&ev))
                            />
                            {entry.label.get_value()}
                        </label>
                        <input
                            type="text"
                            maxlength="40"
                            placeholder="Name (Mum, Sam…)"
                            aria-label=format!("Name for {}", entry.label.get_value())
                            prop:value=move || entry.name.get()
                            on:input=move |ev| entry.name.set(event_target_value(&ev))
                        />
                        <select
                            aria-label="Nights on duty"
                            prop:value=move || entry.nights.get()
                            on:change=move |ev| entry.nights.set(event_target_value(&ev))
                        >
                            {NIGHTS
                                .iter()
                                .map(|(value, words, _)| view! { <option value=*value>{*words}</option> })
                                .collect_view()}
                        </select>
                        <Show when=move || { i > 0 }>
                            <button class="secondary" on:click=up>
                                "Move up"
                            </button>
                        </Show>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <ol class="rota-people">{rows}</ol>
        <label>
            "Nights run from "
            <input type="time" prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev)) />
            " to "
            <input type="time" prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev)) />
        </label>
        <label>
            "If nobody answers, wake the next after "
            <select
                prop:value=move || wait.get().to_string()
                on:change=move |ev| wait.set(event_target_value(&ev).parse().unwrap_or(shared::rota::DEFAULT_WAIT_MIN))
            >
                {WAITS
                    .iter()
                    .map(|w| view! { <option value=w.to_string()>{format!("{w} min")}</option> })
                    .collect_view()}
            </select>
        </label>
        <fieldset>
            <legend>"Alarms that go round the rota (urgent lows always do)"</legend>
            {KINDS
                .iter()
                .map(|(kind, words)| {
                    let kind = *kind;
                    view! {
                        <label>
                            <input
                                type="checkbox"
                                prop:checked=move || kinds.with(|k| k.contains(&kind))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    kinds.update(|k| {
                                        k.retain(|x| *x != kind);
                                        if on {
                                            k.push(kind);
                                        }
                                    });
                                }
                            />
                            {*words}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// Who is on duty, the alarms going round now, and the night log, newest first.
#[component]
fn Status(view: Signal<Option<RotaView>>) -> impl IntoView {
    let offset = platform::utc_offset_min();
    move || {
        let Some(now) = view.get() else { return ().into_any() };
        let on_duty = now.on_duty.clone().map(|name| format!("On duty now: {name}."));
        let open: Vec<String> = now
            .open
            .iter()
            .map(|e| {
                let since = model::clock(UtcTime::from_unix_secs(e.started), offset);
                match &e.on_it {
                    Some(on_it) => format!(
                        "{} since {since}: {}.",
                        e.alert.kind.label(),
                        shared::rota::on_it_text(on_it, offset as i16)
                    ),
                    None => format!("{} since {since}: nobody has answered yet.", e.alert.kind.label()),
                }
            })
            .collect();
        let log: Vec<String> = now.log.iter().rev().take(12).map(|step| log_line(step, offset)).collect();
        view! {
            <p data-testid="on-duty">{on_duty}</p>
            {open.into_iter().map(|line| view! { <p class="alarm-state" data-testid="rota-open">{line}</p> }).collect_view()}
            <Show when={
                let empty = log.is_empty();
                move || !empty
            }>
                <h4>"Night log"</h4>
            </Show>
            <ul class="night-log" data-testid="night-log">
                {log.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// One line of the night log: "02:14 Urgent low: Sam is on it".
fn log_line(step: &Step, offset: i32) -> String {
    let at = model::clock(UtcTime::from_unix_secs(step.at), offset);
    let what = step.kind.map(|k| k.label()).unwrap_or("Duty");
    let names = step.names.join(" and ");
    match step.what {
        What::Reached => format!("{at} {what}: woke {names}"),
        What::Everyone => format!("{at} {what}: nobody answered, woke every phone"),
        What::OnIt => format!("{at} {what}: {names} is on it"),
        What::Over => format!("{at} {what}: over"),
        What::Lost => format!("{at} {names}: this phone stopped getting alarms"),
        What::Loud => format!("{at} {what}: sent loud to {names}"),
        What::LoudFailed => format!("{at} {what}: {names}'s loud channel did not take it"),
        What::TookOver | What::Missed => {
            let until = step.until.map(|u| model::clock(UtcTime::from_unix_secs(u), offset)).unwrap_or_default();
            if step.what == What::Missed {
                format!("{at} {names}: this phone has not received alarms since {until}")
            } else {
                format!("{at} {names} took over until {until}")
            }
        }
    }
}

/// "HH:MM" from minutes after midnight.
pub(super) fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Minutes after midnight from "HH:MM" (a time input's value); 0 when it is not one.
pub(super) fn minutes(text: &str) -> u16 {
    let (h, m) = text.split_once(':').unwrap_or(("0", "0"));
    let (h, m) = (h.parse::<u16>().unwrap_or(0).min(23), m.get(..2).unwrap_or(m).parse::<u16>().unwrap_or(0).min(59));
    h * 60 + m
}

/// Whole hours from `now` until the next 08:00 on the phone's clock (at least 1).
fn hours_until_morning(now: i64, offset_min: i32) -> i64 {
    let left = next_wall_clock(UtcTime::from_unix_secs(now), offset_min, 8 * 60).unix_secs() - now;
    ((left + HOUR - 1) / HOUR).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::time::MINUTE;

    #[test]
    fn taking_over_lasts_until_the_next_morning() {
        let midnight = 1_796_601_600; // 2026-12-07 00:00 UTC
        assert_eq!(hours_until_morning(midnight + 22 * HOUR, 0), 10);
        assert_eq!(hours_until_morning(midnight + 2 * HOUR + 30 * MINUTE, 0), 6);
        assert_eq!(hours_until_morning(midnight + 8 * HOUR, 0), 24);
        assert_eq!(hours_until_morning(midnight + 21 * HOUR, 60), 10, "22:00 on a UTC+1 clock");
    }

    #[test]
    fn times_read_and_write_as_a_time_input_does() {
        assert_eq!((minutes("22:00"), minutes("07:30"), minutes("junk")), (1320, 450, 0));
        assert_eq!((hhmm(1320), hhmm(450)), ("22:00".to_owned(), "07:30".to_owned()));
    }
}
