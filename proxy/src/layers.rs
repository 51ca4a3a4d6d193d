//! The worker's floors, kept by tests. The infrastructure at the bottom (configuration, context, errors and
//! replies, sealing, storage, Durable Object transport, the LLU adapter, routes and policy, small tools) uses
//! nothing above it; the features (each with its object and client) use no HTTP surface (`api/`); and no two
//! modules use each other, whatever the path between them.

use std::collections::BTreeMap;
use std::path::Path;

/// The bottom floor's modules (a file `src/<name>.rs`).
const INFRASTRUCTURE: [&str; 14] = [
    "body", "config", "context", "device", "endpoint", "error", "limit", "objects", "policy", "reply", "route", "seal",
    "storage", "upstream",
];

/// What is not the worker's own module: `wire` is `shared`'s, re-exported.
const NOT_MODULES: [&str; 1] = ["wire"];

/// The `crate::<module>` names a source text uses outside its test module.
fn crate_uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or_default();
    let mut found: Vec<String> = code
        .match_indices("crate::")
        .map(|(at, _)| {
            let rest = code.get(at + "crate::".len()..).unwrap_or_default();
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
        })
        .filter(|name: &String| !NOT_MODULES.contains(&name.as_str()))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Every top-level module of `src` (a file, or a folder with everything in it but its tests) and the modules it
/// uses.
fn module_graph(src: &Path) -> BTreeMap<String, Vec<String>> {
    fn texts(path: &Path, out: &mut Vec<String>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                texts(&entry.path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let is_test = name == "tests.rs"
                || name.ends_with("_tests.rs")
                || path.components().any(|c| c.as_os_str() == "tests");
            if !is_test {
                out.extend(std::fs::read_to_string(path).ok());
            }
        }
    }
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(src).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if name == "lib" || name == "layers" {
            continue;
        }
        let mut sources = Vec::new();
        texts(&path, &mut sources);
        let mut uses: Vec<String> = sources.iter().flat_map(|t| crate_uses(t)).filter(|u| *u != name).collect();
        uses.sort();
        uses.dedup();
        graph.entry(name).or_insert_with(Vec::new).extend(uses);
    }
    graph
}

/// A circle in `graph`, as the path around it, if there is one.
fn circle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path.get(at..).unwrap_or_default().to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.iter().any(|d| d == node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.push(node.to_owned());
        None
    }
    let mut done = Vec::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_infrastructure_uses_nothing_above_it() {
    let graph = module_graph(&src());
    let mut upward = Vec::new();
    for module in INFRASTRUCTURE {
        let uses = graph.get(module).unwrap_or_else(|| panic!("{module} is a module of src/"));
        upward.extend(uses.iter().filter(|u| !INFRASTRUCTURE.contains(&u.as_str())).map(|u| format!("{module} → {u}")));
    }
    assert!(upward.is_empty(), "arrows point down only: {upward:#?}");
}

/// The features: each owns its Durable Object (or, for `sessions` and `demo`, what every surface reads through).
const FEATURES: [&str; 6] = ["demo", "hub", "rounds", "sessions", "shares", "watch"];

#[test]
fn no_feature_uses_an_http_surface() {
    let graph = module_graph(&src());
    let upward: Vec<String> = FEATURES
        .iter()
        .filter(|f| graph.get(**f).unwrap_or_else(|| panic!("{f} is a module of src/")).iter().any(|u| u == "api"))
        .map(|f| (*f).to_owned())
        .collect();
    assert!(upward.is_empty(), "features under api/: {upward:?}");
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = module_graph(&src());
    assert!(graph.len() >= 20, "the modules were found: {:?}", graph.keys());
    assert_eq!(circle(&graph), None, "an import circle");
}

#[test]
fn a_use_above_the_floor_and_a_circle_are_seen() {
    let text =
        "use crate::error::ApiError;\nfn f() { crate::api::llu::read(); }\n#[cfg(test)]\nmod tests {\nuse crate::demo;";
    assert_eq!(crate_uses(text), ["api", "error"]);
    let graph: BTreeMap<String, Vec<String>> = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(circle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    let acyclic: BTreeMap<String, Vec<String>> =
        [("a", vec!["b".to_owned()]), ("b", vec![])].into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    assert_eq!(circle(&acyclic), None);
}
