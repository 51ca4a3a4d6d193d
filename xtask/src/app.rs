//! Building the follower app (`app/`) with Trunk into `dist/`, which wrangler serves beside the worker, and
//! versioning its service worker: Trunk's file hash is taken before wasm-opt (toolchain.md), so the cache name is
//! a hash of the final files and the precache list is the final file names.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::worker::{node_bin, npm_tools};
use crate::{Result, root, run, say, tools};

/// Trunk 0.21.14: 0.22 needs a newer rustc (toolchain.md).
const TRUNK_VERSION: &str = "0.21.14";

/// Lighthouse 12: 13 needs Node 22.19, and the pinned wrangler runs on Node 20 (toolchain.md).
const LIGHTHOUSE_VERSION: &str = "12.8.2";

/// Lighthouse's CLI, installed from npm into `target/lighthouse` when missing (a benchmark tool, so not in
/// package.json: CI does not download it).
pub fn lighthouse() -> Result<PathBuf> {
    let prefix = root().join("target/lighthouse");
    let cli = prefix.join("node_modules/lighthouse/cli/index.js");
    let manifest = prefix.join("node_modules/lighthouse/package.json");
    let wanted = format!("\"version\": \"{LIGHTHOUSE_VERSION}\"");
    if !fs::read_to_string(&manifest).is_ok_and(|m| m.contains(&wanted)) {
        say(&format!("installing lighthouse {LIGHTHOUSE_VERSION} into target/lighthouse (npm)"));
        fs::create_dir_all(&prefix).map_err(|e| e.to_string())?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("lighthouse@{LIGHTHOUSE_VERSION}")))?;
    }
    Ok(cli)
}

/// `dist/`, Trunk's output and wrangler's assets directory.
pub fn dist() -> PathBuf {
    root().join("dist")
}

/// Trunk, wasm-bindgen, wasm-split-cli, wasm-opt (npm) and the wasm32 target; returns wasm-split-cli's path.
pub fn app_tools() -> Result<PathBuf> {
    tools::rustup_target("wasm32-unknown-unknown")?;
    tools::cargo_tool("trunk", "trunk", Some(TRUNK_VERSION), true)?;
    tools::cargo_tool("wasm-bindgen", "wasm-bindgen-cli", Some(tools::WASM_BINDGEN_VERSION), false)?;
    let splitter = tools::wasm_split_cli()?;
    npm_tools()?;
    Ok(splitter)
}

/// `trunk build` (release, offline, with binaryen 132 from npm on PATH, and the splitter for the linker and the
/// post-build hook), then the service worker's version.
pub fn build_app() -> Result<()> {
    let splitter = app_tools()?;
    say("building the app (trunk build --release into dist/)");
    let bin = node_bin("wasm-opt");
    let node_dir = bin.parent().map(Path::to_path_buf).unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(node_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|e| e.to_string())?;
    run(Command::new("trunk")
        .arg("build")
        .env("PATH", path)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("WASM_SPLIT_CLI", splitter)
        .env("WASM_OPT_BIN", &bin)
        .env("ESBUILD_BIN", node_bin("esbuild")))?;
    version_service_worker(&dist())
}

/// Writes the build id (a hash of every other file in `dist`) and the precache list into `dist/sw.js`.
pub fn version_service_worker(dist: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect(dist, dist, &mut files)?;
    files.sort();
    let mut hash = Fnv::default();
    let mut precache = vec!["\"/\"".to_owned()];
    for rel in files.iter().filter(|f| !matches!(f.as_str(), "sw.js" | "_headers")) {
        hash.write(rel.as_bytes());
        hash.write(&fs::read(dist.join(rel)).map_err(|e| format!("{rel}: {e}"))?);
        if rel != "index.html" {
            precache.push(format!("\"/{rel}\""));
        }
    }
    let sw_path = dist.join("sw.js");
    let sw = fs::read_to_string(&sw_path).map_err(|e| format!("{}: {e}", sw_path.display()))?;
    if !sw.contains("__TIDEWATCH_BUILD__") {
        return Err("dist/sw.js has no __TIDEWATCH_BUILD__ placeholder (already versioned?)".into());
    }
    let build = format!("{:016x}", hash.0);
    let sw = sw
        .replace("__TIDEWATCH_BUILD__", &build)
        .replace("__TIDEWATCH_PRECACHE__", &format!("[{}]", precache.join(", ")));
    fs::write(&sw_path, sw).map_err(|e| e.to_string())?;
    println!("app: service worker version {build}, {} files precached", precache.len());
    Ok(())
}

/// Every file under `dir`, as paths relative to `base` with `/` separators.
fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// FNV-1a, 64 bit: a version id for the cache name, not a security hash (xtask stays std-only).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
