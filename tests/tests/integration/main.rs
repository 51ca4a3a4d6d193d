//! Tidewatch's one integration test binary (style.md): the fake LibreLinkUp on its own, then the real worker in
//! workerd (`wrangler dev`) in front of it, then real LibreLinkUp clients from PyPI through the worker.
// Test helpers outside #[test] functions may fail loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

/// The app in Chromium against the worker and the fake.
mod app;
/// Real LibreLinkUp clients from PyPI, through the worker.
mod clients;
/// The fake LibreLinkUp server, driven directly.
mod fake_llu;
/// The worker in workerd, against the fake.
mod proxy;
/// Background alarms: the Cron Trigger, Web Push to a fake push service, checked by independent libraries.
mod push;
