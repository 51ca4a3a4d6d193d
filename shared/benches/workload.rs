//! The benchmark workload, shared by the native criterion bench (`benches/domain.rs`) and the wasm bench in
//! Chromium (`tests/wasm_bench.rs`): what the app does with 14 days of 1-minute data.

use shared::alarm::{self, AlarmConfig, AlarmState};
use shared::forecast;
use shared::reading::{Origin, Reading, Series};
use shared::simulate::{self, Patient};
use shared::stats;
use shared::time::{DAY, UtcTime};

/// 14 days of 1-minute readings.
pub const READINGS: usize = 14 * 24 * 60;

/// The inputs, built once outside the timed part.
pub struct Input {
    /// The instant of the newest reading.
    pub now: UtcTime,
    /// 14 days of 1-minute readings, newest first (so the merge has to sort).
    pub history: Vec<Reading>,
    /// The last 12 h as 5-minute graph points plus the current value (all already in `history`: upserts).
    pub refresh: Vec<Reading>,
    /// Default alarm settings.
    pub config: AlarmConfig,
    /// A fresh alarm state.
    pub state: AlarmState,
}

/// Builds the input: the demo patient, every minute of the 14 days before 2026-11-21 12:00 UTC.
pub fn input() -> Input {
    let patient = Patient::demo();
    let now = UtcTime::from_unix_secs(1_795_262_400);
    let from = now - 14 * DAY;
    let mut history: Vec<Reading> = (0..READINGS as i64)
        .map(|i| from + i * 60)
        .map(|at| Reading::new(at, shared::units::MgDl::round(simulate::glucose(&patient, at))))
        .collect();
    // The refresh re-sends what LLU re-sends: the last 12 h as 5-minute graph points and the current value, all
    // at instants the series already holds (upserts, as every minute in the app).
    let mut refresh: Vec<Reading> = history.iter().rev().step_by(5).take(144).rev().copied().collect();
    if let Some(newest) = history.last() {
        refresh.push(Reading { origin: Origin::Current, ..*newest });
    }
    history.reverse();
    Input { now, history, refresh, config: AlarmConfig::default(), state: AlarmState::default() }
}

/// What one computation yields, so the optimiser cannot drop any of it.
pub type Output = (usize, Option<f64>, Option<u16>, usize);

/// Merge + stats + AR2 + one alarm step on a prepared series.
pub fn analyse(input: &Input, series: &Series) -> Output {
    let readings = series.as_slice();
    let summary = stats::summarize(readings, input.now - 14 * DAY, input.now + 60);
    let forecast = forecast::ar2(readings);
    let (events, _state) = alarm::step(input.now, readings, &input.config, &input.state);
    (readings.len(), summary.map(|s| s.mean), forecast.and_then(|f| f.at_minutes(30)), events.len())
}

/// The worst case, on app start: build the 14-day series from scratch (unsorted, 20,160 readings), merge a
/// refresh into it, then stats over 14 days, AR2 and one alarm step.
pub fn full(input: &Input) -> Output {
    let mut series = Series::from_readings(input.history.iter().copied());
    series.merge(input.refresh.iter().copied());
    analyse(input, &series)
}

/// The every-minute case: a 14-day series exists; merge a refresh (graph + current), then the same analysis.
pub fn refresh(input: &Input, series: &mut Series) -> Output {
    series.merge(input.refresh.iter().copied());
    analyse(input, series)
}
