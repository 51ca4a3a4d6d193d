//! The proxy's benchmarks (issue 3): the worker built as for a deploy, then the `proxy-bench` load generator
//! (`tests/src/bin/proxy-bench.rs`), which starts the fake LibreLinkUp and the worker in workerd itself and
//! prints its results as Markdown tables. Measurements only: nothing here fails on a number.

use crate::{cargo, run, say, worker};

/// `cargo xtask bench`'s proxy part: builds the worker, then runs `proxy-bench` (release) against it.
pub fn proxy_bench() -> crate::Result<()> {
    worker::build_worker()?;
    say("the proxy on loopback: added latency, upstream calls per viewer count (proxy-bench, about 3½ minutes)");
    run(&mut cargo(&["run", "--release", "-p", "tidewatch-tests", "--bin", "proxy-bench"]))
}
