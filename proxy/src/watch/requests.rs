//! What the worker and a `Watcher` say to each other, and its JSON.

use serde_json::Value;
use shared::alarm::AlarmKind;

use crate::error::ApiError;
use crate::watch::{Holder, Interruption, NewSubscription, PhoneInfo};
use crate::wire::{self, Wire};

/// What the worker asks the `Watcher` object (a message serialised once per request: its size does not matter).
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
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
        /// Whose.
        holder: Holder,
    },
    /// A holder removes one of its phones.
    RemovePhone {
        /// Whose.
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
    /// The phone with this push endpoint moved to another object: it goes from this one.
    ForgetEndpoint {
        /// The push endpoint.
        endpoint: String,
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
        }
    }
}

/// What the `Watcher` answers.
#[derive(Clone, Debug)]
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
    },
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

impl Wire for WatchRequest {
    fn to_wire(&self) -> Value {
        let id_key = |id: &String, key: &String| vec![("id", id.to_wire()), ("key", key.to_wire())];
        let (name, fields) = match self {
            WatchRequest::Subscribe { new, id, key } => {
                let mut fields = id_key(id, key);
                fields.push(("new", new.to_wire()));
                ("subscribe", fields)
            }
            WatchRequest::Unsubscribe { id, key } => ("unsubscribe", id_key(id, key)),
            WatchRequest::Test { id, key } => ("test", id_key(id, key)),
            WatchRequest::Act { id, key, kind, snooze_min } => {
                let mut fields = id_key(id, key);
                fields.push(("kind", kind.to_wire()));
                fields.push(("snooze_min", snooze_min.to_wire()));
                ("act", fields)
            }
            WatchRequest::Tick { now } => ("tick", vec![("now", now.to_wire())]),
            WatchRequest::Renew { account_id, session } => {
                ("renew", vec![("account_id", account_id.to_wire()), ("session", session.to_wire())])
            }
            WatchRequest::ForgetShare { share_id } => ("forget_share", vec![("share_id", share_id.to_wire())]),
            WatchRequest::ForgetEndpoint { endpoint } => ("forget_endpoint", vec![("endpoint", endpoint.to_wire())]),
            WatchRequest::Phones { holder } => ("phones", holder_fields(holder)),
            WatchRequest::RemovePhone { holder, id } => {
                let mut fields = holder_fields(holder);
                fields.push(("id", id.to_wire()));
                ("remove_phone", fields)
            }
        };
        wire::variant(name, Some(wire::object(fields)))
    }

    fn from_wire(value: &Value) -> Option<WatchRequest> {
        let (name, content) = wire::read_variant(value)?;
        let id = || wire::get::<String>(content, "id");
        let key = || wire::get::<String>(content, "key");
        Some(match name {
            "subscribe" => WatchRequest::Subscribe { new: wire::get(content, "new")?, id: id()?, key: key()? },
            "unsubscribe" => WatchRequest::Unsubscribe { id: id()?, key: key()? },
            "test" => WatchRequest::Test { id: id()?, key: key()? },
            "act" => WatchRequest::Act {
                id: id()?,
                key: key()?,
                kind: wire::get(content, "kind")?,
                snooze_min: wire::get(content, "snooze_min")?,
            },
            "tick" => WatchRequest::Tick { now: wire::get(content, "now")? },
            "renew" => WatchRequest::Renew {
                account_id: wire::get(content, "account_id")?,
                session: wire::get(content, "session")?,
            },
            "forget_share" => WatchRequest::ForgetShare { share_id: wire::get(content, "share_id")? },
            "forget_endpoint" => WatchRequest::ForgetEndpoint { endpoint: wire::get(content, "endpoint")? },
            "phones" => WatchRequest::Phones { holder: read_holder(content)? },
            "remove_phone" => WatchRequest::RemovePhone { holder: read_holder(content)?, id: id()? },
            _ => return None,
        })
    }
}

/// A holder as a request's fields: `account` or `demo_session`.
fn holder_fields(holder: &Holder) -> Vec<(&'static str, Value)> {
    match holder {
        Holder::Account(account) => vec![("account", account.to_wire())],
        Holder::Demo(session) => vec![("demo_session", session.to_wire())],
    }
}

fn read_holder(content: &Value) -> Option<Holder> {
    match (wire::get::<Option<String>>(content, "account")?, wire::get::<Option<String>>(content, "demo_session")?) {
        (Some(account), None) => Some(Holder::Account(account)),
        (None, Some(session)) => Some(Holder::Demo(session)),
        _ => None,
    }
}

impl Wire for WatchAnswer {
    fn to_wire(&self) -> Value {
        match self {
            WatchAnswer::Subscribed { id, key, shared_ack } => wire::variant(
                "subscribed",
                Some(wire::object(vec![
                    ("id", id.to_wire()),
                    ("key", key.to_wire()),
                    ("shared_ack", shared_ack.to_wire()),
                ])),
            ),
            WatchAnswer::Done(phones) => wire::variant("done", Some(phones.to_wire())),
            WatchAnswer::Phones { phones, interruptions } => wire::variant(
                "phones",
                Some(wire::object(vec![("phones", wire::list(phones)), ("interruptions", interruptions.to_wire())])),
            ),
            WatchAnswer::Sent(status) => wire::variant("sent", Some(status.to_wire())),
            WatchAnswer::Ticked { ran, groups, subs, sent } => wire::variant(
                "ticked",
                Some(wire::object(vec![
                    ("ran", ran.to_wire()),
                    ("groups", groups.to_wire()),
                    ("subs", subs.to_wire()),
                    ("sent", sent.to_wire()),
                ])),
            ),
            WatchAnswer::Error(error) => wire::variant("error", Some(error.to_wire())),
        }
    }

    fn from_wire(value: &Value) -> Option<WatchAnswer> {
        let (name, content) = wire::read_variant(value)?;
        Some(match name {
            "subscribed" => WatchAnswer::Subscribed {
                id: wire::get(content, "id")?,
                key: wire::get(content, "key")?,
                shared_ack: wire::get(content, "shared_ack")?,
            },
            "done" => WatchAnswer::Done(usize::from_wire(content)?),
            "phones" => WatchAnswer::Phones {
                phones: wire::read_list(content.get("phones")?)?,
                interruptions: wire::get(content, "interruptions")?,
            },
            "sent" => WatchAnswer::Sent(u16::from_wire(content)?),
            "ticked" => WatchAnswer::Ticked {
                ran: wire::get(content, "ran")?,
                groups: wire::get(content, "groups")?,
                subs: wire::get(content, "subs")?,
                sent: wire::get(content, "sent")?,
            },
            "error" => WatchAnswer::Error(ApiError::from_wire(content)?),
            _ => return None,
        })
    }
}
