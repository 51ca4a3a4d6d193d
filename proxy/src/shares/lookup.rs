//! Finding a share: a viewer's key through the index to its owner's book, an owner's or a phone group's requests
//! straight to their book, the book of earlier builds emptied on the way, and guessing held back per client
//! network.
//!
//! Guesses are counted where sign-ins are: in the client network's `net:` Hub object, which keeps the count in
//! storage (a restart or another isolate does not reset it) and deletes it when the window is over. A lookup that
//! finds the share costs no count. Once the object says a network is over its limit, this isolate refuses it
//! without a lookup until the window ends (a table in memory, bounded); another isolate learns it at that
//! network's next miss, so a guesser gets at most one more lookup per isolate.

use shared::code::Code;
use std::cell::{Cell, RefCell};

use worker::Env;

use super::{self as shares, Key, Share, ShareAnswer, ShareRequest, index};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::{self, HubAnswer, HubRequest};
use crate::route::owner_route;

/// Misses (unknown, revoked or expired secrets) one client network may have per [`MISS_WINDOW_SECS`]; the next
/// lookups are refused until the window ends.
pub const MISSES_PER_WINDOW: u32 = 10;
/// The window of misses, seconds.
pub const MISS_WINDOW_SECS: u32 = 60;
/// Networks this isolate remembers as refused at most: past it, the one whose refusal ends first is forgotten.
pub const MAX_REFUSED_NETWORKS: usize = 4096;

thread_local! {
    /// Whether the book of earlier builds was found empty by this isolate (then it is never asked again).
    static LEGACY_EMPTY: Cell<bool> = const { Cell::new(false) };
    /// Networks refused until (Unix seconds).
    static REFUSED: RefCell<Vec<(String, i64)>> = const { RefCell::new(Vec::new()) };
}

/// The live share for `key` asked from `network`: `Ok(None)` for an unknown, revoked or expired secret (counted
/// against the network), `Err` with `share_rate_limited` once the network has missed too often.
pub async fn find_share(ctx: &Ctx, key: &Key, network: &str) -> ApiResult<Option<Share>> {
    if let Some(left) = refused(network, ctx.now) {
        return Err(hub::share_rate_limited(left));
    }
    if let Some(share) = find(&ctx.env, key).await? {
        return Ok(Some(share));
    }
    let request = HubRequest::ShareMiss { limit: MISSES_PER_WINDOW, window_secs: MISS_WINDOW_SECS };
    match crate::hub::ask(&ctx.env, &hub::client_object(network), &request).await {
        Ok(HubAnswer::Admitted) => Ok(None),
        Ok(HubAnswer::Error(error)) if error.code == Code::ShareRateLimited => {
            note_refused(network, ctx.now + i64::from(error.retry_after_secs.unwrap_or(MISS_WINDOW_SECS)));
            Err(error)
        }
        // The count could not be kept: the miss is still only a miss.
        _ => {
            worker::console_error!("shares: a client's misses could not be counted");
            Ok(None)
        }
    }
}

/// The share `key` opens, through the index to its owner's book; while the book of earlier builds still has
/// shares, a key the index does not know is looked up there too.
async fn find(env: &Env, key: &Key) -> ApiResult<Option<Share>> {
    let mut route = index::find(env, key).await?;
    if route.is_none() && !LEGACY_EMPTY.get() {
        let left = move_legacy(env, None).await;
        if left != Some(0)
            && let Some(share) = open_in(env, shares::BOOK, key).await?
        {
            return Ok(Some(share));
        }
        // It may have moved just now.
        route = index::find(env, key).await?;
    }
    match route {
        Some(route) => open_in(env, &shares::book_object(&route), key).await,
        None => Ok(None),
    }
}

async fn open_in(env: &Env, object: &str, key: &Key) -> ApiResult<Option<Share>> {
    match shares::ask(env, object, &ShareRequest::Open { key: key.clone() }).await {
        Ok(ShareAnswer::Opened(share)) => Ok(Some(share)),
        Err(error) if error.code == shares::share_gone().code => Ok(None),
        Err(error) => Err(error),
        Ok(_) => Err(ApiError::internal()),
    }
}

/// Sends `request` to the book of `owner`.
pub async fn ask_owner(ctx: &Ctx, owner: &str, request: &ShareRequest) -> ApiResult<ShareAnswer> {
    ask_route(&ctx.env, &owner_route(owner), request).await
}

/// Sends `request` to the book of the owner route `route`, after the book of earlier builds has handed over that
/// route's shares.
pub async fn ask_route(env: &Env, route: &str, request: &ShareRequest) -> ApiResult<ShareAnswer> {
    move_legacy(env, Some(route)).await;
    shares::ask(env, &shares::book_object(route), request).await
}

/// Has the book of earlier builds hand over the shares of `route` (or of the next few owners) to their owners'
/// books: how many it still has (`None` if it could not be asked). Once it is empty, this isolate never asks again.
pub async fn move_legacy(env: &Env, route: Option<&str>) -> Option<u32> {
    if LEGACY_EMPTY.get() {
        return Some(0);
    }
    let request = ShareRequest::Migrate { route: route.map(str::to_owned) };
    match shares::ask(env, shares::BOOK, &request).await {
        Ok(ShareAnswer::Migrated(left)) => {
            LEGACY_EMPTY.set(left == 0);
            Some(left)
        }
        _ => {
            worker::console_error!("shares: the book of earlier builds could not hand its shares over");
            None
        }
    }
}

/// Seconds left of `network`'s refusal, if this isolate knows of one.
fn refused(network: &str, now: i64) -> Option<u32> {
    REFUSED.with_borrow_mut(|refused| {
        refused.retain(|(_, until)| *until > now);
        let until = refused.iter().find(|(n, _)| n == network)?.1;
        u32::try_from(until - now).ok()
    })
}

/// Remembers that `network` is refused until `until`.
fn note_refused(network: &str, until: i64) {
    REFUSED.with_borrow_mut(|refused| {
        refused.retain(|(n, _)| n != network);
        if refused.len() >= MAX_REFUSED_NETWORKS
            && let Some(first) = refused.iter().enumerate().min_by_key(|(_, (_, until))| *until).map(|(i, _)| i)
        {
            refused.swap_remove(first);
        }
        refused.push((network.to_owned(), until));
    });
}

/// The owner signed in again: their share links read through the new session (best effort: a failure here
/// never fails the sign-in; the links then say "ask … to sign in again" until the next one).
pub async fn renew(ctx: &Ctx, owner: &str, sealed: &str) {
    let request = ShareRequest::Renew { owner: owner.to_owned(), session: sealed.to_owned() };
    let _ = ask_owner(ctx, owner, &request).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_isolate_remembers_refused_networks_for_their_window_and_no_more_than_it_may() {
        note_refused("1.2.3.4", 1_000);
        assert_eq!(refused("1.2.3.4", 940), Some(60));
        assert_eq!(refused("5.6.7.8", 940), None, "other networks are not affected");
        assert_eq!(refused("1.2.3.4", 1_000), None, "the window ends");
        for n in 0..MAX_REFUSED_NETWORKS + 50 {
            note_refused(&format!("10.0.{}.{}", n / 256, n % 256), 2_000 + n as i64);
        }
        assert_eq!(REFUSED.with_borrow(Vec::len), MAX_REFUSED_NETWORKS);
        assert_eq!(refused("10.0.0.0", 1_500), None, "the refusal that ends first was forgotten first");
        assert!(refused("10.0.16.49", 1_500).is_some());
    }
}
