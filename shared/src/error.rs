//! One error type for the whole crate.

/// Everything that can go wrong while turning outside data into domain values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A timestamp that is not exactly `M/D/YYYY h:mm:ss AM|PM`.
    #[error("invalid LLU timestamp {input:?}: {reason}")]
    Timestamp {
        /// The text that was rejected (cut to 64 characters).
        input: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A glucose value outside what any sensor can report (0 or above 600 mg/dL).
    #[error("implausible glucose value {0} mg/dL")]
    ImplausibleGlucose(u32),
    /// A sensor activation time that is not a real instant (LLU `sensor.a` of 0 or less: no sensor).
    #[error("invalid sensor activation time {0}")]
    SensorActivation(i64),
    /// An LLU glucose item that cannot become a reading (no value, a value that is not a whole number, both LO
    /// and HI).
    #[error("unusable LLU glucose item: {0}")]
    GlucoseItem(&'static str),
    /// A JSON body that does not have the shape expected of it.
    #[error("malformed JSON: {0}")]
    Json(String),
}

/// The crate's `Result`.
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// A timestamp error that keeps at most 64 characters of the input, so a huge body never ends up in a log.
    pub(crate) fn timestamp(input: &str, reason: &'static str) -> Self {
        Self::Timestamp { input: input.chars().take(64).collect(), reason }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::Json(e.to_string())
    }
}
