//! Reading a [`Value`] into a type through serde's derive, keeping only whether it read.
//!
//! Hand-written for a measured reason: serde_json's own `&Value` reader builds a message for every refusal and
//! lets a struct read from an array too; neither is used here ([`super::from_value`] returns an `Option`, and every
//! record is an object), yet both were compiled for each of about a hundred types: 32.9 KB of the worker's 394 KB gzip
//! (BENCHMARKS.md, "Issue 31: one reader"; decision 0042). The same JSON reads to the same values: the tests below and the golden tests of
//! each record hold it to serde_json's reader.

use std::fmt;

use serde::de::{self, DeserializeSeed, Expected, Unexpected, Visitor};
use serde_json::{Map, Number, Value};

/// A value that is not the type asked for. It says nothing more: the callers keep only that it did not read.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the JSON is not the expected record")
    }
}

impl std::error::Error for Refused {}

// Each reason serde would spell out becomes the one refusal, so no message is built or compiled.
impl de::Error for Refused {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Refused
    }
    fn invalid_type(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Refused
    }
    fn invalid_value(_: Unexpected<'_>, _: &dyn Expected) -> Self {
        Refused
    }
    fn invalid_length(_: usize, _: &dyn Expected) -> Self {
        Refused
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        Refused
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        Refused
    }
    fn missing_field(_: &'static str) -> Self {
        Refused
    }
    fn duplicate_field(_: &'static str) -> Self {
        Refused
    }
}

/// A borrowed JSON value as serde's deserializer: strings are lent, not copied, to the type being read.
pub struct Reader<'de>(pub &'de Value);

impl<'de> de::Deserializer<'de> for Reader<'de> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => items_of(items, visitor),
            Value::Object(map) => fields_of(map, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Value::Array(items) => items_of(items, visitor),
            _ => Err(Refused),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        match self.0 {
            Value::Object(map) => fields_of(map, visitor),
            _ => Err(Refused),
        }
    }

    /// Objects only: no record here is written as an array, so a struct's array form is never compiled.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        self.deserialize_map(visitor)
    }

    /// `"Name"` for a unit variant, `{"Name": content}` for the others (serde's external tagging).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        match self.0 {
            Value::String(name) => visitor.visit_enum(Variant { name, content: None }),
            Value::Object(map) if map.len() == 1 => match map.iter().next() {
                Some((name, content)) => visitor.visit_enum(Variant { name, content: Some(content) }),
                None => Err(Refused),
            },
            _ => Err(Refused),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        identifier
    }
}

/// A number as serde_json gives it: whole numbers as integers (unsigned first), the rest as floats.
fn number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, Refused> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else {
        n.as_f64().map_or(Err(Refused), |f| visitor.visit_f64(f))
    }
}

/// An array's items, every one of which must be read (a longer array than the type is refused).
fn items_of<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, Refused> {
    let mut seq = Items(items.iter());
    let value = visitor.visit_seq(&mut seq)?;
    if seq.0.len() == 0 { Ok(value) } else { Err(Refused) }
}

/// An object's fields, every one of which must be read (a visitor may skip, never stop early).
fn fields_of<'de, V: Visitor<'de>>(map: &'de Map<String, Value>, visitor: V) -> Result<V::Value, Refused> {
    let mut fields = Fields { iter: map.iter(), value: None };
    let value = visitor.visit_map(&mut fields)?;
    if fields.iter.len() == 0 { Ok(value) } else { Err(Refused) }
}

struct Items<'de>(std::slice::Iter<'de, Value>);

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Refused;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Refused> {
        self.0.next().map(|item| seed.deserialize(Reader(item))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Fields<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> de::MapAccess<'de> for Fields<'de> {
    type Error = Refused;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Refused> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(Key(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Refused> {
        seed.deserialize(Reader(self.value.take().ok_or(Refused)?))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An object's key: a string, or the name of a unit variant (a map keyed by an enum, such as the alarm kinds).
struct Key<'de>(&'de str);

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Refused;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Refused> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Refused> {
        visitor.visit_enum(Variant { name: self.0, content: None })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq
        tuple tuple_struct map struct identifier ignored_any
    }
}

/// An enum's variant: its name, and its content unless it is a unit variant.
struct Variant<'de> {
    name: &'de str,
    content: Option<&'de Value>,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = Refused;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Refused> {
        Ok((seed.deserialize(Key(self.name))?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Refused;

    fn unit_variant(self) -> Result<(), Refused> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(Refused),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Refused> {
        seed.deserialize(Reader(self.content.ok_or(Refused)?))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Refused> {
        match self.content {
            Some(Value::Array(items)) => items_of(items, visitor),
            _ => Err(Refused),
        }
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value, Refused> {
        match self.content {
            Some(Value::Object(map)) => fields_of(map, visitor),
            _ => Err(Refused),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::Reader;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Record {
        id: String,
        count: u8,
        level: f64,
        #[serde(default)]
        note: Option<String>,
        kinds: BTreeMap<Kind, i64>,
        pairs: Vec<(i64, String)>,
        what: What,
        #[serde(default)]
        tagged: Option<Tagged>,
    }

    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
    enum Kind {
        Low,
        High,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum What {
        Nothing,
        One(i64),
        Pair(i64, bool),
        Named { at: i64, by: Option<String> },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        Note { text: String },
        Mark,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Open {
        name: String,
        #[serde(flatten)]
        extra: BTreeMap<String, serde_json::Value>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapped(u16);

    /// Ours and serde_json's `&Value` reader, side by side: the same value or both refusing.
    fn same<T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &serde_json::Value) -> Option<T> {
        let ours = T::deserialize(Reader(value)).ok();
        let theirs = T::deserialize(value).ok();
        assert_eq!(ours, theirs, "{value}");
        ours
    }

    fn record() -> serde_json::Value {
        json!({
            "id": "a", "count": 7, "level": 5, "kinds": {"Low": 1, "High": -2}, "pairs": [[1, "x"], [-3, "y"]],
            "what": {"Named": {"at": 9, "by": null}}, "tagged": {"type": "note", "text": "15 g juice"}, "unknown": [1]
        })
    }

    #[test]
    fn reads_what_serde_jsons_reader_reads() {
        let read = same::<Record>(&record()).expect("a record");
        assert_eq!(read.level, 5.0);
        assert_eq!(read.kinds.get(&Kind::High), Some(&-2));
        assert_eq!(read.what, What::Named { at: 9, by: None });
        for what in [json!("Nothing"), json!({"Nothing": null}), json!({"One": 3}), json!({"Pair": [1, true]})] {
            assert!(same::<What>(&what).is_some(), "{what}");
        }
        assert_eq!(same::<Tagged>(&json!({"type": "mark"})), Some(Tagged::Mark));
        let open = same::<Open>(&json!({"name": "n", "a": 1, "b": {"c": [true]}})).expect("open");
        assert_eq!(open.extra.len(), 2);
        assert_eq!(same::<Wrapped>(&json!(300)), Some(Wrapped(300)));
        assert_eq!(same::<Option<u8>>(&json!(null)), Some(None));
        assert_eq!(same::<char>(&json!("x")), Some('x'));
        assert_eq!(same::<f32>(&json!(-2.5)), Some(-2.5));
        assert_eq!(same::<i64>(&json!(-9_007_199_254_740_993_i64)), Some(-9_007_199_254_740_993));
        assert_eq!(same::<u64>(&json!(u64::MAX)), Some(u64::MAX));
        assert_eq!(same::<()>(&json!(null)), Some(()));
    }

    #[test]
    fn refuses_what_serde_jsons_reader_refuses() {
        let mut wrong = Vec::new();
        for (field, value) in [
            ("count", json!(300)),
            ("count", json!(-1)),
            ("count", json!(1.5)),
            ("count", json!("7")),
            ("id", json!(1)),
            ("id", json!(null)),
            ("level", json!("5")),
            ("kinds", json!({"Middle": 1})),
            ("kinds", json!([])),
            ("pairs", json!([[1, "x", 2]])),
            ("pairs", json!([[1]])),
            ("what", json!("Other")),
            ("what", json!({"One": 1, "Pair": [1, true]})),
            ("what", json!({"Nothing": 1})),
            ("what", json!({"One": [1]})),
            ("what", json!({"Named": [1, null]})),
            ("tagged", json!({"type": "other"})),
            ("tagged", json!({"text": "no tag"})),
        ] {
            let mut value_record = record();
            value_record[field] = value;
            wrong.push(value_record);
        }
        let mut missing = record();
        missing.as_object_mut().map(|o| o.remove("what"));
        wrong.push(missing);
        wrong.extend([json!(null), json!([]), json!("record"), json!(["a", 7, 5, {}, [], "Nothing", null, null])]);
        for value in &wrong {
            assert_eq!(same::<Record>(value), None, "{value}");
        }
        assert_eq!(same::<Wrapped>(&json!(-1)), None);
        assert_eq!(same::<char>(&json!("xy")), None);
    }

    #[test]
    fn a_struct_written_as_an_array_is_refused_as_no_record_here_is_one() {
        // serde_json's reader would take this; nothing here writes a struct so (the one deliberate difference).
        let as_array = json!([1]);
        #[derive(Debug, Deserialize)]
        struct One {
            #[allow(dead_code)]
            n: i64,
        }
        assert!(One::deserialize(&as_array).is_ok());
        assert!(One::deserialize(Reader(&as_array)).is_err());
    }
}
