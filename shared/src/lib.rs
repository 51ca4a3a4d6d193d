//! Tidewatch's glucose domain: everything a LibreLinkUp follower computes, shared by the PWA (`app`) and the
//! Cloudflare Worker (`proxy`).
//!
//! This crate must stay pure: no I/O, no clock, no framework, no randomness that is not seeded. Anything that
//! depends on time takes `now` as a parameter. It compiles natively and for `wasm32-unknown-unknown`, and it ships
//! inside the PWA, so it stays small (serde, serde_json, thiserror and chrono only). Values are computed in mg/dL and
//! converted only for display. LibreLinkUp wire names live only in [`llu`], Nightscout names only in
//! [`nightscout`].

/// The alarm engine: one pure state machine, `step(now, readings, config, state) -> (events, state)`.
pub mod alarm;
/// Every error code the server answers with and the app explains.
pub mod code;
/// The crate's one error type and its `Result` alias.
pub mod error;
/// Nightscout's AR2 forecast and its cone.
pub mod forecast;
/// What the big current value shows, as text (the app's glance, and a share link's first answer).
pub mod glance;
/// LibreLinkUp wire types and the classification of any upstream answer.
pub mod llu;
/// The loud channel (ntfy, Pushover, a webhook): the night shift's last rung, past Do Not Disturb.
pub mod loud;
/// Nightscout shapes: `/api/v1/entries` and `/pebble`.
pub mod nightscout;
/// The family's notes on a patient ("15 g juice"), and Nightscout's treatments made of them.
pub mod notes;
/// One stable sort, written once (std's is a large copy per type in wasm).
pub mod order;
/// The phones that get an account's alarms, as the worker lists them and the app shows them.
pub mod phones;
/// A glucose reading, the merged time series, and how fresh the newest reading is.
pub mod reading;
/// The family's night shift: who is woken first, who next, who answered.
pub mod rota;
/// Sensor age, time left and warm-up from LLU's activation time and the model's lifetime.
pub mod sensor;
/// A deterministic synthetic patient that answers like LibreLinkUp (the demo and the fake upstream's data).
pub mod simulate;
/// Time-weighted statistics: range bands, mean, SD, CV, GMI, coverage, AGP percentiles.
pub mod stats;
/// UTC instants and the strict `M/D/YYYY h:mm:ss AM|PM` parser for LLU timestamps.
pub mod time;
/// Rate of change, trend arrows (ours, LLU's) and the Nightscout 5-minute delta.
pub mod trend;
/// mg/dL newtype, mmol/L display conversion and value formatting.
pub mod units;
/// The worker's JSON, one codec: serde's derive through `serde_json::Value` (its messages and stored records).
pub mod wire;

pub use error::{Error, Result};

/// JSON from bytes, decoded through `serde_json::from_str` like every other JSON here: one reader type, so the
/// wasm carries one copy of each decoder instead of two. Bytes that are not UTF-8 are malformed JSON, as
/// `from_slice` would say.
pub fn json_from_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, serde_json::Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| <serde_json::Error as serde::de::Error>::custom("not UTF-8"))?;
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_from_bytes_reads_what_from_slice_reads_and_refuses_what_it_refuses() {
        let cases: [&[u8]; 5] = [b"{\"a\":[1,2.5,\"\xC3\xA9\"]}", b"  [] ", b"{\"a\":\"\xFF\"}", b"\xC3", b"{"];
        for bytes in cases {
            let ours = json_from_bytes::<serde_json::Value>(bytes);
            let theirs = serde_json::from_slice::<serde_json::Value>(bytes);
            assert_eq!(ours.as_ref().ok(), theirs.as_ref().ok(), "{bytes:?}");
        }
        assert!(json_from_bytes::<serde_json::Value>(b"{\"a\":\"\xFF\"}").is_err());
    }
}
