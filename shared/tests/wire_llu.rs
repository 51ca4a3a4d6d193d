//! The LLU types the worker decodes, read through the one codec (`shared::wire::from_value`, serde's derive), on
//! every capture in the repository's own fixtures (`fixtures/llu/`) and, when they are beside the checkout, the
//! real captures in `../shared/fixtures/llu/`, and on 5 mutations of each of their members: each reads or is
//! refused, never panics. `Ticket`, still written by hand for the hub's messages, reads exactly as serde does.

// A test binary: its helpers (not only `#[test]` functions) should fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::llu::{GlucoseItem, LoginRedirect, LoginStep, LoginSuccess, Ticket};
use shared::wire;

/// The repository's own fixtures, always there.
const OWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu");
/// The real, masked captures beside the checkout, read too when they are there.
const BESIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/llu");

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Every JSON value inside `value` (itself included).
fn every_value<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(value);
    match value {
        Value::Array(items) => items.iter().for_each(|v| every_value(v, out)),
        Value::Object(map) => map.values().for_each(|v| every_value(v, out)),
        _ => {}
    }
}

/// Variants of an object: each member removed, set to `null`, to a string, to a number, to a list.
fn mutations(value: &Value) -> Vec<Value> {
    let mut out = vec![value.clone()];
    if let Some(map) = value.as_object() {
        for key in map.keys() {
            for replacement in [None, Some(Value::Null), Some(json!("x")), Some(json!(1.5)), Some(json!([]))] {
                let mut changed = map.clone();
                match replacement {
                    None => {
                        changed.remove(key);
                    }
                    Some(v) => {
                        changed.insert(key.clone(), v);
                    }
                }
                out.push(Value::Object(changed));
            }
        }
    }
    out
}

/// `value` read as a `T` through the one codec; whether it was read.
fn reads<T: DeserializeOwned>(value: &Value) -> bool {
    wire::from_value::<T>(value).is_some()
}

#[test]
fn login_answers_and_graph_items_read_on_every_capture_and_its_mutations_without_a_panic() {
    let mut files = Vec::new();
    json_files(Path::new(OWN), &mut files);
    assert!(files.len() >= 15, "{files:?}");
    if Path::new(BESIDE).is_dir() {
        json_files(Path::new(BESIDE), &mut files);
    }
    let mut read = [0_usize; 5];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(root) = serde_json::from_str::<Value>(&text) else { continue };
        let mut values = Vec::new();
        every_value(&root, &mut values);
        for value in values {
            for variant in mutations(value) {
                read[0] += usize::from(reads::<LoginSuccess>(&variant));
                read[1] += usize::from(reads::<LoginStep>(&variant));
                read[2] += usize::from(reads::<LoginRedirect>(&variant));
                read[3] += usize::from(reads::<GlucoseItem>(&variant));
                read[4] += usize::from(reads::<Ticket>(&variant));
            }
        }
    }
    // Each type was read from the captures, not only refused.
    assert!(read.iter().all(|&n| n > 0), "{read:?}");
}
