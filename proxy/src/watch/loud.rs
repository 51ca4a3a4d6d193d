//! The loud channel in the book (issue 31, item 5): a phone's own ntfy topic, Pushover key or webhook
//! (`shared::loud`), the last rung of the night shift. When an alarm going round the rota reaches everyone, each
//! phone of the patient with a channel gets it there too, through its own small outbox (a channel that does not
//! answer is tried again with back-off). A channel that refuses, or never answers, is not left silent: the night
//! log says so and the phone gets a push telling it to check the channel.

use shared::loud::{Loud, LoudAlarm, Outcome};
use shared::rota::{self, Step, What};

use super::*;

/// Tries of one message before its channel counts as not answering.
pub const LOUD_TRIES: u32 = 5;
/// A loud message older than this is not worth sending any more (seconds).
pub const LOUD_TTL_SECS: i64 = 30 * MINUTE;

/// A message waiting for a phone's loud channel.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct LoudMessage {
    /// The phone whose channel it goes to.
    pub sub: String,
    /// What it says.
    pub alarm: LoudAlarm,
    /// When it was queued, Unix seconds.
    pub created: i64,
    /// Not before this.
    pub next_try: i64,
    /// Tries so far.
    pub tries: u32,
}

impl WatchBook {
    /// Phone `id` (holding `key`) sets its loud channel, or removes it with `None` (`test_origins`: the worker's
    /// `LOUD_ORIGINS`). The API checked its URL as `fetch` parses it (`endpoint::loud_target`).
    pub fn set_loud(
        &mut self,
        id: &str,
        key: &str,
        loud: Option<Loud>,
        test_origins: &[String],
    ) -> Result<(), ApiError> {
        self.authorised(id, key)?;
        if let Some(Err(error)) = loud.as_ref().map(|l| l.check(test_origins)) {
            return Err(ApiError::bad_request(&format!("The loud channel: {error}.")));
        }
        if let Some(sub) = self.subs.get_mut(id) {
            sub.loud = loud;
            sub.loud_at = None;
            sub.loud_status = None;
        }
        self.loud_outbox.retain(|m| m.sub != id);
        Ok(())
    }

    /// The alarm `alert` of `group_key` reached everyone: it goes to every loud channel of the patient's phones
    /// as well (`unanswered`: who did not answer, for its text). Returns the names of the phones it went to.
    pub(super) fn queue_loud(&mut self, group_key: &str, alert: &Alert, unanswered: &str, now: i64) -> Vec<String> {
        let Some(group) = self.groups.get(group_key) else { return Vec::new() };
        let mut names = Vec::new();
        let mut queued = Vec::new();
        for sub in self.subs.values().filter(|s| s.setup.group == group_key && s.loud.is_some()) {
            let message = alarm_message(sub, group, &Alert { at: UtcTime::from_unix_secs(now), ..*alert }, now);
            let body = if unanswered.is_empty() {
                message.payload.body
            } else {
                format!("No answer from {unanswered} · {}", message.payload.body)
            };
            let alarm = LoudAlarm {
                kind: alert.kind.name(),
                title: message.payload.title,
                body,
                patient: group.name.clone(),
                at: now,
            };
            names.push(self.phone_name(group, &sub.id));
            queued.push(LoudMessage { sub: sub.id.clone(), alarm, created: now, next_try: now, tries: 0 });
        }
        for message in queued {
            self.loud_outbox.retain(|m| !(m.sub == message.sub && m.alarm.kind == message.alarm.kind));
            self.loud_outbox.push(message);
        }
        names
    }

    /// The loud messages to send at `now`, each with its channel; each is in flight until
    /// [`WatchBook::loud_answered`] (tried again a minute later if that never comes).
    pub fn loud_due(&mut self, now: i64) -> Vec<(LoudMessage, Loud)> {
        // A message whose phone or channel is gone, or that is too old to matter, goes: the outbox stays bounded.
        let subs = &self.subs;
        self.loud_outbox
            .retain(|m| now - m.created < LOUD_TTL_SECS && subs.get(&m.sub).is_some_and(|s| s.loud.is_some()));
        let mut due = Vec::new();
        for message in self.loud_outbox.iter_mut().filter(|m| m.next_try <= now) {
            if let Some(loud) = self.subs.get(&message.sub).and_then(|s| s.loud.clone()) {
                due.push((message.clone(), loud));
                message.next_try = now + MINUTE;
            }
        }
        due
    }

    /// Records what `message`'s channel answered at `now` (HTTP `status`, 0 for none): kept for the phone's
    /// Settings; tried again later on no answer, 429 or 5xx; on a refusal, or once it has been tried
    /// [`LOUD_TRIES`] times or for [`LOUD_TTL_SECS`], the night log says so and the phone is told by a push.
    pub fn loud_answered(&mut self, message: &LoudMessage, status: u16, now: i64) {
        let same = |m: &LoudMessage| m.sub == message.sub && m.created == message.created && m.alarm == message.alarm;
        if let Some(sub) = self.subs.get_mut(&message.sub) {
            sub.loud_at = Some(now);
            sub.loud_status = Some(status);
        }
        let gave_up = match Outcome::of(status) {
            Outcome::Delivered => false,
            Outcome::Refused => true,
            Outcome::Retry => {
                let tries = message.tries + 1;
                let expired = tries >= LOUD_TRIES || now - message.created >= LOUD_TTL_SECS;
                if let Some(waiting) = self.loud_outbox.iter_mut().find(|m| same(m)) {
                    waiting.tries = tries;
                    waiting.next_try = now + (MINUTE << tries.min(4)).min(10 * MINUTE);
                }
                expired
            }
        };
        if Outcome::of(status) == Outcome::Delivered || gave_up {
            self.loud_outbox.retain(|m| !same(m));
        }
        if gave_up {
            self.loud_failed(&message.sub, status, now);
        }
    }

    /// Phone `id`'s channel did not take an alarm: the log says so, and the phone is told to check it.
    fn loud_failed(&mut self, id: &str, status: u16, now: i64) {
        let Some(sub) = self.subs.get(id) else { return };
        let Some(group) = self.groups.get(&sub.setup.group) else { return };
        let name = self.phone_name(group, id);
        let message = loud_failed_message(sub, status, now);
        let group_key = sub.setup.group.clone();
        if let Some(group) = self.groups.get_mut(&group_key) {
            rota::record(&mut group.log, Step::new(now, None, What::LoudFailed, vec![name]));
        }
        self.queue(message);
    }

    /// The alarm `kind` of `group_key` was answered or is over: its loud messages still waiting go.
    pub(super) fn drop_loud(&mut self, group_key: &str, kind: AlarmKind) {
        let name = kind.name();
        let subs = &self.subs;
        self.loud_outbox
            .retain(|m| !(m.alarm.kind == name && subs.get(&m.sub).is_some_and(|s| s.setup.group == group_key)));
    }

    /// Logs that an alarm went to the loud channels of `names`.
    pub(super) fn log_loud(&mut self, group_key: &str, kind: AlarmKind, names: Vec<String>, now: i64) {
        if let Some(group) = self.groups.get_mut(group_key)
            && !names.is_empty()
        {
            rota::record(&mut group.log, Step::new(now, Some(kind), What::Loud, names));
        }
    }
}
