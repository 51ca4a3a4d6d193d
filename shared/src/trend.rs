//! Which way the glucose is going, and how fast.
//!
//! Three views of the same question, each with its use:
//! - [`rate_of_change`]: a least-squares slope in mg/dL/min over the last 15 minutes, for alarms and our own arrow
//!   (with double arrows, Dexcom-style thresholds);
//! - [`Direction::from_llu_arrow`]: LLU's own five arrows, shown when LLU sends one;
//! - [`delta`]: the change per 5 minutes exactly as Nightscout's `bgnow` computes it (5-minute buckets centred on
//!   the newest reading, scaled and marked when the two buckets are more than 9 minutes apart). AR2 starts from it.

use serde::{Deserialize, Serialize};

use crate::reading::Reading;
use crate::time::{MINUTE, UtcTime};

/// How far back [`rate_of_change`] looks.
pub const SLOPE_WINDOW: i64 = 15 * MINUTE;
/// The least span of readings [`rate_of_change`] accepts.
pub const SLOPE_MIN_SPAN: i64 = 10 * MINUTE;
/// The fewest readings [`rate_of_change`] accepts.
pub const SLOPE_MIN_POINTS: usize = 3;
/// Nightscout ignores readings at or below this (its sensor-error codes).
pub const NIGHTSCOUT_ERROR_MAX: f64 = 39.0;
/// Width of a Nightscout delta bucket.
pub const DELTA_BUCKET: i64 = 5 * MINUTE;
/// Nightscout looks at this many buckets.
pub const DELTA_BUCKETS: i64 = 4;
/// Two buckets further apart than this many minutes give an interpolated delta.
pub const DELTA_INTERPOLATE_AFTER_MIN: f64 = 9.0;

/// A trend arrow. Ours (computed from the series) can be any of these; LLU's `TrendArrow` maps onto the five
/// single-arrow ones. Wire names live in `llu` and `nightscout`, not here.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
pub enum Direction {
    /// Falling faster than 3 mg/dL/min.
    DoubleDown,
    /// Falling 2–3 mg/dL/min (LLU: falling quickly, more than 2).
    SingleDown,
    /// Falling 1–2 mg/dL/min.
    FortyFiveDown,
    /// Changing by less than 1 mg/dL/min.
    Flat,
    /// Rising 1–2 mg/dL/min.
    FortyFiveUp,
    /// Rising 2–3 mg/dL/min (LLU: rising quickly, more than 2).
    SingleUp,
    /// Rising faster than 3 mg/dL/min.
    DoubleUp,
    /// Not enough data to say.
    #[default]
    NotComputable,
}

impl Direction {
    /// LLU's `TrendArrow` (1 falling quickly … 5 rising quickly; 0 or anything else: not computable).
    pub const fn from_llu_arrow(arrow: u8) -> Self {
        match arrow {
            1 => Direction::SingleDown,
            2 => Direction::FortyFiveDown,
            3 => Direction::Flat,
            4 => Direction::FortyFiveUp,
            5 => Direction::SingleUp,
            _ => Direction::NotComputable,
        }
    }

    /// The arrow as a character.
    pub const fn symbol(self) -> &'static str {
        match self {
            Direction::DoubleDown => "⇊",
            Direction::SingleDown => "↓",
            Direction::FortyFiveDown => "↘",
            Direction::Flat => "→",
            Direction::FortyFiveUp => "↗",
            Direction::SingleUp => "↑",
            Direction::DoubleUp => "⇈",
            Direction::NotComputable => "?",
        }
    }

    /// Words for a screen reader or a notification.
    pub const fn label(self) -> &'static str {
        match self {
            Direction::DoubleDown => "falling very fast",
            Direction::SingleDown => "falling fast",
            Direction::FortyFiveDown => "falling",
            Direction::Flat => "steady",
            Direction::FortyFiveUp => "rising",
            Direction::SingleUp => "rising fast",
            Direction::DoubleUp => "rising very fast",
            Direction::NotComputable => "trend unknown",
        }
    }
}

impl Direction {
    /// Our own arrow from a rate in mg/dL/min (Dexcom-style: flat < 1, 45° 1–2, single 2–3, double > 3).
    pub fn from_rate(mgdl_per_min: f64) -> Self {
        let magnitude = mgdl_per_min.abs();
        if !magnitude.is_finite() {
            return Direction::NotComputable;
        }
        let up = mgdl_per_min > 0.0;
        match magnitude {
            m if m < 1.0 => Direction::Flat,
            m if m < 2.0 => {
                if up {
                    Direction::FortyFiveUp
                } else {
                    Direction::FortyFiveDown
                }
            }
            m if m <= 3.0 => {
                if up {
                    Direction::SingleUp
                } else {
                    Direction::SingleDown
                }
            }
            _ => {
                if up {
                    Direction::DoubleUp
                } else {
                    Direction::DoubleDown
                }
            }
        }
    }
}

/// The least-squares slope in mg/dL/min of the readings in the 15 minutes up to the newest one, or `None` with
/// fewer than 3 readings or when they span less than 10 minutes. `readings` are sorted oldest first.
pub fn rate_of_change(readings: &[Reading]) -> Option<f64> {
    let newest = readings.last()?.at;
    let start = readings.partition_point(|r| newest.secs_since(r.at) > SLOPE_WINDOW);
    let window = readings.get(start..)?;
    let oldest = window.first()?.at;
    if window.len() < SLOPE_MIN_POINTS || newest.secs_since(oldest) < SLOPE_MIN_SPAN {
        return None;
    }
    // x in minutes relative to the newest reading keeps the sums small and exact enough.
    let n = window.len() as f64;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for r in window {
        let x = r.at.minutes_since(newest);
        let y = r.value();
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let denominator = n * sxx - sx * sx;
    (denominator.abs() > f64::EPSILON).then(|| (n * sxy - sx * sy) / denominator)
}

/// Our own arrow for the newest reading: from [`rate_of_change`], or not computable.
pub fn direction(readings: &[Reading]) -> Direction {
    rate_of_change(readings).map_or(Direction::NotComputable, Direction::from_rate)
}

/// The change per 5 minutes, as Nightscout shows it.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Delta {
    /// The change per 5 minutes, in mg/dL, rounded as Nightscout rounds it.
    pub mgdl: i32,
    /// The unrounded change per 5 minutes.
    pub per_5_min: f64,
    /// The mean of the newest bucket (AR2's "now").
    pub recent_mean: f64,
    /// What the value was 5 minutes before the newest bucket (AR2's "5 minutes ago").
    pub mean_5_mins_ago: f64,
    /// When the newest bucket's newest reading was taken.
    pub recent_at: UtcTime,
    /// Minutes between the two buckets' newest readings.
    pub elapsed_min: f64,
    /// True when the buckets are more than 9 minutes apart and the change was scaled to 5 minutes.
    pub interpolated: bool,
}

/// Nightscout's delta (`bgnow`): four 5-minute buckets centred on the newest reading (bucket i spans
/// [last − 2.5 − 5i, last + 2.5 − 5i] minutes), each the mean of its readings above 39 mg/dL; "recent" is the first
/// non-empty bucket, "previous" the next non-empty one. `None` without two such buckets. `readings` are sorted.
pub fn delta(readings: &[Reading]) -> Option<Delta> {
    let last = readings.last()?.at;
    let mut buckets = (0..DELTA_BUCKETS).filter_map(|i| bucket(readings, last, i));
    let (recent_mean, recent_at) = buckets.next()?;
    let (previous_mean, previous_at) = buckets.next()?;
    let absolute = recent_mean - previous_mean;
    let elapsed_min = recent_at.minutes_since(previous_at);
    let interpolated = elapsed_min > DELTA_INTERPOLATE_AFTER_MIN;
    let mean_5_mins_ago = if interpolated && elapsed_min > 0.0 {
        recent_mean - absolute / elapsed_min * 5.0
    } else {
        recent_mean - absolute
    };
    let per_5_min = recent_mean - mean_5_mins_ago;
    Some(Delta {
        mgdl: js_round(per_5_min) as i32,
        per_5_min,
        recent_mean,
        mean_5_mins_ago,
        recent_at,
        elapsed_min,
        interpolated,
    })
}

/// The mean and newest instant of the readings in bucket `index`, or `None` when it holds no valid reading.
fn bucket(readings: &[Reading], last: UtcTime, index: i64) -> Option<(f64, UtcTime)> {
    let centre = last - index * DELTA_BUCKET;
    let (from, to) = (centre - DELTA_BUCKET / 2, centre + DELTA_BUCKET / 2);
    let start = readings.partition_point(|r| r.at < from);
    let end = readings.partition_point(|r| r.at <= to);
    let (mut sum, mut count, mut newest) = (0.0, 0u32, None);
    for r in readings.get(start..end)?.iter().filter(|r| r.value() > NIGHTSCOUT_ERROR_MAX) {
        sum += r.value();
        count += 1;
        newest = Some(r.at);
    }
    Some((sum / f64::from(count), newest?))
}

/// JavaScript's `Math.round` (halves towards +∞), so deltas match Nightscout's to the unit.
pub(crate) fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MgDl;
    use proptest::prelude::*;

    /// Readings from (minutes, mg/dL) pairs.
    fn series(points: &[(i64, u16)]) -> Vec<Reading> {
        points.iter().map(|&(m, v)| Reading::new(UtcTime::from_unix_secs(m * MINUTE), MgDl::new(v))).collect()
    }

    #[test]
    fn llu_arrows_map_to_directions() {
        let cases = [
            (0, Direction::NotComputable),
            (1, Direction::SingleDown),
            (2, Direction::FortyFiveDown),
            (3, Direction::Flat),
            (4, Direction::FortyFiveUp),
            (5, Direction::SingleUp),
            (6, Direction::NotComputable),
        ];
        for (arrow, want) in cases {
            assert_eq!(Direction::from_llu_arrow(arrow), want);
        }
    }

    #[test]
    fn rates_map_to_arrows_with_double_arrows() {
        let cases = [
            (0.0, Direction::Flat),
            (0.99, Direction::Flat),
            (-0.99, Direction::Flat),
            (1.0, Direction::FortyFiveUp),
            (1.99, Direction::FortyFiveUp),
            (-1.5, Direction::FortyFiveDown),
            (2.0, Direction::SingleUp),
            (3.0, Direction::SingleUp),
            (-2.5, Direction::SingleDown),
            (3.01, Direction::DoubleUp),
            (-4.0, Direction::DoubleDown),
            (f64::NAN, Direction::NotComputable),
        ];
        for (rate, want) in cases {
            assert_eq!(Direction::from_rate(rate), want, "rate {rate}");
        }
    }

    #[test]
    fn least_squares_slope_of_a_line_is_exact() {
        // 1-minute data rising 2.5 mg/dL/min: the slope is exact, older readings outside 15 min are ignored.
        let mut points: Vec<(i64, u16)> = (0..=20).map(|m| (m, (100.0 + 2.5 * m as f64) as u16)).collect();
        points.insert(0, (-60, 300)); // far outside the window: must not pull the slope
        let rate = rate_of_change(&series(&points)).unwrap();
        assert!((rate - 2.5).abs() < 0.05, "{rate}");
        assert_eq!(direction(&series(&points)), Direction::SingleUp);
        // 5-minute data falling 1.2 mg/dL/min.
        let falling = series(&[(0, 160), (5, 154), (10, 148), (15, 142)]);
        assert!((rate_of_change(&falling).unwrap() + 1.2).abs() < 1e-9);
    }

    #[test]
    fn slope_needs_three_points_over_ten_minutes() {
        assert_eq!(rate_of_change(&series(&[(0, 100), (10, 120)])), None);
        assert_eq!(rate_of_change(&series(&[(0, 100), (4, 110), (9, 120)])), None);
        assert!(rate_of_change(&series(&[(0, 100), (5, 110), (10, 120)])).is_some());
        // A gap: only the last two points are within 15 minutes.
        assert_eq!(rate_of_change(&series(&[(0, 100), (30, 120), (35, 125)])), None);
        assert_eq!(rate_of_change(&[]), None);
    }

    #[test]
    fn nightscout_delta_with_five_minute_data() {
        let d = delta(&series(&[(0, 120), (5, 125), (10, 130)])).unwrap();
        assert_eq!(d.mgdl, 5);
        assert!(!d.interpolated);
        assert_eq!(d.recent_mean, 130.0);
        assert_eq!(d.mean_5_mins_ago, 125.0);
    }

    #[test]
    fn nightscout_delta_averages_one_minute_data_per_bucket() {
        // Newest at 10: bucket 0 spans 7.5..12.5 → readings 8,9,10; bucket 1 spans 2.5..7.5 → 3..7.
        let points: Vec<(i64, u16)> = (0..=10).map(|m| (m, 100 + 2 * m as u16)).collect();
        let d = delta(&series(&points)).unwrap();
        assert_eq!(d.recent_mean, 118.0); // (116 + 118 + 120) / 3
        assert_eq!(d.mean_5_mins_ago, 110.0); // (106 .. 114) / 5
        assert_eq!(d.elapsed_min, 3.0); // newest of each bucket: 10 and 7
        assert!(!d.interpolated);
        assert_eq!(d.mgdl, 8);
    }

    #[test]
    fn nightscout_delta_interpolates_across_a_gap() {
        // Newest at 15, previous non-empty bucket's newest at 0: 15 minutes apart → scaled to 5.
        let d = delta(&series(&[(0, 100), (15, 130)])).unwrap();
        assert!(d.interpolated);
        assert_eq!(d.elapsed_min, 15.0);
        assert_eq!(d.mgdl, 10);
        assert!((d.mean_5_mins_ago - 120.0).abs() < 1e-9);
        // Beyond the four buckets (20 min): no delta at all.
        assert_eq!(delta(&series(&[(0, 100), (25, 130)])), None);
    }

    #[test]
    fn nightscout_delta_skips_error_values_and_rounds_like_javascript() {
        assert_eq!(delta(&series(&[(0, 39), (5, 120)])), None);
        let d = delta(&series(&[(0, 100), (1, 101), (5, 101)])).unwrap();
        assert_eq!(d.per_5_min, 0.5);
        assert_eq!(d.mgdl, 1); // Math.round(0.5) = 1
        let d = delta(&series(&[(0, 101), (1, 100), (5, 100)])).unwrap();
        assert_eq!(d.mgdl, 0); // Math.round(-0.5) = -0 → 0
    }

    proptest! {
        #[test]
        fn slope_and_delta_are_finite_or_absent(points in proptest::collection::btree_map(0i64..120, 40u16..=400, 0..80)) {
            let readings = series(&points.into_iter().collect::<Vec<_>>());
            if let Some(rate) = rate_of_change(&readings) {
                prop_assert!(rate.is_finite());
            }
            if let Some(d) = delta(&readings) {
                prop_assert!(d.per_5_min.is_finite() && d.mean_5_mins_ago.is_finite());
            }
        }
    }
}
