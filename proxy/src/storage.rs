//! Durable Object storage as the worker's objects use it: values are JSON text (no `serde_wasm_bindgen` in
//! between), read by key prefix, and written in batches of at most [`KEYS_PER_CALL`] keys, every call issued before
//! any is awaited: the runtime coalesces writes with no `await` between them into one atomic write, so an object
//! is never stored half old, half new.

use std::future::Future;
use std::pin::Pin;

use worker::{ListOptions, Storage};

use crate::error::{ApiError, ApiResult};

/// The most keys one Durable Object storage call takes (`put` of several entries, `delete` of several keys), as
/// Cloudflare documents it (the local runtime does not enforce it).
pub const KEYS_PER_CALL: usize = 128;

/// Every `(key, text)` stored under keys starting with `prefix` (every key for `""`); a value that is not text is
/// left out (the caller decides what a missing value means).
pub async fn read_all(storage: &Storage, prefix: &str) -> ApiResult<Vec<(String, String)>> {
    let map = if prefix.is_empty() {
        storage.list().await
    } else {
        storage.list_with_options(ListOptions::new().prefix(prefix)).await
    }
    .map_err(|_| ApiError::internal())?;
    let mut values = Vec::new();
    map.for_each(&mut |value, key| {
        if let (Some(key), Some(text)) = (key.as_string(), value.as_string()) {
            values.push((key, text));
        }
    });
    Ok(values)
}

/// Puts every `(key, text)` and deletes every key of `deletes`, as one atomic write (see the module's note).
pub async fn write(storage: &Storage, puts: &[(String, String)], deletes: &[String]) -> ApiResult<()> {
    if puts.is_empty() && deletes.is_empty() {
        return Ok(());
    }
    let mut objects = Vec::new();
    for (n, (key, text)) in puts.iter().enumerate() {
        if n % KEYS_PER_CALL == 0 {
            objects.push(js_sys::Object::new());
        }
        let object = objects.last().ok_or_else(ApiError::internal)?;
        js_sys::Reflect::set(object, &key.into(), &text.into()).map_err(|_| ApiError::internal())?;
    }
    let mut writes: Vec<Pin<Box<dyn Future<Output = worker::Result<()>> + '_>>> = Vec::new();
    for object in objects {
        writes.push(Box::pin(storage.put_multiple_raw(object)));
    }
    for keys in deletes.chunks(KEYS_PER_CALL) {
        let keys = keys.to_vec();
        writes.push(Box::pin(async move { storage.delete_multiple(keys).await.map(|_| ()) }));
    }
    if futures::future::join_all(writes).await.iter().any(Result::is_err) {
        return Err(ApiError::internal());
    }
    Ok(())
}

/// Sets the object's alarm for the instant `at_ms` (Unix ms). workers-rs reads a bare number as milliseconds from
/// now, not as an instant, so the instant is turned into that offset here (an instant passed as is would set the
/// alarm decades away, and it would never ring).
pub async fn set_alarm_at(storage: &Storage, at_ms: i64) -> ApiResult<()> {
    let offset_ms = (at_ms - worker::Date::now().as_millis() as i64).max(0);
    storage.set_alarm(offset_ms).await.map_err(|_| ApiError::internal())
}
