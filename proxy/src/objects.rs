//! Talking to a Durable Object: a message as JSON text (`wire`) in a POST, its answer's text back. Each feature's
//! typed client (`hub::ask`, `shares`' and `watch`'s) is a line over these.

use worker::{Env, Request, web_sys};

use crate::error::{ApiError, ApiResult};

/// Sends a message (JSON text, `wire::encode`) to the Durable Object `name` of namespace `binding` and reads its
/// answer's text. Not generic, so the worker carries it once.
pub async fn ask_object_text(env: &Env, binding: &str, name: &str, body: String) -> ApiResult<String> {
    let namespace = env
        .durable_object(binding)
        .map_err(|_| ApiError::not_configured(&format!("The {binding} Durable Object binding is missing.")))?;
    let stub = namespace.id_from_name(name).and_then(|id| id.get_stub()).map_err(|_| ApiError::internal())?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    let internal = web_sys::Request::new_with_str_and_init("https://object.internal/", &init)
        .map(Request::from)
        .map_err(|_| ApiError::internal())?;
    let mut response = stub.fetch_with_request(internal).await.map_err(|_| ApiError::internal())?;
    response.text().await.map_err(|_| ApiError::internal())
}

/// The other end of [`ask_object_text`]: a Durable Object's request, read through serde's derive
/// (`wire::from_json`); `None` when the body cannot be read or is not a `T`.
pub async fn object_message<T: serde::de::DeserializeOwned>(req: &mut Request) -> Option<T> {
    crate::wire::from_json(&req.text().await.ok()?)
}
