//! The Nightscout-compatible reads of a link (`/api/v1/entries`, `current`, `status`, `/pebble`), opened by the
//! link's own Nightscout token (`?token=`, or `api-secret`), never by the link's secret.

use serde_json::{Value, json};
use shared::nightscout;
use shared::time::UtcTime;
use shared::units::GlucoseUnit;
use worker::Request;

use shared::llu::graph_series;

use super::{no_share, open, read};
use crate::context::Ctx;
use crate::error::ApiResult;
use crate::hub::Data;
use crate::policy;
use crate::reply::Reply;
use crate::seal::sha256_hex;
use crate::shares::{Key, Share};
use crate::wire;

/// Nightscout's default and largest `count`.
const NS_DEFAULT_COUNT: usize = 10;
const NS_MAX_COUNT: usize = 1000;
/// The device name Nightscout entries carry.
const NS_DEVICE: &str = "tidewatch";

/// Which Nightscout read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Nightscout {
    /// `/api/v1/entries[.json]`, `/api/v1/entries/sgv[.json]`.
    Entries,
    /// `/api/v1/entries/current[.json]`.
    Current,
    /// `/api/v1/status[.json]`.
    Status,
    /// `/pebble`.
    Pebble,
}

/// The Nightscout-compatible reads of one share.
pub async fn nightscout(ctx: &Ctx, req: &Request, what: Nightscout) -> ApiResult<Reply> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    let api_secret = req.headers().get("api-secret").ok().flatten();
    let key = nightscout_key(query, api_secret.as_deref()).ok_or_else(no_share)?;
    let share = open(ctx, req, key).await?;
    let now = UtcTime::from_unix_secs(ctx.now);
    if what == Nightscout::Status {
        return Ok(Reply::json(status(&share, now)));
    }
    let (body, age_secs) = read(ctx, &share, Data::Graph(share.patient_id.clone()), false).await?;
    let series = graph_series(&body);
    let readings = series.as_slice();
    let count = |default: usize| {
        policy::query_value(query, "count")
            .and_then(|c| c.parse::<usize>().ok())
            .unwrap_or(default)
            .clamp(1, NS_MAX_COUNT)
    };
    let answer = match what {
        Nightscout::Entries => {
            let since = date_filter(query);
            wire::to_value(&nightscout::entries(readings, since, count(NS_DEFAULT_COUNT), NS_DEVICE))
        }
        Nightscout::Current => wire::to_value(&nightscout::entries(readings, None, 1, NS_DEVICE)),
        Nightscout::Pebble | Nightscout::Status => {
            let unit = match policy::query_value(query, "units") {
                Some("mmol") => GlucoseUnit::MmolL,
                _ => GlucoseUnit::MgDl,
            };
            wire::to_value(&nightscout::pebble(readings, now, count(1), unit))
        }
    };
    Ok(Reply::json(answer).with_header("age", age_secs.to_string()))
}

/// The key a Nightscout client presents: `?token=<token>`, or `api-secret` as the SHA-1 of the token (or, as some
/// clients send it, `token=<token>`). It opens a link's Nightscout token (or, for a link made before links had
/// one, the link's secret), never the link itself.
pub fn nightscout_key(query: &str, api_secret: Option<&str>) -> Option<Key> {
    if let Some(token) = policy::query_value(query, "token").filter(|t| !t.is_empty()) {
        return Some(Key::NightscoutSha256(sha256_hex(token)));
    }
    let header = api_secret?.trim();
    if let Some(token) = header.strip_prefix("token=") {
        return Some(Key::NightscoutSha256(sha256_hex(token)));
    }
    (header.len() == 40 && header.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Key::NightscoutSha1(header.to_ascii_lowercase()))
}

/// `find[date][$gte]` / `$gt` (epoch ms), percent-encoded or not, as an instant.
pub fn date_filter(query: &str) -> Option<UtcTime> {
    let names = [
        ("find[date][$gte]", 0),
        ("find%5Bdate%5D%5B%24gte%5D", 0),
        ("find[date][$gt]", 1),
        ("find%5Bdate%5D%5B%24gt%5D", 1),
    ];
    names.iter().find_map(|(name, after)| {
        let ms = policy::query_value(query, name)?.parse::<i64>().ok()?;
        // Readings are whole seconds: `$gt` of an instant starts one millisecond later, i.e. at the next second.
        Some(UtcTime::from_unix_millis(ms + after + 999))
    })
}

/// Nightscout's `status.json` for a share: enough for clients to see a live Nightscout-style server.
fn status(share: &Share, now: UtcTime) -> Value {
    json!({
        "status": "ok",
        "name": "Tidewatch",
        "version": env!("CARGO_PKG_VERSION"),
        "serverTime": now.to_iso8601(),
        "serverTimeEpoch": now.unix_millis(),
        "apiEnabled": true,
        "careportalEnabled": false,
        "boluscalcEnabled": false,
        "authorized": null,
        "settings": {
            "units": "mg/dl",
            "customTitle": format!("Tidewatch: {}", share.label),
            "alarmUrgentHigh": share.alarms,
            "alarmHigh": share.alarms,
            "alarmLow": share.alarms,
            "alarmUrgentLow": share.alarms,
            "thresholds": {"bgHigh": 250, "bgTargetTop": 180, "bgTargetBottom": 70, "bgLow": 55},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nightscout_clients_present_the_token_three_ways() {
        let by_token = Some(Key::NightscoutSha256(sha256_hex("s3cret")));
        assert_eq!(nightscout_key("count=5&token=s3cret", None), by_token);
        assert_eq!(nightscout_key("", Some("token=s3cret")), by_token);
        let sha1 = "fef341f85d87439e7d91a2d465b9871ef66b5e98".to_owned(); // SHA-1("s3cret")
        assert_eq!(nightscout_key("", Some(&sha1.to_ascii_uppercase())), Some(Key::NightscoutSha1(sha1)));
        assert_eq!(nightscout_key("count=5", None), None);
        assert_eq!(nightscout_key("", Some("not-a-hash")), None);
    }

    #[test]
    fn date_filters_in_either_encoding() {
        let at = UtcTime::from_unix_secs(1_700_000_000);
        assert_eq!(date_filter("find[date][$gte]=1700000000000"), Some(at));
        assert_eq!(date_filter("count=3&find%5Bdate%5D%5B%24gte%5D=1700000000000"), Some(at));
        assert_eq!(date_filter("find[date][$gte]=1699999999500"), Some(at), "rounded up to whole seconds");
        assert_eq!(date_filter("find[date][$gt]=1700000000000"), Some(at + 1));
        assert_eq!(date_filter("count=3"), None);
    }
}
