//! Family share links (capability URLs): the `Shares` Durable Objects, the pure share book each keeps, and the
//! index that leads a presented secret to its book.
//!
//! A share lets someone without a LibreLinkUp account read one patient through the owner's sealed session. The
//! secret (128 random bits, base64url) lives only in the link's fragment and in the viewer's requests; the book
//! stores its SHA-256 (and its SHA-1, which Nightscout clients send as `api-secret`), compared in constant time
//! against every share of the book so that unknown, expired and revoked secrets cost the same work and get the
//! same answer.
//!
//! One book per owner (`book:<route>`, the route of `watch::route::owner_route`: one per account, one for all the
//! demo's visitors), found by an owner's requests from the owner, by a viewer's from the index ([`index`]) and by
//! the alarms' from the phone's patient group: no object sees every share or every lookup. Durable Objects rather
//! than KV: strongly consistent, so a revocation holds for the very next request everywhere. Each share is stored
//! under its own key and a change writes only the shares it touched, before the answer (a write that fails
//! changes nothing: the book in memory is dropped and read again).
//!
//! The one book of earlier builds (object [`BOOK`]) hands its shares to their owners' books ([`Shares::migrate`]),
//! a few owners a minute and each owner at once when their shares are asked for, until it is empty.

mod book;
pub mod index;
mod lookup;
mod messages;

use std::cell::RefCell;

use worker::{DurableObject, Env, Request, Response, State, durable_object};

pub use self::book::*;
pub use self::lookup::{MISS_WINDOW_SECS, MISSES_PER_WINDOW, ask_owner, ask_route, find_share, move_legacy, renew};
pub use self::messages::{ShareAnswer, ShareRequest};
use crate::error::{ApiError, ApiResult};
use crate::route::owner_route;
use crate::storage;
use crate::wire;

/// The binding of the share books.
pub const BINDING: &str = "SHARES";
/// The one book of earlier builds (object name), which hands its shares over to their owners' books.
pub const BOOK: &str = "book";
/// Where builds before per-share keys stored the whole book.
const LEGACY_KEY: &str = "book";
/// Owners whose shares one [`ShareRequest::Migrate`] without a route moves.
const OWNERS_PER_MOVE: usize = 20;

/// The object name of the book of an owner route.
pub fn book_object(route: &str) -> String {
    format!("book:{route}")
}

/// The object name of `owner`'s book.
pub fn owner_book(owner: &str) -> String {
    book_object(&owner_route(owner))
}

/// The `Shares` Durable Object.
#[durable_object]
pub struct Shares {
    state: State,
    env: Env,
    book: RefCell<Option<Book>>,
}

impl DurableObject for Shares {
    fn new(state: State, env: Env) -> Self {
        Shares { state, env, book: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::objects::object_message::<ShareRequest>(&mut req).await {
            Some(request) => self.answer(request).await.unwrap_or_else(ShareAnswer::Error),
            None => ShareAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::to_json(&answer))
    }
}

impl Shares {
    async fn answer(&self, request: ShareRequest) -> ApiResult<ShareAnswer> {
        if self.book.borrow().is_none() {
            // Never an empty book in place of one that cannot be read: the next write would erase every share.
            let stored = self.load().await.ok_or_else(ApiError::internal)?;
            *self.book.borrow_mut() = Some(stored);
        }
        let now = worker::Date::now().as_millis() as i64 / 1000;
        // The index first: a pointer to a share that is then not stored opens nothing.
        match &request {
            ShareRequest::Create(share) => {
                self.with(|book| book.check_create(share, now))??;
                index::put(&self.env, index::pointers(share, &owner_route(&share.owner))).await?;
            }
            ShareRequest::Adopt(shares) => {
                let pointers = shares.iter().flat_map(|s| index::pointers(s, &owner_route(&s.owner))).collect();
                index::put(&self.env, pointers).await?;
            }
            ShareRequest::Migrate { route } => return self.migrate(route.as_deref()).await,
            _ => {}
        }
        let answer = self.with(|book| match request {
            ShareRequest::Create(share) => book.create(share, now).map(|()| ShareAnswer::Done),
            ShareRequest::List { owner } => Ok(ShareAnswer::List(book.list(&owner, now))),
            ShareRequest::Revoke { owner, id } => book.revoke(&owner, &id, now).map(|()| ShareAnswer::Done),
            ShareRequest::Open { key } => book.open(&key, now).map(|(share, _)| ShareAnswer::Opened(share)),
            ShareRequest::Renew { owner, session } => {
                book.renew(&owner, &session);
                Ok(ShareAnswer::Done)
            }
            ShareRequest::SignedOut { id } => {
                book.signed_out(&id);
                Ok(ShareAnswer::Done)
            }
            ShareRequest::Sessions { ids } => Ok(ShareAnswer::Sessions(book.sessions(&ids, now))),
            ShareRequest::Adopt(shares) => {
                book.adopt(shares);
                Ok(ShareAnswer::Done)
            }
            ShareRequest::Migrate { .. } => Err(ApiError::internal()),
        })?;
        self.store().await?;
        answer
    }

    /// `change` on the book in memory.
    fn with<T>(&self, change: impl FnOnce(&mut Book) -> T) -> ApiResult<T> {
        self.book.borrow_mut().as_mut().map(change).ok_or_else(ApiError::internal)
    }

    /// Stores what changed, then has the index forget the keys of dropped shares. What could not be stored is not
    /// kept as if it had been (a revocation, say): the next request reads storage again.
    async fn store(&self) -> ApiResult<()> {
        let ((puts, deletes), dropped) = self.with(|book| (book.take_writes(), book.take_dropped_keys()))?;
        if let Err(error) = storage::write(&self.state.storage(), &puts, &deletes).await {
            *self.book.borrow_mut() = None;
            return Err(error);
        }
        if !dropped.is_empty() {
            index::remove(&self.env, dropped).await;
        }
        Ok(())
    }

    /// The book of earlier builds hands the shares of the owners of `route` (or of the next few owners) to their
    /// owners' books: each owner's shares are adopted there first, then deleted here. How many shares are left.
    async fn migrate(&self, route: Option<&str>) -> ApiResult<ShareAnswer> {
        let owners: Vec<String> = self.with(|book| {
            let owners = book.owners().into_iter().filter(|o| route.is_none_or(|r| owner_route(o) == r));
            owners.take(OWNERS_PER_MOVE).collect()
        })?;
        for owner in owners {
            let shares = self.with(|book| book.shares.iter().filter(|s| s.owner == owner).cloned().collect())?;
            ask(&self.env, &owner_book(&owner), &ShareRequest::Adopt(shares)).await?;
            self.with(|book| book.take_owner(&owner))?;
            self.store().await?;
        }
        let left = self.with(|book| book.shares.len())?;
        Ok(ShareAnswer::Migrated(u32::try_from(left).unwrap_or(u32::MAX)))
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

/// Sends `request` to the book `object`; its error answers become errors.
pub async fn ask(env: &Env, object: &str, request: &ShareRequest) -> ApiResult<ShareAnswer> {
    let answer = crate::objects::ask_object_text(env, BINDING, object, wire::to_json(request)).await?;
    match wire::from_json(&answer).ok_or_else(ApiError::internal)? {
        ShareAnswer::Error(error) => Err(error),
        answer => Ok(answer),
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
    wire::from_json(&text)
}
