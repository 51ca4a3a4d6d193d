//! The `Watcher` Durable Object: one account's watch book, its minute, its own alarm, and (in `send.rs`) the
//! pushes it sends.

mod loud;
mod minute;
mod send;

use shared::code::Code;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use push::ece::{self, Receiver};
use push::vapid::{self, VapidKey};
use serde_json::Value;
use worker::{DurableObject, Env, Fetch, Request, Response, State, durable_object, web_sys};

use crate::config::{Config, PushConfig};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::Data;
use crate::rounds::{self, RoundsRequest};
use crate::route;
use crate::seal::Session;
use crate::shares::{ShareAnswer, ShareRequest, ShareSession};
use crate::storage;
use crate::watch::{Access, Action, Delivery, Keyed, Message, Read, WatchBook, Written};
use crate::wire;

use crate::watch::client::*;
use crate::watch::requests::{WatchAnswer, WatchRequest};

/// "I'm on it"/"Snooze" one phone may send per minute (a person taps a few; a loop that would rewrite storage does not).
pub(super) const ACTS_PER_PHONE: u32 = 10;
/// Notes one patient may get per hour (a family writes a few; a link used to flood the log does not).
pub(super) const NOTES_PER_HOUR: u32 = 30;
/// Receipts one phone may send per minute (a push or two a minute at most; more is a loop).
pub(super) const RECEIPTS_PER_PHONE: u32 = 20;
/// Test pushes one phone may ask for per minute.
pub(super) const TESTS_PER_PHONE: u32 = 2;
/// The longest a push service may take to answer before the message is retried next minute.
pub(super) const SEND_TIMEOUT_MS: u64 = 10_000;

/// The `Watcher` Durable Object: the one watch book.
#[durable_object]
pub struct Watcher {
    state: State,
    env: Env,
    book: RefCell<Option<WatchBook>>,
    /// What storage holds, as this object last wrote or read it: each save writes only what changed since and
    /// deletes what is gone.
    stored: RefCell<Keyed<Written>>,
    /// The VAPID signing key, imported once per object lifetime.
    vapid: RefCell<Option<Rc<VapidKey>>>,
    /// What one phone or client did this minute (acknowledgements, tests, subscriptions), in memory only.
    limits: RefCell<crate::limit::Limits>,
    /// VAPID `Authorization` values per push service origin, with their expiry: one signature serves every push
    /// to that service for hours (RFC 8292 allows reuse; a token lives [`vapid::TOKEN_SECS`]).
    tokens: RefCell<Vec<(String, i64, String)>>,
    /// Whether this object is ticking by itself because the minute's round stopped coming ([`Watcher::arm`]).
    self_driven: Cell<bool>,
}

/// A self-driven tick runs this long after its minute starts (the round's own tick of that minute, if it comes
/// back, is usually in first; the later of the two finds the minute done).
const SELF_TICK_OFFSET_MS: i64 = 5_000;

impl DurableObject for Watcher {
    fn new(state: State, env: Env) -> Self {
        Watcher {
            state,
            env,
            book: RefCell::new(None),
            stored: RefCell::default(),
            vapid: RefCell::default(),
            tokens: RefCell::default(),
            limits: RefCell::default(),
            self_driven: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::objects::object_message::<WatchRequest>(&mut req).await {
            Some(request) => match crate::config::Config::from_env(&self.env) {
                Ok(config) => self.answer(config, request).await.unwrap_or_else(WatchAnswer::Error),
                Err(error) => WatchAnswer::Error(error),
            },
            None => WatchAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::to_json(&answer))
    }

    /// This object's own alarm: the rest of a minute's pushes, one batch per invocation (see
    /// [`crate::watch::SENDS_PER_INVOCATION`]), on the clock of the tick that queued them; or, when nothing is left
    /// to send, the watchdog: the minute's round has not come for [`Config::watchdog_secs`] (the cron failed, the
    /// round lost this object, or the round is larger than one cron invocation reaches), so the object ticks by
    /// itself on the real clock, asks to be in the round again, and goes on every minute until the round comes.
    async fn alarm(&self) -> worker::Result<Response> {
        let outcome = async {
            let config = crate::config::Config::from_env(&self.env)?;
            self.load().await?;
            let real_now = real_now();
            if let Some(now) = self.with(|book| book.last_tick.filter(|t| book.more_due(*t)))? {
                let sent = self.send_due(&config, now, real_now).await?;
                self.arm(&config, real_now).await;
                return Ok::<_, ApiError>(format!("alarm pushes: {sent} more accepted"));
            }
            if self.with(|book| book.subs.is_empty())? {
                return Ok("alarm: no phones, nothing to watch".to_owned());
            }
            self.self_driven.set(true);
            worker::console_error!("watcher: the minute's round has not come for a while; ticking by itself");
            let minute = real_now - real_now.rem_euclid(60);
            let ticked = self.tick(config.clone(), minute, real_now).await;
            self.rejoin().await;
            self.arm(&config, real_now).await;
            match ticked? {
                WatchAnswer::Ticked { ran, groups, subs, sent } => {
                    Ok(format!("self tick: ran {ran}, {groups} patients, {subs} phones, {sent} pushes accepted"))
                }
                _ => Ok(String::new()),
            }
        };
        match outcome.await {
            Ok(said) => worker::console_log!("{said}"),
            Err(error) => worker::console_error!("watcher alarm failed: {} ({})", error.code, error.message),
        }
        Response::empty()
    }
}

/// The real clock, Unix seconds.
fn real_now() -> i64 {
    worker::Date::now().as_millis() as i64 / 1000
}

impl Watcher {
    async fn answer(&self, config: Config, request: WatchRequest) -> ApiResult<WatchAnswer> {
        self.load().await?;
        let real_now = real_now();
        // Acknowledgements use the later of the real clock and the last tick, so the two never disagree.
        let now = real_now.max(self.with(|b| b.last_tick.unwrap_or(0))?);
        let answer = match request {
            WatchRequest::Subscribe { new, id, key } => {
                self.limit(&format!("subscribe:{}", new.client), real_now, config.subscribes_per_client, 10 * 60)?;
                let answer = self.with_mut(|book| {
                    let sub = book.subscribe(new, id, key, now)?;
                    let (id, key, group) = (sub.id.clone(), sub.key.clone(), sub.setup.group.clone());
                    let shared_ack = book.groups.get(&group).is_some_and(|g| g.shared_ack);
                    Ok::<_, ApiError>(WatchAnswer::Subscribed { id, key, shared_ack })
                })??;
                self.commit().await?;
                // From its first phone on, the object watches for the round by itself too.
                self.arm(&config, real_now).await;
                answer
            }
            WatchRequest::Renew { account_id, session } => {
                let phones = self.with_mut(|book| book.renew_owner(&account_id, &session))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::Phones { holder } => self.with(|book| {
                let phones = book.phones(&holder);
                // Said to whoever has phones to be told; an account without any was not interrupted.
                let interruptions =
                    if phones.is_empty() { Vec::new() } else { book.recent_interruptions(self.clock(book)) };
                let lost = book.lost(&holder, self.clock(book));
                WatchAnswer::Phones { phones, interruptions, lost }
            })?,
            WatchRequest::RemovePhone { holder, id } => {
                self.with_mut(|book| book.remove_phone(&holder, &id, now))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Rotas { holder } => {
                self.with(|book| WatchAnswer::Rotas(crate::wire::to_value(&book.rotas(&holder, now))))?
            }
            WatchRequest::SetRota { holder, patient_id, rota } => {
                self.with_mut(|book| book.set_rota(&holder, &patient_id, rota))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::TakeOver { id, key, hours } => {
                self.with(|book| book.authorised(&id, &key).map(|_| ()))??;
                self.limit(&format!("act:{id}"), real_now, ACTS_PER_PHONE, 60)?;
                self.with_mut(|book| book.take_over(&id, hours, now))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::SetAlarmTest { holder, patient_id, test } => {
                self.with_mut(|book| book.set_alarm_test(&holder, &patient_id, test))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Receipt { id, key } => {
                self.with(|book| book.authorised(&id, &key).map(|_| ()))??;
                self.limit(&format!("receipt:{id}"), real_now, RECEIPTS_PER_PHONE, 60)?;
                self.with_mut(|book| book.receipt(&id, now))?;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Status { id, key } => self.with(|book| {
                let phone = super::book::phone_info(book.authorised(&id, &key)?);
                Ok::<_, ApiError>(WatchAnswer::Phones {
                    phones: vec![phone],
                    interruptions: Vec::new(),
                    lost: Vec::new(),
                })
            })??,
            WatchRequest::AddNote { group, note } => {
                // A link's phone could write all night long: a family writes a few notes an hour.
                self.limit(&format!("note:{group}"), real_now, NOTES_PER_HOUR, 60 * 60)?;
                self.with_mut(|book| book.add_note(&group, note, now))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::RemoveNote { group, id } => {
                self.with_mut(|book| book.remove_note(&group, &id))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Notes { group } => self.with(|book| WatchAnswer::Notes(book.notes(&group, now)))?,
            WatchRequest::ForgetEndpoint { endpoint } => {
                let phones = self.with_mut(|book| book.forget_endpoint(&endpoint))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::ForgetShare { share_id } => {
                let phones = self.with_mut(|book| book.forget_share(&share_id))?;
                if phones > 0 {
                    self.commit().await?;
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::Unsubscribe { id, key } => {
                self.with_mut(|book| {
                    book.authorised(&id, &key)?;
                    book.remove(&id);
                    Ok::<_, ApiError>(())
                })??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::Act { id, key, kind, snooze_min } => {
                let action = snooze_min.map_or(Action::Acknowledge, Action::Snooze);
                self.with(|book| book.authorised(&id, &key).map(|_| ()))??;
                self.limit(&format!("act:{id}"), real_now, ACTS_PER_PHONE, 60)?;
                let phones = self.with_mut(|book| book.act(&id, kind, action, now))??;
                self.commit().await?;
                // "Sam is on it" goes out now, not at the next minute: the others' phones may still be ringing.
                if let Err(error) = self.send_due(&config, now, real_now).await {
                    worker::console_error!("watcher: an answer's pushes wait for the minute ({})", error.code);
                }
                WatchAnswer::Done(phones)
            }
            WatchRequest::Test { id, key } => {
                let message = self.with(|book| {
                    let sub = book.authorised(&id, &key)?;
                    let name = book.groups.get(&sub.setup.group).map(|g| g.name.clone()).unwrap_or_default();
                    Ok::<_, ApiError>(crate::watch::test_message(sub, &name, now))
                })??;
                self.limit(&format!("test:{id}"), real_now, TESTS_PER_PHONE, 60)?;
                let (delivery, status) = self.send(&config.push, &message, now, real_now).await?;
                self.with_mut(|book| {
                    if delivery == Delivery::Gone {
                        book.lose(&message.sub, now);
                    }
                })?;
                self.commit().await?;
                WatchAnswer::Sent(status)
            }
            WatchRequest::SetLoud { id, key, loud } => {
                // The key first: a stranger who knows only an id must not use up this phone's allowance.
                self.with(|book| book.authorised(&id, &key).map(|_| ()))??;
                self.limit(&format!("loud:{id}"), real_now, ACTS_PER_PHONE, 60)?;
                self.with_mut(|book| book.set_loud(&id, &key, loud, &config.push.loud_origins))??;
                self.commit().await?;
                WatchAnswer::Done(1)
            }
            WatchRequest::TestLoud { id, key } => self.test_loud(&config.push, &id, &key, now, real_now).await?,
            WatchRequest::Tick { now } => {
                // The round came: the object stops ticking by itself, and moves its watchdog on.
                self.self_driven.set(false);
                let answer = self.tick(config.clone(), now, real_now).await?;
                self.arm(&config, real_now).await;
                answer
            }
        };
        Ok(answer)
    }

    /// Keeps this object's own alarm set while it has phones and no pushes are waiting for their batch (whose
    /// alarm is set at once): at the watchdog horizon ([`Config::watchdog_secs`] after now) while the round comes,
    /// moved on only once less than half of it is left (one alarm write every few minutes, not every minute);
    /// at the next minute while the object ticks by itself. A failure is logged: the round still comes.
    async fn arm(&self, config: &Config, real_now: i64) {
        let Ok((phones, sending)) =
            self.with(|book| (!book.subs.is_empty(), book.last_tick.is_some_and(|t| book.more_due(t))))
        else {
            return;
        };
        if !phones || sending {
            return;
        }
        let now_ms = real_now * 1000;
        let horizon_ms = i64::from(config.watchdog_secs) * 1000;
        let storage = self.state.storage();
        let current = storage.get_alarm().await.ok().flatten();
        let (target, keep) = if self.self_driven.get() {
            let next = (real_now - real_now.rem_euclid(60) + 60) * 1000 + SELF_TICK_OFFSET_MS;
            (next, current.is_some_and(|at| at > now_ms && at <= next))
        } else {
            let target = now_ms + horizon_ms;
            (target, current.is_some_and(|at| at >= now_ms + horizon_ms / 2 && at <= target))
        };
        if !keep && storage::set_alarm_at(&storage, target).await.is_err() {
            worker::console_error!("watcher: its own alarm could not be set; it relies on the minute's round alone");
        }
    }

    /// Asks to be in the minute's round again (the round may have lost this object). Its name is the one its
    /// phones' ids lead to (the runtime does not give an alarm handler the object's name everywhere).
    async fn rejoin(&self) {
        let from_phones =
            self.with(|book| book.subs.iter().find_map(|(id, _)| route::object_of_phone(id, rounds::LEGACY_WATCHER)));
        let Some(name) = self.state.id().name().or(from_phones.ok().flatten()) else {
            worker::console_error!("watcher: this object has no name to rejoin the round with");
            return;
        };
        if rounds::ask(&self.env, &RoundsRequest::Add(name)).await.is_err() {
            worker::console_error!("watcher: the round could not take this object back; it goes on by itself");
        }
    }

    /// The book as loaded. Gone (an error) when a save failed meanwhile (another request's, during this one's
    /// wait): this request stops rather than go on with an empty book, and the next one reads storage again.
    fn with<T>(&self, f: impl FnOnce(&WatchBook) -> T) -> ApiResult<T> {
        self.book.borrow().as_ref().map(f).ok_or_else(ApiError::internal)
    }

    fn with_mut<T>(&self, f: impl FnOnce(&mut WatchBook) -> T) -> ApiResult<T> {
        self.book.borrow_mut().as_mut().map(f).ok_or_else(ApiError::internal)
    }

    /// Reads the book from storage once per object lifetime.
    async fn load(&self) -> ApiResult<()> {
        if self.book.borrow().is_some() {
            return Ok(());
        }
        let values = storage::read_all(&self.state.storage(), "").await?;
        let meta = values.iter().find(|(key, _)| key == "meta").map(|(_, text)| text.clone());
        let mut keys: Vec<String> = values.iter().map(|(key, _)| key.clone()).collect();
        let (book, unreadable) = WatchBook::from_storage(values);
        // What could not be read is kept as it is: never deleted as "gone" by `save`. `save` rewrites `meta` (and a
        // group's `series:`, which is LibreLinkUp's readings again at the next read), so an unreadable `meta` is
        // copied aside first.
        keys.retain(|key| !unreadable.contains(key));
        for key in &unreadable {
            worker::console_error!("watch book: the stored value {key} could not be read; kept, not used");
        }
        if unreadable.iter().any(|key| key == "meta")
            && let Some(text) = meta
        {
            let aside = format!("unreadable-meta:{}", real_now());
            self.state.storage().put(&aside, text).await.map_err(|_| ApiError::internal())?;
        }
        // What the book would write now is what storage holds, for every key it read; a readable key the book no
        // longer makes (a group's readings without the group) is recorded too, so the next save deletes it.
        let clock = self.clock(&book);
        let mut stored = book.changes(&Keyed::new(), clock).written;
        for key in stored.keys().filter(|key| !keys.contains(key)).cloned().collect::<Vec<_>>() {
            stored.remove(&key);
        }
        for key in keys {
            if !stored.contains_key(&key) {
                stored.insert(key, Written { fingerprint: String::new(), at: clock });
            }
        }
        *self.book.borrow_mut() = Some(book);
        *self.stored.borrow_mut() = stored;
        Ok(())
    }

    /// One more `key` in its window, or 429 with the time to wait (see [`crate::limit`]).
    fn limit(&self, key: &str, now: i64, per_window: u32, window: i64) -> ApiResult<()> {
        self.limits.borrow_mut().admit(key, now, per_window, window).map_err(|wait| {
            ApiError::new(429, Code::PushRateLimited, "Too many requests from this phone. Wait a minute.")
                .retry_after(wait)
        })
    }

    /// The object's clock: the real one, or the last tick's when that is later (the cron's scheduled minute).
    fn clock(&self, book: &WatchBook) -> i64 {
        real_now().max(book.last_tick.unwrap_or(0))
    }

    /// Writes what changed in the book since the last save ([`WatchBook::changes`]): a value per changed
    /// subscription or group's readings, `meta` when the groups or the outbox changed; deletes what is gone.
    ///
    /// As one atomic write ([`storage::write`]), so a book is never stored half old, half new.
    async fn save(&self) -> ApiResult<()> {
        let changes = self.with(|book| book.changes(&self.stored.borrow(), self.clock(book)))?;
        storage::write(&self.state.storage(), &changes.puts, &changes.deletes).await?;
        *self.stored.borrow_mut() = changes.written;
        Ok(())
    }

    /// [`Watcher::save`], and when it fails the book in memory is dropped, so the next request reads storage
    /// again: a change that could not be stored is not kept as if it had been (a revocation, say).
    async fn commit(&self) -> ApiResult<()> {
        let saved = self.save().await;
        if saved.is_err() {
            self.forget_unsaved();
        }
        saved
    }

    fn forget_unsaved(&self) {
        *self.book.borrow_mut() = None;
        *self.stored.borrow_mut() = Keyed::new();
    }
}
