//! Tidewatch's test harness: a faithful fake of the LibreLinkUp follower API (a library for Rust tests and the
//! `fake-libreview` binary for everything else) and, in `tests/`, the integration tests that drive it.
//!
//! The fake behaves like llu-protocol.md says the real service does, its failures included, so that client
//! code is tested against the answers it will really meet. It serves plain HTTP on 127.0.0.1 only, and this
//! crate is never published or shipped: nothing here may be used by `shared`, `proxy` or `app`.

/// The fake LibreLinkUp server: accounts, tokens, failures, recorded calls, and its HTTP control API.
pub mod fake;
/// Fakes of the loud channels' services (ntfy, Pushover, a webhook): record what the worker POSTs, answer as each
/// service does.
pub mod loud_services;
/// A fake Web Push service: records what the worker POSTs, answers what a test asks.
pub mod push_service;
/// A relay of the shape a self-hoster runs outside Cloudflare, in front of the fake.
pub mod relay;
/// Serving a fake on a thread of its own.
mod serve;
/// The fake and the real worker (`wrangler dev`) started together for integration tests.
pub mod stack;
/// What the local runtime stored for the worker's Durable Objects, read and changed in its files.
pub mod stored;
/// The local runtime's clock, CPU time and memory, for the load runs.
pub mod workerd;

pub use fake::{Account, Call, CallKind, FakeLlu, Maintenance, RateLimit};
