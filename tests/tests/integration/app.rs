//! The app end to end: `tests/e2e/app.mjs` drives the built app (`dist/`) in Chromium (Playwright) against the
//! real worker in workerd and the fake LibreLinkUp, and keeps its screenshots in `target/e2e/`.

use std::path::Path;
use std::process::Command;

use tidewatch_tests::stack::{Stack, root};

#[test]
fn the_app_end_to_end_in_chromium() {
    let root = root();
    assert!(root.join("dist/index.html").exists(), "the app is not built: run `cargo xtask build` first");
    // Its own copy of the app's files (the run deploys a "new version" of the service worker into it) and its own
    // stack (the proxy tests switch failure modes on the shared fake).
    let assets = root.join("target/e2e-dist");
    let _ = std::fs::remove_dir_all(&assets);
    copy_dir(&root.join("dist"), &assets).expect("dist/ copies");
    let stack = Stack::start_serving(&[], &assets).expect("the test stack starts");
    stack.fake.seed_defaults();
    let shots = root.join("target/e2e");
    // Bounded: every browser action has its own 30 s limit, the whole run 10 minutes.
    let output = Command::new("timeout")
        .args(["600", "node"])
        .arg(root.join("tests/e2e/app.mjs"))
        .arg(&stack.worker)
        .arg(&shots)
        .arg(stack.fake.base_url())
        .arg(&assets)
        .arg(stack.push.base_url())
        .arg(stack.loud.base_url())
        .current_dir(&root)
        .output()
        .expect("node runs");
    let log = String::from_utf8_lossy(&output.stdout);
    println!("{log}{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the end-to-end run failed (screenshots in {}):\n{log}", shots.display());
    assert!(!log.contains("FAIL"));
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The first-load benchmark's script (`cargo xtask bench`) runs on the built app and accounts for every file.
#[test]
fn the_first_load_benchmark_reads_the_built_app() {
    let root = root();
    assert!(root.join("dist/index.html").exists(), "the app is not built: run `cargo xtask build` first");
    let output = Command::new("node")
        .arg(root.join("tests/bench/first-load.mjs"))
        .arg(root.join("dist"))
        .output()
        .expect("node runs");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{table}{}", String::from_utf8_lossy(&output.stderr));
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with("| `")).collect();
    // The main module, its glue, the split loader, the page (with its loader and its style inlined), the manifest,
    // the service worker and the icon.
    assert_eq!(rows.len(), 7, "{table}");
    assert!(!rows.iter().any(|r| r.contains("boot.js")), "boot.js is inlined in index.html: {table}");
    assert!(!rows.iter().any(|r| r.contains(".css")), "the style is inlined in index.html: {table}");
    let wasm = std::fs::read_dir(root.join("dist"))
        .expect("dist/ reads")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with("_bg.wasm"))
        .expect("the wasm is in dist/");
    let raw = wasm.metadata().expect("its size").len();
    let wasm_row = rows.iter().find(|r| r.contains("_bg.wasm")).expect("a wasm row");
    assert!(wasm_row.replace(',', "").contains(&format!(" {raw} ")), "{wasm_row} gives the wasm's size {raw}");
    assert!(table.contains("**first load**"), "{table}");
}
