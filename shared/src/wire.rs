//! The worker's JSON (its messages between the worker and its Durable Objects, sealed session records, the share
//! and watch books, the LLU answers it decodes), moving to one codec: serde's derive through `Value` ([`to_json`],
//! [`to_value`], [`from_json`], [`from_value`]; decision 0039). Moved: the share books, their index and messages,
//! the LLU login answers and graph items, the round's messages. The rest is still written by hand ([`Wire`]: each
//! type to and from a `Value` with a few non-generic helpers), until it moves; both write the same JSON (tests
//! compare them), so records stored or sealed by earlier builds still read.

pub use serde_json::{Map, Value};

/// A type the worker writes and reads as JSON by hand.
pub trait Wire: Sized {
    /// The JSON value.
    fn to_wire(&self) -> Value;
    /// Reads the JSON value; `None` when it does not have this type's shape.
    fn from_wire(value: &Value) -> Option<Self>;
}

/// `Wire` for an enum of unit variants, each written as its name (serde's default for such enums).
#[macro_export]
macro_rules! wire_names {
    ($type:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            /// This value's name on the wire.
            pub const fn wire_name(&self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }

        impl $crate::wire::Wire for $type {
            fn to_wire(&self) -> $crate::wire::Value {
                $crate::wire::Value::from(self.wire_name())
            }

            fn from_wire(value: &$crate::wire::Value) -> Option<Self> {
                match value.as_str()? {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

/// A required field (an `Option` field may be absent: it reads as `None`, as with serde's derive).
pub fn get<T: Wire>(value: &Value, name: &str) -> Option<T> {
    T::from_wire(value.get(name).unwrap_or(&Value::Null))
}

/// A field of a `#[serde(default)]` type: `default` when absent.
pub fn get_or<T: Wire>(value: &Value, name: &str, default: T) -> Option<T> {
    value.get(name).map_or(Some(default), T::from_wire)
}

impl Wire for String {
    fn to_wire(&self) -> Value {
        Value::String(self.clone())
    }

    fn from_wire(value: &Value) -> Option<String> {
        value.as_str().map(str::to_owned)
    }
}

impl Wire for bool {
    fn to_wire(&self) -> Value {
        Value::Bool(*self)
    }

    fn from_wire(value: &Value) -> Option<bool> {
        value.as_bool()
    }
}

impl Wire for i64 {
    fn to_wire(&self) -> Value {
        (*self).into()
    }

    fn from_wire(value: &Value) -> Option<i64> {
        value.as_i64()
    }
}

impl Wire for f64 {
    fn to_wire(&self) -> Value {
        (*self).into()
    }

    fn from_wire(value: &Value) -> Option<f64> {
        value.as_f64()
    }
}

/// The smaller integers, through `i64` (a value out of range does not read).
macro_rules! wire_int {
    ($($int:ty),+) => {
        $(impl Wire for $int {
            fn to_wire(&self) -> Value {
                (*self).into()
            }

            fn from_wire(value: &Value) -> Option<$int> {
                <$int>::try_from(value.as_i64()?).ok()
            }
        })+
    };
}

wire_int!(u8, u16, i16, u32, usize);

impl<T: Wire> Wire for Option<T> {
    fn to_wire(&self) -> Value {
        self.as_ref().map_or(Value::Null, Wire::to_wire)
    }

    fn from_wire(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            value => T::from_wire(value).map(Some),
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn to_wire(&self) -> Value {
        list(self)
    }

    fn from_wire(value: &Value) -> Option<Vec<T>> {
        read_list(value)
    }
}

/// JSON text of `value` through serde's derive, the one codec the worker moves to (see the module). Through
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
    T::deserialize(value).ok()
}

/// JSON text for `value`.
pub fn encode(value: &impl Wire) -> String {
    value.to_wire().to_string()
}

/// Reads JSON text as a `T`; `None` when it is not JSON or not a `T`.
pub fn decode<T: Wire>(text: &str) -> Option<T> {
    T::from_wire(&parse(text)?)
}

/// Parses JSON text (the one `Value` reader in the worker).
pub fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// An object from its fields. (Maps here are built by inserting, never by `collect`: a map's `FromIterator`
/// sorts its items first, one more copy of std's sort in the wasm per item type.)
pub fn object(fields: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (name, value) in fields {
        map.insert(name.to_owned(), value);
    }
    Value::Object(map)
}

/// An enum variant as serde writes it by default: `"name"` with no content, `{"name": content}` with some.
pub fn variant(name: &str, content: Option<Value>) -> Value {
    match content {
        None => Value::String(name.to_owned()),
        Some(content) => object(vec![(name, content)]),
    }
}

/// The other end of [`variant`]: the variant's name and its content (`Null` for a bare name).
pub fn read_variant(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::String(name) => Some((name, &Value::Null)),
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(name, content)| (name.as_str(), content)),
        _ => None,
    }
}

/// A list of `T`.
pub fn list<T: Wire>(items: &[T]) -> Value {
    Value::Array(items.iter().map(Wire::to_wire).collect())
}

/// The other end of [`list`]: every item must be a `T`.
pub fn read_list<T: Wire>(value: &Value) -> Option<Vec<T>> {
    let items = value.as_array()?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(T::from_wire(item)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_serde_externally_tagged() {
        assert_eq!(variant("done", None), serde_json::json!("done"));
        assert_eq!(variant("list", Some(Value::from(1))), serde_json::json!({"list": 1}));
        assert_eq!(read_variant(&serde_json::json!("done")), Some(("done", &Value::Null)));
        assert_eq!(read_variant(&serde_json::json!({"list": 1})), Some(("list", &Value::from(1))));
        assert_eq!(read_variant(&serde_json::json!({"a": 1, "b": 2})), None);
        assert_eq!(read_variant(&serde_json::json!(3)), None);
    }

    #[test]
    fn optional_fields_are_absent_null_or_valid() {
        let value = serde_json::json!({"a": null, "b": 3, "c": "x"});
        assert_eq!(get::<Option<i64>>(&value, "a"), Some(None));
        assert_eq!(get::<Option<i64>>(&value, "z"), Some(None));
        assert_eq!(get::<Option<i64>>(&value, "b"), Some(Some(3)));
        assert_eq!(get::<Option<i64>>(&value, "c"), None, "a wrong shape is an error, not an absence");
    }

    #[test]
    fn malformed_text_is_none_not_a_panic() {
        assert!(parse("{").is_none());
        assert!(parse("<html>").is_none());
        assert_eq!(parse(" [1] "), Some(serde_json::json!([1])));
    }
}
