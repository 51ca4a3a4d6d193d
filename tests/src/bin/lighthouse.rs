//! `lighthouse`: Lighthouse's performance audit of the app, measured and reported, never asserted.
//!
//! It starts the fake LibreLinkUp and the real worker in workerd serving the built app (`dist/`, through
//! [`Stack::start`]), makes a family share link for a fake account's patient, and runs `tests/bench/lighthouse.mjs`:
//! Lighthouse's default mobile audit (slow 4G, 4× CPU slowdown, a 412 px phone) in headless Chromium of
//! the sign-in page a first-time visitor sees, the follow view a share link opens, and the follow view of a
//! signed-in phone that opens the app again. The results go to stdout as a Markdown table. `cargo xtask bench`
//! installs Lighthouse and runs this binary with `LIGHTHOUSE` set to its CLI; `LIGHTHOUSE_RUNS` (default 5) sets how
//! many times each page is audited, `LIGHTHOUSE_THROTTLING` (default `simulate,devtools`) with which methods and
//! `LIGHTHOUSE_PAGES` (default `sign-in,family-link,follow-reopened`) which pages.

use std::process::{Command, ExitCode};

use tidewatch_tests::Account;
use tidewatch_tests::stack::{Stack, root};

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
    let runs = std::env::var("LIGHTHOUSE_RUNS").unwrap_or_else(|_| "5".into());
    let stack = Stack::start(&[]).map_err(|e| e.to_string())?;
    let (email, password) = ("grandma-link@lighthouse.test", "lighthouse123");
    stack.fake.add_account(Account::new(email, password));
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let secret = runtime.block_on(stack.share_first_patient(email, password, "Grandma"))?;
    let out = root().join("target/lighthouse-reports");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let status = Command::new("node")
        .arg(root().join("tests/bench/lighthouse.mjs"))
        .arg(stack.url("/"))
        .arg(&secret)
        .arg(&out)
        .arg(&runs)
        .env("LIGHTHOUSE", cli)
        .status()
        .map_err(|e| format!("node: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("tests/bench/lighthouse.mjs failed: {status}")) }
}
