//! The phones that get an account's alarms, as the worker lists them (`GET /api/push/phones`) and the app shows
//! them to their owner: one contract, written by one side and read by the other.

use serde::{Deserialize, Serialize};

/// One phone that gets the account's alarms.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneInfo {
    /// Its id (what removing it names).
    pub id: String,
    /// The patient it follows.
    pub patient_id: String,
    /// What it is ("Chrome on Android"; empty for a phone subscribed before the server kept it).
    pub device: String,
    /// The link it follows through, or `None` for the owner's own phone.
    pub share_id: Option<String>,
    /// When it subscribed, Unix seconds.
    pub created: i64,
    /// When a push last reached its push service, Unix seconds.
    pub delivered: Option<i64>,
    /// When the phone last confirmed a push (its service worker's receipt), Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<i64>,
    /// The phone has not confirmed the alarms sent to it since this time (the others were told), Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_since: Option<i64>,
    /// Its loud channel, described without secrets, and what it last answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loud: Option<crate::loud::LoudStatus>,
}

/// A stretch in which the server's background alarms did not run, so no alarm could be sent (every phone was told
/// by a push): from the last minute's round before it to the first after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Interruption {
    /// The last round before it, Unix seconds.
    pub from: i64,
    /// The first round after it, Unix seconds.
    pub to: i64,
}

/// A phone that stopped getting alarms without anyone removing it: its push service ended the subscription (the
/// browser's data cleared, the app uninstalled, notifications revoked). The other phones were told by a push.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LostPhone {
    /// The patient it followed.
    pub patient_id: String,
    /// Who it was (its name in the rota, else what it was: "Chrome on Android").
    pub name: String,
    /// When the push service said it was gone, Unix seconds.
    pub at: i64,
    /// When a push last reached it before, Unix seconds.
    pub last_reached: Option<i64>,
}

/// "Tonight's alarm test": at this time each day every phone of a patient gets a silent push, which its service
/// worker confirms; a phone that does not is reported to the others as any phone that stops confirming its alarms.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmTest {
    /// Minutes after midnight on the family's clock.
    pub minute: u16,
    /// The family's clock when it was set: minutes from UTC.
    pub utc_offset_min: i16,
}

/// How late a day's test may still go out (a server that was down longer skips that day's).
const ALARM_TEST_LATE_SECS: i64 = 3600;

impl AlarmTest {
    /// Whether it is a time of day on a clock within ±14 h of UTC.
    pub fn is_valid(self) -> bool {
        self.minute < 24 * 60 && self.utc_offset_min.abs() <= 14 * 60
    }

    /// When today's test is (today on the family's clock at `now`), Unix seconds.
    pub fn today(self, now: i64) -> i64 {
        let offset = i64::from(self.utc_offset_min) * 60;
        let local = now + offset;
        local - local.rem_euclid(86_400) + i64::from(self.minute) * 60 - offset
    }

    /// Whether the test is due at `now`, the last one having gone out at `last`: from today's time on, within the
    /// hour, once.
    pub fn due(self, last: Option<i64>, now: i64) -> bool {
        let at = self.today(now);
        (at..at + ALARM_TEST_LATE_SECS).contains(&now) && last.is_none_or(|last| last < at)
    }
}

/// The account's phones, and the interruptions of the last week, the latest last.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct PhoneList {
    /// The phones.
    pub phones: Vec<PhoneInfo>,
    /// Absent from servers before interruptions were listed.
    #[serde(default)]
    pub interruptions: Vec<Interruption>,
    /// Phones whose push service ended them this week, the latest last (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<LostPhone>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_test_goes_out_once_a_day_at_its_time_on_the_familys_clock() {
        // 22:00 in Berlin in winter (UTC+1): 21:00 UTC.
        let test = AlarmTest { minute: 22 * 60, utc_offset_min: 60 };
        let day = 1_765_065_600; // 2025-12-07 00:00 UTC
        let at = day + 21 * 3600;
        assert_eq!(test.today(at - 5 * 3600), at);
        assert!(!test.due(None, at - 60));
        assert!(test.due(None, at));
        assert!(test.due(Some(at - 86_400), at + 30 * 60), "a late minute still sends it");
        assert!(!test.due(Some(at), at + 60), "once");
        assert!(!test.due(None, at + 3600), "over an hour late: that day's is skipped");
        assert!(test.due(Some(at), at + 86_400), "the next day again");
        // Just after midnight on the family's clock, the test is that day's, not the day before's.
        let late = AlarmTest { minute: 30, utc_offset_min: -300 }; // 00:30 in New York: 05:30 UTC
        assert!(late.due(None, day + 5 * 3600 + 30 * 60));
        assert!(AlarmTest { minute: 1439, utc_offset_min: 840 }.is_valid());
        assert!(!AlarmTest { minute: 1440, utc_offset_min: 0 }.is_valid());
        assert!(!AlarmTest { minute: 0, utc_offset_min: 900 }.is_valid());
    }

    proptest::proptest! {
        /// Ticking every minute for three days, the test goes out once a day, at its time or within the hour.
        #[test]
        fn the_alarm_test_goes_out_once_a_day(minute in 0u16..1440, offset in -840i16..=840, start in 0i64..86_400) {
            let test = AlarmTest { minute, utc_offset_min: offset };
            let (mut last, mut sent) = (None, Vec::new());
            let begin = 1_765_065_600 + start;
            for now in (begin..begin + 3 * 86_400).step_by(60) {
                if test.due(last, now) {
                    last = Some(now);
                    sent.push(now);
                }
            }
            proptest::prop_assert!((3..=4).contains(&sent.len()), "{sent:?}");
            // The first may be late (the ticks began within the hour after its time); the others are on time.
            let late = |at: i64| ((at + i64::from(offset) * 60).rem_euclid(86_400) / 60 - i64::from(minute)).rem_euclid(1440);
            proptest::prop_assert!(late(sent[0]) < 60, "{sent:?}");
            for (n, at) in sent.iter().enumerate().skip(1) {
                proptest::prop_assert_eq!(late(*at), 0, "{:?}", sent);
                proptest::prop_assert!(n == 1 || at - sent[n - 1] == 86_400);
            }
        }
    }

    /// The app of this build reads what the worker of the build before wrote, and the other way round.
    #[test]
    fn the_list_is_the_json_the_app_and_the_worker_agree_on() {
        let list = PhoneList {
            // The owner's own phone, subscribed before the server kept what it is.
            phones: vec![PhoneInfo {
                id: "own".into(),
                patient_id: "p".into(),
                device: String::new(),
                share_id: None,
                created: 1,
                delivered: Some(3),
                received: None,
                missing_since: None,
                loud: None,
            }],
            interruptions: vec![Interruption { from: 1, to: 2 }],
            lost: Vec::new(),
        };
        let written = r#"{"interruptions":[{"from":1,"to":2}],
            "phones":[{"created":1,"delivered":3,"device":"","id":"own","patientId":"p","shareId":null}]}"#;
        assert_eq!(crate::wire::to_value(&list), crate::wire::parse(written).unwrap());
        assert_eq!(crate::wire::from_json::<PhoneList>(written), Some(list));
        let older = r#"{"phones":[]}"#;
        assert_eq!(crate::wire::from_json::<PhoneList>(older), Some(PhoneList::default()));
    }
}
