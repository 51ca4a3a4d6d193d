//! The fake's whole behaviour as one synchronous state machine: a parsed request and `now` in, a reply out,
//! every call recorded. No I/O here; the HTTP layer in [`super`] only translates.
//!
//! Where llu-protocol.md is silent, the choices are (and say why):
//! - **Redirect before credentials.** A host that is not the account's home redirects without looking at the
//!   password (the global host does not know it), so a lockout shows only at the home host. An unknown e-mail
//!   gets status 2 at any host (nobody knows where to send it) and counts towards the lockout there.
//! - **Lockout** is per e-mail, known or not: the third failure within 60 s still answers status 2 and starts a
//!   300 s lock; while locked every login answers the "locked" body, and the password is not even checked, so
//!   nothing counts. A successful login clears the failures.
//! - **Rate limit** counts the calls it let through (logins, steps, data), in a sliding window; a refused call
//!   does not extend the burst. The 429 carries `Retry-After` and a small JSON body.
//! - **`/auth/continue/{type}`** honours edge block, rate limit and maintenance like login. A step token used
//!   at a host other than the one that issued it answers `{"status":911}` (what LLU sends for a foreign
//!   regional host, llu-protocol.md 1.2). With no step pending it answers the success body; `verifyEmail` (and
//!   any unknown step type) can never be continued, so it is answered again.
//! - **`account-id`**: an empty value counts as missing; the comparison is exact (an upper-case hash mismatches).
//! - **Tickets**: login and continue answers carry their token in `authTicket` only; data answers carry a fresh
//!   180-day `ticket`. Old tokens stay valid until they expire or are revoked.
//! - **HTTP 430** (new documents to accept in the app, llu-protocol.md 2.5): answered to a sign-in with the right
//!   password while [`Account::new_documents`] is set, with a small JSON body (what LLU's body holds is not known).
//! - **LibreLinkUp 5** ([`Account::llu5`]): a sign-in with the right password gets the new API's error shape
//!   (HTTP 400 `{"code": 5, "errors": [...]}`), a data call the encrypted envelope (HTTP 200).
//! - **Russia and China**: the global host does not know their accounts (it answers status 2, as for any unknown
//!   e-mail); only their own host signs them in.
//! - **User-Agent**: Cloudflare in front of LLU answers a request with no `User-Agent`, or with an HTTP library's
//!   default one (`reqwest`, `python-requests`, `aiohttp`, `node-fetch`, `curl`, …), with its 403 block page, at
//!   every host and route, before LLU sees it ([`is_library_user_agent`], in [`super::request`]).
//! - **Malformed requests**: a login body that is not JSON gets HTTP 400 `{"message":"BadRequest"}`; valid JSON
//!   without an e-mail or password gets status 2 `notAuthenticated` (counted as a failure when the e-mail is
//!   there); a known path with the wrong method gets HTTP 405 `{"message":"MethodNotAllowed"}`; anything else
//!   HTTP 404 `{"message":"NotFound"}`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Deserialize;
use serde_json::Value;
use shared::llu::{Region, Ticket};
use shared::simulate::{self, Patient};
use shared::time::UtcTime;

use super::bodies;
use super::model::{Account, Call, CallKind, Maintenance, RateLimit, account_id_for};
use super::request::{Incoming, Reply, Route, is_library_user_agent, split_host, version_at_least};
use super::token::{self, DEFAULT_PRODUCT, TokenInfo, TokenKind};

/// Failed logins that lock an e-mail.
pub const LOCK_FAILURES: u32 = 3;
/// The window those failures must fall in, seconds.
pub const LOCK_INTERVAL_SECS: i64 = 60;
/// How long the lock lasts, seconds.
pub const LOCK_SECS: i64 = 300;

/// The login body.
#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Failed logins of one e-mail.
#[derive(Default)]
struct Failures {
    /// Failures inside the window, epoch seconds.
    times: Vec<i64>,
    /// Locked until this instant, epoch seconds.
    locked_until: i64,
}

/// Everything the fake knows.
pub struct State {
    base_url: String,
    accounts: BTreeMap<String, Account>,
    tokens: HashMap<String, TokenInfo>,
    failures: HashMap<String, Failures>,
    hits: HashMap<String, VecDeque<i64>>,
    calls: Vec<(Option<String>, Call)>,
    edge_block: bool,
    serial: u64,
}

/// A reply and the e-mail key of the account it is attributed to.
type Owned<T> = (T, Option<String>);

impl State {
    /// An empty fake answering as `base_url` (no trailing slash).
    pub fn new(base_url: String) -> State {
        State {
            base_url,
            accounts: BTreeMap::new(),
            tokens: HashMap::new(),
            failures: HashMap::new(),
            hits: HashMap::new(),
            calls: Vec::new(),
            edge_block: false,
            serial: 0,
        }
    }

    /// Adds or replaces an account (by e-mail, case ignored).
    pub fn add_account(&mut self, account: Account) {
        self.accounts.insert(account.email.to_lowercase(), account);
    }

    /// Changes an account in place; nothing happens for an unknown e-mail.
    pub fn update(&mut self, email: &str, f: impl FnOnce(&mut Account)) {
        if let Some(account) = self.accounts.get_mut(&email.to_lowercase()) {
            f(account);
        }
    }

    /// Revokes every token issued to `email` so far.
    pub fn revoke_tokens(&mut self, email: &str) {
        let key = email.to_lowercase();
        self.tokens.values_mut().filter(|t| t.email_key == key).for_each(|t| t.revoked = true);
    }

    /// The calls attributed to `email`, oldest first.
    pub fn calls(&self, email: &str) -> Vec<Call> {
        let key = email.to_lowercase();
        self.calls.iter().filter(|(owner, _)| owner.as_deref() == Some(key.as_str())).map(|(_, c)| c.clone()).collect()
    }

    /// Every call, oldest first.
    pub fn all_calls(&self) -> Vec<Call> {
        self.calls.iter().map(|(_, c)| c.clone()).collect()
    }

    /// Forgets the recorded calls.
    pub fn reset_calls(&mut self) {
        self.calls.clear();
    }

    /// Turns the server-wide Cloudflare block on or off.
    pub fn set_edge_block(&mut self, on: bool) {
        self.edge_block = on;
    }

    /// A fresh Cloudflare ray id.
    pub fn ray(&mut self) -> String {
        self.serial += 1;
        format!("{:016x}-FRA", self.serial.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Answers one LLU request at `now` and records it.
    pub fn handle(&mut self, req: &Incoming, now: UtcTime) -> Reply {
        let query = req.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default();
        let Some((region, rest)) = split_host(&req.path) else {
            let reply = Reply::json(404, &bodies::not_found());
            self.record(None, req, None, format!("{}{query}", req.path), CallKind::Other, reply.status);
            return reply;
        };
        let route = Route::parse(&rest);
        let host = region.unwrap_or(Region::Global);
        let (reply, owner) = if is_library_user_agent(req.header("user-agent")) {
            (Reply::edge_block(&self.ray()), self.token_owner(req))
        } else if route == Route::Unknown {
            (Reply::json(404, &bodies::not_found()), self.token_owner(req))
        } else if req.method != route.method() {
            let mut reply = Reply::json(405, &bodies::method_not_allowed());
            reply.headers.push(("allow", route.method().to_owned()));
            (reply, self.token_owner(req))
        } else {
            match &route {
                Route::Login => self.login(host, req, now),
                Route::Continue(step) => self.continue_step(host, step, req, now),
                Route::CountryConfig => self.country_config(host, req),
                Route::Connections | Route::Graph(_) | Route::Logbook(_) => self.data(host, &route, req, now),
                Route::Unknown => (Reply::json(404, &bodies::not_found()), None),
            }
        };
        self.record(owner, req, region, format!("{rest}{query}"), route.kind(), reply.status);
        reply
    }

    fn record(
        &mut self,
        owner: Option<String>,
        req: &Incoming,
        region: Option<Region>,
        path: String,
        kind: CallKind,
        status: u16,
    ) {
        let call = Call { method: req.method.clone(), region, path, kind, headers: req.headers.clone(), status };
        self.calls.push((owner, call));
    }

    /// The e-mail key of the account the request's token belongs to (valid or not).
    /// How long to hold the answer to `req` back: its token owner's [`Account::answer_delay_ms`].
    pub fn answer_delay_ms(&self, req: &Incoming) -> u64 {
        let owner = self.token_owner(req);
        owner.and_then(|key| self.accounts.get(&key)).map_or(0, |account| account.answer_delay_ms)
    }

    fn token_owner(&self, req: &Incoming) -> Option<String> {
        req.bearer().and_then(|t| self.tokens.get(t)).map(|i| i.email_key.clone())
    }

    /// The token a call carries and its owner, or the answer when the server or the owner's account is gated
    /// (edge block first, then [`State::account_gates`]).
    fn token_gates(
        &mut self,
        req: &Incoming,
        now: UtcTime,
    ) -> Result<(Option<TokenInfo>, Option<String>), Owned<Reply>> {
        let info = req.bearer().and_then(|t| self.tokens.get(t)).cloned();
        let owner = info.as_ref().map(|i| i.email_key.clone());
        if self.edge_block {
            return Err((Reply::edge_block(&self.ray()), owner));
        }
        if let Some(key) = &owner
            && let Some(reply) = self.account_gates(key, now)
        {
            return Err((reply, owner));
        }
        Ok((info, owner))
    }

    /// Edge block, rate limit and maintenance of one account, in that order.
    fn account_gates(&mut self, key: &str, now: UtcTime) -> Option<Reply> {
        let account = self.accounts.get(key)?;
        let (edge, limit, maintenance) = (account.edge_block, account.rate_limit, account.maintenance);
        if edge {
            return Some(Reply::edge_block(&self.ray()));
        }
        if let Some(limit) = limit
            && self.over_limit(key, limit, now)
        {
            let mut reply = Reply::json(429, &bodies::too_many_requests());
            reply.headers.push(("retry-after", limit.retry_after_secs.to_string()));
            return Some(reply);
        }
        maintenance.map(|m| match m {
            Maintenance::Body => Reply::json(200, &bodies::status_911()),
            Maintenance::Http => Reply::json(911, &bodies::status_911()),
        })
    }

    /// Whether this call breaks the burst limit; counts it when it does not.
    fn over_limit(&mut self, key: &str, limit: RateLimit, now: UtcTime) -> bool {
        let now = now.unix_secs();
        let hits = self.hits.entry(key.to_owned()).or_default();
        while hits.front().is_some_and(|t| *t <= now - i64::from(limit.per_secs)) {
            hits.pop_front();
        }
        if hits.len() >= limit.max_calls as usize {
            return true;
        }
        hits.push_back(now);
        false
    }

    /// Mints a token, keeps it in the table and returns its ticket.
    fn issue(&mut self, account: &Account, kind: TokenKind, region: Region, product: &str, now: UtcTime) -> Ticket {
        self.serial += 1;
        let (token, info) = token::mint(account, kind, region, product, now, self.serial);
        let ticket = info.ticket(token.clone());
        self.tokens.insert(token, info);
        ticket
    }

    /// The status-4 answer for `step`, or the success body when nothing is pending.
    fn step_or_success(&mut self, account: &Account, region: Region, product: &str, now: UtcTime) -> Reply {
        match account.steps.first() {
            Some(step) => {
                let ticket = self.issue(account, TokenKind::Step, region, product, now);
                Reply::json(200, &bodies::step(step, account, &ticket))
            }
            None => {
                let ticket = self.issue(account, TokenKind::Full, region, product, now);
                Reply::json(200, &bodies::login_success(account, &ticket, now))
            }
        }
    }

    fn login(&mut self, host: Region, req: &Incoming, now: UtcTime) -> (Reply, Option<String>) {
        let credentials = req.body.as_deref().map(serde_json::from_slice::<Credentials>);
        let key = match &credentials {
            Some(Ok(c)) => c.email.as_deref().map(str::to_lowercase).filter(|e| !e.is_empty()),
            _ => None,
        };
        if self.edge_block {
            return (Reply::edge_block(&self.ray()), key);
        }
        let credentials = match credentials {
            None => {
                // The rest of the body was never read: the connection cannot be reused.
                let mut reply = Reply::json(413, &bodies::payload_too_large());
                reply.headers.push(("connection", "close".to_owned()));
                return (reply, None);
            }
            Some(Err(_)) => return (Reply::json(400, &bodies::bad_request()), None),
            Some(Ok(c)) => c,
        };
        let Some(key) = key else {
            return (Reply::json(200, &bodies::not_authenticated()), None);
        };
        if let Some(reply) = self.account_gates(&key, now) {
            return (reply, Some(key));
        }
        // Russia's and China's accounts live apart: the global host does not know them (llu-protocol.md 1).
        let apart = |a: &Account| host == Region::Global && matches!(a.region, Region::Ru | Region::Cn);
        let account = self.accounts.get(&key).filter(|a| !apart(a)).cloned();
        if let Some(account) = &account
            && host != account.region
        {
            let via = account.via.filter(|v| *v != Region::Global && *v != account.region);
            let to = if host == Region::Global { via.unwrap_or(account.region) } else { account.region };
            return (Reply::json(200, &bodies::redirect(to)), Some(key));
        }
        if self.failures.get(&key).is_some_and(|f| f.locked_until > now.unix_secs()) {
            let locked = bodies::locked(LOCK_FAILURES, LOCK_INTERVAL_SECS, LOCK_SECS);
            return (Reply::json(200, &locked), Some(key));
        }
        let account = match (account, credentials.password.as_deref()) {
            (Some(account), Some(password)) if password == account.password => account,
            (_, password) => {
                self.record_failure(&key, now);
                let body = if password.is_none() { bodies::not_authenticated() } else { bodies::bad_credentials() };
                return (Reply::json(200, &body), Some(key));
            }
        };
        self.failures.remove(&key);
        if account.llu5 {
            return (Reply::json(400, &bodies::llu5_error()), Some(key));
        }
        if account.new_documents {
            return (Reply::json(430, &serde_json::json!({"status": 430})), Some(key));
        }
        let product = req.header("product").filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PRODUCT).to_owned();
        (self.step_or_success(&account, host, &product, now), Some(key))
    }

    fn record_failure(&mut self, key: &str, now: UtcTime) {
        let now = now.unix_secs();
        let failures = self.failures.entry(key.to_owned()).or_default();
        failures.times.retain(|t| *t > now - LOCK_INTERVAL_SECS);
        failures.times.push(now);
        if failures.times.len() >= LOCK_FAILURES as usize {
            failures.times.clear();
            failures.locked_until = now + LOCK_SECS;
        }
    }

    fn continue_step(&mut self, host: Region, step: &str, req: &Incoming, now: UtcTime) -> (Reply, Option<String>) {
        let (info, owner) = match self.token_gates(req, now) {
            Ok(found) => found,
            Err(refused) => return refused,
        };
        let Some(info) = info.filter(|i| i.usable_as(TokenKind::Step, now)) else {
            return (Reply::json(401, &bodies::invalid_jwt()), owner);
        };
        let Some(account) = self.accounts.get_mut(&info.email_key) else {
            return (Reply::json(401, &bodies::invalid_jwt()), owner);
        };
        if info.region != host {
            return (Reply::json(200, &bodies::status_911()), owner);
        }
        // Documents can be accepted; e-mail verification (and any unknown step) never over the API.
        if account.steps.first().is_some_and(|next| next.as_str() == step && next.can_continue()) {
            account.steps.remove(0);
        }
        let account = account.clone();
        (self.step_or_success(&account, info.region, &info.product, now), owner)
    }

    fn country_config(&mut self, host: Region, req: &Incoming) -> (Reply, Option<String>) {
        let owner = self.token_owner(req);
        if self.edge_block {
            return (Reply::edge_block(&self.ray()), owner);
        }
        (Reply::json(200, &bodies::country_config(&self.base_url, host)), owner)
    }

    fn data(&mut self, host: Region, route: &Route, req: &Incoming, now: UtcTime) -> (Reply, Option<String>) {
        let (info, owner) = match self.token_gates(req, now) {
            Ok(found) => found,
            Err(refused) => return refused,
        };
        let found = info.filter(|i| i.usable_as(TokenKind::Full, now)).and_then(|i| {
            let account = self.accounts.get(&i.email_key)?.clone();
            Some((i, account))
        });
        let Some((info, account)) = found else {
            return (Reply::json(401, &bodies::invalid_jwt()), owner);
        };
        if !req.header("version").is_some_and(|v| version_at_least(v, &account.min_version)) {
            return (Reply::json(403, &bodies::minimum_version(&account.min_version)), owner);
        }
        match req.header("account-id").map(str::trim).filter(|v| !v.is_empty()) {
            None => return (Reply::json(400, &bodies::required_header_missing()), owner),
            Some(id) if id != account_id_for(&info.user_id) => {
                return (Reply::json(400, &bodies::account_id_mismatch()), owner);
            }
            Some(_) => {}
        }
        if account.llu5 {
            return (Reply::json(200, &bodies::llu5_encrypted()), owner);
        }
        if info.region != host {
            let body =
                if *route == Route::Connections { bodies::status_911() } else { bodies::could_not_load_patient() };
            return (Reply::json(200, &body), owner);
        }
        let patient = |id: &str| account.patients.iter().find(|p| p.patient_id() == id);
        let sim_now = now - account.data_delay_secs;
        let render = |p: &Patient, f: fn(&Patient, UtcTime, &str) -> Value| f(p, sim_now, "");
        let body = match route {
            Route::Graph(id) => patient(id).map(|p| render(p, simulate::graph_json)),
            Route::Logbook(id) => patient(id).map(|p| render(p, simulate::logbook_json)),
            _ => Some(simulate::connections_json(&account.patients, sim_now, "")),
        };
        let Some(mut body) = body else {
            return (Reply::json(200, &bodies::could_not_load_patient()), owner);
        };
        let ticket = self.issue(&account, TokenKind::Full, info.region, &info.product, now);
        if let Some(map) = body.as_object_mut() {
            let ticket =
                serde_json::json!({"token": ticket.token, "expires": ticket.expires, "duration": ticket.duration});
            map.insert("ticket".to_owned(), ticket);
        }
        (Reply::json(200, &body), owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post_login(email: &str, password: &str) -> Incoming {
        Incoming {
            method: "POST".into(),
            path: "/llu/auth/login".into(),
            query: None,
            headers: vec![
                ("product".into(), "llu.android".into()),
                ("user-agent".into(), super::super::APP_USER_AGENT.into()),
            ],
            body: Some(serde_json::json!({"email": email, "password": password}).to_string().into_bytes()),
        }
    }

    #[test]
    fn cloudflare_blocks_a_request_without_a_user_agent_or_with_a_librarys() {
        for agent in [None, Some(""), Some("reqwest/0.12"), Some("python-requests/2.32.3"), Some("aiohttp/3.9")] {
            assert!(is_library_user_agent(agent), "{agent:?}");
        }
        for agent in [super::super::APP_USER_AGENT, "LibreLinkUp/4.17.0 CFNetwork/1568 Darwin/24", "Mozilla/5.0"] {
            assert!(!is_library_user_agent(Some(agent)), "{agent}");
        }
        let mut state = State::new("http://127.0.0.1:1".into());
        state.add_account(Account { region: Region::Global, ..Account::new("a@b.test", "right") });
        let mut bare = post_login("a@b.test", "right");
        bare.headers.retain(|(name, _)| name != "user-agent");
        let blocked = state.handle(&bare, UtcTime::from_unix_secs(1_800_000_000));
        assert_eq!((blocked.status, blocked.content_type), (403, "text/html; charset=UTF-8"));
        assert!(String::from_utf8_lossy(&blocked.body).contains("Cloudflare"));
        let answered = state.handle(&post_login("a@b.test", "right"), UtcTime::from_unix_secs(1_800_000_000));
        assert_eq!(answered.status, 200);
    }

    #[test]
    fn lockout_starts_at_the_third_failure_and_lasts_five_minutes() {
        let mut state = State::new("http://127.0.0.1:1".into());
        state.add_account(Account { region: Region::Global, ..Account::new("a@b.test", "right") });
        let t0 = UtcTime::from_unix_secs(1_800_000_000);
        let status = |reply: &Reply| serde_json::from_slice::<Value>(&reply.body).unwrap()["status"].clone();
        for i in 0..3 {
            assert_eq!(status(&state.handle(&post_login("a@b.test", "wrong"), t0 + i)), 2);
        }
        assert_eq!(status(&state.handle(&post_login("A@B.test", "right"), t0 + 3)), 429);
        assert_eq!(status(&state.handle(&post_login("a@b.test", "right"), t0 + 2 + LOCK_SECS)), 0);
        // Two failures, then one outside the window: no lock.
        let t1 = t0 + 10_000;
        state.handle(&post_login("a@b.test", "wrong"), t1);
        state.handle(&post_login("a@b.test", "wrong"), t1 + 1);
        state.handle(&post_login("a@b.test", "wrong"), t1 + 1 + LOCK_INTERVAL_SECS);
        assert_eq!(status(&state.handle(&post_login("a@b.test", "right"), t1 + 2 + LOCK_INTERVAL_SECS)), 0);
    }

    #[test]
    fn rate_limit_window_slides() {
        let mut state = State::new("http://127.0.0.1:1".into());
        let limit = RateLimit { max_calls: 2, per_secs: 10, retry_after_secs: 7 };
        state.add_account(Account {
            region: Region::Global,
            rate_limit: Some(limit),
            ..Account::new("a@b.test", "pw")
        });
        let t0 = UtcTime::from_unix_secs(1_800_000_000);
        let statuses: Vec<u16> = [0, 1, 2, 9, 10, 11, 12]
            .iter()
            .map(|dt| state.handle(&post_login("a@b.test", "pw"), t0 + *dt).status)
            .collect();
        assert_eq!(statuses, [200, 200, 429, 429, 200, 200, 429]);
    }
}
