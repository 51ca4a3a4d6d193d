//! What the worker and a `Watcher` say to each other, and its JSON.

use shared::alarm::AlarmKind;

use crate::error::ApiError;
use crate::watch::{Holder, Interruption, LostPhone, NewSubscription, PhoneInfo};
use crate::wire;
use shared::rota::Rota;

/// What the worker asks the `Watcher` object (a message serialised once per request: its size does not matter).
#[allow(clippy::large_enum_variant)]
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchRequest {
    /// Add or update a subscription (with a fresh id and key, used only if it is new).
    Subscribe {
        /// The subscription, checked.
        new: NewSubscription,
        /// Id if new.
        id: String,
        /// Key if new.
        key: String,
    },
    /// Remove one.
    Unsubscribe {
        /// Id.
        id: String,
        /// Key.
        key: String,
    },
    /// Send a test push now.
    Test {
        /// Id.
        id: String,
        /// Key.
        key: String,
    },
    /// "I'm on it" or "Snooze".
    Act {
        /// Id.
        id: String,
        /// Key.
        key: String,
        /// Which alarm.
        kind: AlarmKind,
        /// Snooze minutes, or `None` for "I'm on it".
        snooze_min: Option<i64>,
    },
    /// The cron's minute.
    Tick {
        /// Scheduled time, Unix seconds.
        now: i64,
    },
    /// The phones a holder may see.
    Phones {
        /// Whose (`account` or `demo_session`, beside the other fields).
        #[serde(flatten)]
        holder: Holder,
    },
    /// A holder removes one of its phones.
    RemovePhone {
        /// Whose (`account` or `demo_session`, beside the other fields).
        #[serde(flatten)]
        holder: Holder,
        /// Which.
        id: String,
    },
    /// A share was revoked: its phones go now.
    ForgetShare {
        /// The share's id.
        share_id: String,
    },
    /// The account signed in again: its owners' phones read through this new session from now on.
    Renew {
        /// The account (`account-id`).
        account_id: String,
        /// The new sealed session.
        session: String,
    },
    /// The rotas of a holder's patients.
    Rotas {
        /// Whose.
        holder: Holder,
    },
    /// The owner sets (or removes) a patient's rota.
    SetRota {
        /// Whose.
        holder: Holder,
        /// Which patient.
        patient_id: String,
        /// The rota, or `None` to remove it.
        rota: Option<Rota>,
    },
    /// "I take over": a phone in the rota is on duty for a while.
    TakeOver {
        /// Id.
        id: String,
        /// Key.
        key: String,
        /// For how many hours.
        hours: i64,
    },
    /// The phone with this push endpoint moved to another object: it goes from this one.
    ForgetEndpoint {
        /// The push endpoint.
        endpoint: String,
    },
    /// The owner sets (or removes) a patient's daily alarm test.
    SetAlarmTest {
        /// Whose.
        holder: Holder,
        /// The patient.
        patient_id: String,
        /// When, or `None` for none.
        test: Option<shared::phones::AlarmTest>,
    },
    /// A phone's service worker got a push (its receipt).
    Receipt {
        /// The subscription.
        id: String,
        /// Its key.
        key: String,
    },
    /// A phone asks how its alarms reach it (answered as a list of that one phone).
    Status {
        /// The subscription.
        id: String,
        /// Its key.
        key: String,
    },
    /// A note on a patient (the worker checked it and signed it).
    AddNote {
        /// The patient group.
        group: String,
        /// The note.
        note: shared::notes::Note,
    },
    /// The owner removes a note.
    RemoveNote {
        /// The patient group.
        group: String,
        /// The note's id.
        id: String,
    },
    /// The notes on a patient, oldest first.
    Notes {
        /// The patient group.
        group: String,
    },
    /// A phone sets (or removes) its loud channel.
    SetLoud {
        /// The subscription.
        id: String,
        /// Its key.
        key: String,
        /// The channel, or `None` for none.
        loud: Option<shared::loud::Loud>,
    },
    /// A phone tests its loud channel now.
    TestLoud {
        /// The subscription.
        id: String,
        /// Its key.
        key: String,
    },
}

/// Never a phone's key or a session.
impl core::fmt::Debug for WatchRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WatchRequest::Subscribe { new, id, .. } => {
                f.debug_struct("Subscribe").field("new", new).field("id", id).finish_non_exhaustive()
            }
            WatchRequest::Unsubscribe { id, .. } => {
                f.debug_struct("Unsubscribe").field("id", id).finish_non_exhaustive()
            }
            WatchRequest::Test { id, .. } => f.debug_struct("Test").field("id", id).finish_non_exhaustive(),
            WatchRequest::Act { id, kind, snooze_min, .. } => f
                .debug_struct("Act")
                .field("id", id)
                .field("kind", kind)
                .field("snooze_min", snooze_min)
                .finish_non_exhaustive(),
            WatchRequest::Tick { now } => f.debug_struct("Tick").field("now", now).finish(),
            WatchRequest::ForgetShare { share_id } => {
                f.debug_struct("ForgetShare").field("share_id", share_id).finish()
            }
            WatchRequest::Phones { holder } => f.debug_struct("Phones").field("holder", holder).finish(),
            WatchRequest::RemovePhone { holder, id } => {
                f.debug_struct("RemovePhone").field("holder", holder).field("id", id).finish()
            }
            WatchRequest::Renew { account_id, .. } => {
                f.debug_struct("Renew").field("account_id", account_id).finish_non_exhaustive()
            }
            WatchRequest::ForgetEndpoint { .. } => f.debug_struct("ForgetEndpoint").finish_non_exhaustive(),
            WatchRequest::Rotas { holder } => f.debug_struct("Rotas").field("holder", holder).finish(),
            WatchRequest::SetRota { holder, patient_id, rota } => f
                .debug_struct("SetRota")
                .field("holder", holder)
                .field("patient_id", patient_id)
                .field("rota", rota)
                .finish(),
            WatchRequest::TakeOver { id, hours, .. } => {
                f.debug_struct("TakeOver").field("id", id).field("hours", hours).finish_non_exhaustive()
            }
            WatchRequest::SetAlarmTest { holder, patient_id, test } => f
                .debug_struct("SetAlarmTest")
                .field("holder", holder)
                .field("patient_id", patient_id)
                .field("test", test)
                .finish(),
            WatchRequest::Receipt { id, .. } => f.debug_struct("Receipt").field("id", id).finish_non_exhaustive(),
            WatchRequest::Status { id, .. } => f.debug_struct("Status").field("id", id).finish_non_exhaustive(),
            // A note's words are the family's: never in a log line.
            WatchRequest::AddNote { group, .. } => {
                f.debug_struct("AddNote").field("group", group).finish_non_exhaustive()
            }
            WatchRequest::RemoveNote { group, id } => {
                f.debug_struct("RemoveNote").field("group", group).field("id", id).finish()
            }
            WatchRequest::Notes { group } => f.debug_struct("Notes").field("group", group).finish(),
            // A channel holds tokens and keys: never in a log line.
            WatchRequest::SetLoud { id, .. } => f.debug_struct("SetLoud").field("id", id).finish_non_exhaustive(),
            WatchRequest::TestLoud { id, .. } => f.debug_struct("TestLoud").field("id", id).finish_non_exhaustive(),
        }
    }
}

/// What the `Watcher` answers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchAnswer {
    /// Subscribed.
    Subscribed {
        /// Id.
        id: String,
        /// Key.
        key: String,
        /// The group's shared-acknowledgement choice.
        shared_ack: bool,
    },
    /// Done, applied to this many phones.
    Done(usize),
    /// The phones asked for, and the recent interruptions of the background alarms (when it has any phone).
    Phones {
        /// The phones.
        phones: Vec<PhoneInfo>,
        /// The interruptions of the last week, the latest last.
        interruptions: Vec<Interruption>,
        /// The phones whose push service ended them this week, the latest last.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lost: Vec<LostPhone>,
    },
    /// The rotas asked for ([`crate::watch::RotaView`]s, as the app reads them: the worker passes them on as they are).
    Rotas(wire::Value),
    /// The notes on a patient, oldest first.
    Notes(Vec<shared::notes::Note>),
    /// A test push's push-service status.
    Sent(u16),
    /// A tick ran (or was a duplicate): groups read, pushes sent.
    Ticked {
        /// False for a duplicate delivery.
        ran: bool,
        /// Groups read.
        groups: usize,
        /// Subscriptions stepped.
        subs: usize,
        /// Pushes accepted by push services.
        sent: usize,
    },
    /// It failed.
    Error(ApiError),
}
