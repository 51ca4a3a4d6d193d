//! The glucose model: baseline, dawn effect, meals and insulin, night lows, sensor noise and signal gaps.

use super::*;

/// The day-to-day baseline: knots at local noon, 100–170 mg/dL.
pub(super) fn baseline(seed: u64, l: i64) -> f64 {
    135.0 + 35.0 * value_noise(seed, Stream::Baseline, l - 12 * HOUR, DAY)
}

/// The dawn phenomenon: a raised-cosine rise of up to 20 mg/dL between 4 and 9 a.m.
pub(super) fn dawn(l: i64) -> f64 {
    let minute = l.rem_euclid(DAY) as f64 / MINUTE as f64;
    let (start, len) = (4.0 * 60.0, 5.0 * 60.0);
    if (start..start + len).contains(&minute) {
        20.0 * (1.0 - (2.0 * PI * (minute - start) / len).cos()) / 2.0
    } else {
        0.0
    }
}

/// A unimodal response shape with its peak 1 at `x = 1`: x² e^{2(1−x)}.
pub(super) fn shape(x: f64) -> f64 {
    if x <= 0.0 { 0.0 } else { x * x * (2.0 * (1.0 - x)).exp() }
}

/// Carbohydrate and insulin peaks, minutes after the meal.
pub(super) const CARB_PEAK_MIN: f64 = 70.0;
pub(super) const INSULIN_PEAK_MIN: f64 = 180.0;
/// A meal's effect has faded after this many minutes.
pub(super) const MEAL_HORIZON_MIN: f64 = 18.0 * 60.0;

/// Meal `j` (0 breakfast, 1 lunch, 2 dinner) of local day `day`: onset (local seconds), carb rise (mg/dL) and
/// insulin/carb area ratio.
pub(super) fn meal(seed: u64, day: i64, j: i64) -> (i64, f64, f64) {
    let index = day * 3 + j;
    let (centre_min, jitter_min, size_min, size_span) = match j {
        0 => (7 * 60 + 15, 90.0, 80.0, 40.0),
        1 => (12 * 60 + 30, 120.0, 60.0, 50.0),
        _ => (18 * 60 + 45, 120.0, 70.0, 50.0),
    };
    let onset =
        day * DAY + centre_min * MINUTE + ((unit(seed, Stream::MealTime, index) - 0.5) * jitter_min * 60.0) as i64;
    let size = size_min + size_span * unit(seed, Stream::MealSize, index);
    let ratio = if unit(seed, Stream::MissedBolus, index) < 0.2 {
        0.5
    } else {
        0.7 + 0.45 * unit(seed, Stream::MealInsulin, index)
    };
    (onset, size, ratio)
}

/// The net effect of today's and yesterday's meals at `l`.
pub(super) fn meals(seed: u64, l: i64) -> f64 {
    let today = l.div_euclid(DAY);
    let mut total = 0.0;
    for day in [today - 1, today] {
        for j in 0..3 {
            let (onset, carbs, ratio) = meal(seed, day, j);
            let tau = (l - onset) as f64 / MINUTE as f64;
            if tau > 0.0 && tau < MEAL_HORIZON_MIN {
                let insulin = carbs * ratio * CARB_PEAK_MIN / INSULIN_PEAK_MIN;
                total += carbs * shape(tau / CARB_PEAK_MIN) - insulin * shape(tau / INSULIN_PEAK_MIN);
            }
        }
    }
    total
}

/// Whether local day `day` starts with a night low: about one night in four, and one fixed night a week.
pub(super) fn is_low_night(seed: u64, day: i64) -> bool {
    unit(seed, Stream::Night, day) < 0.2 || day.rem_euclid(7) == (seed % 7) as i64
}

/// The night-time drift down to 55–65 mg/dL around 3 a.m. on low nights (a raised cosine ±100 min wide).
pub(super) fn night_dip(seed: u64, l: i64) -> f64 {
    let day = l.div_euclid(DAY);
    if !is_low_night(seed, day) {
        return 0.0;
    }
    let half_width = 100.0;
    let centre = day * DAY + 3 * HOUR + ((unit(seed, Stream::NightTime, day) - 0.5) * 3600.0) as i64;
    let from_centre = (l - centre) as f64 / MINUTE as f64;
    if from_centre.abs() >= half_width {
        return 0.0;
    }
    let bottom = 55.0 + 10.0 * unit(seed, Stream::NightDepth, day);
    let depth = (baseline(seed, centre) + dawn(centre) + meals(seed, centre) - bottom).max(0.0);
    depth * (1.0 + (PI * from_centre / half_width).cos()) / 2.0
}

/// Smooth sensor noise: ±5 mg/dL over half-hours plus ±0.8 over 5 minutes.
pub(super) fn noise(seed: u64, l: i64) -> f64 {
    5.0 * value_noise(seed, Stream::NoiseCoarse, l, 30 * MINUTE)
        + 0.8 * value_noise(seed, Stream::NoiseFine, l, 5 * MINUTE)
}

/// Whether reading slot `slot` (minute index) falls in a signal gap: in about one hour in twenty, one window of
/// 10–30 minutes inside that hour.
pub(super) fn in_gap(seed: u64, slot: i64) -> bool {
    let hour = slot.div_euclid(60);
    if unit(seed, Stream::Gap, hour) >= GAP_PROBABILITY {
        return false;
    }
    let len = 10 + (unit(seed, Stream::GapLength, hour) * 21.0) as i64;
    let start = (unit(seed, Stream::GapStart, hour) * (61 - len) as f64) as i64;
    (start..start + len).contains(&slot.rem_euclid(60))
}

/// The patient's (unrounded) glucose at any instant, mg/dL, within 40–400. Defined everywhere, gaps included.
pub fn glucose(patient: &Patient, at: UtcTime) -> f64 {
    if let Some(hold) = patient.script.iter().filter(|h| h.from <= at).max_by_key(|h| h.from) {
        return f64::from(hold.level.get()).clamp(FLOOR, CEILING);
    }
    let seed = patient.seed;
    let l = patient.local_secs(at);
    let value = baseline(seed, l) + dawn(l) + meals(seed, l) - night_dip(seed, l) + noise(seed, l);
    value.clamp(FLOOR, CEILING)
}

/// LLU's `TrendArrow` for a rate of change in mg/dL/min (Abbott: more than 2 quickly, 1–2, stable below 1).
pub fn llu_arrow(rate: f64) -> u8 {
    if rate <= -2.0 {
        1
    } else if rate <= -1.0 {
        2
    } else if rate < 1.0 {
        3
    } else if rate < 2.0 {
        4
    } else {
        5
    }
}

/// The rate of change at `at` over the preceding 5 minutes, mg/dL/min.
pub(super) fn rate_at(patient: &Patient, at: UtcTime) -> f64 {
    (glucose(patient, at) - glucose(patient, at - 5 * MINUTE)) / 5.0
}

// ---------------------------------------------------------------------------------------------------------------
// Readings.
