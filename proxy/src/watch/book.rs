//! What the watch book does with phones: subscribe, check a phone's key, follow its share and its owner's
//! session, list and remove phones, acknowledge.

use super::*;
use shared::code::Code;

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
        if self.removed.contains_key(&endpoint_hash(&new.setup.endpoint)) {
            return Err(ApiError::new(
                403,
                Code::PhoneRemoved,
                "This phone was removed from these alarms. Turn alarms off and on again on it to add it back.",
            ));
        }
        let existing = self.subs.values().find(|s| s.setup.endpoint == new.setup.endpoint).map(|s| s.id.clone());
        if let Some(sub) = existing.as_deref().and_then(|id| self.subs.get(id)) {
            let same_keys = constant_time_eq(sub.setup.p256dh.as_bytes(), new.setup.p256dh.as_bytes())
                & constant_time_eq(sub.setup.auth.as_bytes(), new.setup.auth.as_bytes());
            let holds_key =
                new.presented_key.as_deref().is_some_and(|k| constant_time_eq(sub.key.as_bytes(), k.as_bytes()));
            if !same_keys && !holds_key {
                return Err(ApiError::new(
                    409,
                    Code::PushEndpointTaken,
                    "This phone is already subscribed with other keys; turn its alarms off and on again.",
                ));
            }
        }
        // A new phone, or one that moves to another patient or link, must find a place there (itself not counted).
        let moves = existing.as_deref().and_then(|id| self.subs.get(id)).is_none_or(|sub| {
            sub.setup.group != new.setup.group || sub.setup.access.share_id() != new.setup.access.share_id()
        });
        if moves {
            self.check_room(&new, existing.as_deref())?;
        }
        if let Some(shared) = new.shared_ack {
            self.groups.entry(new.setup.group.clone()).or_default().shared_ack = shared;
        }
        if let Some(id) = existing {
            let sub = self.subs.get_mut(&id).ok_or_else(ApiError::internal)?;
            if sub.setup.group != new.setup.group {
                sub.state = AlarmState::new();
                sub.told = None;
            }
            sub.setup.p256dh = new.setup.p256dh;
            sub.setup.auth = new.setup.auth;
            sub.setup.group = new.setup.group.clone();
            sub.setup.patient_id = new.setup.patient_id;
            sub.setup.access = new.setup.access;
            sub.setup.config = new.setup.config;
            sub.setup.unit = new.setup.unit;
            if !new.device.is_empty() {
                sub.device = new.device;
            }
            self.groups.entry(new.setup.group).or_default();
            return self.subs.get(&id).ok_or_else(ApiError::internal);
        }
        // The first phone of a book nobody was watched through: the minutes it missed were nobody's alarms, so
        // they are no interruption to tell this phone about (an account's Watcher leaves the round when it empties).
        if self.subs.is_empty() {
            self.last_tick = None;
        }
        self.groups.entry(new.setup.group.clone()).or_default();
        let sub = Subscription {
            id: id.clone(),
            key,
            setup: new.setup,
            state: AlarmState::new(),
            created: now,
            told: None,
            device: new.device,
            delivered: None,
            received: None,
            awaiting: None,
            missing_told: false,
            loud: None,
            loud_at: None,
            loud_status: None,
        };
        self.subs.insert(id.clone(), sub);
        self.subs.get(&id).ok_or_else(ApiError::internal)
    }

    /// The subscription `id` if `key` is its key (compared in constant time).
    pub fn authorised(&self, id: &str, key: &str) -> Result<&Subscription, ApiError> {
        self.subs
            .get(id)
            .filter(|s| constant_time_eq(s.key.as_bytes(), key.as_bytes()))
            .ok_or_else(|| ApiError::new(404, Code::PushNotFound, "This phone is not subscribed any more."))
    }

    /// The viewers' phones to unsubscribe, given the share book's answer for their shares (`(share id, its
    /// session and alarms flag while it lasts)`): those whose share is gone or has its alarms turned off. With no
    /// answer (the book could not be read this minute) nobody is dropped: a passing failure must not silently
    /// end a grandparent's alarms.
    pub fn viewers_without_share(&self, shares: Option<&[ShareSession]>) -> Vec<String> {
        let Some(shares) = shares else { return Vec::new() };
        self.subs
            .values()
            .filter(|s| match &s.setup.access {
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
        for sub in self.subs.iter_mut().map(|(_, sub)| sub).filter(|s| s.setup.group.starts_with(&prefix)) {
            if let Access::Owner { session: held } = &mut sub.setup.access
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
            return Err(ApiError::new(503, Code::PushFull, "This server has as many phones as it can watch."));
        }
        if others().filter(|s| s.setup.group == new.setup.group).count() >= MAX_PER_GROUP {
            return Err(ApiError::new(409, Code::PushFull, "This person already has as many phones as one can have."));
        }
        if let Some(share_id) = new.setup.access.share_id() {
            let viewers =
                others().filter(|s| s.setup.access.share_id().is_some() && s.setup.group == new.setup.group).count();
            let of_share = others().filter(|s| s.setup.access.share_id() == Some(share_id)).count();
            if of_share >= MAX_PER_SHARE || viewers >= MAX_PER_GROUP - OWNER_RESERVED {
                return Err(ApiError::new(
                    409,
                    Code::PushFull,
                    "This link already has as many phones as it can have; ask whoever shared it for your own link.",
                ));
            }
        }
        Ok(())
    }

    /// The phones `holder` may see and remove, oldest first.
    pub fn phones(&self, holder: &Holder) -> Vec<PhoneInfo> {
        let mut phones: Vec<PhoneInfo> = self.subs.values().filter(|s| holder.holds(s)).map(phone_info).collect();
        shared::order::sort_by(&mut phones, |a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        phones
    }

    /// `holder` removes phone `id`: gone now, and its endpoint cannot subscribe again (see [`WatchBook::removed`]).
    /// Another holder's phone is "not found".
    pub fn remove_phone(&mut self, holder: &Holder, id: &str, now: i64) -> Result<(), ApiError> {
        let endpoint = self
            .subs
            .get(id)
            .filter(|s| holder.holds(s))
            .map(|s| s.setup.endpoint.clone())
            .ok_or_else(|| ApiError::new(404, Code::PushNotFound, "That phone is not getting these alarms."))?;
        self.remove(id);
        self.removed.retain(|_, at| now - *at < REMOVED_KEEP_SECS);
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
            self.subs.values().filter(|s| s.setup.access.share_id() == Some(share_id)).map(|s| s.id.clone()).collect();
        for id in &ids {
            self.remove(id);
        }
        ids.len()
    }

    /// Removes a subscription and its waiting pushes; forgets a group nobody watches.
    pub fn remove(&mut self, id: &str) {
        if let Some(sub) = self.subs.remove(id) {
            self.outbox.retain(|m| m.sub != id);
            self.loud_outbox.retain(|m| m.sub != id);
            if !self.subs.values().any(|s| s.setup.group == sub.setup.group) {
                self.groups.remove(&sub.setup.group);
            }
        }
    }

    /// Removes the phone with push endpoint `endpoint` (it moved to another object); how many went (0 or 1).
    pub fn forget_endpoint(&mut self, endpoint: &str) -> usize {
        let ids: Vec<String> =
            self.subs.values().filter(|s| s.setup.endpoint == endpoint).map(|s| s.id.clone()).collect();
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
                let for_all =
                    matches!(s.setup.access, Access::Owner { .. } | Access::Viewer { acts_for_all: true, .. });
                (s.setup.group.clone(), for_all)
            })
            .ok_or_else(ApiError::internal)?;
        // An alarm going round the rota: "I'm on it" ends the ladder and tells the others (`on_it`).
        if action == Action::Acknowledge
            && let Some(phones) = self.on_it(id, kind, now)
        {
            return Ok(phones.len());
        }
        let shared = for_all && self.groups.get(&group).is_some_and(|g| g.shared_ack);
        let at = UtcTime::from_unix_secs(now);
        let mut touched = Vec::new();
        for sub in self.subs.iter_mut().map(|(_, sub)| sub).filter(|s| s.id == id || (shared && s.setup.group == group))
        {
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
}

/// A phone as its owner's list (and the phone itself) sees it.
pub(super) fn phone_info(s: &Subscription) -> PhoneInfo {
    PhoneInfo {
        id: s.id.clone(),
        patient_id: s.setup.patient_id.clone(),
        device: s.device.clone(),
        share_id: s.setup.access.share_id().map(str::to_owned),
        created: s.created,
        delivered: s.delivered,
        received: s.received,
        missing_since: s.received.filter(|_| s.missing_told),
        loud: s.loud.as_ref().map(|loud| shared::loud::LoudStatus {
            channel: loud.describe(),
            last_at: s.loud_at,
            last_status: s.loud_status,
        }),
    }
}
