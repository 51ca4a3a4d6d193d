//! Glucose units. Everything is stored and computed in mg/dL; mmol/L exists only for display and for thresholds a
//! user types in mmol/L. One named factor converts between them.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// mg/dL per mmol/L (glucose, 180.16 g/mol), the factor GlucoDataHandler uses.
pub const MGDL_PER_MMOLL: f64 = 18.0182;

/// The lowest value a Libre sensor reports; below it LLU flags the reading LO.
pub const SENSOR_MIN: MgDl = MgDl(40);
/// The highest value a Libre sensor reports; above it LLU flags the reading HI.
pub const SENSOR_MAX: MgDl = MgDl(500);
/// Anything above this is not a glucose value but a fault.
pub const PLAUSIBLE_MAX: u32 = 600;

/// A glucose concentration in mg/dL, as LLU's `ValueInMgPerDl` carries it (an integer).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MgDl(u16);

impl MgDl {
    /// A value in mg/dL. Use [`MgDl::checked`] for values from outside.
    pub const fn new(value: u16) -> Self {
        Self(value)
    }

    /// A value from outside: 1..=600 mg/dL, or [`Error::ImplausibleGlucose`].
    pub fn checked(value: u32) -> Result<Self> {
        if value == 0 || value > PLAUSIBLE_MAX {
            return Err(Error::ImplausibleGlucose(value));
        }
        Ok(Self(value as u16))
    }

    /// The value closest to `mgdl` (rounded, clamped to 0..=600).
    pub fn round(mgdl: f64) -> Self {
        Self(mgdl.round().clamp(0.0, PLAUSIBLE_MAX as f64) as u16)
    }

    /// The mg/dL value of a threshold given in mmol/L.
    pub fn from_mmol(mmol: f64) -> Self {
        Self::round(mmol * MGDL_PER_MMOLL)
    }

    /// The integer value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The value as a float, for maths.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0)
    }

    /// The value in mmol/L (unrounded).
    pub fn to_mmol(self) -> f64 {
        self.as_f64() / MGDL_PER_MMOLL
    }
}

impl fmt::Display for MgDl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mg/dL", self.0)
    }
}

/// The unit a person wants to read.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GlucoseUnit {
    /// Milligrams per decilitre, shown as a whole number.
    #[default]
    MgDl,
    /// Millimoles per litre, shown with one decimal.
    MmolL,
}

impl GlucoseUnit {
    /// The unit's label, `mg/dL` or `mmol/L`.
    pub const fn label(self) -> &'static str {
        match self {
            GlucoseUnit::MgDl => "mg/dL",
            GlucoseUnit::MmolL => "mmol/L",
        }
    }

    /// `mgdl` in this unit, rounded the way it is shown (whole mg/dL, mmol/L to one decimal).
    pub fn convert(self, mgdl: f64) -> f64 {
        match self {
            GlucoseUnit::MgDl => mgdl.round(),
            GlucoseUnit::MmolL => (mgdl / MGDL_PER_MMOLL * 10.0).round() / 10.0,
        }
    }

    /// `mgdl` as text in this unit, without the unit: `"101"` or `"5.6"`.
    pub fn format(self, mgdl: f64) -> String {
        match self {
            GlucoseUnit::MgDl => format!("{}", mgdl.round() as i64),
            GlucoseUnit::MmolL => tenths(self.convert(mgdl)),
        }
    }

    /// A signed change (a delta) in this unit: `"+3"`, `"-0.2"`, `"±0"`.
    pub fn format_delta(self, mgdl: f64) -> String {
        let shown = self.convert(mgdl);
        if shown == 0.0 {
            return match self {
                GlucoseUnit::MgDl => "±0".into(),
                GlucoseUnit::MmolL => "±0.0".into(),
            };
        }
        let sign = if shown > 0.0 { "+" } else { "-" };
        match self {
            GlucoseUnit::MgDl => format!("{sign}{}", shown.abs() as i64),
            GlucoseUnit::MmolL => format!("{sign}{}", tenths(shown.abs())),
        }
    }
}

/// `value` with one decimal (`5.6`), as `{:.1}` writes a finite value, through integers: float formatting is
/// about 6 KB gzip of the worker's wasm, and nothing else there needs it.
fn tenths(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_is_what_one_decimal_formatting_writes() {
        for i in -40_000..40_000 {
            let value = f64::from(i) / 100.0;
            let rounded = (value * 10.0).round() / 10.0;
            assert_eq!(tenths(rounded), format!("{rounded:.1}").replace("-0.0", "0.0"), "{value}");
        }
        assert_eq!(GlucoseUnit::MmolL.format(100.0), "5.5");
        assert_eq!(GlucoseUnit::MmolL.format(101.0), "5.6");
        assert_eq!(GlucoseUnit::MmolL.format_delta(-3.6), "-0.2");
    }
    use proptest::prelude::*;

    #[test]
    fn formats_in_each_unit() {
        let cases = [
            (GlucoseUnit::MgDl, 101.0, "101"),
            (GlucoseUnit::MgDl, 100.5, "101"),
            (GlucoseUnit::MmolL, 101.0, "5.6"),
            (GlucoseUnit::MmolL, 70.0, "3.9"),
            (GlucoseUnit::MmolL, 180.0, "10.0"),
            (GlucoseUnit::MmolL, 54.0, "3.0"),
            (GlucoseUnit::MmolL, 40.0, "2.2"),
        ];
        for (unit, mgdl, text) in cases {
            assert_eq!(unit.format(mgdl), text, "{unit:?} {mgdl}");
        }
    }

    #[test]
    fn formats_deltas_with_a_sign() {
        assert_eq!(GlucoseUnit::MgDl.format_delta(3.0), "+3");
        assert_eq!(GlucoseUnit::MgDl.format_delta(-12.4), "-12");
        assert_eq!(GlucoseUnit::MgDl.format_delta(0.2), "±0");
        assert_eq!(GlucoseUnit::MmolL.format_delta(-4.0), "-0.2");
        assert_eq!(GlucoseUnit::MmolL.format_delta(0.5), "±0.0");
    }

    #[test]
    fn checked_rejects_impossible_values() {
        assert!(MgDl::checked(0).is_err());
        assert!(MgDl::checked(601).is_err());
        assert_eq!(MgDl::checked(600).unwrap().get(), 600);
        assert_eq!(MgDl::checked(39).unwrap().get(), 39);
    }

    #[test]
    fn mmol_thresholds_convert_with_the_one_factor() {
        assert_eq!(MgDl::from_mmol(3.9).get(), 70);
        assert_eq!(MgDl::from_mmol(10.0).get(), 180);
        assert_eq!(MgDl::from_mmol(3.0).get(), 54);
        assert!((MgDl::new(180).to_mmol() - 9.98990).abs() < 1e-4);
    }

    proptest! {
        #[test]
        fn mmol_round_trip_is_within_one_mgdl(v in 20u16..=600) {
            let shown = GlucoseUnit::MmolL.convert(f64::from(v));
            let back = MgDl::from_mmol(shown).get();
            prop_assert!((i32::from(back) - i32::from(v)).abs() <= 1, "{} -> {} -> {}", v, shown, back);
        }
    }
}
