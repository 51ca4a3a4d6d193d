//! Tidewatch's task runner: the commands the README shows (`cargo xtask dev`, `cargo xtask test`) and the ones
//! engineers use (`cargo xtask bench`, `cargo xtask fuzz`). Each task installs what it needs on a fresh machine,
//! skipping what is already there at the right version. Std only, so it builds in seconds.

/// Building the app with Trunk and versioning its service worker.
mod app;
/// `cargo xtask dev`.
mod dev;
/// The proxy's benchmarks: the worker in workerd against the fake LibreLinkUp.
mod proxy_bench;
/// The PyPI LibreLinkUp clients the integration tests drive, in their own venv.
mod python;
/// Installing tools only when missing.
mod tools;
/// Building and running the worker with the pinned tools.
mod worker;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// A task's error: what failed, for a person.
type Result<T> = std::result::Result<T, String>;

const USAGE: &str = "usage: cargo xtask <command>

  dev [--fake]     build the worker and serve it with the app on http://127.0.0.1:8787 (see README);
                   --fake starts the fake LibreLinkUp server on :9000 and points the worker at it
  build            build the app into dist/ and the worker into proxy/build/ (wrangler.toml's build command)
  build-worker     build only the worker
  test             every test the project has: fmt, clippy, native tests (unit, property, fixture),
                   the benchmarks' code in test mode, and a wasm32 build of `shared`
  bench            criterion benchmarks natively, the same workload and the session seal in headless Chromium
                   (wasm), then the proxy in workerd against the fake LibreLinkUp (latency, upstream calls)
  bench startup    only the worker's startup in V8, beside a workers-rs hello world built the same way
  fuzz [SECONDS]   run each cargo-fuzz target of `shared` for SECONDS (default 60) on nightly
  vapid            print a fresh VAPID key pair for Web Push (for `npx wrangler secret put`)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("dev") => dev::dev(args.get(1..).unwrap_or_default()),
        Some("bench") if args.get(1).is_some_and(|a| a == "startup") => startup(),
        Some("bench") => bench(),
        Some("build") => build(),
        Some("build-worker") => worker::build_worker(),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        Some("vapid") => worker::vapid_pair().map(|(private, public)| {
            println!("VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}");
            println!("\nProduction: `npx wrangler secret put VAPID_PRIVATE_KEY` (paste the private key), and set");
            println!("VAPID_PUBLIC_KEY (a var or a secret) and VAPID_SUBJECT (mailto: or https:) the same way.");
        }),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (this crate's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A line saying what is happening.
fn say(what: &str) {
    println!("\n== xtask: {what}");
}

/// Runs a command in the workspace root; a non-zero exit is an error.
fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.current_dir(root()).status().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    status.success().then_some(()).ok_or_else(|| format!("{cmd:?} exited with {status}"))
}

/// `cargo` with the given arguments.
fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(args);
    cmd
}

/// Test counts added up over every `cargo test` run.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    /// Runs `cargo test` (or another libtest runner), echoing its output and adding up its result lines.
    fn run(&mut self, cmd: &mut Command) -> Result<()> {
        let mut child =
            cmd.current_dir(root()).stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(std::io::Result::ok) {
                println!("{line}");
                self.add(&line);
            }
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        status.success().then_some(()).ok_or_else(|| format!("{cmd:?} exited with {status}"))
    }

    /// Adds `test result: ok. 12 passed; 0 failed; 1 ignored; ...`.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else { return };
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) {
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.ignored += n,
                    _ => {}
                }
            }
        }
    }
}

/// `cargo xtask test`: everything, failing on the first red step.
fn test() -> Result<()> {
    let started = Instant::now();
    tools::rustup_target("wasm32-unknown-unknown")?;
    tools::rustup_components(&["rustfmt", "clippy"])?;
    let mut tally = Tally::default();

    say("format (cargo fmt --check)");
    run(&mut cargo(&["fmt", "--all", "--check"]))?;
    say("lints (cargo clippy, warnings are errors), natively and for the worker's wasm32 target");
    run(&mut cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    // The worker's library as deployed; the push crate and the app with their wasm32 tests too.
    for (package, all_targets) in [("tidewatch-proxy", false), ("tidewatch-push", true), ("tidewatch-app", true)] {
        let mut args = vec!["clippy", "-p", package, "--target", "wasm32-unknown-unknown"];
        if all_targets {
            args.push("--all-targets");
        }
        args.extend(["--", "-D", "warnings"]);
        run(&mut cargo(&args))?;
    }
    say("the app and the worker (dist/ and proxy/build/, served by wrangler in the integration tests)");
    build()?;
    say("the PyPI LibreLinkUp clients (pylibrelinkup, libre-linkup-py) in target/pyclients-venv");
    let python = python::python_clients()?;
    // The native tests drive the app end to end in Chromium (tests/e2e/app.mjs): install it first on a new machine.
    tools::apt(&[("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver")])?;
    say("native tests: unit, property, golden fixture tests, the worker in workerd against the fake LibreLinkUp, \
         and the benchmarks run once as tests");
    tally.run(cargo(&["test", "--workspace", "--all-targets"]).env("TIDEWATCH_PYTHON", &python))?;
    // The extra set: the real, masked LibreLinkUp captures beside the checkout, when they are there.
    if root().join("../shared/fixtures/llu").is_dir() {
        say("the extra set: the real LibreLinkUp captures beside the checkout (../shared/fixtures/llu)");
        tally.run(&mut cargo(&["test", "-p", "tidewatch-shared", "--lib", "--tests", "--", "--ignored"]))?;
    } else {
        say("the extra set not run: no ../shared/fixtures/llu beside the checkout (the repository's own fixtures ran)");
    }
    say("the app's components in headless Chromium (wasm-bindgen-test)");
    tally.run(&mut chromium_test("tidewatch-app", "components", false)?)?;
    tally.run(&mut chromium_test("tidewatch-app", "graph_bench", false)?)?;
    say("Web Push over WebCrypto in headless Chromium: RFC 8291 Appendix A byte for byte, VAPID signatures");
    tally.run(&mut chromium_test("tidewatch-push", "vectors", false)?)?;
    say("the share book read back from Durable Object storage, as written now and by earlier versions (wasm, Node)");
    tally.run(&mut chromium_test("tidewatch-proxy", "stored_book", false)?)?;
    say("doc tests");
    tally.run(&mut cargo(&["test", "--workspace", "--doc"]))?;
    say("shared builds for wasm32-unknown-unknown (release profile, as the PWA ships it)");
    run(&mut cargo(&["build", "-p", "tidewatch-shared", "--lib", "--release", "--target", "wasm32-unknown-unknown"]))?;
    let bundle = worker::dry_run()?;
    worker::report_bundle(&bundle)?;

    println!("\nxtask test: all steps green in {:.0?}", started.elapsed());
    println!("{} passed, {} failed, {} skipped", tally.passed, tally.failed, tally.ignored);
    if tally.failed > 0 || tally.passed == 0 {
        return Err("no test ran, or a test failed".into());
    }
    Ok(())
}

/// `cargo xtask build`: the app with Trunk, then the worker: everything `wrangler dev`/`deploy` serves.
fn build() -> Result<()> {
    app::build_app()?;
    worker::build_worker()
}

/// `cargo xtask bench`: criterion natively, then the same workload compiled to wasm and run in Chromium.
fn bench() -> Result<()> {
    say("native benchmarks (criterion)");
    run(&mut cargo(&["bench", "-p", "tidewatch-shared", "--bench", "domain"]))?;

    say("the same workload as wasm in headless Chromium");
    let in_chromium = |package: &str, test: &str| run(&mut chromium_test(package, test, true)?);
    in_chromium("tidewatch-shared", "wasm_bench")?;
    say("the app's graph and statistics with 14 days of 1-minute data in headless Chromium");
    in_chromium("tidewatch-app", "graph_bench")?;
    say("sealed sessions: RustCrypto against WebCrypto in headless Chromium");
    in_chromium("tidewatch-proxy", "seal_bench")?;
    say("the proxy in workerd against the fake LibreLinkUp: added latency, req/s, upstream calls per minute");
    proxy_bench::proxy_bench()?;
    startup()?;
    say("background alarms: the Watcher's own work per minute (native), one push's WebCrypto cost (Chromium)");
    run(&mut cargo(&["bench", "-p", "tidewatch-proxy", "--bench", "tick"]))?;
    in_chromium("tidewatch-push", "bench")?;
    say("background alarms: CPU and wall time of one cron run for 0, 1, 10 and 100 phones in workerd, push sizes");
    run(&mut cargo(&["run", "--release", "-p", "tidewatch-tests", "--bin", "push-bench"]))?;
    say("background alarms of 1,000 families of 3 phones in workerd (one Watcher per account)");
    run(&mut cargo(&["run", "--release", "-p", "tidewatch-tests", "--bin", "families-load"]))?;
    app::build_app()?;
    say("the app's first-load transfer: every file a first visit fetches, gzip -9 and brotli 11");
    run(Command::new("node").arg(root().join("tests/bench/first-load.mjs")).arg(root().join("dist")))?;
    say("Lighthouse (mobile: simulated slow 4G, 4x CPU) on the app served by the worker");
    let cli = app::lighthouse()?;
    run(cargo(&["run", "--release", "-p", "tidewatch-tests", "--bin", "lighthouse"]).env("LIGHTHOUSE", cli))
}

/// The worker's startup (compiling and instantiating its wasm) in Chromium's V8, beside a workers-rs hello world
/// built the same way (`tests/bench/hello-worker`), each in fresh browsers (`tests/bench/startup.mjs`).
fn startup() -> Result<()> {
    let hello = worker::build_worker_crate("tests/bench/hello-worker")?;
    let tidewatch = worker::build_worker_crate("proxy")?;
    tools::apt(&[("/usr/bin/chromium", "chromium")])?;
    say("the worker's startup in V8 (compile and instantiate its wasm), beside a workers-rs hello world");
    let scratch = root().join("target/chromium-tmp");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    run(Command::new("node")
        .arg(root().join("tests/bench/startup.mjs"))
        .arg(format!("hello world={}", hello.display()))
        .arg(format!("tidewatch={}", tidewatch.display()))
        .env("TMPDIR", scratch))
}

/// `cargo test` of one wasm32 test target in headless Chromium (wasm-bindgen-test-runner and chromedriver,
/// installed when missing).
fn chromium_test(package: &str, test: &str, release: bool) -> Result<Command> {
    tools::rustup_target("wasm32-unknown-unknown")?;
    tools::apt(&[("/usr/bin/chromium", "chromium"), ("/usr/bin/chromedriver", "chromium-driver")])?;
    tools::cargo_tool("wasm-bindgen-test-runner", "wasm-bindgen-cli", Some(tools::WASM_BINDGEN_VERSION), false)?;
    let webdriver = root().join("shared/tests/webdriver.json");
    // chromedriver leaves an 80 MB profile in $TMPDIR when the runner ends it: kept under target/ and emptied
    // here, so runs never fill the machine's /tmp.
    let scratch = root().join("target/chromium-tmp");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let mut cmd = cargo(&["test", "-p", package, "--target", "wasm32-unknown-unknown", "--test", test]);
    if release {
        cmd.arg("--release");
    }
    cmd.args(["--", "--nocapture"])
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", "wasm-bindgen-test-runner")
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "300")
        .env("TMPDIR", scratch);
    Ok(cmd)
}

/// `cargo xtask fuzz [SECONDS]`: every cargo-fuzz target, one after the other, on nightly.
fn fuzz(seconds: Option<&str>) -> Result<()> {
    let seconds: u64 = seconds.unwrap_or("60").parse().map_err(|_| "fuzz takes a number of seconds".to_string())?;
    if !tools::has_toolchain("nightly") {
        say("installing the nightly toolchain (cargo fuzz needs it)");
        run(Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    tools::cargo_tool("cargo-fuzz", "cargo-fuzz", None, true)?;
    let fuzz_dir = root().join("shared/fuzz");
    let targets = tools::output("cargo", &["+nightly", "fuzz", "list", "--fuzz-dir", &fuzz_dir.to_string_lossy()])
        .ok_or("cargo fuzz list failed")?;
    for target in targets.lines().map(str::trim).filter(|t| !t.is_empty()) {
        say(&format!("fuzzing {target} for {seconds} s"));
        // `cargo` here is rustup's proxy (not $CARGO), which understands `+nightly`.
        run(Command::new("cargo")
            .args(["+nightly", "fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-print_final_stats=1"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn tally_adds_libtest_result_lines() {
        let mut t = Tally::default();
        t.add("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.06s");
        t.add("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out");
        t.add("running 5 tests");
        assert_eq!((t.passed, t.failed, t.ignored), (15, 2, 1));
    }
}
