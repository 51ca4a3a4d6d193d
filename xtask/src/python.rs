//! The real LibreLinkUp clients from PyPI that the integration tests drive through the worker
//! (`tests/clients/*.py`), pinned, in a virtual environment of their own at `target/pyclients-venv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::output;
use crate::{Result, root, run, say};

/// The PyPI packages and the versions the client scripts were written against.
pub const PACKAGES: [(&str, &str); 5] = [
    ("pylibrelinkup", "0.11.2"),
    ("libre-linkup-py", "0.2.5"),
    ("py-nightscout", "1.3.3"),
    // Independent Web Push checks (`tests/clients/push_tool.py`): decrypting RFC 8291, verifying RFC 8292.
    ("http-ece", "1.2.1"),
    ("py-vapid", "1.9.6"),
];

/// Where the virtual environment lives, relative to the workspace root.
const VENV: &str = "target/pyclients-venv";

/// Makes sure `target/pyclients-venv` exists with exactly [`PACKAGES`] installed and returns its `python`.
/// Creates the venv (`python3 -m venv`) only when it is missing or broken, and runs pip only when a pinned
/// version differs from what is installed. Needs PyPI, and nothing else, the first time.
pub fn python_clients() -> Result<PathBuf> {
    let venv = root().join(VENV);
    let python = venv.join("bin/python");
    let wanted = pinned_versions();
    if installed_versions(&python).as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    if output(&python.to_string_lossy(), &["--version"]).is_none() {
        create_venv(&venv)?;
    }
    let specs: Vec<String> = PACKAGES.iter().map(|(name, version)| format!("{name}=={version}")).collect();
    say(&format!("installing the Python LibreLinkUp clients into {VENV}: {}", specs.join(" ")));
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"])
        .args(&specs))?;
    match installed_versions(&python) {
        Some(found) if found == wanted => Ok(python),
        found => Err(format!(
            "{VENV} should have {wanted} after pip install, but has {}",
            found.unwrap_or_else(|| "none of them".into())
        )),
    }
}

/// `python3 -m venv --clear DIR`, installing Debian's `python3` and `python3-venv` first if that fails.
fn create_venv(venv: &Path) -> Result<()> {
    say(&format!("creating the Python virtual environment {VENV}"));
    let create = |python: &str| run(Command::new(python).args(["-m", "venv", "--clear"]).arg(venv));
    if create("python3").is_ok() {
        return Ok(());
    }
    crate::tools::apt(&[("/usr/bin/python3", "python3"), ("/usr/share/doc/python3-venv", "python3-venv")])?;
    create("/usr/bin/python3")
}

/// The pins as `name==version` words, the way [`installed_versions`] prints what it finds.
fn pinned_versions() -> String {
    PACKAGES.iter().map(|(name, version)| format!("{name}=={version}")).collect::<Vec<_>>().join(" ")
}

/// What the venv's python has installed of [`PACKAGES`], as `name==version` words; `None` if the python does not
/// run or a package is missing.
fn installed_versions(python: &Path) -> Option<String> {
    if !python.exists() {
        return None;
    }
    let names: Vec<String> = PACKAGES.iter().map(|(name, _)| format!("{name:?}")).collect();
    let script = format!(
        "import importlib.metadata as m\nprint(' '.join(n + '==' + m.version(n) for n in [{}]))",
        names.join(", ")
    );
    output(&python.to_string_lossy(), &["-c", &script])
}
