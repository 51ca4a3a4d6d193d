//! The glance: what the big current value shows, as text, for one series at one instant. The app draws it, and
//! the worker writes it into a share link's first answer so a viewer's page can show it before the app's code is in
//! (`GET /api/share/graph?glance=`): one function, so both say the same thing.

use crate::reading::{Freshness, Reading, SensorRange, Series, format_age};
use crate::stats::Band;
use crate::time::{MINUTE, UtcTime};
use crate::trend::{self, Direction};
use crate::units::GlucoseUnit;

/// The colour family of a value: the range band, or "none" when nothing is current.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tone {
    /// Below 54 mg/dL.
    VeryLow,
    /// 54–69 mg/dL.
    Low,
    /// In range.
    InRange,
    /// 181–250 mg/dL.
    High,
    /// Above 250 mg/dL.
    VeryHigh,
    /// Stale or no data: grey, it must not look current.
    Stale,
}

impl Tone {
    /// The CSS class.
    pub const fn class(self) -> &'static str {
        match self {
            Tone::VeryLow => "tone-very-low",
            Tone::Low => "tone-low",
            Tone::InRange => "tone-in-range",
            Tone::High => "tone-high",
            Tone::VeryHigh => "tone-very-high",
            Tone::Stale => "tone-stale",
        }
    }

    /// Words for the tone, so colour is never the only signal.
    pub const fn words(self) -> &'static str {
        match self {
            Tone::VeryLow => "very low",
            Tone::Low => "low",
            Tone::InRange => "in range",
            Tone::High => "high",
            Tone::VeryHigh => "very high",
            Tone::Stale => "not current",
        }
    }
}

/// Everything the big glance shows, as text.
#[derive(Clone, PartialEq, Debug)]
pub struct Glance {
    /// "123", "6.8", "LO", "HI" or "---".
    pub value: String,
    /// "mg/dL" or "mmol/L" (empty for LO/HI/no data).
    pub unit: &'static str,
    /// The arrow character.
    pub arrow: &'static str,
    /// The arrow in words, for screen readers.
    pub arrow_label: &'static str,
    /// "+3 mg/dL / 5 min", or `None` without two recent buckets.
    pub delta: Option<String>,
    /// True when the delta was scaled from buckets further apart (shown with a mark).
    pub delta_interpolated: bool,
    /// "just now", "3 min ago".
    pub age: String,
    /// Current, signal loss, stale or no data.
    pub freshness: Freshness,
    /// The colour family.
    pub tone: Tone,
    /// One sentence for a screen reader: value, unit, trend, age and state.
    pub spoken: String,
}

impl Glance {
    /// The state as a CSS class and `data-freshness` value.
    pub const fn freshness_class(&self) -> &'static str {
        match self.freshness {
            Freshness::Current => "current",
            Freshness::SignalLoss => "signal-loss",
            Freshness::Stale => "stale",
            Freshness::NoData => "no-data",
        }
    }

    /// The state in words, shown under the value whenever it is not current.
    pub const fn state_text(&self) -> Option<&'static str> {
        match self.freshness {
            Freshness::Current => None,
            Freshness::SignalLoss => Some("Signal loss: no new reading for 5 minutes"),
            Freshness::Stale => Some("Stale: not the current value"),
            Freshness::NoData => Some("No reading yet"),
        }
    }

    /// The delta as shown, marked " *" when it was estimated across a gap (explained by [`Glance::footnote`]).
    pub fn marked_delta(&self) -> Option<String> {
        self.delta.as_ref().map(|d| if self.delta_interpolated { format!("{d} *") } else { d.clone() })
    }

    /// The note under an estimated delta.
    pub const fn footnote(&self) -> Option<&'static str> {
        if self.delta_interpolated { Some("* estimated across a gap between readings") } else { None }
    }
}

/// The line a share link's viewer sees above the value: who it is shared with and by whom once the server has
/// said so (`(label, from)`), and always that it is read-only.
pub fn shared_by(names: Option<(&str, &str)>) -> String {
    match names {
        Some((label, from)) => format!("Shared with {label} by {from} · read-only"),
        None => "Shared with you · read-only".to_owned(),
    }
}

/// The glance for `series` at `now` in `unit`.
pub fn glance(series: &Series, now: UtcTime, unit: GlucoseUnit) -> Glance {
    let Some(newest) = series.newest() else {
        return Glance {
            value: "---".into(),
            unit: "",
            arrow: "",
            arrow_label: "no reading",
            delta: None,
            delta_interpolated: false,
            age: "no reading yet".into(),
            freshness: Freshness::NoData,
            tone: Tone::Stale,
            spoken: "No glucose reading yet.".into(),
        };
    };
    let freshness = series.freshness_at(now);
    let age_secs = series.age_at(now).unwrap_or(0);
    let recent = series.since(newest.at - trend::SLOPE_WINDOW - 5 * MINUTE);
    let direction = if freshness == Freshness::Current { arrow_of(newest, recent) } else { Direction::NotComputable };
    let delta = if freshness == Freshness::Current { trend::delta(recent) } else { None };
    let tone = if freshness == Freshness::Stale { Tone::Stale } else { tone_of(newest) };
    let value = newest.display(unit);
    let unit_label = if newest.range == SensorRange::InRange { unit.label() } else { "" };
    let delta_text = delta.map(|d| format!("{} {} / 5 min", unit.format_delta(d.per_5_min), unit.label()));
    let state = match freshness {
        Freshness::Current => String::new(),
        Freshness::SignalLoss => " Signal loss.".into(),
        Freshness::Stale => " Stale: this is not the current value.".into(),
        Freshness::NoData => String::new(),
    };
    let spoken =
        format!("{value} {unit_label}, {}, {}, {}.{state}", direction.label(), tone.words(), format_age(age_secs));
    Glance {
        value,
        unit: unit_label,
        arrow: if direction == Direction::NotComputable { "" } else { direction.symbol() },
        arrow_label: direction.label(),
        delta_interpolated: delta.is_some_and(|d| d.interpolated),
        delta: delta_text,
        age: format_age(age_secs),
        freshness,
        tone,
        spoken,
    }
}

/// LLU's arrow on the newest value when it sent one, otherwise ours from the last 15 minutes.
fn arrow_of(newest: &Reading, recent: &[Reading]) -> Direction {
    match newest.arrow {
        Some(arrow) if arrow != Direction::NotComputable => arrow,
        _ => trend::direction(recent),
    }
}

/// The tone of a reading by the consensus bands.
pub fn tone_of(reading: &Reading) -> Tone {
    match Band::of(reading.value()) {
        Band::VeryLow => Tone::VeryLow,
        Band::Low => Tone::Low,
        Band::InRange => Tone::InRange,
        Band::High => Tone::High,
        Band::VeryHigh => Tone::VeryHigh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MgDl;

    fn at(min: i64) -> UtcTime {
        UtcTime::from_unix_secs(1_700_000_000 + min * MINUTE)
    }

    fn series(points: &[(i64, u16)]) -> Series {
        Series::from_readings(points.iter().map(|&(m, v)| Reading::new(at(m), MgDl::new(v))))
    }

    #[test]
    fn glance_states_follow_the_age_of_the_newest_reading() {
        let s = series(&[(0, 100), (5, 104), (10, 108)]);
        let cases = [
            (10, Freshness::Current, Tone::InRange, "just now"),
            (16, Freshness::SignalLoss, Tone::InRange, "6 min ago"),
            (25, Freshness::Stale, Tone::Stale, "15 min ago"),
        ];
        for (now, freshness, tone, age) in cases {
            let g = glance(&s, at(now), GlucoseUnit::MgDl);
            assert_eq!((g.freshness, g.tone, g.age.as_str()), (freshness, tone, age), "now = {now}");
            assert_eq!(g.value, "108");
        }
        let stale = glance(&s, at(25), GlucoseUnit::MgDl);
        assert_eq!(stale.arrow, "", "a stale value shows no trend");
        assert!(stale.delta.is_none());
        assert!(stale.spoken.contains("Stale"));
    }

    #[test]
    fn glance_in_mmol_has_one_decimal_and_a_delta() {
        let g = glance(&series(&[(0, 100), (5, 110)]), at(5), GlucoseUnit::MmolL);
        assert_eq!((g.value.as_str(), g.unit), ("6.1", "mmol/L"));
        assert_eq!(g.delta.as_deref(), Some("+0.6 mmol/L / 5 min"));
    }

    #[test]
    fn an_estimated_delta_is_marked_and_explained() {
        let g = glance(&series(&[(0, 100), (5, 110)]), at(5), GlucoseUnit::MgDl);
        let estimated = Glance { delta_interpolated: true, ..g.clone() };
        assert_eq!((g.marked_delta(), g.footnote()), (g.delta.clone(), None));
        assert_eq!(estimated.marked_delta(), g.delta.map(|d| d + " *"));
        assert!(estimated.footnote().is_some_and(|f| f.starts_with("* ")));
        assert_eq!(shared_by(Some(("Grandma", "Alex"))), "Shared with Grandma by Alex · read-only");
        assert_eq!(shared_by(None), "Shared with you · read-only");
    }

    #[test]
    fn no_data_is_said_plainly() {
        let g = glance(&Series::default(), at(0), GlucoseUnit::MgDl);
        assert_eq!((g.value.as_str(), g.freshness, g.tone), ("---", Freshness::NoData, Tone::Stale));
    }
}
