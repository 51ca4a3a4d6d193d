//! Building and running the worker (`proxy/`) with the pinned tools, so that nothing is downloaded from GitHub:
//! worker-build is pointed at our wasm-bindgen, wasm-opt (binaryen 132 from npm) and esbuild (toolchain.md).

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, root, run, say, tools};

/// worker-build must match the `worker` crate.
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// wrangler pinned for Node 20 (toolchain.md).
const WRANGLER_VERSION: &str = "4.86.0";
/// wasm-opt features the worker's wasm uses: Rust 1.95's wasm32 defaults, and exception handling for the
/// catch wrappers worker-build's wasm-bindgen writes (its panic recovery).
const WASM_FEATURES: [&str; 7] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-exception-handling",
];
/// The one wasm-opt pass over the worker (worker-build's own `-O` is off in `proxy/Cargo.toml`). Binaryen inlines
/// a function with one caller whatever its size; capped at 20 bytes, the upload is 13 KB gzip smaller (236,866 ->
/// 223,516 B at 4c874a8; BENCHMARKS.md), though a little larger raw: big merged functions compress worse. Functions
/// in name order put a type's and a module's code side by side for gzip (another 1.2 KB).
const WASM_OPT: [&str; 4] =
    ["-Oz", "--one-caller-inline-max-function-size=20", "--converge", "--reorder-functions-by-name"];

/// A tool from `node_modules/.bin`.
pub fn node_bin(name: &str) -> PathBuf {
    root().join("node_modules/.bin").join(name)
}

/// `npm ci` when wrangler (and so the rest of `package-lock.json`) is missing or at another version.
pub fn npm_tools() -> Result<()> {
    let reported = tools::output(&node_bin("wrangler").to_string_lossy(), &["--version"]).unwrap_or_default();
    let installed = |package: &str| root().join("node_modules").join(package).join("package.json").exists();
    if reported.lines().any(|l| l.trim() == WRANGLER_VERSION)
        && node_bin("wasm-opt").exists()
        && installed("playwright-core")
        && installed("axe-core")
    {
        return Ok(());
    }
    if tools::output("npm", &["--version"]).is_none() {
        tools::apt(&[("/usr/bin/npm", "npm")])?;
    }
    say("installing npm tools from package-lock.json (wrangler, binaryen, esbuild, playwright-core, axe-core)");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// Everything `build_worker` needs.
fn worker_tools() -> Result<()> {
    tools::rustup_target("wasm32-unknown-unknown")?;
    tools::cargo_tool("worker-build", "worker-build", Some(WORKER_BUILD_VERSION), true)?;
    tools::cargo_tool("wasm-bindgen", "wasm-bindgen-cli", Some(tools::WASM_BINDGEN_VERSION), false)?;
    npm_tools()
}

/// `cargo xtask build-worker`: worker-build (release) into `proxy/build/`, then wasm-opt ([`WASM_OPT`]) without
/// the name section (worker-build keeps debug names: a third of the bundle).
pub fn build_worker() -> Result<()> {
    let wasm = build_worker_crate("proxy")?;
    let raw = fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    println!("worker wasm: {raw} bytes (gzip size: `cargo xtask bench`)");
    Ok(())
}

/// worker-build (release) of the workers-rs crate at `dir` (from the root) into `dir/build/`, then the one wasm-opt
/// pass; the path of its wasm. The worker and the hello world its startup is compared with are built alike.
pub fn build_worker_crate(dir: &str) -> Result<PathBuf> {
    worker_tools()?;
    say(&format!("building a worker (worker-build --release {dir})"));
    let wasm_bindgen = tools::output("which", &["wasm-bindgen"]).ok_or("wasm-bindgen is not on PATH")?;
    run(Command::new("worker-build")
        .args(["--release", dir])
        .current_dir(root())
        .env("WASM_BINDGEN_BIN", wasm_bindgen)
        .env("WASM_OPT_BIN", node_bin("wasm-opt"))
        .env("ESBUILD_BIN", node_bin("esbuild")))?;
    let wasm = root().join(dir).join("build/index_bg.wasm");
    run(Command::new(node_bin("wasm-opt"))
        .args(WASM_OPT)
        .args(WASM_FEATURES)
        .args(["--strip-debug", "--strip-producers"])
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    Ok(wasm)
}

/// Writes `.dev.vars` with what is missing of a fresh random `SESSION_KEY` and a fresh VAPID key pair (Web Push);
/// what is there already is kept.
pub fn dev_vars() -> Result<()> {
    let path = root().join(".dev.vars");
    let mut text = fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Local secrets for `wrangler dev` (never committed). Production: `npx wrangler secret put NAME` for each.\n"
            .to_owned()
    });
    let has = |text: &str, name: &str| text.lines().any(|l| l.trim_start().starts_with(&format!("{name}=")));
    let mut added = Vec::new();
    if !has(&text, "SESSION_KEY") {
        text.push_str(&format!("SESSION_KEY={}\n", random_hex(32)?));
        added.push("a random SESSION_KEY");
    }
    if !has(&text, "VAPID_PRIVATE_KEY") {
        let (private, public) = vapid_pair()?;
        text.push_str(&format!("VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n"));
        added.push("a VAPID key pair");
    }
    if added.is_empty() {
        return Ok(());
    }
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    say(&format!("wrote {} into .dev.vars", added.join(" and ")));
    Ok(())
}

/// A fresh P-256 key pair for VAPID (RFC 8292) from Node's crypto (the xtask stays std-only): the private
/// scalar and the uncompressed public point, both base64url, as web-push libraries write them.
pub fn vapid_pair() -> Result<(String, String)> {
    let script = "const {privateKey} = require('crypto').generateKeyPairSync('ec', {namedCurve: 'prime256v1'});\
                  const j = privateKey.export({format: 'jwk'});\
                  const point = Buffer.concat([Buffer.from([4]), Buffer.from(j.x, 'base64url'), Buffer.from(j.y, 'base64url')]);\
                  console.log(j.d + ' ' + point.toString('base64url'));";
    let out = tools::output("node", &["-e", script]).ok_or("node could not make a VAPID key pair")?;
    let mut words = out.split_whitespace();
    match (words.next(), words.next()) {
        (Some(private), Some(public)) if private.len() == 43 && public.len() == 87 => {
            Ok((private.to_owned(), public.to_owned()))
        }
        _ => Err(format!("unexpected VAPID key pair from node: {out}")),
    }
}

/// `bytes` random bytes from the OS, as hex.
pub fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0; bytes];
    fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).map_err(|e| e.to_string())?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `wrangler` with telemetry off and its state kept inside the project.
pub fn wrangler(args: &[&str]) -> Command {
    let mut cmd = Command::new(node_bin("wrangler"));
    cmd.args(args).current_dir(root());
    wrangler_env(&mut cmd, &root());
    cmd
}

/// The environment that keeps wrangler quiet and local.
pub fn wrangler_env(cmd: &mut Command, root: &Path) {
    let home = root.join("target/wrangler-home");
    cmd.env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_TELEMETRY_DISABLED", "1")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"));
}

/// Prints the sizes of the files a deploy would upload (raw and gzip, via the system's `gzip`).
pub fn report_bundle(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let raw = fs::metadata(&path).map_err(|e| e.to_string())?.len();
        let gzip = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .output()
            .map(|out| out.stdout.len())
            .map_err(|e| e.to_string())?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!("deploy bundle: {name}: {raw} bytes raw, {gzip} bytes gzip");
    }
    Ok(())
}

/// `wrangler deploy --dry-run`: builds the upload bundle without an account; returns its directory.
pub fn dry_run() -> Result<PathBuf> {
    let out = root().join("target/deploy-dry-run");
    say("wrangler deploy --dry-run (the bundle a deploy would upload)");
    run(&mut wrangler(&["deploy", "--dry-run", "--outdir", &out.to_string_lossy()]))?;
    Ok(out)
}
