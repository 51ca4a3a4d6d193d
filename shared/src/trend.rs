//! Which way the glucose is going, and how fast.

use serde::{Deserialize, Serialize};

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
