//! What the load runs read of the local runtime: the clock, and every `workerd` process's CPU time and memory from
//! `/proc` (Linux).

use std::time::{SystemTime, UNIX_EPOCH};

/// The real clock, Unix seconds.
pub fn real_now() -> i64 {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The `/proc` entries of every `workerd` process.
fn workerd_processes() -> impl Iterator<Item = std::path::PathBuf> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|comm| comm.trim() == "workerd"))
        .map(|e| e.path())
}

/// Nanoseconds every thread of every `workerd` process has spent on a CPU (`schedstat`).
pub fn cpu_ns() -> u64 {
    workerd_processes()
        .flat_map(|process| std::fs::read_dir(process.join("task")).into_iter().flatten().flatten())
        .filter_map(|task| {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum()
}

/// Resident memory of every `workerd` process, MB.
pub fn rss_mb() -> u64 {
    workerd_processes()
        .filter_map(|process| {
            let status = std::fs::read_to_string(process.join("status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum::<u64>()
        / 1024
}
