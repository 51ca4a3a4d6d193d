//! Tidewatch's glucose domain: everything a LibreLinkUp follower computes, shared by the PWA (`app`) and the
//! Cloudflare Worker (`proxy`).
//!
//! This crate must stay pure: no I/O, no clock, no framework, no randomness that is not seeded. Anything that
//! depends on time takes `now` as a parameter. It compiles natively and for `wasm32-unknown-unknown`, and it ships
//! inside the PWA, so it stays small (serde, serde_json and thiserror only). Values are computed in mg/dL and
//! converted only for display. LibreLinkUp wire names live only in [`llu`], Nightscout names only in
//! [`nightscout`].

/// The crate's one error type and its `Result` alias.
pub mod error;
/// UTC instants and the strict `M/D/YYYY h:mm:ss AM|PM` parser for LLU timestamps.
pub mod time;
/// mg/dL newtype, mmol/L display conversion and value formatting.
pub mod units;
/// A glucose reading, the merged time series, and how fresh the newest reading is.
pub mod reading;
/// Rate of change, trend arrows (ours, LLU's) and the Nightscout 5-minute delta.
pub mod trend;
/// Nightscout's AR2 forecast and its cone.
pub mod forecast;
/// Time-weighted statistics: range bands, mean, SD, CV, GMI, coverage, AGP percentiles.
pub mod stats;
/// The alarm engine: one pure state machine, `step(now, readings, config, state) -> (events, state)`.
pub mod alarm;
/// Sensor age, time left and warm-up from LLU's activation time and the model's lifetime.
pub mod sensor;
/// LibreLinkUp wire types and the classification of any upstream answer.
pub mod llu;
/// A deterministic synthetic patient that answers like LibreLinkUp (the demo and the fake upstream's data).
pub mod simulate;
/// Nightscout shapes: `/api/v1/entries` and `/pebble`.
pub mod nightscout;

pub use error::{Error, Result};
