//! `lighthouse`: Lighthouse's performance audit of the app, measured and reported, never asserted.
//!
//! It starts the fake LibreLinkUp and the real worker in workerd serving the built app (`dist/`, through
//! [`Stack::start`]) and runs Lighthouse's default mobile audit (simulated slow 4G, 4× CPU slowdown, a 412 px
//! phone) in headless Chromium twice: the sign-in page a first-time visitor sees, and the follow view of a
//! signed-in family (the demo patient, with the session cookie the worker set). The results go to stdout as a
//! Markdown table. `cargo xtask bench` installs Lighthouse and runs this binary with `LIGHTHOUSE` set to its CLI.

use std::process::{Command, ExitCode};

use serde_json::Value;
use tidewatch_tests::stack::Stack;

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lighthouse: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let cli = std::env::var("LIGHTHOUSE").map_err(|_| "set LIGHTHOUSE to Lighthouse's cli/index.js")?;
    let stack = Stack::start(&[]).map_err(|e| e.to_string())?;
    let cookie = demo_cookie(&stack)?;
    let out = tidewatch_tests::stack::root().join("target/lighthouse-reports");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let headers = out.join("signed-in-headers.json");
    std::fs::write(&headers, serde_json::json!({ "Cookie": cookie }).to_string()).map_err(|e| e.to_string())?;

    println!("| page | performance | FCP | LCP | TBT | CLS | Speed Index | bytes (as served) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, extra) in [("sign-in (first visit)", None), ("follow view (signed in, demo)", Some(&headers))] {
        let report = out.join(format!("{}.json", name.split(' ').next().unwrap_or("page")));
        let mut cmd = Command::new("node");
        cmd.arg(&cli)
            .arg(stack.url("/"))
            .args(["--quiet", "--only-categories=performance", "--output=json"])
            .arg("--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run")
            .arg(format!("--output-path={}", report.display()))
            .env("CHROME_PATH", std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
        if let Some(headers) = extra {
            cmd.arg(format!("--extra-headers={}", headers.display()));
        }
        let status = cmd.status().map_err(|e| format!("node: {e}"))?;
        if !status.success() {
            return Err(format!("lighthouse failed on {name}: {status}"));
        }
        let text = std::fs::read_to_string(&report).map_err(|e| e.to_string())?;
        let json: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let number = |pointer: &str| json.pointer(pointer).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let audit = |key: &str| number(&format!("/audits/{key}/numericValue"));
        println!(
            "| {name} | {:.2} | {:.0} ms | {:.0} ms | {:.0} ms | {:.3} | {:.0} ms | {:.0} |",
            number("/categories/performance/score"),
            audit("first-contentful-paint"),
            audit("largest-contentful-paint"),
            audit("total-blocking-time"),
            audit("cumulative-layout-shift"),
            audit("speed-index"),
            audit("total-byte-weight"),
        );
    }
    println!("\nReports: {}", out.display());
    Ok(())
}

/// A signed-in session for the demo patient: the `tw_session` cookie `POST /api/demo` sets.
fn demo_cookie(stack: &Stack) -> Result<String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let response =
            reqwest::Client::new().post(stack.url("/api/demo")).send().await.map_err(|e| format!("demo: {e}"))?;
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("tw_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
            .ok_or_else(|| "the demo set no session cookie".to_owned())
    })
}
