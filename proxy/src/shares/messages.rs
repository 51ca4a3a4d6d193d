//! What the worker and a `Shares` object say to each other, and its JSON (written by hand, `shared::wire`).

use serde_json::Value;

use super::{Key, Share, ShareInfo, ShareSession};
use crate::error::ApiError;
use crate::wire::{self, Wire};

/// What the worker asks the `Shares` object.
#[allow(clippy::large_enum_variant)] // A message serialised once per request: its size does not matter.
#[derive(Clone, Debug)]
pub enum ShareRequest {
    /// Store a new share.
    Create(Share),
    /// The owner's shares.
    List {
        /// Account id.
        owner: String,
    },
    /// Revoke one of the owner's shares.
    Revoke {
        /// Account id.
        owner: String,
        /// Share id.
        id: String,
    },
    /// A viewer's request: the presented secret, hashed.
    Open(Key),
    /// The owner signed in again.
    Renew {
        /// Account id.
        owner: String,
        /// The new sealed session.
        session: String,
    },
    /// LibreLinkUp refused the session of share `id`.
    SignedOut {
        /// Share id.
        id: String,
    },
    /// The watcher's minute: for each share id, its sealed session and alarms flag if it is live.
    Sessions {
        /// Share ids.
        ids: Vec<String>,
    },
    /// Shares that move into this owner's book from the book of earlier builds (kept as they are; one it already
    /// has is not replaced).
    Adopt(Vec<Share>),
    /// To the book of earlier builds: move the shares of the owners of `route` (or of the next few owners) into
    /// their owners' books.
    Migrate {
        /// One owner route, or `None` for the next few owners.
        route: Option<String>,
    },
}

/// What the `Shares` object answers.
#[allow(clippy::large_enum_variant)] // A message serialised once per request: its size does not matter.
#[derive(Clone, Debug)]
pub enum ShareAnswer {
    /// Done.
    Done,
    /// The owner's shares.
    List(Vec<ShareInfo>),
    /// The share a viewer opened.
    Opened(Share),
    /// Per share id: `(sealed session, alarms allowed)` while it is live (not revoked, expired or signed out).
    Sessions(Vec<ShareSession>),
    /// Shares the book of earlier builds still holds after a move.
    Migrated {
        /// How many.
        left: u32,
    },
    /// It failed.
    Error(ApiError),
}

impl Wire for ShareRequest {
    fn to_wire(&self) -> Value {
        let text = |s: &String| Value::from(s.clone());
        let (name, content) = match self {
            ShareRequest::Create(share) => ("create", share.to_wire()),
            ShareRequest::List { owner } => ("list", wire::object(vec![("owner", text(owner))])),
            ShareRequest::Revoke { owner, id } => {
                ("revoke", wire::object(vec![("owner", text(owner)), ("id", text(id))]))
            }
            ShareRequest::Open(key) => ("open", wire::object(vec![("key", key.to_wire())])),
            ShareRequest::Renew { owner, session } => {
                ("renew", wire::object(vec![("owner", text(owner)), ("session", text(session))]))
            }
            ShareRequest::SignedOut { id } => ("signed_out", wire::object(vec![("id", text(id))])),
            ShareRequest::Sessions { ids } => {
                ("sessions", wire::object(vec![("ids", ids.iter().map(text).collect::<Vec<_>>().into())]))
            }
            ShareRequest::Adopt(shares) => ("adopt", wire::list(shares)),
            ShareRequest::Migrate { route } => ("migrate", wire::object(vec![("route", route.to_wire())])),
        };
        wire::variant(name, Some(content))
    }

    fn from_wire(value: &Value) -> Option<ShareRequest> {
        let (name, content) = wire::read_variant(value)?;
        let text = |field: &str| wire::get::<String>(content, field);
        Some(match name {
            "create" => ShareRequest::Create(Share::from_wire(content)?),
            "list" => ShareRequest::List { owner: text("owner")? },
            "revoke" => ShareRequest::Revoke { owner: text("owner")?, id: text("id")? },
            "open" => ShareRequest::Open(Key::from_wire(content.get("key")?)?),
            "renew" => ShareRequest::Renew { owner: text("owner")?, session: text("session")? },
            "signed_out" => ShareRequest::SignedOut { id: text("id")? },
            "sessions" => ShareRequest::Sessions { ids: wire::get(content, "ids")? },
            "adopt" => ShareRequest::Adopt(wire::read_list(content)?),
            "migrate" => ShareRequest::Migrate { route: wire::get(content, "route")? },
            _ => return None,
        })
    }
}

impl Wire for ShareAnswer {
    fn to_wire(&self) -> Value {
        match self {
            ShareAnswer::Done => wire::variant("done", None),
            ShareAnswer::List(list) => wire::variant("list", Some(wire::list(list))),
            ShareAnswer::Opened(share) => wire::variant("opened", Some(share.to_wire())),
            ShareAnswer::Sessions(sessions) => {
                let pairs = sessions
                    .iter()
                    .map(|(id, live)| {
                        let live = live.as_ref().map_or(Value::Null, |(session, alarms)| {
                            Value::Array(vec![session.clone().into(), (*alarms).into()])
                        });
                        Value::Array(vec![id.clone().into(), live])
                    })
                    .collect();
                wire::variant("sessions", Some(Value::Array(pairs)))
            }
            ShareAnswer::Migrated { left } => wire::variant("migrated", Some(u64::from(*left).into())),
            ShareAnswer::Error(error) => wire::variant("error", Some(error.to_wire())),
        }
    }

    fn from_wire(value: &Value) -> Option<ShareAnswer> {
        let (name, content) = wire::read_variant(value)?;
        Some(match name {
            "done" => ShareAnswer::Done,
            "list" => ShareAnswer::List(wire::read_list(content)?),
            "opened" => ShareAnswer::Opened(Share::from_wire(content)?),
            "sessions" => ShareAnswer::Sessions(
                content
                    .as_array()?
                    .iter()
                    .map(|pair| {
                        let id = pair.get(0)?.as_str()?.to_owned();
                        let live = match pair.get(1)? {
                            Value::Null => None,
                            live => Some((live.get(0)?.as_str()?.to_owned(), live.get(1)?.as_bool()?)),
                        };
                        Some((id, live))
                    })
                    .collect::<Option<_>>()?,
            ),
            "migrated" => ShareAnswer::Migrated { left: u32::try_from(content.as_u64()?).ok()? },
            "error" => ShareAnswer::Error(ApiError::from_wire(content)?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::book::sample::{NOW, book, share};
    use super::*;

    #[test]
    fn share_messages_round_trip() {
        let requests = [
            ShareRequest::Create(share("a1", "o", "h")),
            ShareRequest::List { owner: "o".into() },
            ShareRequest::Revoke { owner: "o".into(), id: "i".into() },
            ShareRequest::Open(Key::NightscoutSha1("k".into())),
            ShareRequest::Open(Key::Sha256("k".into())),
            ShareRequest::Adopt(vec![share("a1", "o", "h")]),
            ShareRequest::Migrate { route: None },
            ShareRequest::Migrate { route: Some("r".into()) },
            ShareRequest::Renew { owner: "o".into(), session: "s".into() },
            ShareRequest::SignedOut { id: "i".into() },
            ShareRequest::Sessions { ids: vec!["a".into(), "b".into()] },
        ];
        for request in requests {
            let text = wire::encode(&request);
            let read: ShareRequest = wire::decode(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{request:?}"));
        }
        let answers = [
            ShareAnswer::Done,
            ShareAnswer::List(book().list("owner-a", NOW)),
            ShareAnswer::Opened(share("a1", "o", "h")),
            ShareAnswer::Sessions(vec![("a".into(), Some(("s".into(), true))), ("b".into(), None)]),
            ShareAnswer::Migrated { left: 3 },
            ShareAnswer::Error(super::super::share_gone()),
        ];
        for answer in answers {
            let text = wire::encode(&answer);
            let read: ShareAnswer = wire::decode(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{answer:?}"));
        }
        let listed = wire::list(&book().list("owner-a", NOW)).to_string();
        assert!(listed.contains(r#""patientId":"p""#) && listed.contains(r#""state":"active""#), "{listed}");
    }
}
