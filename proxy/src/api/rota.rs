//! `/api/push/rota`, `/api/push/duty` and `/api/push/alarm-test`: the family's night shift over HTTP. The owner reads and sets each
//! patient's rota (who gets an alarm first, the turns, the wait); a phone in the rota says "I take over" with its
//! `{id, key}`. One handler for the three (each reads what it needs, then asks the account's `Watcher` once; one
//! future instead of three is 2 KB less worker), and `watch::rota` does the rest.

use serde_json::{Value, json};
use worker::Request;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::reply::Reply;
use crate::rounds;
use crate::route;
use crate::watch::client::{ask_watch, holder_object};
use crate::watch::requests::{WatchAnswer, WatchRequest};
use crate::wire;
use shared::code::Code;

/// Which of the three.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Asking {
    /// `GET /api/push/rota`: each of the owner's patients that has phones, its rota, who is on duty, the alarms
    /// going round and the night log.
    Read,
    /// `POST /api/push/rota` `{"patientId", "rota": Rota | null}`: the owner sets (or removes) a patient's rota.
    Set,
    /// `POST /api/push/duty` `{"id", "key", "hours"?}`: "I take over" (12 hours unless it says) from a phone in
    /// the rota.
    TakeOver,
    /// `POST /api/push/alarm-test` `{"patientId", "alarmTest": {"minute", "utcOffsetMin"} | null}`: the owner sets
    /// (or removes) the patient's daily alarm test.
    SetAlarmTest,
}

/// The three requests.
pub async fn answer(ctx: &Ctx, req: &mut Request, asking: Asking) -> ApiResult<Reply> {
    let (object, request) = match asking {
        Asking::Read => {
            let holder = super::push::holder(ctx, req).await?;
            (holder_object(&holder), WatchRequest::Rotas { holder })
        }
        Asking::SetAlarmTest => {
            let holder = super::push::holder(ctx, req).await?;
            let body = body(req).await?;
            let patient_id = patient_of(&body)?;
            let test = match body.get("alarmTest") {
                None | Some(Value::Null) => None,
                Some(test) => Some(wire::from_value(test).ok_or_else(|| {
                    ApiError::bad_request("\"alarmTest\" is {\"minute\", \"utcOffsetMin\"} or null.")
                })?),
            };
            let request = WatchRequest::SetAlarmTest { holder: holder.clone(), patient_id, test };
            (holder_object(&holder), request)
        }
        Asking::Set => {
            let holder = super::push::holder(ctx, req).await?;
            let body = body(req).await?;
            let patient_id = patient_of(&body)?;
            let patient_id = patient_id.as_str();
            let rota = match body.get("rota") {
                None | Some(Value::Null) => None,
                Some(rota) => Some(
                    wire::from_value(rota)
                        .ok_or_else(|| ApiError::bad_request("\"rota\" is not a rota (its people, turns, wait)."))?,
                ),
            };
            let request = WatchRequest::SetRota { holder: holder.clone(), patient_id: patient_id.to_owned(), rota };
            (holder_object(&holder), request)
        }
        Asking::TakeOver => {
            let body = body(req).await?;
            let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
            let (id, key) = (text("id"), text("key"));
            let hours = body.get("hours").and_then(Value::as_i64).unwrap_or(12);
            let object = route::object_of_phone(&id, rounds::LEGACY_WATCHER)
                .ok_or_else(|| ApiError::new(404, Code::PushNotFound, "This phone is not subscribed any more."))?;
            (object, WatchRequest::TakeOver { id, key, hours })
        }
    };
    match ask_watch(&ctx.env, &object, &request).await? {
        WatchAnswer::Rotas(rotas) => Ok(Reply::json(json!({ "rotas": rotas }))),
        WatchAnswer::Done(_) => Ok(Reply::json(json!({ "ok": true }))),
        _ => Err(ApiError::internal()),
    }
}

/// The body's `patientId`, LibreLinkUp's id of a patient, or a clear 400.
fn patient_of(body: &Value) -> ApiResult<String> {
    let patient_id = body.get("patientId").and_then(Value::as_str).unwrap_or_default();
    if !crate::policy::is_patient_id(patient_id) {
        return Err(ApiError::bad_request("Send {\"patientId\", …}: LibreLinkUp's patient id."));
    }
    Ok(patient_id.to_ascii_lowercase())
}

/// The request's JSON body (an object), or a clear 400.
async fn body(req: &mut Request) -> ApiResult<Value> {
    let body = crate::body::read_body(req).await?;
    crate::body::body_json(&body).filter(Value::is_object).ok_or_else(|| ApiError::bad_request("Send a JSON object."))
}
