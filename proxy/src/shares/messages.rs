//! What the worker and a `Shares` object say to each other: serde's externally tagged JSON (`{"revoke": {...}}`,
//! `"done"`), the same as the hand-written codec of earlier builds wrote.

use serde::{Deserialize, Serialize};

use super::{Key, Share, ShareInfo, ShareSession};
use crate::error::ApiError;
#[cfg(test)]
use crate::wire;

/// What the worker asks the `Shares` object.
#[allow(clippy::large_enum_variant)] // A message serialised once per request: its size does not matter.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    Open {
        /// The presented secret, hashed.
        key: Key,
    },
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
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareAnswer {
    /// Done.
    Done,
    /// The owner's shares.
    List(Vec<ShareInfo>),
    /// The share a viewer opened.
    Opened(Share),
    /// Per share id: `(sealed session, alarms allowed)` while it is live (not revoked, expired or signed out).
    Sessions(Vec<ShareSession>),
    /// How many shares the book of earlier builds still holds after a move.
    Migrated(u32),
    /// It failed.
    Error(ApiError),
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
            ShareRequest::Open { key: Key::NightscoutSha1("k".into()) },
            ShareRequest::Open { key: Key::Sha256("k".into()) },
            ShareRequest::Adopt(vec![share("a1", "o", "h")]),
            ShareRequest::Migrate { route: None },
            ShareRequest::Migrate { route: Some("r".into()) },
            ShareRequest::Renew { owner: "o".into(), session: "s".into() },
            ShareRequest::SignedOut { id: "i".into() },
            ShareRequest::Sessions { ids: vec!["a".into(), "b".into()] },
        ];
        for request in requests {
            let text = wire::to_json(&request);
            let read: ShareRequest = wire::from_json(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{request:?}"));
        }
        let answers = [
            ShareAnswer::Done,
            ShareAnswer::List(book().list("owner-a", NOW)),
            ShareAnswer::Opened(share("a1", "o", "h")),
            ShareAnswer::Sessions(vec![("a".into(), Some(("s".into(), true))), ("b".into(), None)]),
            ShareAnswer::Migrated(3),
            ShareAnswer::Error(super::super::share_gone()),
        ];
        for answer in answers {
            let text = wire::to_json(&answer);
            let read: ShareAnswer = wire::from_json(&text).unwrap();
            assert_eq!(format!("{read:?}"), format!("{answer:?}"));
        }
        let listed = wire::to_json(&book().list("owner-a", NOW));
        assert!(listed.contains(r#""patientId":"p""#) && listed.contains(r#""state":"active""#), "{listed}");
    }

    /// A book object of the build before and the worker of this one (or the other way round, during a deploy)
    /// understand each other: serde's derive writes what the hand-written codec wrote.
    #[test]
    fn messages_are_written_as_earlier_builds_wrote_them() {
        let written = [
            (
                wire::to_json(&ShareRequest::Open { key: Key::NightscoutSha1("k".into()) }),
                r#"{"open":{"key":{"ns_sha1":"k"}}}"#,
            ),
            (wire::to_json(&ShareRequest::Migrate { route: None }), r#"{"migrate":{"route":null}}"#),
            (wire::to_json(&ShareRequest::SignedOut { id: "i".into() }), r#"{"signed_out":{"id":"i"}}"#),
            (wire::to_json(&ShareAnswer::Done), r#""done""#),
            (wire::to_json(&ShareAnswer::Migrated(3)), r#"{"migrated":3}"#),
            (
                wire::to_json(&ShareAnswer::Sessions(vec![("a".into(), Some(("s".into(), true))), ("b".into(), None)])),
                r#"{"sessions":[["a",["s",true]],["b",null]]}"#,
            ),
        ];
        for (now, before) in written {
            assert_eq!(wire::parse(&now), wire::parse(before), "{now}");
        }
        // An error as earlier builds wrote it.
        let error = super::super::share_gone().retry_after(7);
        let before = serde_json::json!({"error": wire::to_value(&error)});
        assert_eq!(wire::parse(&wire::to_json(&ShareAnswer::Error(error))), Some(before));
    }
}
