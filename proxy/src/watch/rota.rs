//! The watch book's night shift: a patient's alarms of the kinds its rota covers go to the person on duty first,
//! then further while nobody answers (`shared::rota` decides who and when; this applies it to the phones, the
//! outbox and the patient's log), and "I'm on it" from one of them ends the ladder and tells the others who is on
//! it.

use shared::rota::{self, Escalation, OnIt, Rota, RotaView, Step, What};

use super::*;
use shared::code::Code;

impl WatchBook {
    /// Who a phone is, for the others: its name in the rota, else what the phone is.
    fn who(&self, group: &Group, phone: &str) -> String {
        if let Some(person) = group.rota.as_ref().and_then(|r| r.person(phone)) {
            return person.name.clone();
        }
        match self.subs.get(phone).map(|s| s.device.as_str()) {
            Some(device) if !device.is_empty() => format!("Someone ({device})"),
            _ => "Someone".to_owned(),
        }
    }

    /// A phone as the others are told about it: its name in the rota, else "A phone (Chrome on Android)".
    pub(super) fn phone_name(&self, group: &Group, phone: &str) -> String {
        match (group.rota.as_ref().and_then(|r| r.person(phone)), self.subs.get(phone)) {
            (Some(person), _) => person.name.clone(),
            (None, Some(sub)) if !sub.device.is_empty() => format!("A phone ({})", sub.device),
            _ => "A phone".to_owned(),
        }
    }

    /// The ladder's minute for `group_key` at `now`, after every phone's alarm step: `held` are the alerts the
    /// phones' steps fired for kinds the rota covers, by phone. Opens an escalation for a kind that has none (at
    /// the person on duty, or, after someone's "I'm on it" ran out, at them), moves each unanswered one up a rung
    /// when its wait is over (waking the phones it reaches now), delivers each held alert only to a phone the
    /// ladder has reached, and closes an escalation once no phone has its alarm open.
    pub(super) fn escalate(&mut self, group_key: &str, held: Vec<(String, Alert)>, now: i64) {
        let Some(group) = self.groups.get(group_key) else { return };
        let Some(rota) = group.rota.clone() else { return };
        let phones: Vec<String> =
            self.subs.values().filter(|s| s.setup.group == group_key).map(|s| s.id.clone()).collect();
        let has_phone = |phone: &str| phones.iter().any(|p| p == phone);
        let mut escalations = group.escalations.clone();
        let mut log = group.log.clone();
        // (phone, alert, who did not answer, woken by the ladder for someone else's alert)
        let mut queue: Vec<(String, Alert, Option<String>, bool)> = Vec::new();
        // Alarms that reached everyone this minute, and who had not answered: their loud channels get them too.
        let mut everyone: Vec<(Alert, String)> = Vec::new();

        for (_, alert) in &held {
            let open = escalations.iter_mut().find(|e| e.alert.kind == alert.kind);
            // A new alarm starts at the person on duty; an answered one that fires again (its "I'm on it" ran out)
            // starts again at whoever said it.
            let answered_by = match open {
                Some(open) if open.on_it.is_none() => {
                    open.alert = *alert;
                    continue;
                }
                Some(open) => open.on_it.as_ref().map(|o| o.phone.clone()).filter(|p| has_phone(p)),
                None => None,
            };
            let Some(first) = answered_by.or_else(|| on_duty_with_phone(&rota, now, &has_phone)) else { continue };
            escalations.retain(|e| e.alert.kind != alert.kind);
            escalations.push(Escalation { alert: *alert, first: first.clone(), started: now, rung: 0, on_it: None });
            queue.push((first.clone(), *alert, None, true));
            let names = vec![self.who(group, &first)];
            rota::record(&mut log, Step::new(now, Some(alert.kind), What::Reached, names));
        }

        // Each phone's own alert, if the ladder had reached it (the phones it reaches now are woken below, with who did
        // not answer).
        for (phone, alert) in held {
            let Some(open) = escalations.iter().find(|e| e.alert.kind == alert.kind) else {
                queue.push((phone, alert, None, false));
                continue;
            };
            if open.on_it.is_none() && rota.reached(&open.first, open.rung).is_none_or(|r| r.contains(&phone)) {
                queue.push((phone, alert, None, false));
            }
        }

        // Up a rung where the wait is over, and at once past a rung that wakes no phone it had not (its person's
        // phone was removed, or its push service ended it): the phones reached now are woken now.
        // An alarm over this minute (no phone has it open) wakes nobody more, and no loud channel.
        let active =
            |kind: AlarmKind| self.subs.values().any(|s| s.setup.group == group_key && s.state.is_active(kind));
        for open in escalations.iter_mut().filter(|e| e.on_it.is_none() && active(e.alert.kind)) {
            let mut rung = rota.rung_at(open.started, now).max(open.rung);
            while !adds_a_phone(&rota, &open.first, rung, &has_phone) {
                rung += 1;
            }
            if rung <= open.rung {
                continue;
            }
            let before = rota.reached(&open.first, open.rung).unwrap_or_default();
            open.rung = rung;
            let after = rota.reached(&open.first, rung);
            let unanswered = before.iter().map(|p| self.who(group, p)).collect::<Vec<_>>().join(" and ");
            let step = match &after {
                Some(reached) => {
                    let names = reached.iter().filter(|p| !before.contains(p)).map(|p| self.who(group, p)).collect();
                    Step::new(now, Some(open.alert.kind), What::Reached, names)
                }
                None => {
                    everyone.push((open.alert, unanswered.clone()));
                    Step::new(now, Some(open.alert.kind), What::Everyone, Vec::new())
                }
            };
            rota::record(&mut log, step);
            let woken = phones.iter().filter(|p| !before.contains(p) && after.as_ref().is_none_or(|a| a.contains(p)));
            for phone in woken {
                queue.push((phone.clone(), open.alert, Some(unanswered.clone()), true));
            }
        }

        // Over once no phone has the alarm open.
        let (open, over): (Vec<Escalation>, Vec<Escalation>) =
            escalations.into_iter().partition(|e| active(e.alert.kind));
        for ended in &over {
            rota::record(&mut log, Step::new(now, Some(ended.alert.kind), What::Over, Vec::new()));
        }

        let mut messages = Vec::new();
        for (phone, alert, unanswered, woken) in queue {
            let Some(sub) = self.subs.get(&phone) else { continue };
            // Another phone's alert carries that phone's volume: the phone it wakes rings at its own, and at least
            // normally (a silent night must not make the ladder's call silent).
            let volume = if !woken || alert.level == Level::Urgent {
                alert.volume
            } else {
                sub.setup.config.profile_at(UtcTime::from_unix_secs(now)).0.volume.max(alarm::Volume::Normal)
            };
            let alert = Alert { at: UtcTime::from_unix_secs(now), volume, ..alert };
            let mut message = alarm_message(sub, group, &alert, now);
            if let Some(names) = unanswered.filter(|n| !n.is_empty()) {
                message.payload.body = format!("No answer from {names} · {}", message.payload.body);
            }
            messages.push(message);
        }
        if let Some(group) = self.groups.get_mut(group_key) {
            group.escalations = open;
            group.log = log;
        }
        for message in messages {
            self.queue(message);
        }
        for ended in over {
            self.drop_loud(group_key, ended.alert.kind);
        }
        for (alert, unanswered) in everyone {
            let names = self.queue_loud(group_key, &alert, &unanswered, now);
            self.log_loud(group_key, alert.kind, names, now);
        }
    }

    /// "I'm on it" from `phone` for `kind`, while an alarm of that kind goes round its patient's rota: the ladder
    /// stops, every phone of the patient stops repeating it, and each phone it had reached is told who is on it
    /// (the notification that rang is replaced). Returns the phones it applied to, or `None` when no alarm of that
    /// kind is going round (or `phone` may not answer for the others: a link the owner did not put in the rota or
    /// let act for everyone).
    pub(super) fn on_it(&mut self, phone: &str, kind: AlarmKind, now: i64) -> Option<Vec<String>> {
        let sub = self.subs.get(phone)?;
        let group_key = sub.setup.group.clone();
        let group = self.groups.get(&group_key)?;
        let rota = group.rota.as_ref().filter(|r| r.covers(kind))?;
        let for_all = rota.person(phone).is_some()
            || matches!(sub.setup.access, Access::Owner { .. } | Access::Viewer { acts_for_all: true, .. });
        let open = group.escalations.iter().find(|e| e.alert.kind == kind).filter(|_| for_all)?;
        let reached = rota.reached(&open.first, open.rung);
        let on_it = OnIt { phone: phone.to_owned(), name: self.who(group, phone), at: now };
        let already = open.on_it.is_some();
        let alert = open.alert;

        let at = UtcTime::from_unix_secs(now);
        let phones: Vec<String> =
            self.subs.values().filter(|s| s.setup.group == group_key).map(|s| s.id.clone()).collect();
        for id in &phones {
            if let Some(sub) = self.subs.get_mut(id) {
                sub.state.acknowledge(kind, at);
            }
        }
        let topic = topic_of(kind);
        self.outbox.retain(|m| !(m.topic == topic && phones.contains(&m.sub)));
        self.drop_loud(&group_key, kind);
        if already {
            return Some(phones);
        }
        let told: Vec<Message> = phones
            .iter()
            .filter(|p| p.as_str() != phone && reached.as_ref().is_none_or(|r| r.contains(p)))
            .filter_map(|p| self.subs.get(p))
            .map(|sub| on_it_message(sub, &alert, &on_it, now))
            .collect();
        let group = self.groups.get_mut(&group_key)?;
        let name = on_it.name.clone();
        if let Some(open) = group.escalations.iter_mut().find(|e| e.alert.kind == kind) {
            open.on_it = Some(on_it);
        }
        rota::record(&mut group.log, Step::new(now, Some(kind), What::OnIt, vec![name]));
        for message in told {
            self.queue(message);
        }
        Some(phones)
    }

    /// The owner sets (or, with `None`, removes) the rota of their patient `patient_id`. Every person must be a
    /// phone following that patient.
    pub fn set_rota(&mut self, holder: &Holder, patient_id: &str, rota: Option<Rota>) -> Result<(), ApiError> {
        let Holder::Account(account) = holder else {
            return Err(ApiError::wrong_session("The demo has no rota: sign in to your own account."));
        };
        let group_key = format!("acct:{account}:{patient_id}");
        if !self.groups.contains_key(&group_key) {
            return Err(ApiError::new(404, Code::PushNotFound, "No phone gets this person's alarms yet."));
        }
        if let Some(rota) = &rota {
            rota.check().map_err(|e| ApiError::bad_request(&e.to_string()))?;
            if let Some(stranger) =
                rota.people.iter().find(|p| self.subs.get(&p.phone).is_none_or(|s| s.setup.group != group_key))
            {
                return Err(ApiError::bad_request(&format!(
                    "{}'s phone does not get this person's alarms any more.",
                    stranger.name
                )));
            }
        }
        let group = self.groups.get_mut(&group_key).ok_or_else(ApiError::internal)?;
        if rota.is_none() {
            group.escalations.clear();
        }
        // Whoever took over stays on duty when the owner saves the rota (the app's form does not carry it), as
        // long as they are still in it.
        let took_over = group.rota.as_ref().and_then(|r| r.take_over.clone());
        group.rota = rota.map(|mut rota| {
            if rota.take_over.is_none() {
                rota.take_over = took_over.filter(|t| rota.person(&t.phone).is_some());
            }
            rota
        });
        Ok(())
    }

    /// "I take over": phone `id` is on duty for its patient for `hours` (at most a day) from `now`.
    pub fn take_over(&mut self, id: &str, hours: i64, now: i64) -> Result<String, ApiError> {
        let group_key = self.subs.get(id).map(|s| s.setup.group.clone()).ok_or_else(ApiError::internal)?;
        let group = self.groups.get_mut(&group_key).ok_or_else(ApiError::internal)?;
        let rota = group.rota.as_mut().filter(|r| r.person(id).is_some()).ok_or_else(|| {
            ApiError::new(404, Code::PushNotFound, "This phone is not in the rota: ask the owner to add it.")
        })?;
        let until = now + (hours * HOUR).clamp(HOUR, rota::MAX_TAKE_OVER_SECS);
        rota.take_over = Some(rota::TakeOver { phone: id.to_owned(), until });
        let name = rota.person(id).map(|p| p.name.clone()).unwrap_or_default();
        rota::record(
            &mut group.log,
            Step { until: Some(until), ..Step::new(now, None, What::TookOver, vec![name.clone()]) },
        );
        Ok(name)
    }

    /// The rotas of `holder`'s patients that have phones, at `now`.
    pub fn rotas(&self, holder: &Holder, now: i64) -> Vec<RotaView> {
        let mut views: Vec<RotaView> = Vec::new();
        for sub in self.subs.values().filter(|s| holder.holds(s)) {
            if views.iter().any(|v| v.patient_id == sub.setup.patient_id) {
                continue;
            }
            let Some(group) = self.groups.get(&sub.setup.group) else { continue };
            views.push(RotaView {
                patient_id: sub.setup.patient_id.clone(),
                name: group.name.clone(),
                on_duty: group.rota.as_ref().and_then(|r| r.on_duty(now)).map(|p| p.name.clone()),
                rota: group.rota.clone(),
                open: group.escalations.clone(),
                log: group.log.clone(),
                alarm_test: group.alarm_test,
            });
        }
        views
    }

    /// Phone `id`'s push service ended it (404/410): it goes, and every other phone of its patient is told (a
    /// push), the patient's log says so and the owner's list of phones shows it for a week, so nobody goes on
    /// believing that phone is woken.
    pub fn lose(&mut self, id: &str, now: i64) {
        let Some(sub) = self.subs.get(id) else { return };
        let group_key = sub.setup.group.clone();
        // (A rare event: the group's copy costs nothing worth saving.)
        let Some(group) = self.groups.get(&group_key).cloned() else {
            self.remove(id);
            return;
        };
        let name = self.phone_name(&group, id);
        let lost = LostPhone {
            patient_id: sub.setup.patient_id.clone(),
            name: name.clone(),
            at: now,
            last_reached: sub.delivered,
        };
        self.remove(id);
        let told: Vec<Message> = self
            .subs
            .values()
            .filter(|s| s.setup.group == group_key)
            .map(|other| lost_message(other, &group, &lost, now))
            .collect();
        if let Some(group) = self.groups.get_mut(&group_key) {
            group.lost.retain(|l| now - l.at < KEEP_INTERRUPTIONS_SECS);
            if group.lost.len() >= MAX_LOST {
                group.lost.remove(0);
            }
            group.lost.push(lost);
            rota::record(&mut group.log, Step::new(now, None, What::Lost, vec![name]));
        }
        for message in told {
            self.queue(message);
        }
    }

    /// The phones of `holder`'s patients lost in the week before `now`, the latest last.
    pub fn lost(&self, holder: &Holder, now: i64) -> Vec<LostPhone> {
        let Holder::Account(account) = holder else { return Vec::new() };
        let prefix = format!("acct:{account}:");
        let mut lost: Vec<LostPhone> = self
            .groups
            .iter()
            .filter(|(key, _)| key.starts_with(&prefix))
            .flat_map(|(_, group)| group.lost.iter().filter(|l| now - l.at < KEEP_INTERRUPTIONS_SECS).cloned())
            .collect();
        shared::order::sort_by_key(&mut lost, |l| l.at);
        lost
    }
}

/// Whether `rung` of an escalation that began with `first` wakes a phone the rung below it did not (everyone does).
fn adds_a_phone(rota: &Rota, first: &str, rung: u8, has_phone: &dyn Fn(&str) -> bool) -> bool {
    let Some(reached) = rota.reached(first, rung) else { return true };
    let below = rung.checked_sub(1).and_then(|r| rota.reached(first, r)).unwrap_or_default();
    reached.iter().any(|p| has_phone(p) && !below.contains(p))
}

/// The person on duty at `now` whose phone still follows the patient, else the next such in the rota's order.
fn on_duty_with_phone(rota: &Rota, now: i64, has_phone: &dyn Fn(&str) -> bool) -> Option<String> {
    let first = rota.on_duty(now)?;
    let start = rota.people.iter().position(|p| p.phone == first.phone).unwrap_or(0);
    rota.people
        .iter()
        .cycle()
        .skip(start)
        .take(rota.people.len())
        .find(|p| has_phone(&p.phone))
        .map(|p| p.phone.clone())
}
