//! The worker's floors, kept by a test: the infrastructure at the bottom (configuration, context, errors and
//! replies, sealing, storage, Durable Object transport, the LLU adapter, routes and policy, small tools) uses
//! nothing above it. Features (the objects and their books) and the HTTP surfaces sit on it.

/// The bottom floor's modules (a file `src/<name>.rs` or a folder `src/<name>/`).
const INFRASTRUCTURE: [&str; 18] = [
    "body", "config", "context", "device", "endpoint", "error", "flight", "join", "keyed", "limit", "objects",
    "policy", "reply", "route", "seal", "storage", "upstream", "wire",
];

/// The `crate::<module>` names a source text uses outside its tests.
fn crate_uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found: Vec<String> = code
        .match_indices("crate::")
        .map(|(at, _)| {
            let rest = code.get(at + "crate::".len()..).unwrap_or_default();
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_infrastructure_uses_nothing_above_it() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    let mut read = 0;
    for module in INFRASTRUCTURE {
        let file = src.join(format!("{module}.rs"));
        let Ok(text) = std::fs::read_to_string(&file) else {
            // `wire` is shared's, re-exported; a folder module is read through its mod.rs.
            continue;
        };
        read += 1;
        for used in crate_uses(&text) {
            if !INFRASTRUCTURE.contains(&used.as_str()) {
                upward.push(format!("{module} uses crate::{used}"));
            }
        }
    }
    assert!(read >= 16, "the floor's files were found ({read})");
    assert!(upward.is_empty(), "arrows point down only: {upward:#?}");
}

#[test]
fn a_use_above_the_floor_is_seen() {
    let text = "use crate::error::ApiError;\nfn f() { crate::facade::read(); }\n#[cfg(test)]\nuse crate::demo;";
    assert_eq!(crate_uses(text), ["error", "facade"]);
}
