//! The `Hub` Durable Object: the one place that talks to LLU on an account's behalf, so the family's account is
//! protected whichever viewer or isolate asks.
//!
//! - One object per account (`acct:<account-id>`): `/llu/connections` and logbooks are cached for [`CACHE_SECS`],
//!   graphs for [`GRAPH_SECS`] with the minute's current value from the list (`current.rs`), all fetched
//!   single-flight, so 100 viewers cost one upstream call a minute. After an error
//!   with a wait (rate limit, maintenance, edge block, …) it answers that error, with the time left, without
//!   calling LLU until the wait is over. A token LLU refused is remembered and refused without a call.
//! - One object per e-mail (`login:<sha256(e-mail)>`): logins are serialised; after a wrong password further
//!   attempts are refused for [`LOGIN_PAUSE_SECS`] without calling LLU; a lockout or `Retry-After` is honoured.
//!
//! - One object per client network (`net:<sha256(IPv4 address or IPv6 /64)>`, `limits.rs`): at most
//!   `LOGINS_PER_CLIENT` sign-ins in [`CLIENT_WINDOW_SECS`] pass to the e-mail's object, so nobody can use the
//!   server to try passwords at scale (whatever e-mail they try), and its share-link misses are counted.
//! - One `settings` object ([`SETTINGS_OBJECT`], `settings.rs`): the version LLU made the server adopt, and the
//!   health table of `/api/health`.
//!
//! An account's object keeps LLU's newest ticket (`tickets.rs`); a wait is a [`hold::Hold`] (`hold.rs`).
//!
//! An object whose waits are over deletes what it stored (a Durable Object alarm at the wait's end), so an e-mail
//! or a client that came once leaves nothing behind.
//!
//! A Durable Object rather than the Cache API or KV: it is strongly consistent and single-threaded, so "one call
//! per minute" and "refuse for 60 s" hold across every isolate and location (the Cache API is per location and
//! does nothing on `workers.dev`; KV is eventually consistent and allows 1,000 writes a day on the free plan).
//!
//! The wait (a login pause, a lockout, a rate limit, …) is kept in the object's storage as well as in memory: a
//! Durable Object with nothing in progress may be put to sleep after about 10 s and is restarted by every deploy,
//! and a forgotten pause would let the next wrong passwords through to LLU, which locks the account after three.
//! The cache and the refused tokens are in memory only: losing them costs one extra upstream call, never a wrong
//! answer.

mod current;
pub mod health;
mod hold;
mod keep;
mod limits;
mod messages;
mod read;
mod settings;
mod tickets;

use shared::code::Code;
use std::cell::{Cell, RefCell};

use serde_json::Value;
use shared::llu::{Outcome, Region, Ticket};
use worker::wasm_bindgen::JsValue;
use worker::{DurableObject, Env, Method, Request, Response, State, durable_object};

use self::current::ItemRead;
pub use self::current::{GRAPH_SECS, with_current};
use self::hold::Hold;
pub use self::keep::KeptSignIn;
pub use self::messages::{Data, HubAnswer, HubRequest};
use self::read::Slot;
use crate::config::Config;
use crate::error::ApiError;
use crate::seal::MAX_SESSION_SECS;
use crate::seal::sha256_hex;
use crate::signout::{self, Presented, SignOuts};
use crate::upstream::{self, Auth, LoginEnd};
use crate::wire;

/// How long a cached answer is served to every viewer of an account.
pub const CACHE_SECS: u32 = 60;
/// How long logins for an e-mail are refused after a wrong password.
pub const LOGIN_PAUSE_SECS: u32 = 60;
/// The window in which a client network's sign-ins are counted.
pub const CLIENT_WINDOW_SECS: u32 = 600;

/// The object that remembers the `version` LLU last asked for, so a new isolate (and the alarms) send it at once.
pub const SETTINGS_OBJECT: &str = "settings";
/// Where the `settings` object stores it.
const VERSION_KEY: &str = "version";
/// Where the `settings` object stores the health table (`health::Table`).
const HEALTH_KEY: &str = "health";

/// Sends `request` to the hub object `name` and reads its answer.
pub async fn ask(env: &Env, name: &str, request: &HubRequest) -> crate::error::ApiResult<HubAnswer> {
    let answer = crate::objects::ask_object_text(env, "HUB", name, crate::wire::to_json(request)).await?;
    crate::wire::from_json(&answer).ok_or_else(ApiError::internal)
}

/// The object name for an account.
pub fn account_object(account_id: &str) -> String {
    format!("acct:{account_id}")
}

/// The object name for a client network (`policy::client_network`); the address itself is not kept.
pub fn client_object(network: &str) -> String {
    format!("net:{}", sha256_hex(network))
}

/// The answer to a client network that missed share links too often ([`HubRequest::ShareMiss`]).
pub fn share_rate_limited(left: u32) -> ApiError {
    ApiError::new(429, Code::ShareRateLimited, "Too many wrong links from here. Wait a minute.")
        .retry_after(left.max(1))
}

/// The object name for an e-mail (ASCII case and surrounding space do not matter; the e-mail itself is not kept).
pub fn login_object(email: &str) -> String {
    format!("login:{}", sha256_hex(&email.trim().to_ascii_lowercase()))
}

/// Where the hold is stored.
const HOLD_KEY: &str = "hold";
/// Where a client network's count is stored: `[window start ms, sign-ins]`.
const COUNT_KEY: &str = "count";
/// Where a client network's share misses are stored: `[window start ms, misses, window ms]`.
const MISSES_KEY: &str = "misses";
/// Where an account's sign-outs are stored ([`SignOuts`]).
const SIGN_OUTS_KEY: &str = "signouts";

/// The Durable Object.
#[durable_object]
pub struct Hub {
    state: State,
    env: Env,
    /// One slot per data item this account has asked for (a handful: connections, a graph and a logbook per
    /// patient), so a vector rather than a hash map (hashbrown and SipHash are about 4 KB of wasm).
    slots: RefCell<Vec<(Data, Slot)>>,
    hold: RefCell<Option<Hold>>,
    /// Whether `hold` has been read from storage in this object's lifetime.
    hold_loaded: Cell<bool>,
    /// When this object last signed in by itself with a kept sign-in (ms; in memory).
    resigned: Cell<f64>,
    /// The latest clock a reader brought (ms; the Cron Trigger's scheduled minute): the cache's clock never goes
    /// back, so a reader on the real clock just behind it is served what the minute's read fetched.
    latest_at: Cell<f64>,
    /// When the last read went through an edge block's hold as a probe (ms; in memory: losing it costs one probe).
    probed: Cell<f64>,
    /// SHA-256 of the LLU tokens LLU refused (a few per account lifetime).
    dead_tokens: RefCell<Vec<String>>,
    /// One login at a time per e-mail.
    login_gate: futures::lock::Mutex<()>,
    /// The account's sign-outs, once read from storage in this object's lifetime.
    sign_outs: RefCell<Option<SignOuts>>,
    /// The account's newest LLU ticket ([`tickets`]), once read from storage in this object's lifetime.
    tickets: RefCell<Option<tickets::Newest>>,
}

impl DurableObject for Hub {
    fn new(state: State, env: Env) -> Self {
        Hub {
            state,
            env,
            slots: RefCell::default(),
            hold: RefCell::default(),
            hold_loaded: Cell::new(false),
            latest_at: Cell::new(0.0),
            probed: Cell::new(0.0),
            resigned: Cell::new(0.0),
            dead_tokens: RefCell::default(),
            login_gate: futures::lock::Mutex::new(()),
            sign_outs: RefCell::default(),
            tickets: RefCell::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::objects::object_message::<HubRequest>(&mut req).await {
            None => HubAnswer::Error(ApiError::internal()),
            Some(request) => match crate::config::Config::from_env(&self.env) {
                Err(error) => HubAnswer::Error(error),
                Ok(config) => self.answer(config, request).await,
            },
        };
        Response::ok(wire::to_json(&answer))
    }

    /// The clean-up: once no wait is in force and no client window is open, the object's storage is deleted (an
    /// e-mail or a client that came once leaves nothing behind); otherwise it wakes again when they end.
    async fn alarm(&self) -> worker::Result<Response> {
        let now = now_ms();
        let hold_ends = self.load_hold().await.map(|hold| hold.until_ms).filter(|until| *until > now);
        let storage = self.state.storage();
        let count_ends = self
            .load_count()
            .await
            .map(|(start, _)| start + f64::from(CLIENT_WINDOW_SECS) * 1000.0)
            .filter(|end| *end > now);
        let misses_end = self.load_misses().await.map(|(start, _, window)| start + window).filter(|end| *end > now);
        let sign_outs_end = self
            .sign_outs()
            .await
            .and_then(|outs| outs.forgettable_at_ms(MAX_SESSION_SECS))
            .map(|at| at as f64)
            .filter(|end| *end > now);
        match hold_ends.into_iter().chain(count_ends).chain(misses_end).chain(sign_outs_end).reduce(f64::max) {
            Some(later) => {
                if crate::storage::set_alarm_at(&storage, later as i64).await.is_err() {
                    worker::console_error!("hub: the next clean-up could not be scheduled");
                }
            }
            None => {
                storage.delete_all().await?;
                *self.hold.borrow_mut() = None;
                *self.sign_outs.borrow_mut() = Some(SignOuts::default());
                self.forget_stored_ticket();
            }
        }
        Response::empty()
    }
}

impl Hub {
    async fn answer(&self, config: Config, request: HubRequest) -> HubAnswer {
        if matches!(request, HubRequest::Login { .. } | HubRequest::Read { .. }) {
            return self.upstream(config, request).await;
        }
        self.local(config, request).await
    }

    async fn local(&self, config: Config, request: HubRequest) -> HubAnswer {
        match request {
            HubRequest::Login { email, password, entry } => self.login(config, &email, &password, entry).await,
            HubRequest::Admit { limit } => self.admit(limit).await,
            HubRequest::Version(version) => self.remember_version(version).await,
            HubRequest::Report { region, code } => self.note_health(&region, &code).await,
            HubRequest::Health => {
                let table = self.stored_text(HEALTH_KEY).await.and_then(|t| wire::from_json(&t)).unwrap_or_default();
                let adopted = self.stored_text(VERSION_KEY).await;
                HubAnswer::Health { table, adopted }
            }
            HubRequest::ShareMiss { limit, window_secs } => self.share_miss(limit, window_secs).await,
            HubRequest::Read { data, token, region, account_id, at_ms, presented, opened } => {
                if let Some(presented) = presented
                    && let Some(refused) = self.check(&presented).await
                {
                    return refused;
                }
                let at_ms = at_ms.unwrap_or(0.0).max(self.latest_at.get());
                self.latest_at.set(at_ms);
                let read = ItemRead { data: data.clone(), token, region, account_id, at_ms };
                match &data {
                    Data::Graph(patient) => self.read_graph(&config, read, patient, opened).await,
                    _ => self.read_item(&config, read, CACHE_SECS).await,
                }
            }
            HubRequest::Check(presented) => self.check(&presented).await.unwrap_or(HubAnswer::Admitted),
            HubRequest::SignOut { presented, until, everywhere } => {
                let answer = self.sign_out(presented, until, everywhere).await;
                // Signing out everywhere also forgets a sign-in kept for the alarms.
                if everywhere && matches!(answer, HubAnswer::Admitted) {
                    return self.keep(&config, None).await;
                }
                answer
            }
            HubRequest::Keep(kept) => self.keep(&config, kept).await,
        }
    }

    /// The refusal for a presented session that was signed out, if it was (or if the sign-outs cannot be read:
    /// a session that may have been signed out is not let in).
    async fn check(&self, presented: &Presented) -> Option<HubAnswer> {
        match self.sign_outs().await {
            Some(outs) if !outs.refuses(presented) => None,
            Some(_) => Some(HubAnswer::Error(signout::signed_out())),
            None => {
                worker::console_error!("hub: an account's sign-outs could not be read; its sessions are refused");
                Some(HubAnswer::Error(ApiError::internal()))
            }
        }
    }

    /// Signs out `presented` (or every session until now): stored first, then kept in memory, so a sign-out that
    /// was answered as done holds after a restart.
    async fn sign_out(&self, presented: Presented, until: i64, everywhere: bool) -> HubAnswer {
        let Some(mut outs) = self.sign_outs().await else {
            return HubAnswer::Error(ApiError::internal());
        };
        let now = now_ms() as i64;
        if everywhere {
            outs.everywhere(now);
        } else {
            outs.sign_out(presented.id, until, now);
        }
        if self.state.storage().put_raw(SIGN_OUTS_KEY, JsValue::from(wire::to_json(&outs))).await.is_err() {
            return HubAnswer::Error(ApiError::internal());
        }
        if let Some(forget_at) = outs.forgettable_at_ms(MAX_SESSION_SECS) {
            self.clean_up_at(forget_at as f64).await;
        }
        *self.sign_outs.borrow_mut() = Some(outs);
        HubAnswer::Admitted
    }

    /// The account's sign-outs (read from storage once per object lifetime); `None` when storage cannot be read.
    async fn sign_outs(&self) -> Option<SignOuts> {
        if let Some(outs) = self.sign_outs.borrow().as_ref() {
            return Some(outs.clone());
        }
        let pending = self.state.storage().as_raw().get(SIGN_OUTS_KEY).ok()?;
        let stored = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        let outs = if stored.is_undefined() { SignOuts::default() } else { wire::from_json(&stored.as_string()?)? };
        // A sign-out made while storage was being read is newer than the stored one.
        Some(self.sign_outs.borrow_mut().get_or_insert(outs).clone())
    }

    async fn login(&self, config: Config, email: &str, password: &str, entry: Region) -> HubAnswer {
        let _serialised = self.login_gate.lock().await;
        if let Some(error) = self.held(now_ms()).await {
            return HubAnswer::Error(error);
        }
        let end = upstream::login(&config, email, password, entry).await;
        let now = now_ms();
        let previous = self.hold.borrow().clone();
        let hold = match &end {
            Ok(LoginEnd::Failed(Outcome::BadCredentials)) => {
                Some(Hold::new(now, LOGIN_PAUSE_SECS, ApiError::login_paused(LOGIN_PAUSE_SECS)))
            }
            Ok(LoginEnd::Failed(outcome)) => Hold::imposed(now, &ApiError::from_outcome(outcome), previous.as_ref()),
            Err(error) => Hold::imposed(now, error, previous.as_ref()),
            Ok(_) => None,
        };
        let mut answer = HubAnswer::from(end);
        if let HubAnswer::Error(error) = &mut answer {
            if error.code == Code::BadCredentials {
                error.retry_after_secs = Some(LOGIN_PAUSE_SECS);
            } else if let Some(hold) = hold.as_ref().filter(|h| h.error.code == error.code) {
                // The hold's own wait (an edge block's grows from a minute).
                error.retry_after_secs = hold.error.retry_after_secs;
            }
        }
        self.set_hold(hold).await;
        answer
    }

    /// Wakes the object at `at_ms` (or later, if a later wake is set) to delete what it stored once its waits are
    /// over ([`Hub::alarm`]).
    async fn clean_up_at(&self, at_ms: f64) {
        let storage = self.state.storage();
        let set = storage.get_alarm().await.ok().flatten().is_some_and(|at| at as f64 >= at_ms);
        if !set && crate::storage::set_alarm_at(&storage, at_ms as i64).await.is_err() {
            worker::console_error!("hub: the clean-up could not be scheduled");
        }
    }

    /// The wait in force, if any, with the time left (read from storage once per object lifetime).
    async fn held(&self, now: f64) -> Option<ApiError> {
        if !self.hold_loaded.get() {
            let stored = self.load_hold().await;
            // A hold set while storage was being read is newer than the stored one.
            if self.hold.borrow().is_none() {
                *self.hold.borrow_mut() = stored;
            }
            self.hold_loaded.set(true);
        }
        self.hold.borrow().as_ref().and_then(|hold| hold.active(now))
    }

    /// The stored hold; `None` when there is none or it cannot be read (then only the memory's is known).
    async fn load_hold(&self) -> Option<Hold> {
        let pending = self.state.storage().as_raw().get(HOLD_KEY).ok()?;
        let stored = worker::wasm_bindgen_futures::JsFuture::from(pending).await.ok()?;
        wire::from_json(&stored.as_string()?)
    }

    /// Sets the wait, in memory and in storage (a storage failure is logged: the memory's still holds).
    async fn set_hold(&self, hold: Option<Hold>) {
        let had = self.hold.replace(hold.clone()).is_some() || !self.hold_loaded.get();
        self.hold_loaded.set(true);
        let storage = self.state.storage();
        if let Some(hold) = &hold {
            self.clean_up_at(hold.until_ms).await;
        }
        let stored = match hold {
            Some(hold) => storage.put_raw(HOLD_KEY, JsValue::from(wire::to_json(&hold))).await,
            None if had => storage.delete(HOLD_KEY).await.map(|_| ()),
            None => Ok(()),
        };
        if stored.is_err() {
            worker::console_error!("hub: the wait could not be stored; it holds in memory only");
        }
    }
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

#[cfg(test)]
mod tests;
