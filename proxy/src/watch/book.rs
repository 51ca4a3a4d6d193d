//! What the watch book does: subscribe, step every phone on its readings, queue and deliver pushes, acknowledge,
//! list and remove phones, and what a save writes.

use super::*;

impl WatchBook {
    /// Adds a subscription, or updates the one with the same push endpoint (same id and key, state kept unless
    /// it moves to another patient). Returns its id and key.
    pub fn subscribe(
        &mut self,
        new: NewSubscription,
        id: String,
        key: String,
        now: i64,
    ) -> Result<&Subscription, ApiError> {
        if self.removed.contains_key(&endpoint_hash(&new.endpoint)) {
            return Err(ApiError::new(
                403,
                "phone_removed",
                "This phone was removed from these alarms. Turn alarms off and on again on it to add it back.",
            ));
        }
        let existing = self.subs.values().find(|s| s.endpoint == new.endpoint).map(|s| s.id.clone());
        if let Some(sub) = existing.as_deref().and_then(|id| self.subs.get(id)) {
            let same_keys = constant_time_eq(sub.p256dh.as_bytes(), new.p256dh.as_bytes())
                & constant_time_eq(sub.auth.as_bytes(), new.auth.as_bytes());
            let holds_key =
                new.presented_key.as_deref().is_some_and(|k| constant_time_eq(sub.key.as_bytes(), k.as_bytes()));
            if !same_keys && !holds_key {
                return Err(ApiError::new(
                    409,
                    "push_endpoint_taken",
                    "This phone is already subscribed with other keys; turn its alarms off and on again.",
                ));
            }
        }
        // A new phone, or one that moves to another patient or link, must find a place there (itself not counted).
        let moves = existing
            .as_deref()
            .and_then(|id| self.subs.get(id))
            .is_none_or(|sub| sub.group != new.group || sub.access.share_id() != new.access.share_id());
        if moves {
            self.check_room(&new, existing.as_deref())?;
        }
        if let Some(shared) = new.shared_ack {
            self.groups.or_default(new.group.clone()).shared_ack = shared;
        }
        if let Some(id) = existing {
            let sub = self.subs.get_mut(&id).ok_or_else(ApiError::internal)?;
            if sub.group != new.group {
                sub.state = AlarmState::new();
                sub.told = None;
            }
            sub.p256dh = new.p256dh;
            sub.auth = new.auth;
            sub.group = new.group.clone();
            sub.patient_id = new.patient_id;
            sub.access = new.access;
            sub.config = new.config;
            sub.unit = new.unit;
            if !new.device.is_empty() {
                sub.device = new.device;
            }
            self.groups.or_default(new.group);
            return self.subs.get(&id).ok_or_else(ApiError::internal);
        }
        // The first phone of a book nobody was watched through: the minutes it missed were nobody's alarms, so
        // they are no interruption to tell this phone about (an account's Watcher leaves the round when it empties).
        if self.subs.is_empty() {
            self.last_tick = None;
        }
        self.groups.or_default(new.group.clone());
        let sub = Subscription {
            id: id.clone(),
            key,
            endpoint: new.endpoint,
            p256dh: new.p256dh,
            auth: new.auth,
            group: new.group,
            patient_id: new.patient_id,
            access: new.access,
            config: new.config,
            unit: new.unit,
            state: AlarmState::new(),
            created: now,
            told: None,
            device: new.device,
            delivered: None,
        };
        self.subs.insert(id.clone(), sub);
        self.subs.get(&id).ok_or_else(ApiError::internal)
    }

    /// The subscription `id` if `key` is its key (compared in constant time).
    pub fn authorised(&self, id: &str, key: &str) -> Result<&Subscription, ApiError> {
        self.subs
            .get(id)
            .filter(|s| constant_time_eq(s.key.as_bytes(), key.as_bytes()))
            .ok_or_else(|| ApiError::new(404, "push_not_found", "This phone is not subscribed any more."))
    }

    /// The viewers' phones to unsubscribe, given the share book's answer for their shares (`(share id, its
    /// session and alarms flag while it lasts)`): those whose share is gone or has its alarms turned off. With no
    /// answer (the book could not be read this minute) nobody is dropped: a passing failure must not silently
    /// end a grandparent's alarms.
    pub fn viewers_without_share(&self, shares: Option<&[ShareSession]>) -> Vec<String> {
        let Some(shares) = shares else { return Vec::new() };
        self.subs
            .values()
            .filter(|s| match &s.access {
                Access::Viewer { share_id, .. } => shares
                    .iter()
                    .find(|(id, _)| id == share_id)
                    .is_some_and(|(_, found)| found.as_ref().is_none_or(|(_, alarms)| !alarms)),
                Access::Owner { .. } => false,
            })
            .map(|s| s.id.clone())
            .collect()
    }

    /// The account `account_id` signed in again: its owners' phones (their groups are `acct:<account-id>:…`) read
    /// through `session` from now on. Returns how many phones took it.
    pub fn renew_owner(&mut self, account_id: &str, session: &str) -> usize {
        let prefix = format!("acct:{account_id}:");
        let mut renewed = 0;
        for sub in self.subs.values_mut().filter(|s| s.group.starts_with(&prefix)) {
            if let Access::Owner { session: held } = &mut sub.access
                && held != session
            {
                session.clone_into(held);
                renewed += 1;
            }
        }
        renewed
    }

    /// Whether `new` finds a place: on the server, in its patient's group, and (for a link's phone) among its
    /// link's phones and the places links may take. `moving` is the phone itself when it is already here.
    fn check_room(&self, new: &NewSubscription, moving: Option<&str>) -> Result<(), ApiError> {
        let others = || self.subs.values().filter(|s| Some(s.id.as_str()) != moving);
        if moving.is_none() && self.subs.len() >= MAX_SUBSCRIPTIONS {
            return Err(ApiError::new(503, "push_full", "This server has as many phones as it can watch."));
        }
        if others().filter(|s| s.group == new.group).count() >= MAX_PER_GROUP {
            return Err(ApiError::new(409, "push_full", "This person already has as many phones as one can have."));
        }
        if let Some(share_id) = new.access.share_id() {
            let viewers = others().filter(|s| s.access.share_id().is_some() && s.group == new.group).count();
            let of_share = others().filter(|s| s.access.share_id() == Some(share_id)).count();
            if of_share >= MAX_PER_SHARE || viewers >= MAX_PER_GROUP - OWNER_RESERVED {
                return Err(ApiError::new(
                    409,
                    "push_full",
                    "This link already has as many phones as it can have; ask whoever shared it for your own link.",
                ));
            }
        }
        Ok(())
    }

    /// The phones `holder` may see and remove, oldest first.
    pub fn phones(&self, holder: &Holder) -> Vec<PhoneInfo> {
        let mut phones: Vec<PhoneInfo> = self
            .subs
            .values()
            .filter(|s| holder.holds(s))
            .map(|s| PhoneInfo {
                id: s.id.clone(),
                patient_id: s.patient_id.clone(),
                device: s.device.clone(),
                share_id: s.access.share_id().map(str::to_owned),
                created: s.created,
                delivered: s.delivered,
            })
            .collect();
        phones.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        phones
    }

    /// `holder` removes phone `id`: gone now, and its endpoint cannot subscribe again (see [`WatchBook::removed`]).
    /// Another holder's phone is "not found".
    pub fn remove_phone(&mut self, holder: &Holder, id: &str, now: i64) -> Result<(), ApiError> {
        let endpoint = self
            .subs
            .get(id)
            .filter(|s| holder.holds(s))
            .map(|s| s.endpoint.clone())
            .ok_or_else(|| ApiError::new(404, "push_not_found", "That phone is not getting these alarms."))?;
        self.remove(id);
        self.removed.retain(|at| now - *at < REMOVED_KEEP_SECS);
        while self.removed.len() >= MAX_REMOVED {
            let oldest = self.removed.iter().min_by_key(|(_, at)| **at).map(|(key, _)| key.clone());
            match oldest {
                Some(key) => self.removed.remove(&key),
                None => break,
            };
        }
        self.removed.insert(endpoint_hash(&endpoint), now);
        Ok(())
    }

    /// The phones of share `share_id` (revoked): removed at once, not at the next tick. Returns how many.
    pub fn forget_share(&mut self, share_id: &str) -> usize {
        let ids: Vec<String> =
            self.subs.values().filter(|s| s.access.share_id() == Some(share_id)).map(|s| s.id.clone()).collect();
        for id in &ids {
            self.remove(id);
        }
        ids.len()
    }

    /// Removes a subscription and its waiting pushes; forgets a group nobody watches.
    pub fn remove(&mut self, id: &str) {
        if let Some(sub) = self.subs.remove(id) {
            self.outbox.retain(|m| m.sub != id);
            if !self.subs.values().any(|s| s.group == sub.group) {
                self.groups.remove(&sub.group);
            }
        }
    }

    /// Removes the phone with push endpoint `endpoint` (it moved to another object); how many went (0 or 1).
    pub fn forget_endpoint(&mut self, endpoint: &str) -> usize {
        let ids: Vec<String> = self.subs.values().filter(|s| s.endpoint == endpoint).map(|s| s.id.clone()).collect();
        for id in &ids {
            self.remove(id);
        }
        ids.len()
    }

    /// "I'm on it" or "Snooze" from subscription `id`: applied to it, or, when the owner chose shared
    /// acknowledgement and `id` is one of the owner's phones, to every phone of its patient. A link's phone acts
    /// on itself only: a read-only link must not silence the family's alarms. Waiting pushes of that kind to those
    /// phones are dropped. Returns how many phones it applied to.
    pub fn act(&mut self, id: &str, kind: AlarmKind, action: Action, now: i64) -> Result<usize, ApiError> {
        // The owner's phones, and a link the owner let acknowledge for everyone, reach every phone of the group
        // when it shares acknowledgement; any other link's phone only itself.
        let (group, for_all) = self
            .subs
            .get(id)
            .map(|s| {
                let for_all = matches!(s.access, Access::Owner { .. } | Access::Viewer { acts_for_all: true, .. });
                (s.group.clone(), for_all)
            })
            .ok_or_else(ApiError::internal)?;
        let shared = for_all && self.groups.get(&group).is_some_and(|g| g.shared_ack);
        let at = UtcTime::from_unix_secs(now);
        let mut touched = Vec::new();
        for sub in self.subs.values_mut().filter(|s| s.id == id || (shared && s.group == group)) {
            match action {
                Action::Acknowledge => {
                    sub.state.acknowledge(kind, at);
                }
                Action::Snooze(minutes) => {
                    sub.state.snooze(kind, at, at + minutes.max(1) * MINUTE);
                }
            }
            touched.push(sub.id.clone());
        }
        let topic = topic_of(kind);
        self.outbox.retain(|m| !(m.topic == topic && touched.contains(&m.sub)));
        Ok(touched.len())
    }

    /// The book as the `Watcher` stores it: one value for the groups (without readings), the outbox and the last
    /// tick (`meta`), one per subscription (`sub:<id>`) and one per group's readings (`series:<group>`), so no value
    /// nears Durable Objects' 128 KiB limit.
    pub fn to_storage(&self) -> Keyed<String> {
        let mut values = Keyed::new();
        for (key, value) in self.stored_values() {
            values.insert(key, value.to_string());
        }
        values
    }

    /// The values of [`WatchBook::to_storage`], before they become text.
    fn stored_values(&self) -> Vec<(String, Value)> {
        let mut values = vec![("meta".to_owned(), self.meta().to_wire())];
        for (id, sub) in self.subs.iter() {
            values.push((format!("sub:{id}"), sub.to_wire()));
        }
        for (key, group) in self.groups.iter() {
            values.push((format!("series:{key}"), group.series.to_wire()));
        }
        values
    }

    /// The `meta` value: the groups without their readings, the outbox, and `last_tick`.
    fn meta(&self) -> WatchBook {
        let mut groups = Keyed::new();
        for (key, group) in self.groups.iter() {
            groups.insert(key.clone(), Group { series: Series::default(), ..group.clone() });
        }
        WatchBook {
            subs: Keyed::new(),
            groups,
            outbox: self.outbox.clone(),
            last_tick: self.last_tick,
            removed: self.removed.clone(),
            interruptions: self.interruptions.clone(),
        }
    }

    /// What a save at `now` writes and deletes, given what the storage holds as far as this object knows
    /// (`written`, as the last [`Changes::written`]): only values that changed, so a minute in which nothing
    /// happens writes nothing and the free plan's daily writes go to what matters.
    ///
    /// - The clocks alone are not worth a row (see [`fingerprint`]): they are written with the next real change,
    ///   and `meta` (the last tick) at least every [`HEARTBEAT_SECS`], so an interruption can be told from a restart. A restart that forgets them at worst runs a duplicate delivery of a minute
    ///   again, which `shared::alarm::step` makes harmless.
    /// - A group's readings are written at most every [`SERIES_WRITE_SECS`]: LibreLinkUp's graph gives the last
    ///   12 hours back at the next read, so a restart loses at most the minute values of that span.
    pub fn changes(&self, written: &Keyed<Written>, now: i64) -> Changes {
        let mut changes = Changes::default();
        for (key, mut value) in self.stored_values() {
            let (fingerprint, clocks) = fingerprint(&key, &mut value);
            let before = written.get(&key);
            let write = match before {
                Some(before) if key == "meta" && now - before.at >= HEARTBEAT_SECS => true,
                Some(before) if before.fingerprint == fingerprint => false,
                Some(before) => !key.starts_with("series:") || now - before.at >= SERIES_WRITE_SECS,
                None => true,
            };
            let kept = if write {
                restore_clocks(&key, &mut value, clocks);
                changes.puts.push((key.clone(), value.to_string()));
                Written { fingerprint, at: now }
            } else {
                before.cloned().unwrap_or(Written { fingerprint, at: now })
            };
            changes.written.insert(key, kept);
        }
        changes.deletes = written.keys().filter(|key| !changes.written.contains_key(key)).cloned().collect();
        changes
    }

    /// The book from the stored `(key, value)` pairs of [`WatchBook::to_storage`], and the keys it could not read.
    /// A value that does not parse (or a key this version does not know) is skipped, so one bad subscription does
    /// not stop every phone's alarms; the caller keeps those values as they are (see `Watcher::load`). Every
    /// subscription's group exists afterwards: a group lost with an unreadable `meta` starts again with fresh
    /// alarm states, rather than leaving its phones without alarms (`apply` skips a group it does not have).
    pub fn from_storage(values: impl IntoIterator<Item = (String, String)>) -> (WatchBook, Vec<String>) {
        let mut book = WatchBook::default();
        let mut series = Vec::new();
        let mut unreadable = Vec::new();
        for (key, text) in values {
            let read = if key == "meta" {
                wire::decode::<WatchBook>(&text).map(|meta| {
                    book.groups = meta.groups;
                    book.outbox = meta.outbox;
                    book.last_tick = meta.last_tick;
                    book.removed = meta.removed;
                    book.interruptions = meta.interruptions;
                })
            } else if let Some(id) = key.strip_prefix("sub:") {
                wire::decode(&text).map(|sub| {
                    book.subs.insert(id.to_owned(), sub);
                })
            } else if let Some(group) = key.strip_prefix("series:") {
                wire::decode(&text).map(|readings| series.push((group.to_owned(), readings)))
            } else {
                unreadable.push(key);
                continue;
            };
            if read.is_none() {
                unreadable.push(key);
            }
        }
        for sub in book.subs.values() {
            book.groups.or_default(sub.group.clone());
        }
        for (group, readings) in series {
            if let Some(g) = book.groups.get_mut(&group) {
                g.series = readings;
            }
        }
        (book, unreadable)
    }

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
                    let name = self.groups.get(&sub.group).map(|g| g.name.clone()).unwrap_or_default();
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
            .filter(|s| s.group.starts_with("demo:") && now - s.created > DEMO_PHONE_SECS)
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
            match out.iter_mut().find(|(group, _)| *group == sub.group) {
                Some((_, subs)) => subs.push(sub),
                None => out.push((sub.group.clone(), vec![sub])),
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
            Read::Data { series, name, sensor_ends } => {
                group.failure = None;
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
        let ids: Vec<String> = self.subs.values().filter(|s| s.group == group_key).map(|s| s.id.clone()).collect();
        for id in ids {
            let Some(sub) = self.subs.get_mut(&id) else { continue };
            // The sensor's end comes from LibreLinkUp's data, not from the phone (which never sends it).
            let mut config = sub.config.clone();
            if let Some(ends) = group.sensor_ends {
                config.sensor_ends_at = Some(UtcTime::from_unix_secs(ends));
            }
            let (events, next) = alarm::step(at, group.series.as_slice(), &config, &sub.state);
            sub.state = next;
            let mut queue = Vec::new();
            for event in events {
                match event {
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
        }
        match delivery {
            Delivery::Accepted | Delivery::Refused(_) => self.outbox.retain(|m| !same(m)),
            Delivery::Gone => self.remove(&message.sub),
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
