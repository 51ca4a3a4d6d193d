//! The alarm chain's health: each phone's service worker confirms every push it gets (a receipt, posted back
//! without waking anyone). A phone that has confirmed before and then leaves a push unconfirmed for
//! [`RECEIPT_GRACE_SECS`] (switched off, out of battery, offline, its notifications blocked) is reported once to the
//! other phones of its patient ("Sam's phone has not received alarms since 21:40"), in the night log and in the
//! owner's list of phones; its next receipt clears it. A phone that never confirmed (a service worker from before
//! receipts) is not expected to. "Tonight's alarm test" sends every phone of a patient a silent push at a chosen
//! time each day, so a phone that went quiet is found before the night, not during an alarm.

use shared::phones::AlarmTest;
use shared::rota::{self, Step, What};

use super::*;

/// How long an accepted push may wait for its receipt: push services hold normal-priority pushes for a phone in
/// deep sleep for several minutes, and a phone is worth reporting only when it is really out of reach.
pub const RECEIPT_GRACE_SECS: i64 = 30 * MINUTE;

impl WatchBook {
    /// Phone `id`'s service worker got a push at `now`.
    pub fn receipt(&mut self, id: &str, now: i64) {
        let Some(sub) = self.subs.get_mut(id) else { return };
        sub.received = Some(now);
        sub.awaiting = None;
        sub.missing_told = false;
    }

    /// The owner sets (or, with `None`, removes) the daily alarm test of their patient `patient_id`.
    pub fn set_alarm_test(
        &mut self,
        holder: &Holder,
        patient_id: &str,
        test: Option<AlarmTest>,
    ) -> Result<(), ApiError> {
        let Holder::Account(account) = holder else {
            return Err(ApiError::wrong_session("The demo has no alarm test: sign in to your own account."));
        };
        if test.is_some_and(|t| !t.is_valid()) {
            return Err(ApiError::bad_request(
                "The alarm test is a time of day (\"minute\" 0–1439, \"utcOffsetMin\").",
            ));
        }
        let group = self.groups.get_mut(&format!("acct:{account}:{patient_id}")).ok_or_else(|| {
            ApiError::new(404, shared::code::Code::PushNotFound, "No phone gets this person's alarms yet.")
        })?;
        group.alarm_test = test;
        Ok(())
    }

    /// Today's alarm test for every phone of `group_key`, when it is due at `now`.
    pub(super) fn run_alarm_test(&mut self, group_key: &str, now: i64) {
        let Some(group) = self.groups.get_mut(group_key) else { return };
        if !group.alarm_test.is_some_and(|t| t.due(group.alarm_test_sent, now)) {
            return;
        }
        group.alarm_test_sent = Some(now);
        let group = group.clone();
        let tests: Vec<Message> = self
            .subs
            .values()
            .filter(|s| s.setup.group == group_key)
            .map(|sub| alarm_test_message(sub, &group, now))
            .collect();
        for message in tests {
            self.queue(message);
        }
    }

    /// Each phone of `group_key` whose receipt is overdue at `now` is reported to the others, once.
    pub(super) fn check_receipts(&mut self, group_key: &str, now: i64) {
        let overdue: Vec<(String, i64)> = self
            .subs
            .values()
            .filter(|s| s.setup.group == group_key && !s.missing_told)
            .filter(|s| s.awaiting.is_some_and(|since| now - since >= RECEIPT_GRACE_SECS))
            .filter_map(|s| Some((s.id.clone(), s.received?)))
            .collect();
        let Some(group) = self.groups.get(group_key).cloned() else { return };
        for (id, since) in overdue {
            let name = self.phone_name(&group, &id);
            let told: Vec<Message> = self
                .subs
                .values()
                .filter(|s| s.setup.group == group_key && s.id != id)
                .map(|other| missing_message(other, &group, &name, since, now))
                .collect();
            if let Some(sub) = self.subs.get_mut(&id) {
                sub.missing_told = true;
            }
            if let Some(group) = self.groups.get_mut(group_key) {
                rota::record(
                    &mut group.log,
                    Step { until: Some(since), ..Step::new(now, None, What::Missed, vec![name]) },
                );
            }
            for message in told {
                self.queue(message);
            }
        }
    }
}
