//! Request bodies: read whole up to a limit (the rest drained, never kept), and as JSON.

use serde_json::Value;
use worker::Request;

use crate::error::{ApiError, ApiResult};
use crate::policy::MAX_REQUEST_BYTES;

/// A JSON request body (`None` when it is not UTF-8 JSON).
pub fn body_json(body: &[u8]) -> Option<Value> {
    crate::wire::parse(std::str::from_utf8(body).ok()?)
}

/// Reads a request body of at most [`MAX_REQUEST_BYTES`].
pub async fn read_body(req: &mut Request) -> ApiResult<Vec<u8>> {
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_REQUEST_BYTES as u64) {
        return Err(ApiError::payload_too_large(MAX_REQUEST_BYTES));
    }
    let mut body = Vec::new();
    let mut too_large = false;
    let Ok(mut stream) = req.stream() else { return Ok(body) };
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("The request body could not be read."))?;
        // Past the limit the rest is read and dropped, never kept: answering before the body is consumed makes
        // the local runtime (workerd under wrangler dev) fail under concurrent load.
        too_large |= body.len() + chunk.len() > MAX_REQUEST_BYTES;
        if !too_large {
            body.extend_from_slice(&chunk);
        }
    }
    if too_large { Err(ApiError::payload_too_large(MAX_REQUEST_BYTES)) } else { Ok(body) }
}
