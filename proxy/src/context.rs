//! What a request's handler (or a minute's tick) works with: the environment, the configuration, the clock, the
//! origin, and the session renewed on the way.

use worker::Env;

use crate::config::Config;

/// What every handler needs.
pub struct Ctx {
    /// The environment (the `HUB` binding).
    pub env: Env,
    /// The configuration.
    pub config: Config,
    /// Now, Unix seconds.
    pub now: i64,
    /// Now, Unix ms (when a sign-in happened, to the millisecond, so "sign out everywhere" is exact).
    pub now_ms: i64,
    /// This server's origin (`https://host`), for rewriting `regionalMap`.
    pub origin: String,
    /// The presented session, sealed again with a later expiry (sliding), and that expiry: the router hands it
    /// back as the cookie ([`with_renewal`]), a read in its `ticket`.
    pub renewed: core::cell::RefCell<Option<(String, i64)>>,
}

impl Ctx {
    /// The context of a request (or a tick) at `now_ms`.
    pub fn new(env: Env, config: Config, now_ms: i64, origin: String) -> Ctx {
        Ctx { env, config, now: now_ms.div_euclid(1000), now_ms, origin, renewed: core::cell::RefCell::default() }
    }
}
