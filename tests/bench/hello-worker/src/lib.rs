//! The smallest workers-rs worker: one answer to every request. `cargo xtask bench` builds it exactly as it builds
//! Tidewatch's and measures both starting up in V8, so the worker's own share of its startup can be read.

use worker::{Context, Env, Request, Response, Result, event};

/// Every request: "hello".
#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::ok("hello")
}
