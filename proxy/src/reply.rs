//! The one place where results become HTTP responses: an error becomes its JSON body, status and `Retry-After`,
//! and *then* every response, error or not, gets the security headers, CORS headers and `Cache-Control`.

use serde_json::Value;
use worker::{Headers, Response};

use crate::error::ApiResult;
use crate::policy::SECURITY_HEADERS;

/// A successful answer before headers are added.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Extra headers (`Set-Cookie`, `Age`).
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(body: Value) -> Reply {
        Reply { status: 200, body: Some(body), headers: Vec::new() }
    }

    /// 204 with no body (CORS preflights).
    pub fn no_content() -> Reply {
        Reply { status: 204, body: None, headers: Vec::new() }
    }

    /// The same reply with one more header.
    #[must_use]
    pub fn with_header(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

/// Turns a handler's result into the response, with every header every response must carry.
pub fn finish(result: ApiResult<Reply>, cors: &[(&'static str, String)]) -> worker::Result<Response> {
    let reply = match result {
        Ok(reply) => reply,
        Err(error) => {
            let (error, detail) = error.for_caller();
            if let Some(detail) = detail {
                worker::console_error!("not configured: {detail}");
            }
            let mut reply = Reply { status: error.http, body: Some(error.body()), headers: Vec::new() };
            if let Some(secs) = error.retry_after_secs {
                reply.headers.push(("retry-after", secs.to_string()));
            }
            reply
        }
    };
    let headers = Headers::new();
    if reply.body.is_some() {
        headers.set("content-type", "application/json; charset=utf-8")?;
    }
    headers.set("cache-control", "no-store")?;
    for (name, value) in SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    for (name, value) in cors.iter().chain(&reply.headers) {
        headers.append(name, value)?;
    }
    let body = reply.body.map(|b| serde_json::to_vec(&b).unwrap_or_default()).unwrap_or_default();
    let response = if reply.status == 204 { Response::empty()? } else { Response::from_bytes(body)? };
    Ok(response.with_status(reply.status).with_headers(headers))
}
