//! Installing what the tasks need, each thing only when it is missing or at the wrong version. A fresh machine
//! reaches only the package registries (crates.io, npm, Debian), so nothing here downloads from anywhere else.

use std::path::Path;
use std::process::Command;

use crate::{Result, run, say};

/// The wasm-bindgen CLI must equal the `wasm-bindgen` crate in `Cargo.lock`.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

/// wasm_split_cli_support, whose `wasm-split-cli` splits the app's wasm at its `wasm_split` points when it is linked
/// (`app/build/wasm-link.sh`). Its format must match the `wasm_split_helpers` that Leptos uses (0.2 in `Cargo.lock`).
pub const WASM_SPLIT_VERSION: &str = "0.2.4";

/// `wasm-split-cli`, installed from crates.io into `target/tools/wasm-split-<version>` when missing (it has no
/// `--version` to check, so the versioned directory is the check).
pub fn wasm_split_cli() -> Result<std::path::PathBuf> {
    let prefix = crate::root().join("target/tools").join(format!("wasm-split-{WASM_SPLIT_VERSION}"));
    let bin = prefix.join("bin/wasm-split-cli");
    if bin.exists() {
        return Ok(bin);
    }
    say(&format!("installing wasm_split_cli_support {WASM_SPLIT_VERSION} (a few minutes, once)"));
    run(Command::new("cargo")
        .args(["install", "--locked", "wasm_split_cli_support", "--version", WASM_SPLIT_VERSION])
        .args(["--features", "build-binary", "--root"])
        .arg(&prefix))?;
    Ok(bin)
}

/// Adds a rustup target when it is not installed.
pub fn rustup_target(target: &str) -> Result<()> {
    let installed = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    say(&format!("installing the Rust target {target}"));
    run(Command::new("rustup").args(["target", "add", target]))
}

/// Adds rustup components (e.g. `rustfmt`, `clippy`) that are not installed.
pub fn rustup_components(components: &[&str]) -> Result<()> {
    let installed = output("rustup", &["component", "list", "--installed"]).unwrap_or_default();
    let missing: Vec<&str> =
        components.iter().copied().filter(|c| !installed.lines().any(|l| l.split('-').next() == Some(c))).collect();
    if missing.is_empty() {
        return Ok(());
    }
    say(&format!("installing Rust components: {}", missing.join(" ")));
    run(Command::new("rustup").args(["component", "add"]).args(&missing))
}

/// Whether a rustup toolchain (e.g. `nightly`) is installed.
pub fn has_toolchain(name: &str) -> bool {
    output("rustup", &["toolchain", "list"]).map(|out| out.lines().any(|l| l.starts_with(name))).unwrap_or(false)
}

/// Installs a cargo tool unless `bin --version` already reports `version` (any version when `None`).
/// `locked` is false only for crates whose own lock file pins something the registry no longer has.
pub fn cargo_tool(bin: &str, krate: &str, version: Option<&str>, locked: bool) -> Result<()> {
    let reported = output(bin, &["--version"]);
    let ok = match (&reported, version) {
        (Some(text), Some(v)) => text.split_whitespace().any(|word| word == v),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if ok {
        return Ok(());
    }
    say(&format!("installing {krate} {} (a few minutes, once)", version.unwrap_or("(latest)")));
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate]);
    if let Some(v) = version {
        cmd.args(["--version", v]);
    }
    if locked {
        cmd.arg("--locked");
    }
    run(&mut cmd)
}

/// Installs Debian packages whose files are missing: pairs of (a path the package provides, the package).
pub fn apt(needs: &[(&str, &str)]) -> Result<()> {
    let missing: Vec<&str> = needs.iter().filter(|(path, _)| !Path::new(path).exists()).map(|(_, pkg)| *pkg).collect();
    if missing.is_empty() {
        return Ok(());
    }
    say(&format!("installing Debian packages: {}", missing.join(" ")));
    let root = output("id", &["-u"]).is_some_and(|uid| uid.trim() == "0");
    let apt_get = |args: &[&str]| {
        let mut cmd = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    run(&mut apt_get(&["update", "-qq"]))?;
    let mut install = apt_get(&["install", "-y", "-qq"]);
    install.args(&missing);
    run(&mut install)
}

/// The trimmed standard output of a command that succeeded, or `None`.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
