//! A wait the hub keeps for an account or an e-mail: imposed by LibreLinkUp (a lockout, a rate limit, maintenance,
//! an edge block, new documents, a new protocol) or by the hub itself (the pause after a wrong password).

use shared::code::Code;

use crate::error::ApiError;

/// The holds after edge blocks that follow one another: 1, 2, 4 and 8 minutes, then 15 (where one block used to
/// hold for 15 minutes at once).
pub const EDGE_BLOCK_STEPS_SECS: [u32; 5] = [60, 120, 240, 480, 900];
/// An edge block within this long of the last one's end repeats it (the next hold is longer).
const EDGE_BLOCK_MEMORY_MS: f64 = 30.0 * 60_000.0;
/// While an edge block holds an account's reads, one read is let through this often to see whether it has ended.
pub const PROBE_EVERY_MS: f64 = 60_000.0;

/// A wait imposed by LLU (or by the login pause): until when, and what to answer meanwhile.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Hold {
    pub(super) until_ms: f64,
    pub(super) error: ApiError,
    /// How many edge blocks in a row made this hold (0: not an edge block).
    // Only for an edge block: a hold stored by earlier builds reads as it was.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) blocks: u32,
}

impl Hold {
    pub(super) fn new(now_ms: f64, secs: u32, error: ApiError) -> Hold {
        Hold { until_ms: now_ms + f64::from(secs) * 1000.0, error, blocks: 0 }
    }

    /// The hold an upstream error imposes: only when LLU (or its edge) asked for a wait — a lockout, a rate
    /// limit, maintenance, an edge block, new documents, a new protocol. A network blip or an unreadable answer
    /// imposes none. An edge block holds for [`EDGE_BLOCK_STEPS_SECS`] by how many came in a row (`previous`, the
    /// last hold, ended or not), so one blocked request costs a family a minute, not a quarter of an hour.
    pub(super) fn imposed(now_ms: f64, error: &ApiError, previous: Option<&Hold>) -> Option<Hold> {
        const WAITS: [Code; 6] = [
            Code::Locked,
            Code::RateLimited,
            Code::Maintenance,
            Code::EdgeBlocked,
            Code::AcceptNewDocuments,
            Code::ProtocolChanged,
        ];
        let secs = error.retry_after_secs.filter(|_| WAITS.contains(&error.code))?;
        if error.code != Code::EdgeBlocked {
            return Some(Hold::new(now_ms, secs, error.clone()));
        }
        let repeated = previous.filter(|p| p.blocks > 0 && now_ms - p.until_ms < EDGE_BLOCK_MEMORY_MS);
        let blocks = repeated.map_or(1, |p| p.blocks + 1);
        let step = usize::try_from(blocks - 1).unwrap_or(usize::MAX);
        let secs = EDGE_BLOCK_STEPS_SECS.get(step).copied().unwrap_or(secs).min(secs);
        Some(Hold { blocks, ..Hold::new(now_ms, secs, error.clone().retry_after(secs)) })
    }

    /// Whether a read may go through now as a probe, the last having gone at `last_probe_ms`: only for an edge
    /// block (whose end nobody announces), once a minute.
    pub(super) fn lets_probe(&self, now_ms: f64, last_probe_ms: f64) -> bool {
        self.blocks > 0 && now_ms - last_probe_ms >= PROBE_EVERY_MS
    }

    /// The error with the time left, while the hold lasts.
    pub(super) fn active(&self, now_ms: f64) -> Option<ApiError> {
        let left = ((self.until_ms - now_ms) / 1000.0).ceil();
        (left > 0.0).then(|| self.error.clone().retry_after(left as u32))
    }
}

/// No edge block counted.
fn is_zero(blocks: &u32) -> bool {
    *blocks == 0
}

#[cfg(test)]
mod tests {
    use shared::llu::Outcome;

    use super::*;
    use crate::wire;

    #[test]
    fn edge_blocks_in_a_row_hold_one_two_four_eight_then_fifteen_minutes_and_a_pause_forgets_them() {
        let blocked = ApiError::from_outcome(&Outcome::EdgeBlocked);
        let mut now = 0.0;
        let mut last: Option<Hold> = None;
        let mut holds = Vec::new();
        for _ in 0..7 {
            let hold = Hold::imposed(now, &blocked, last.as_ref()).unwrap();
            holds.push(hold.error.retry_after_secs.unwrap());
            now = hold.until_ms;
            last = Some(hold);
        }
        assert_eq!(holds, [60, 120, 240, 480, 900, 900, 900]);
        let later = Hold::imposed(now + 31.0 * 60_000.0, &blocked, last.as_ref()).unwrap();
        assert_eq!((later.blocks, later.error.retry_after_secs), (1, Some(60)), "half an hour without one forgets");
        let other = Hold::imposed(0.0, &ApiError::from_outcome(&Outcome::Maintenance), last.as_ref()).unwrap();
        assert_eq!((other.blocks, other.error.retry_after_secs), (0, Some(300)), "other waits are as LLU says");
    }

    #[test]
    fn an_edge_block_lets_one_read_a_minute_through_and_nothing_else_does() {
        let edge = Hold::imposed(0.0, &ApiError::from_outcome(&Outcome::EdgeBlocked), None).unwrap();
        assert!(edge.lets_probe(60_000.0, 0.0));
        assert!(!edge.lets_probe(30_000.0, 0.0));
        let locked = Hold::imposed(0.0, &ApiError::from_outcome(&Outcome::Locked { retry_after_secs: 300 }), None);
        assert!(!locked.unwrap().lets_probe(1e12, 0.0), "a lockout is never probed");
    }

    #[test]
    fn a_hold_stored_by_earlier_builds_still_reads() {
        // As earlier builds stored it: the wait and the error, nothing else.
        let error = wire::to_json(&ApiError::from_outcome(&Outcome::EdgeBlocked));
        let stored = format!(r#"{{"until_ms":5000.0,"error":{error}}}"#);
        let hold: Hold = wire::from_json(&stored).unwrap();
        assert_eq!((hold.until_ms, hold.blocks), (5000.0, 0));
        let grown = Hold { blocks: 3, ..hold };
        assert_eq!(wire::from_json::<Hold>(&wire::to_json(&grown)).unwrap().blocks, 3);
        // And written as they wrote it: `blocks` only for an edge block.
        let paused = Hold { until_ms: 1.5e12, error: ApiError::login_paused(42), blocks: 0 };
        let written = wire::to_value(&paused);
        assert_eq!((written.get("blocks"), written["until_ms"].as_f64()), (None, Some(1.5e12)), "{written}");
        assert_eq!(written["error"], wire::to_value(&ApiError::login_paused(42)));
        assert_eq!(wire::to_value(&Hold { blocks: 2, ..paused })["blocks"], 2);
    }
}
