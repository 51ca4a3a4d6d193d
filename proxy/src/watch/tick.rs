//! The watch book's minute: start a tick, read each group once, step every phone on its readings, queue, send
//! and record the pushes.

use super::*;

impl WatchBook {
    /// Starts the tick scheduled at `now`; `false` when a tick at or after it already ran (a double delivery).
    ///
    /// When the last tick is more than [`INTERRUPTION_SECS`] old (the cron did not run, or the server could not
    /// take it: the free plan's daily allowance spent, an outage), every phone is told that background alarms
    /// were interrupted, from when to when: nobody is left believing they were watched.
    pub fn begin_tick(&mut self, now: i64) -> bool {
        if self.last_tick.is_some_and(|last| now <= last) {
            return false;
        }
        if let Some(last) = self.last_tick.filter(|last| now - last > INTERRUPTION_SECS) {
            let messages: Vec<Message> = self
                .subs
                .values()
                .map(|sub| {
                    let name = self.groups.get(&sub.setup.group).map(|g| g.name.clone()).unwrap_or_default();
                    interrupted_message(sub, &name, last, now)
                })
                .collect();
            for message in messages {
                self.queue(message);
            }
            self.interruptions.retain(|i| now - i.to < KEEP_INTERRUPTIONS_SECS);
            if self.interruptions.len() >= MAX_INTERRUPTIONS {
                self.interruptions.remove(0);
            }
            self.interruptions.push(Interruption { from: last, to: now });
        }
        self.last_tick = Some(now);
        true
    }

    /// Removes the demo's phones subscribed more than [`DEMO_PHONE_SECS`] before `now`; how many went.
    pub fn expire_demo_phones(&mut self, now: i64) -> usize {
        let old: Vec<String> = self
            .subs
            .values()
            .filter(|s| s.setup.group.starts_with("demo:") && now - s.created > DEMO_PHONE_SECS)
            .map(|s| s.id.clone())
            .collect();
        for id in &old {
            self.remove(id);
        }
        old.len()
    }

    /// The interruptions of the last [`KEEP_INTERRUPTIONS_SECS`] before `now`, the latest last.
    pub fn recent_interruptions(&self, now: i64) -> Vec<Interruption> {
        self.interruptions.iter().filter(|i| now - i.to < KEEP_INTERRUPTIONS_SECS).copied().collect()
    }

    /// The groups to read this tick, with the subscriptions in each.
    pub fn groups_to_read(&self) -> Vec<(String, Vec<&Subscription>)> {
        let mut out: Vec<(String, Vec<&Subscription>)> = Vec::new();
        for sub in self.subs.values() {
            match out.iter_mut().find(|(group, _)| *group == sub.setup.group) {
                Some((_, subs)) => subs.push(sub),
                None => out.push((sub.setup.group.clone(), vec![sub])),
            }
        }
        shared::order::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        out
    }

    /// Applies one group's read at `now`: runs every subscription's alarm step and queues what it fires, or runs
    /// the watchdog.
    pub fn apply(&mut self, group_key: &str, read: Read, now: i64) {
        let at = UtcTime::from_unix_secs(now);
        let Some(group) = self.groups.get_mut(group_key) else { return };
        match read {
            Read::Data { series, name, sensor_ends, session_ends } => {
                // Data flow; a session near its end is the one thing still worth telling.
                group.session_ends = session_ends.filter(|ends| ends - now <= SESSION_NOTICE_SECS);
                group.failure = group.session_ends.map(|_| Notice::SessionEnds);
                // A read without a sensor (LLU leaves it out now and then) keeps the one seen last.
                if sensor_ends.is_some() {
                    group.sensor_ends = sensor_ends;
                }
                group.failing_since = None;
                group.name = name;
                let keep_from = at - KEEP_CURRENT_SECS;
                let currents: Vec<Reading> = group
                    .series
                    .as_slice()
                    .iter()
                    .filter(|r| r.origin == shared::reading::Origin::Current && r.at >= keep_from)
                    .copied()
                    .collect();
                let mut merged = series;
                merged.merge(currents);
                merged.retain_since(at - alarm::LOOKBACK);
                group.series = merged;
            }
            Read::Unreachable => {
                let since = *group.failing_since.get_or_insert(now);
                if now - since >= OUTAGE_NOTICE_SECS {
                    group.failure = Some(Notice::Outage);
                }
            }
            Read::SignedOut => {
                group.failing_since.get_or_insert(now);
                group.failure = Some(Notice::SignedOut);
            }
        }
        let group = group.clone();
        let covered = |kind: AlarmKind| group.rota.as_ref().is_some_and(|r| r.covers(kind));
        // Alerts of the kinds the rota covers wait for the ladder (`escalate`), which says whom they reach.
        let mut held: Vec<(String, Alert)> = Vec::new();
        let ids: Vec<String> =
            self.subs.values().filter(|s| s.setup.group == group_key).map(|s| s.id.clone()).collect();
        for id in ids {
            let Some(sub) = self.subs.get_mut(&id) else { continue };
            // The sensor's end comes from LibreLinkUp's data, not from the phone (which never sends it).
            let mut config = sub.setup.config.clone();
            if let Some(ends) = group.sensor_ends {
                config.sensor_ends_at = Some(UtcTime::from_unix_secs(ends));
            }
            let (events, next) = alarm::step(at, group.series.as_slice(), &config, &sub.state);
            sub.state = next;
            let mut queue = Vec::new();
            for event in events {
                match event {
                    AlarmEvent::Fired(alert) if covered(alert.kind) => held.push((sub.id.clone(), alert)),
                    AlarmEvent::Fired(alert) => queue.push(alarm_message(sub, &group, &alert, now)),
                    AlarmEvent::Cleared { kind, .. } => {
                        let topic = topic_of(kind);
                        self.outbox.retain(|m| !(m.sub == sub.id && m.topic == topic));
                    }
                }
            }
            match (group.failure, sub.told) {
                (Some(notice), told) if told != Some(notice) => {
                    sub.told = Some(notice);
                    queue.push(notice_message(sub, &group, notice, now));
                }
                // Renewed in time: nothing stopped, nothing to say.
                (None, Some(Notice::SessionEnds)) => sub.told = None,
                (None, Some(_)) => {
                    sub.told = None;
                    queue.push(recovered_message(sub, &group, now));
                }
                _ => {}
            }
            for message in queue {
                self.queue(message);
            }
        }
        self.escalate(group_key, held, now);
        self.run_alarm_test(group_key, now);
        self.check_receipts(group_key, now);
    }

    /// Queues a message, replacing a waiting one with the same topic for the same phone.
    pub fn queue(&mut self, message: Message) {
        self.outbox.retain(|m| !(m.sub == message.sub && m.topic == message.topic));
        self.outbox.push(message);
    }

    /// Takes the messages to send at `now`, most urgent first, at most [`SENDS_PER_INVOCATION`]; messages past
    /// their TTL are dropped first. The ones taken are in flight until [`WatchBook::delivered`]: not handed to an
    /// overlapping invocation, and tried again a minute later if the answer never comes (the object restarted).
    pub fn due(&mut self, now: i64) -> Vec<Message> {
        self.outbox.retain(|m| now - m.created < m.ttl);
        let mut due: Vec<&mut Message> = self.outbox.iter_mut().filter(|m| m.next_try <= now).collect();
        shared::order::sort_by(&mut due, |a, b| {
            (b.payload.urgent, b.urgency).cmp(&(a.payload.urgent, a.urgency)).then(a.created.cmp(&b.created))
        });
        due.into_iter()
            .take(SENDS_PER_INVOCATION)
            .map(|m| {
                let taken = m.clone();
                m.next_try = now + MINUTE;
                taken
            })
            .collect()
    }

    /// Whether messages are still due at `now` (after an invocation's batch): the `Watcher` sends them in a
    /// further invocation.
    pub fn more_due(&self, now: i64) -> bool {
        self.outbox.iter().any(|m| m.next_try <= now && now - m.created < m.ttl)
    }

    /// Records how the push service answered `message`.
    pub fn delivered(&mut self, message: &Message, delivery: Delivery, now: i64) {
        let same = |m: &Message| m.sub == message.sub && m.topic == message.topic && m.created == message.created;
        if delivery == Delivery::Accepted
            && let Some(sub) = self.subs.get_mut(&message.sub)
        {
            sub.delivered = Some(now);
            // A phone whose service worker confirms pushes owes this one a receipt (`receipts`), unless it came
            // already: a fast phone confirms before the push service's answer is back here.
            if sub.received.is_some_and(|at| at < message.created) && sub.awaiting.is_none() {
                sub.awaiting = Some(now);
            }
        }
        match delivery {
            Delivery::Accepted | Delivery::Refused(_) => self.outbox.retain(|m| !same(m)),
            Delivery::Gone => self.lose(&message.sub, now),
            Delivery::Retry(after) => {
                if let Some(waiting) = self.outbox.iter_mut().find(|m| same(m)) {
                    waiting.tries += 1;
                    let backoff = (MINUTE << waiting.tries.saturating_sub(1).min(8)).min(MAX_BACKOFF_SECS);
                    waiting.next_try = now + after.unwrap_or(0).clamp(0, HOUR).max(backoff);
                }
            }
        }
    }
}
