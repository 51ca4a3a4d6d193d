//! Golden tests' one check: a message or record is the JSON an earlier build wrote, both ways.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire;

/// `value` writes `before` (compared as JSON values), and `before` reads back into a value that writes it again.
pub(crate) fn writes_and_reads<T: Serialize + DeserializeOwned>(value: &T, before: &str) {
    let expected = wire::parse(before);
    assert!(expected.is_some(), "not JSON: {before}");
    assert_eq!(Some(wire::to_value(value)), expected, "{before}");
    let read: T = wire::from_json(before).unwrap_or_else(|| panic!("does not read back: {before}"));
    assert_eq!(Some(wire::to_value(&read)), expected, "{before}");
}
