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
    a + (b - a) * (1.0 - (PI * f).cos()) / 2.0
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
