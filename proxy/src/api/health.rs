//! `GET /api/health`, for whoever runs the server: per LibreLinkUp region the last success and the last error (its
//! code and when), the app version sent and the one LibreLinkUp made the server adopt, and the alarms' round (how
//! many accounts' `Watcher`s, when the cron last came). Nothing in it names an account, a token or a person.
//!
//! The table is kept by the hubs (`hub::health`).

use serde_json::{Value, json};
use shared::time::UtcTime;

use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::{self, HubAnswer, HubRequest};
use crate::reply::Reply;
use crate::rounds::{self, RoundsAnswer, RoundsRequest};

/// `GET /api/health`.
pub async fn answer(ctx: &Ctx) -> ApiResult<Reply> {
    let HubAnswer::Health { table, adopted } = hub::ask(&ctx.env, hub::SETTINGS_OBJECT, &HubRequest::Health).await?
    else {
        return Err(ApiError::internal());
    };
    let alarms = match rounds::ask(&ctx.env, &RoundsRequest::Status).await {
        Ok(RoundsAnswer::Status { members, last_round_ms }) => json!({
            "accounts": members,
            "lastRound": last_round_ms.map(|ms| UtcTime::from_unix_millis(ms).to_iso8601()),
        }),
        _ => Value::Null,
    };
    Ok(Reply::json(json!({
        "ok": table.ok(),
        "version": {"sent": crate::upstream::effective_version(&ctx.config.version), "adopted": adopted},
        "librelinkup": table.to_json(),
        "alarms": alarms,
    })))
}
