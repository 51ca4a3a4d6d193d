//! Family share links (capability URLs): the `Shares` Durable Object and the pure share book it keeps.
//!
//! A share lets someone without a LibreLinkUp account read one patient through the owner's sealed session. The
//! secret (128 random bits, base64url) lives only in the link's fragment and in the viewer's requests; the book
//! stores its SHA-256 (and its SHA-1, which Nightscout clients send as `api-secret`), compared in constant time
//! against every share so that unknown, expired and revoked secrets cost the same work and get the same answer.
//!
//! One Durable Object for the whole server rather than KV: it is strongly consistent, so a revocation holds for
//! the very next request everywhere (the guaranteed delay is zero). Each share is stored under its own key and a
//! change writes only the shares it touched, before the answer (a write that fails changes nothing: the book in
//! memory is dropped and read again). The per-IP failure counts that rate-limit guessing are kept in memory (an
//! eviction forgets them, which only restarts a window). Not yet sharded: one object serves every lookup, which
//! bounds a public deployment (see the README).

mod book;
mod wire_impls;

use std::cell::RefCell;

use serde_json::Value;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

pub use self::book::*;
use crate::error::ApiError;
use crate::storage;
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
    /// A viewer's request.
    Open {
        /// The presented secret, hashed.
        key: Key,
        /// The viewer's IP (for the rate limit).
        ip: String,
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
            ShareRequest::Open { key, ip } => ("open", wire::object(vec![("key", key.to_wire()), ("ip", text(ip))])),
            ShareRequest::Renew { owner, session } => {
                ("renew", wire::object(vec![("owner", text(owner)), ("session", text(session))]))
            }
            ShareRequest::SignedOut { id } => ("signed_out", wire::object(vec![("id", text(id))])),
            ShareRequest::Sessions { ids } => {
                ("sessions", wire::object(vec![("ids", ids.iter().map(text).collect::<Vec<_>>().into())]))
            }
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
            "open" => ShareRequest::Open { key: Key::from_wire(content.get("key")?)?, ip: text("ip")? },
            "renew" => ShareRequest::Renew { owner: text("owner")?, session: text("session")? },
            "signed_out" => ShareRequest::SignedOut { id: text("id")? },
            "sessions" => ShareRequest::Sessions { ids: wire::get(content, "ids")? },
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
            "error" => ShareAnswer::Error(ApiError::from_wire(content)?),
            _ => return None,
        })
    }
}

/// The one object that keeps the book (`SHARES` binding, object name [`BOOK`]).
pub const BOOK: &str = "book";
/// Where builds before per-share keys stored the whole book.
const LEGACY_KEY: &str = "book";

/// The `Shares` Durable Object.
#[durable_object]
pub struct Shares {
    state: State,
    book: RefCell<Option<Book>>,
}

impl DurableObject for Shares {
    fn new(state: State, _env: Env) -> Self {
        Shares { state, book: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::facade::object_request::<ShareRequest>(&mut req).await {
            Some(request) => self.answer(request).await,
            None => ShareAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::encode(&answer))
    }
}

impl Shares {
    async fn answer(&self, request: ShareRequest) -> ShareAnswer {
        if self.book.borrow().is_none() {
            match self.load().await {
                Some(stored) => *self.book.borrow_mut() = Some(stored),
                // Never an empty book in its place: the next write would erase every share.
                None => return ShareAnswer::Error(ApiError::internal()),
            }
        }
        let now = worker::Date::now().as_millis() as i64 / 1000;
        let (answer, writes) = {
            let mut guard = self.book.borrow_mut();
            let Some(book) = guard.as_mut() else { return ShareAnswer::Error(ApiError::internal()) };
            let answer = match request {
                ShareRequest::Create(share) => {
                    book.create(share, now).map_or_else(ShareAnswer::Error, |()| ShareAnswer::Done)
                }
                ShareRequest::List { owner } => ShareAnswer::List(book.list(&owner, now)),
                ShareRequest::Revoke { owner, id } => {
                    book.revoke(&owner, &id, now).map_or_else(ShareAnswer::Error, |()| ShareAnswer::Done)
                }
                ShareRequest::Open { key, ip } => {
                    book.open(&key, &ip, now).map_or_else(ShareAnswer::Error, |(share, _)| ShareAnswer::Opened(share))
                }
                ShareRequest::Renew { owner, session } => {
                    book.renew(&owner, &session);
                    ShareAnswer::Done
                }
                ShareRequest::SignedOut { id } => {
                    book.signed_out(&id);
                    ShareAnswer::Done
                }
                ShareRequest::Sessions { ids } => ShareAnswer::Sessions(book.sessions(&ids, now)),
            };
            (answer, book.take_writes())
        };
        let (puts, deletes) = writes;
        if storage::write(&self.state.storage(), &puts, &deletes).await.is_err() {
            // What could not be stored is not kept as if it had been (a revocation, say): the next request reads
            // storage again.
            *self.book.borrow_mut() = None;
            return ShareAnswer::Error(ApiError::internal());
        }
        answer
    }

    /// The stored book: each share under its own key; a book stored whole by an earlier build is taken over
    /// (each of its shares written under its own key, then the whole value deleted). `None` when storage cannot
    /// be read or written.
    async fn load(&self) -> Option<Book> {
        let storage = self.state.storage();
        let values = storage::read_all(&storage, STORAGE_PREFIX).await.ok()?;
        let pending = storage.as_raw().get(LEGACY_KEY).ok()?;
        let stored = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        let legacy = if stored.is_undefined() { None } else { Some(book_from_stored(&stored)?) };
        let (mut book, unreadable) = Book::from_stored(values, legacy.clone());
        for key in unreadable {
            worker::console_error!("shares: the stored value {key} could not be read; kept, not used");
        }
        if legacy.is_some() {
            let (puts, _) = book.take_writes();
            storage::write(&storage, &puts, &[LEGACY_KEY.to_owned()]).await.ok()?;
        }
        Some(book)
    }
}

/// The book from the one value builds before per-share keys stored under [`LEGACY_KEY`]: JSON text, or the
/// structured object that versions before JSON text wrote (read through its JSON, so no share is lost on update).
/// Nothing stored is an empty book; `None` when it cannot be read.
pub fn book_from_stored(stored: &wasm_bindgen::JsValue) -> Option<Book> {
    if stored.is_undefined() {
        return Some(Book::default());
    }
    let text = match stored.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(stored).ok()?.as_string()?,
    };
    wire::decode(&text)
}

#[cfg(test)]
mod tests {
    use super::book::sample::{NOW, book, share};
    use super::*;

    #[test]
    fn share_messages_round_trip() {
        let requests = [
            ShareRequest::Create(share("a1", "o", "h")),
            ShareRequest::List { owner: "o".into() },
            ShareRequest::Revoke { owner: "o".into(), id: "i".into() },
            ShareRequest::Open { key: Key::NightscoutSha1("k".into()), ip: "1.2.3.4".into() },
            ShareRequest::Open { key: Key::Sha256("k".into()), ip: "::1".into() },
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
            ShareAnswer::Error(share_gone()),
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
