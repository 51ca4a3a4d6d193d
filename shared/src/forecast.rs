//! Nightscout's AR2 forecast: a second-order autoregressive model in log space around 140 mg/dL, stepped every
//! 5 minutes for 65 minutes, with a cone that widens with each step.
//!
//! It starts from Nightscout's delta ([`crate::trend::delta`]): "now" is the newest bucket's mean and "5 minutes
//! ago" is the delta's `mean_5_mins_ago`, so the forecast matches what a Nightscout user would see.

use serde::{Deserialize, Serialize};

use crate::reading::Reading;
use crate::time::{MINUTE, UtcTime};
use crate::trend::{self, js_round};

/// The reference value of the log transform, in mg/dL.
pub const BG_REF: f64 = 140.0;
/// The lowest value a forecast shows.
pub const BG_MIN: f64 = 36.0;
/// The highest value a forecast shows.
pub const BG_MAX: f64 = 400.0;
/// AR2 coefficients: next = AR[0]·prev + AR[1]·curr.
pub const AR: [f64; 2] = [-0.723, 1.716];
/// One forecast step.
pub const STEP: i64 = 5 * MINUTE;
/// The cone's standard deviations for each of the 13 steps.
pub const CONE: [f64; 13] = [0.020, 0.041, 0.061, 0.081, 0.099, 0.116, 0.132, 0.146, 0.159, 0.171, 0.182, 0.192, 0.201];
/// How many standard deviations the cone spans either side.
pub const CONE_FACTOR: f64 = 2.0;

/// One forecast step.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct ForecastPoint {
    /// When.
    pub at: UtcTime,
    /// The predicted value, mg/dL (rounded, clamped to 36–400).
    pub mgdl: u16,
    /// The cone's lower edge, mg/dL.
    pub low: u16,
    /// The cone's upper edge, mg/dL.
    pub high: u16,
}

/// A forecast: 13 points, 5 to 65 minutes after the newest reading.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Forecast {
    /// The points, nearest first.
    pub points: Vec<ForecastPoint>,
}

impl Forecast {
    /// The predicted value `minutes` after the newest reading (a multiple of 5 from 5 to 65).
    pub fn at_minutes(&self, minutes: i64) -> Option<u16> {
        let step = usize::try_from(minutes / 5).ok()?.checked_sub(1)?;
        (minutes % 5 == 0).then_some(())?;
        self.points.get(step).map(|p| p.mgdl)
    }
}

/// AR2 from two values: `now` and `five_minutes_ago` (mg/dL), with the first point at `start + 5 min`.
/// `None` when either value is not a positive finite number.
pub fn ar2_from(now: f64, five_minutes_ago: f64, start: UtcTime) -> Option<Forecast> {
    let valid = |v: f64| v.is_finite() && v > 0.0;
    if !valid(now) || !valid(five_minutes_ago) {
        return None;
    }
    let (mut prev, mut curr) = ((five_minutes_ago / BG_REF).ln(), (now / BG_REF).ln());
    let points = CONE
        .iter()
        .zip(1i64..)
        .map(|(&sd, step)| {
            let next = AR[0] * prev + AR[1] * curr;
            (prev, curr) = (curr, next);
            let to_mgdl = |log: f64| js_round(BG_REF * log.exp()).clamp(BG_MIN, BG_MAX) as u16;
            ForecastPoint {
                at: start + step * STEP,
                mgdl: to_mgdl(next),
                low: to_mgdl(next - CONE_FACTOR * sd),
                high: to_mgdl(next + CONE_FACTOR * sd),
            }
        })
        .collect();
    Some(Forecast { points })
}

/// AR2 for a series (sorted oldest first), started from Nightscout's delta. `None` without a delta (fewer than
/// two non-empty 5-minute buckets in the last 20 minutes).
pub fn ar2(readings: &[Reading]) -> Option<Forecast> {
    let d = trend::delta(readings)?;
    ar2_from(d.recent_mean, d.mean_5_mins_ago, d.recent_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MgDl;
    use proptest::prelude::*;

    #[test]
    fn worked_example_from_clinical_md() {
        let f = ar2_from(150.0, 140.0, UtcTime::from_unix_secs(0)).unwrap();
        let first_six: Vec<u16> = f.points.iter().take(6).map(|p| p.mgdl).collect();
        assert_eq!(first_six, [158, 163, 167, 170, 172, 173]);
        assert_eq!(f.points.len(), 13);
        assert_eq!(f.points[0].at.unix_secs(), 300);
        assert_eq!(f.points[12].at.unix_secs(), 65 * 60);
        assert_eq!(f.at_minutes(20), Some(170));
        assert_eq!(f.at_minutes(30), Some(173));
        assert_eq!(f.at_minutes(0), None);
        assert_eq!(f.at_minutes(7), None);
        assert_eq!(f.at_minutes(70), None);
    }

    #[test]
    fn cone_widens_and_contains_the_forecast() {
        let f = ar2_from(150.0, 140.0, UtcTime::from_unix_secs(0)).unwrap();
        // Step 1: 140·e^(0.11839 ± 0.04) → 151.4 and 164.3.
        assert_eq!((f.points[0].low, f.points[0].high), (151, 164));
        let widths: Vec<i32> = f.points.iter().map(|p| i32::from(p.high) - i32::from(p.low)).collect();
        assert!(widths.windows(2).all(|w| w[0] <= w[1]), "{widths:?}");
        assert!(f.points.iter().all(|p| p.low <= p.mgdl && p.mgdl <= p.high));
    }

    #[test]
    fn flat_at_the_reference_stays_flat_and_extremes_clamp() {
        let flat = ar2_from(140.0, 140.0, UtcTime::from_unix_secs(0)).unwrap();
        assert!(flat.points.iter().all(|p| p.mgdl == 140));
        let crash = ar2_from(45.0, 80.0, UtcTime::from_unix_secs(0)).unwrap();
        assert_eq!(crash.points.last().unwrap().mgdl, 36);
        let soar = ar2_from(390.0, 300.0, UtcTime::from_unix_secs(0)).unwrap();
        assert_eq!(soar.points.last().unwrap().mgdl, 400);
        assert_eq!(ar2_from(0.0, 140.0, UtcTime::from_unix_secs(0)), None);
        assert_eq!(ar2_from(f64::NAN, 140.0, UtcTime::from_unix_secs(0)), None);
    }

    #[test]
    fn forecast_from_a_series_starts_at_its_newest_bucket() {
        let readings: Vec<Reading> = [(0, 140), (5, 150)]
            .iter()
            .map(|&(m, v)| Reading::new(UtcTime::from_unix_secs(m * MINUTE), MgDl::new(v)))
            .collect();
        let f = ar2(&readings).unwrap();
        assert_eq!(f.at_minutes(5), Some(158));
        assert_eq!(f.points[0].at.unix_secs(), 10 * MINUTE);
        assert_eq!(ar2(&readings[..1]), None);
    }

    proptest! {
        #[test]
        fn any_inputs_give_bounded_points(now in 1.0f64..1000.0, before in 1.0f64..1000.0) {
            let f = ar2_from(now, before, UtcTime::from_unix_secs(0)).unwrap();
            for p in &f.points {
                prop_assert!((36..=400).contains(&p.mgdl));
                prop_assert!(p.low <= p.mgdl && p.mgdl <= p.high);
            }
        }
    }
}
