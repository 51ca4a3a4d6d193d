//! `cargo xtask dev`: build everything that exists and serve it. Until the worker and the app exist it says so.

use crate::Result;

/// Runs the dev task.
pub fn dev(_args: &[String]) -> Result<()> {
    println!("Tidewatch dev: the worker (proxy/) and the app (app/) are not built yet; only `shared` exists.");
    Ok(())
}
