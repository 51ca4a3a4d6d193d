//! Deterministic randomness: splitmix64 keyed by seed, stream and instant; smooth value noise; ids.

use super::*;

/// Independent random streams, one per kind of choice.
#[derive(Clone, Copy)]
pub(super) enum Stream {
    Baseline = 1,
    MealTime,
    MealSize,
    MealInsulin,
    MissedBolus,
    Night,
    NightTime,
    NightDepth,
    NoiseCoarse,
    NoiseFine,
    Gap,
    GapLength,
    GapStart,
    Phase,
    Serial,
    Scan,
    ScanTime,
    PatientId,
    ConnectionId,
    DeviceId,
}

pub(super) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn hash(seed: u64, stream: Stream, index: i64) -> u64 {
    let keyed = splitmix64(seed ^ (stream as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    splitmix64(keyed ^ index as u64)
}

/// A uniform number in [0, 1).
pub(super) fn unit(seed: u64, stream: Stream, index: i64) -> f64 {
    (hash(seed, stream, index) >> 11) as f64 / (1u64 << 53) as f64
}

/// Smooth value noise in [-1, 1]: random knots every `period` seconds, cosine-interpolated.
pub(super) fn value_noise(seed: u64, stream: Stream, t: i64, period: i64) -> f64 {
    let k = t.div_euclid(period);
    let f = t.rem_euclid(period) as f64 / period as f64;
    let a = 2.0 * unit(seed, stream, k) - 1.0;
    let b = 2.0 * unit(seed, stream, k + 1) - 1.0;
    a + (b - a) * (1.0 - cos_pi(f)) / 2.0
}

/// cos(π·t), to within a few ulp for any finite `t`. The model's raised cosines only need it on [−2, 2], and a
/// reduction in half-turns is exact there; the worker carries these 30 lines instead of libm's `cos` (6 KB of
/// wasm, most of it the reduction of huge arguments), and the native and wasm builds compute the same bits.
pub fn cos_pi(t: f64) -> f64 {
    // Into [0, 1] by cos(π·t) = cos(π·(t mod 2)) = cos(π·(2 − t)), then into [0, 1/2] by cos(π·t) = −cos(π·(1 − t)).
    let t = t - 2.0 * (t / 2.0).floor();
    let t = if t > 1.0 { 2.0 - t } else { t };
    let (t, sign) = if t > 0.5 { (1.0 - t, -1.0) } else { (t, 1.0) };
    // On [0, π/4] Taylor's series to x¹⁶ (cos) or x¹⁷ (sin) is exact to below half an ulp. Each term is the one
    // before times −x²/(k(k+1)), with k = 1, 3, 5, … for cos and 2, 4, 6, … for sin: Horner from the last term.
    let series = |x2: f64, first: i32| {
        (0..8).rev().fold(0.0, |sum, n| 1.0 - x2 / f64::from((first + 2 * n) * (first + 2 * n + 1)) * sum)
    };
    let value = if t > 0.25 {
        let x = PI * (0.5 - t);
        x * series(x * x, 2)
    } else {
        let x = PI * t;
        series(x * x, 1)
    };
    sign * value
}

pub(super) fn uuid(seed: u64, stream: Stream) -> String {
    let a = hash(seed, stream, 0);
    let b = hash(seed, stream, 1);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0x0FFF,
        0x8000 | ((b >> 48) & 0x3FFF),
        b & 0xFFFF_FFFF_FFFF
    )
}

// ---------------------------------------------------------------------------------------------------------------
// The glucose model. `l` is the wearer's local time in seconds (epoch seconds shifted by the UTC offset).
