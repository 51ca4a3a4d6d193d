//! The worker's JSON (its messages between the worker and its Durable Objects, sealed session records, the share
//! and watch books, the LLU answers it decodes), in one codec: serde's derive through `Value` ([`to_json`],
//! [`to_value`], [`from_json`], [`from_value`]; decision 0039). Records stored or sealed by earlier builds, which
//! wrote the same JSON by hand, still read: golden tests beside each record hold it to that JSON.

mod read;

pub use serde_json::{Map, Value};

/// JSON text of `value` through serde's derive, the one codec (see the module). Through
/// [`Value`], like [`from_value`]: one serde instantiation per type each way (via text it was 5 KB gzip more for
/// the share family; BENCHMARKS.md).
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    to_value(value).to_string()
}

/// `value` as a JSON value through serde's derive.
pub fn to_value<T: serde::Serialize>(value: &T) -> Value {
    // Fails only for a map with keys that are not text, which no type here has.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Reads JSON text as a `T` through serde's derive; `None` when it is not JSON or not a `T`.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    from_value(&parse(text)?)
}

/// Reads a JSON value as a `T` through serde's derive (borrowed: an LLU answer's part is not copied first);
/// `None` when it is not a `T`.
pub fn from_value<T: serde::de::DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(read::Reader(value)).ok()
}

/// Parses JSON text (the one `Value` reader in the worker).
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_text_is_none_not_a_panic() {
        assert!(parse("{").is_none());
        assert!(parse("<html>").is_none());
        assert_eq!(parse(" [1] "), Some(serde_json::json!([1])));
        assert_eq!(from_json::<Vec<u8>>("[1, 300]"), None, "out of range is not a value");
        assert_eq!(from_json::<Vec<u8>>("<html>"), None);
    }
}
