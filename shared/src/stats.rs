//! Time-weighted glucose statistics over any window: the five consensus range bands (Battelino 2019), the
//! consensus targets, mean, SD, CV, GMI, coverage, and the AGP's percentiles per time of day.
//!
//! **Weighting.** Readings may be 1 minute or 5 minutes apart, or have gaps, so every statistic is weighted by
//! time, not by count. A reading weighs the time until the next reading, capped at [`MAX_WEIGHT`] (15 min): a gap
//! never counts, neither as in range nor as anything else. The last reading in the window has no next reading;
//! it weighs the interval before it (the local spacing: 1 min in a 1-minute stream, 5 min in a 5-minute one),
//! capped the same way, or [`DEFAULT_SPACING`] when it is the only reading. Every weight is also cut at the
//! window's end. Only readings in `[from, to)` count; nothing before `from` is extended into the window.
//!
//! **Percentiles (AGP).** Per time-of-day bucket, the readings' values (counted, not time-weighted: within a
//! bucket of a few minutes' width the spacing is what it is) are sorted and the p-th percentile is linear
//! interpolation between order statistics at rank `h = (n − 1) · p` (Hyndman–Fan type 7, the default of R,
//! NumPy and spreadsheets' `PERCENTILE.INC`). A bucket with no reading has no percentiles (`None`), never 0.
//!
//! Summaries are O(n) with no allocation; they never produce NaN (an empty window gives `None`).

use serde::{Deserialize, Serialize};

use crate::reading::Reading;
use crate::time::{DAY, MINUTE, UtcTime};
use crate::units::MGDL_PER_MMOLL;

/// The most time one reading may stand for: a longer interval is a gap and the rest of it is not covered.
pub const MAX_WEIGHT: i64 = 15 * MINUTE;
/// What the only reading in a window weighs (LLU's graph cadence).
pub const DEFAULT_SPACING: i64 = 5 * MINUTE;

/// Below this (mg/dL) a value is very low (TBR level 2).
pub const VERY_LOW_BELOW: f64 = 54.0;
/// Below this (mg/dL) a value is low (TBR level 1, and the lower edge of the target range).
pub const LOW_BELOW: f64 = 70.0;
/// Up to and including this (mg/dL) a value is in range.
pub const HIGH_ABOVE: f64 = 180.0;
/// Above this (mg/dL) a value is very high (TAR level 2).
pub const VERY_HIGH_ABOVE: f64 = 250.0;

/// The five consensus range bands on integer mg/dL.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub enum Band {
    /// Below 54 mg/dL.
    VeryLow,
    /// 54–69 mg/dL.
    Low,
    /// 70–180 mg/dL.
    InRange,
    /// 181–250 mg/dL.
    High,
    /// Above 250 mg/dL.
    VeryHigh,
}

impl Band {
    /// The band of a value in mg/dL.
    pub fn of(mgdl: f64) -> Band {
        if mgdl < VERY_LOW_BELOW {
            Band::VeryLow
        } else if mgdl < LOW_BELOW {
            Band::Low
        } else if mgdl <= HIGH_ABOVE {
            Band::InRange
        } else if mgdl <= VERY_HIGH_ABOVE {
            Band::High
        } else {
            Band::VeryHigh
        }
    }
}

/// Fractions (0–1) of the covered time spent in each band; they sum to 1.
#[derive(Clone, Copy, PartialEq, Debug, Default, Serialize, Deserialize)]
pub struct Bands {
    /// Below 54 mg/dL.
    pub very_low: f64,
    /// 54–69 mg/dL.
    pub low: f64,
    /// 70–180 mg/dL (TIR).
    pub in_range: f64,
    /// 181–250 mg/dL.
    pub high: f64,
    /// Above 250 mg/dL.
    pub very_high: f64,
}

impl Bands {
    /// The fraction of time below 70 mg/dL (both low bands).
    pub fn below_range(&self) -> f64 {
        self.very_low + self.low
    }

    /// The fraction of time above 180 mg/dL (both high bands).
    pub fn above_range(&self) -> f64 {
        self.high + self.very_high
    }
}

/// The statistics of one window.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Summary {
    /// The window's start (inclusive).
    pub from: UtcTime,
    /// The window's end (exclusive).
    pub to: UtcTime,
    /// How many readings fell in the window.
    pub readings: usize,
    /// Seconds of the window that readings cover (see the module docs for the weighting).
    pub covered_secs: i64,
    /// Covered time / window length, 0–1.
    pub coverage: f64,
    /// Time in each band, as fractions of the covered time.
    pub bands: Bands,
    /// Time-weighted mean, mg/dL.
    pub mean: f64,
    /// Time-weighted (population) standard deviation, mg/dL.
    pub sd: f64,
    /// Coefficient of variation, % (SD / mean × 100).
    pub cv: f64,
    /// Glucose management indicator, % (3.31 + 0.02392 × mean mg/dL).
    pub gmi_percent: f64,
    /// Glucose management indicator, mmol/mol (12.71 + 4.70587 × mean mmol/L).
    pub gmi_mmol_mol: f64,
    /// Lowest value in the window, mg/dL.
    pub min: f64,
    /// Highest value in the window, mg/dL.
    pub max: f64,
}

/// The time-weighted statistics of the readings in `[from, to)` (sorted by instant, as [`crate::reading::Series`]
/// keeps them). `None` when the window is empty or covers no time.
pub fn summarize(readings: &[Reading], from: UtcTime, to: UtcTime) -> Option<Summary> {
    let window = to.secs_since(from);
    if window <= 0 {
        return None;
    }
    let start = readings.partition_point(|r| r.at < from);
    let end = readings.partition_point(|r| r.at < to).max(start);
    let inside = readings.get(start..end)?;

    let mut acc = Accumulator::default();
    let mut prev_interval = DEFAULT_SPACING;
    for (i, r) in inside.iter().enumerate() {
        let weight = match inside.get(i + 1) {
            Some(next) => {
                prev_interval = next.at.secs_since(r.at).max(0);
                prev_interval
            }
            None => prev_interval,
        };
        acc.add(r.value(), weight.min(MAX_WEIGHT).min(to.secs_since(r.at)).max(0));
    }
    acc.finish(from, to, window)
}

/// Running sums for [`summarize`]: integer seconds per band, and weighted sums of the values shifted by the first
/// value (so the variance does not suffer from cancellation). No division per reading.
#[derive(Default)]
struct Accumulator {
    count: usize,
    shift: f64,
    weight: i64,
    sum: f64,
    sum_sq: f64,
    min: f64,
    max: f64,
    band_secs: [i64; 5],
}

impl Accumulator {
    fn add(&mut self, value: f64, weight: i64) {
        if self.count == 0 {
            self.shift = value;
            self.min = value;
            self.max = value;
        }
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.weight += weight;
        let (w, d) = (weight as f64, value - self.shift);
        self.sum += w * d;
        self.sum_sq += w * d * d;
        if let Some(secs) = self.band_secs.get_mut(Band::of(value) as usize) {
            *secs += weight;
        }
    }

    fn finish(self, from: UtcTime, to: UtcTime, window: i64) -> Option<Summary> {
        if self.weight <= 0 {
            return None;
        }
        let total = self.weight as f64;
        let [very_low, low, in_range, high, very_high] = self.band_secs.map(|s| s as f64 / total);
        let bands = Bands { very_low, low, in_range, high, very_high };
        let mean_shifted = self.sum / total;
        let mean = (self.shift + mean_shifted).clamp(self.min, self.max);
        let sd = (self.sum_sq / total - mean_shifted * mean_shifted).max(0.0).sqrt();
        let cv = if mean > 0.0 { sd / mean * 100.0 } else { 0.0 };
        Some(Summary {
            from,
            to,
            readings: self.count,
            covered_secs: self.weight,
            coverage: (total / window as f64).min(1.0),
            bands,
            mean,
            sd,
            cv,
            gmi_percent: gmi_percent(mean),
            gmi_mmol_mol: gmi_mmol_mol(mean),
            min: self.min,
            max: self.max,
        })
    }
}

/// GMI in % from a mean in mg/dL (Bergenstal 2018).
pub fn gmi_percent(mean_mgdl: f64) -> f64 {
    3.31 + 0.02392 * mean_mgdl
}

/// GMI in mmol/mol from a mean in mg/dL (converted to mmol/L with [`MGDL_PER_MMOLL`]).
pub fn gmi_mmol_mol(mean_mgdl: f64) -> f64 {
    12.71 + 4.70587 * (mean_mgdl / MGDL_PER_MMOLL)
}

/// The international consensus targets for a CGM report (Battelino et al., Diabetes Care 2019).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Target {
    /// Time in range 70–180 mg/dL above 70 %.
    TimeInRange,
    /// Time below 70 mg/dL under 4 %.
    BelowRange,
    /// Time below 54 mg/dL under 1 %.
    VeryLow,
    /// Time above 180 mg/dL under 25 %.
    AboveRange,
    /// Time above 250 mg/dL under 5 %.
    VeryHigh,
    /// Coefficient of variation at most 36 %.
    Variability,
    /// Sensor data for at least 70 % of the window.
    Coverage,
}

impl Target {
    /// Every target, in the order a report lists them.
    pub const ALL: [Target; 7] = [
        Target::TimeInRange,
        Target::BelowRange,
        Target::VeryLow,
        Target::AboveRange,
        Target::VeryHigh,
        Target::Variability,
        Target::Coverage,
    ];

    /// The target's limit, in %.
    pub const fn limit_percent(self) -> f64 {
        match self {
            Target::TimeInRange => 70.0,
            Target::BelowRange => 4.0,
            Target::VeryLow => 1.0,
            Target::AboveRange => 25.0,
            Target::VeryHigh => 5.0,
            Target::Variability => 36.0,
            Target::Coverage => 70.0,
        }
    }

    /// The summary's value for this target, in %.
    pub fn value_percent(self, summary: &Summary) -> f64 {
        let b = &summary.bands;
        match self {
            Target::TimeInRange => b.in_range * 100.0,
            Target::BelowRange => b.below_range() * 100.0,
            Target::VeryLow => b.very_low * 100.0,
            Target::AboveRange => b.above_range() * 100.0,
            Target::VeryHigh => b.very_high * 100.0,
            Target::Variability => summary.cv,
            Target::Coverage => summary.coverage * 100.0,
        }
    }

    /// Whether the summary meets the target (TIR strictly above, coverage at least, CV at most, the time-below
    /// and time-above targets strictly below their limits).
    pub fn is_met(self, summary: &Summary) -> bool {
        let value = self.value_percent(summary);
        let limit = self.limit_percent();
        match self {
            Target::TimeInRange => value > limit,
            Target::Coverage => value >= limit,
            Target::Variability => value <= limit,
            Target::BelowRange | Target::VeryLow | Target::AboveRange | Target::VeryHigh => value < limit,
        }
    }
}

/// The 5th, 25th, 50th, 75th and 95th percentiles of one AGP bucket, mg/dL.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
pub struct Percentiles {
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Percentiles {
    /// The percentiles of `sorted` (ascending); `None` when it is empty.
    pub fn of_sorted(sorted: &[f64]) -> Option<Percentiles> {
        Some(Percentiles {
            p5: percentile(sorted, 0.05)?,
            p25: percentile(sorted, 0.25)?,
            p50: percentile(sorted, 0.50)?,
            p75: percentile(sorted, 0.75)?,
            p95: percentile(sorted, 0.95)?,
        })
    }
}

/// The `p`-th quantile (0–1) of `sorted` (ascending) by linear interpolation between order statistics at rank
/// `(n − 1) · p` (type 7). `None` when `sorted` is empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * p.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (h - lo as f64) * (b - a))
}

/// One time-of-day bucket of the AGP, in the wearer's local time.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct AgpBucket {
    /// The bucket's first minute of the local day (0 = midnight).
    pub start_minute: u16,
    /// The bucket's width in minutes (the last bucket of the day may be narrower).
    pub minutes: u16,
    /// How many readings fell in it.
    pub count: usize,
    /// Their percentiles; `None` for a bucket with no data.
    pub percentiles: Option<Percentiles>,
}

/// The AGP over `[from, to)`: percentiles per `bucket_minutes`-wide bucket of the wearer's local day (clamped to
/// 1–1440 minutes). Each reading is placed by its own `wearer_offset_min`, or `default_offset_min` when it has
/// none. Every bucket of the day is returned, empty ones with `percentiles: None`.
pub fn agp(
    readings: &[Reading],
    from: UtcTime,
    to: UtcTime,
    bucket_minutes: u16,
    default_offset_min: i16,
) -> Vec<AgpBucket> {
    const DAY_MINUTES: u16 = (DAY / MINUTE) as u16;
    let width = bucket_minutes.clamp(1, DAY_MINUTES);
    let n = usize::from(DAY_MINUTES.div_ceil(width));
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); n];
    let start = readings.partition_point(|r| r.at < from);
    let end = readings.partition_point(|r| r.at < to).max(start);
    for r in readings.get(start..end).unwrap_or_default() {
        let offset = i64::from(r.wearer_offset_min.unwrap_or(default_offset_min)) * MINUTE;
        let minute_of_day = r.at.unix_secs().saturating_add(offset).rem_euclid(DAY) / MINUTE;
        let index = (minute_of_day / i64::from(width)) as usize;
        if let Some(bucket) = values.get_mut(index) {
            bucket.push(r.value());
        }
    }
    values
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            v.sort_by(f64::total_cmp); // std's sort (not `crate::order`): hundreds of values per bucket
            let start_minute = (i as u16).saturating_mul(width);
            AgpBucket {
                start_minute,
                minutes: width.min(DAY_MINUTES - start_minute),
                count: v.len(),
                percentiles: Percentiles::of_sorted(&v),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::SensorRange;
    use crate::time::HOUR;
    use crate::units::MgDl;
    use proptest::prelude::*;

    const T0: i64 = 1_700_000_000 - 1_700_000_000 % DAY; // a UTC midnight

    fn t(secs: i64) -> UtcTime {
        UtcTime::from_unix_secs(T0 + secs)
    }

    /// Readings every `step` seconds from `start` for `len` seconds, value from `f(offset)`.
    fn stream(start: i64, len: i64, step: i64, f: impl Fn(i64) -> u16) -> Vec<Reading> {
        (0..len / step).map(|i| Reading::new(t(start + i * step), MgDl::new(f(i * step)))).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn one_and_five_minute_spacing_give_the_same_fractions() {
        // 1 h low (60), 2 h in range (120), 1 h high (200): a 4-hour window.
        let value = |s: i64| match s / HOUR {
            0 => 60,
            1 | 2 => 120,
            _ => 200,
        };
        for step in [MINUTE, 5 * MINUTE] {
            let r = stream(0, 4 * HOUR, step, value);
            let s = summarize(&r, t(0), t(4 * HOUR)).unwrap();
            assert!(close(s.bands.low, 0.25), "step {step}: {:?}", s.bands);
            assert!(close(s.bands.in_range, 0.5), "step {step}");
            assert!(close(s.bands.high, 0.25), "step {step}");
            assert!(close(s.coverage, 1.0), "step {step}: {}", s.coverage);
            assert!(close(s.mean, (60.0 + 240.0 + 200.0) / 4.0), "step {step}: {}", s.mean);
        }
    }

    #[test]
    fn a_two_hour_gap_is_not_counted_as_in_range() {
        // 1 h at 100, a 2 h gap, 1 h at 300 (5-minute readings), window 4 h.
        let mut r = stream(0, HOUR, 5 * MINUTE, |_| 100);
        r.extend(stream(3 * HOUR, HOUR, 5 * MINUTE, |_| 300));
        let s = summarize(&r, t(0), t(4 * HOUR)).unwrap();
        // In range: 11 × 5 min + the last point before the gap capped at 15 min = 70 min; very high: 60 min.
        assert_eq!(s.covered_secs, 130 * MINUTE);
        assert!(close(s.bands.in_range, 70.0 / 130.0), "{:?}", s.bands);
        assert!(close(s.bands.very_high, 60.0 / 130.0));
        assert!(close(s.coverage, 130.0 / 240.0));
    }

    #[test]
    fn band_boundaries_are_exact() {
        let cases = [
            (39, Band::VeryLow),
            (53, Band::VeryLow),
            (54, Band::Low),
            (69, Band::Low),
            (70, Band::InRange),
            (180, Band::InRange),
            (181, Band::High),
            (250, Band::High),
            (251, Band::VeryHigh),
            (500, Band::VeryHigh),
        ];
        for (v, band) in cases {
            assert_eq!(Band::of(f64::from(v)), band, "{v}");
            // And through summarize: a single reading puts all its time in that band.
            let s = summarize(&[Reading::new(t(0), MgDl::new(v))], t(0), t(HOUR)).unwrap();
            let got = [s.bands.very_low, s.bands.low, s.bands.in_range, s.bands.high, s.bands.very_high];
            let want = band as usize;
            for (i, f) in got.iter().enumerate() {
                assert_eq!(*f, if i == want { 1.0 } else { 0.0 }, "{v}: {got:?}");
            }
        }
    }

    #[test]
    fn mean_sd_cv_gmi_on_a_known_set() {
        // Four equally spaced readings 100, 120, 140, 160 (the last weighs the spacing): mean 130,
        // population variance (900 + 100 + 100 + 900) / 4 = 500.
        let r = stream(0, 20 * MINUTE, 5 * MINUTE, |s| 100 + (s / 300) as u16 * 20);
        let s = summarize(&r, t(0), t(HOUR)).unwrap();
        let sd = 500f64.sqrt();
        assert!(close(s.mean, 130.0));
        assert!(close(s.sd, sd));
        assert!(close(s.cv, sd / 130.0 * 100.0));
        assert!(close(s.gmi_percent, 3.31 + 0.02392 * 130.0)); // 6.4196
        assert!((s.gmi_percent - 6.4196).abs() < 1e-9);
        assert!((s.gmi_mmol_mol - (12.71 + 4.70587 * 130.0 / 18.0182)).abs() < 1e-9);
        assert!((s.gmi_mmol_mol - 46.6625).abs() < 1e-3);
        assert_eq!((s.min, s.max, s.readings), (100.0, 160.0, 4));
        assert!(close(s.coverage, 20.0 / 60.0));
    }

    #[test]
    fn unequal_spacing_weighs_by_time() {
        // 100 for 10 min (one reading), then 200 at 1-min spacing for 10 min: mean 150, not (100 + 10 × 200) / 11.
        let mut r = vec![Reading::new(t(0), MgDl::new(100))];
        r.extend(stream(10 * MINUTE, 10 * MINUTE, MINUTE, |_| 200));
        let s = summarize(&r, t(0), t(20 * MINUTE)).unwrap();
        assert!(close(s.mean, 150.0), "{}", s.mean);
        assert!(close(s.sd, 50.0));
    }

    #[test]
    fn coverage_with_a_gap_and_the_window_edges() {
        let cases: [(&str, Vec<Reading>, i64, i64, f64); 5] = [
            ("full hour of minutes", stream(0, HOUR, MINUTE, |_| 100), 0, HOUR, 1.0),
            // 0..=19 min, then 50..=59 min: the reading at 19 min stands for 15 of the 31 missing minutes.
            (
                "31-min gap in the middle",
                {
                    let mut r = stream(0, 20 * MINUTE, MINUTE, |_| 100);
                    r.extend(stream(50 * MINUTE, 10 * MINUTE, MINUTE, |_| 100));
                    r
                },
                0,
                HOUR,
                (19.0 + 15.0 + 10.0) / 60.0,
            ),
            ("last reading cut at the window end", stream(0, 10 * MINUTE, 5 * MINUTE, |_| 100), 0, 7 * MINUTE, 1.0),
            (
                "readings before the window do not count",
                stream(0, HOUR, MINUTE, |_| 100),
                30 * MINUTE,
                90 * MINUTE,
                0.5,
            ),
            ("single reading weighs the default spacing", stream(0, MINUTE, MINUTE, |_| 100), 0, HOUR, 5.0 / 60.0),
        ];
        for (name, r, from, to, want) in cases {
            let s = summarize(&r, t(from), t(to)).unwrap();
            assert!(close(s.coverage, want), "{name}: {} vs {want}", s.coverage);
        }
    }

    #[test]
    fn empty_or_inverted_windows_have_no_summary() {
        let r = stream(0, HOUR, MINUTE, |_| 100);
        assert_eq!(summarize(&[], t(0), t(HOUR)), None);
        assert_eq!(summarize(&r, t(2 * HOUR), t(3 * HOUR)), None);
        assert_eq!(summarize(&r, t(HOUR), t(0)), None);
        assert_eq!(summarize(&r, t(0), t(0)), None);
    }

    #[test]
    fn lo_and_hi_count_at_the_sensor_limits() {
        let mut lo = Reading::new(t(0), MgDl::new(45));
        lo.range = SensorRange::Lo;
        let mut hi = Reading::new(t(5 * MINUTE), MgDl::new(450));
        hi.range = SensorRange::Hi;
        let s = summarize(&[lo, hi], t(0), t(HOUR)).unwrap();
        assert_eq!((s.min, s.max), (40.0, 500.0));
        assert!(close(s.bands.very_low, 0.5) && close(s.bands.very_high, 0.5));
    }

    fn summary_with(bands: Bands, cv: f64, coverage: f64) -> Summary {
        Summary {
            from: t(0),
            to: t(DAY),
            readings: 1,
            covered_secs: 1,
            coverage,
            bands,
            mean: 100.0,
            sd: cv,
            cv,
            gmi_percent: 0.0,
            gmi_mmol_mol: 0.0,
            min: 100.0,
            max: 100.0,
        }
    }

    #[test]
    fn consensus_targets_at_their_limits() {
        let bands = |very_low, low, in_range, high, very_high| Bands { very_low, low, in_range, high, very_high };
        let cases = [
            (Target::TimeInRange, bands(0.0, 0.0, 0.71, 0.29, 0.0), true),
            (Target::TimeInRange, bands(0.0, 0.0, 0.70, 0.30, 0.0), false),
            (Target::BelowRange, bands(0.01, 0.0289, 0.9611, 0.0, 0.0), true),
            (Target::BelowRange, bands(0.01, 0.03, 0.96, 0.0, 0.0), false),
            (Target::VeryLow, bands(0.0099, 0.0, 0.9901, 0.0, 0.0), true),
            (Target::VeryLow, bands(0.01, 0.0, 0.99, 0.0, 0.0), false),
            (Target::AboveRange, bands(0.0, 0.0, 0.76, 0.2, 0.04), true),
            (Target::AboveRange, bands(0.0, 0.0, 0.75, 0.2, 0.05), false),
            (Target::VeryHigh, bands(0.0, 0.0, 0.951, 0.0, 0.049), true),
            (Target::VeryHigh, bands(0.0, 0.0, 0.95, 0.0, 0.05), false),
        ];
        for (target, b, met) in cases {
            assert_eq!(target.is_met(&summary_with(b, 30.0, 1.0)), met, "{target:?} {b:?}");
        }
        let ok = bands(0.0, 0.0, 1.0, 0.0, 0.0);
        assert!(Target::Variability.is_met(&summary_with(ok, 36.0, 1.0)));
        assert!(!Target::Variability.is_met(&summary_with(ok, 36.1, 1.0)));
        assert!(Target::Coverage.is_met(&summary_with(ok, 30.0, 0.70)));
        assert!(!Target::Coverage.is_met(&summary_with(ok, 30.0, 0.69)));
        assert_eq!(Target::ALL.len(), 7);
    }

    #[test]
    fn percentiles_interpolate_between_order_statistics() {
        let cases: [(&[f64], f64, f64); 9] = [
            (&[1.0, 2.0, 3.0, 4.0], 0.25, 1.75),
            (&[1.0, 2.0, 3.0, 4.0], 0.5, 2.5),
            (&[1.0, 2.0, 3.0, 4.0], 0.95, 3.85),
            (&[1.0, 2.0, 3.0, 4.0], 0.05, 1.15),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 0.25, 20.0),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 0.75, 40.0),
            (&[10.0, 20.0, 30.0, 40.0, 50.0], 0.95, 48.0),
            (&[7.0], 0.05, 7.0),
            (&[7.0], 0.95, 7.0),
        ];
        for (set, p, want) in cases {
            let got = percentile(set, p).unwrap();
            assert!(close(got, want), "{set:?} p{p}: {got} vs {want}");
        }
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(Percentiles::of_sorted(&[]), None);
    }

    #[test]
    fn agp_buckets_by_the_wearers_local_time() {
        // Three days; each reading at 23:30 UTC. A wearer at +60 min sees 00:30 local (bucket 0 of 60-min
        // buckets); one with no offset and a default of -300 sees 18:30 (bucket 18).
        let mut r = Vec::new();
        for day in 0..3 {
            let mut a = Reading::new(t(day * DAY + 23 * HOUR + 30 * MINUTE), MgDl::new(100 + day as u16 * 10));
            a.wearer_offset_min = Some(60);
            r.push(a);
            r.push(Reading::new(t(day * DAY + 23 * HOUR + 40 * MINUTE), MgDl::new(200)));
        }
        let buckets = agp(&r, t(0), t(3 * DAY), 60, -300);
        assert_eq!(buckets.len(), 24);
        let b0 = &buckets[0];
        assert_eq!((b0.start_minute, b0.minutes, b0.count), (0, 60, 3));
        let p = b0.percentiles.unwrap();
        assert!(close(p.p50, 110.0) && close(p.p25, 105.0) && close(p.p5, 101.0) && close(p.p95, 119.0));
        assert_eq!(buckets[18].count, 3);
        assert!(close(buckets[18].percentiles.unwrap().p50, 200.0));
        let empty = buckets.iter().filter(|b| b.percentiles.is_none()).count();
        assert_eq!(empty, 22);
        assert!(buckets.iter().all(|b| b.percentiles.is_some() == (b.count > 0)));
    }

    #[test]
    fn agp_bucket_widths_cover_the_day() {
        for (width, n, last_width) in
            [(15u16, 96usize, 15u16), (60, 24, 60), (7, 206, 5), (0, 1440, 1), (2000, 1, 1440)]
        {
            let b = agp(&[], t(0), t(DAY), width, 0);
            assert_eq!(b.len(), n, "{width}");
            assert_eq!(b.last().unwrap().minutes, last_width, "{width}");
            assert_eq!(b.iter().map(|x| u32::from(x.minutes)).sum::<u32>(), 1440);
        }
    }

    #[test]
    fn agp_only_counts_the_window() {
        let r = stream(0, 2 * DAY, 5 * MINUTE, |_| 100);
        let b = agp(&r, t(DAY), t(2 * DAY), 60, 0);
        assert!(b.iter().all(|x| x.count == 12));
    }

    proptest! {
        #[test]
        fn summaries_are_finite_and_consistent(
            points in proptest::collection::vec((0i64..180, 40u16..=400), 1..200),
            from in 0i64..60,
            len in 1i64..300,
        ) {
            let mut r: Vec<Reading> = points.iter().map(|&(m, v)| Reading::new(t(m * MINUTE), MgDl::new(v))).collect();
            r.sort_by_key(|x| x.at);
            r.dedup_by_key(|x| x.at);
            let (from, to) = (t(from * MINUTE), t((from + len) * MINUTE));
            if let Some(s) = summarize(&r, from, to) {
                let b = s.bands;
                let sum = b.very_low + b.low + b.in_range + b.high + b.very_high;
                prop_assert!((sum - 1.0).abs() < 1e-9, "{:?}", b);
                for x in [s.mean, s.sd, s.cv, s.gmi_percent, s.gmi_mmol_mol, s.coverage, s.min, s.max] {
                    prop_assert!(x.is_finite());
                }
                prop_assert!(s.min - 1e-9 <= s.mean && s.mean <= s.max + 1e-9);
                prop_assert!(s.coverage > 0.0 && s.coverage <= 1.0);
                prop_assert!(s.covered_secs <= to.secs_since(from));
                prop_assert!(s.sd >= 0.0 && s.sd <= (s.max - s.min) / 2.0 + 1e-9);
            } else {
                prop_assert!(r.iter().all(|x| x.at < from || x.at >= to));
            }
        }

        #[test]
        fn one_pass_sums_match_a_naive_two_pass_computation(
            gaps in proptest::collection::vec((1i64..40, 40u16..=500), 1..150),
        ) {
            // Readings `gap` minutes apart; the reference weighs each by min(gap to next, 15 min), the last by the
            // interval before it (5 min when alone), and computes mean and SD in two passes.
            let mut at = 0;
            let mut r = Vec::new();
            for &(gap, v) in &gaps {
                r.push(Reading::new(t(at * MINUTE), MgDl::new(v)));
                at += gap;
            }
            let to = t(at * MINUTE + HOUR);
            let s = summarize(&r, t(0), to).unwrap();
            let mut w: Vec<f64> = r.windows(2).map(|p| p[1].at.secs_since(p[0].at).min(MAX_WEIGHT) as f64).collect();
            let last_interval = r.len().checked_sub(2).map_or(DEFAULT_SPACING as f64, |i| {
                r[i + 1].at.secs_since(r[i].at).min(MAX_WEIGHT) as f64
            });
            w.push(last_interval);
            let total: f64 = w.iter().sum();
            let mean = r.iter().zip(&w).map(|(x, w)| x.value() * w).sum::<f64>() / total;
            let var = r.iter().zip(&w).map(|(x, w)| w * (x.value() - mean).powi(2)).sum::<f64>() / total;
            prop_assert!((s.mean - mean).abs() < 1e-6, "{} vs {}", s.mean, mean);
            prop_assert!((s.sd - var.sqrt()).abs() < 1e-6, "{} vs {}", s.sd, var.sqrt());
            prop_assert_eq!(s.covered_secs as f64, total);
            let in_range: f64 = r.iter().zip(&w).filter(|(x, _)| Band::of(x.value()) == Band::InRange).map(|(_, w)| w).sum();
            prop_assert!((s.bands.in_range - in_range / total).abs() < 1e-12);
        }

        #[test]
        fn percentiles_are_ordered_and_within_the_data(values in proptest::collection::vec(40.0f64..400.0, 1..100)) {
            let mut v = values;
            v.sort_by(f64::total_cmp);
            let p = Percentiles::of_sorted(&v).unwrap();
            let (lo, hi) = (v[0], v[v.len() - 1]);
            prop_assert!(lo <= p.p5 && p.p5 <= p.p25 && p.p25 <= p.p50 && p.p50 <= p.p75 && p.p75 <= p.p95 && p.p95 <= hi);
        }
    }
}
