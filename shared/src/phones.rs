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
