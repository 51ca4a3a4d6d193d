//! What a link's viewer reads: the shared patient's graph and logbook (`/api/share/…`), with the first glance
//! `boot.js` draws before the app's code has loaded.

use serde_json::{Value, json};
use shared::code::Code;
use shared::glance;
use shared::llu::graph_series;
use shared::time::UtcTime;
use shared::units::GlucoseUnit;
use worker::Request;

use super::{no_share, open, read, share_secret};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::hub::Data;
use crate::policy;
use crate::reply::Reply;
use crate::seal::sha256_hex;
use crate::shares::Key;

/// `GET /api/share/graph` and `/api/share/logbook`: LLU's envelope for the shared patient, plus what the
/// viewer's page shows about the share.
pub async fn view(ctx: &Ctx, req: &Request, logbook: bool) -> ApiResult<Reply> {
    let secret = share_secret(req).ok_or_else(no_share)?;
    let share = open(ctx, req, Key::Sha256(sha256_hex(&secret))).await?;
    // The logbook is the patient's alarm history: only for a link that shares alarms.
    if logbook && !share.alarms {
        return Err(ApiError::new(403, Code::LogbookNotShared, "Whoever shared this link did not share alarms."));
    }
    let data = if logbook { Data::Logbook(share.patient_id.clone()) } else { Data::Graph(share.patient_id.clone()) };
    let (mut body, age_secs) = read(ctx, &share, data, crate::sessions::opened(req)).await?;
    crate::redact::for_viewer(&mut body);
    let glance = if logbook {
        None
    } else {
        glance_unit(req).map(|unit| first_glance(&body, ctx.now, unit, (&share.label, &share.from)))
    };
    if let Some(envelope) = body.as_object_mut() {
        envelope.remove("ticket");
        if let Some(glance) = glance {
            envelope.insert("glance".into(), glance);
        }
        envelope.insert(
            "share".into(),
            json!({
                "label": share.label,
                "from": share.from,
                "alarms": share.alarms,
                "expiresAt": UtcTime::from_unix_secs(share.expires).to_iso8601(),
            }),
        );
    }
    Ok(Reply::json(body).with_header("age", age_secs.to_string()))
}

/// The unit of `?glance=` (`mgdl` or `mmoll`) on a viewer's graph read: `boot.js` asks for the glance with a
/// link's first answer, in the unit the device shows.
fn glance_unit(req: &Request) -> Option<GlucoseUnit> {
    let url = req.inner().url();
    let (_, query) = policy::origin_and_query(&url);
    match policy::query_value(query, "glance")? {
        "mgdl" => Some(GlucoseUnit::MgDl),
        "mmoll" => Some(GlucoseUnit::MmolL),
        _ => None,
    }
}

/// The glance as the app would draw it for this answer at `now` (`shared::glance`), as text for `boot.js`: a share
/// link's first look at the value does not wait for the app's code. The patient is named as the app names them,
/// and `sharedBy` is the app's line for the share's `(label, from)`.
pub fn first_glance(body: &Value, now: i64, unit: GlucoseUnit, names: (&str, &str)) -> Value {
    let g = glance::glance(&graph_series(body), UtcTime::from_unix_secs(now), unit);
    let connection = body.get("data").and_then(|d| d.get("connection"));
    let name = |field| connection.and_then(|c| c.get(field)).and_then(Value::as_str).unwrap_or_default();
    json!({
        "patient": shared::llu::display_name(name("firstName"), name("lastName")),
        "sharedBy": glance::shared_by(Some(names)),
        "value": g.value,
        "unit": g.unit,
        "arrow": g.arrow,
        "arrowLabel": g.arrow_label,
        "delta": g.marked_delta(),
        "footnote": g.footnote(),
        "age": g.age,
        "freshness": g.freshness_class(),
        "state": g.state_text(),
        "tone": g.tone.class(),
        "toneWords": g.tone.words(),
        "spoken": g.spoken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link's first look and the app's glance say the same thing: the worker's text for LibreLinkUp answers (mg/dL
    /// and mmol/L patients) equals `shared::glance` on the app's typed path (`GraphData::readings`), when current
    /// and once the reading has gone stale.
    #[test]
    fn the_first_glance_is_the_apps_glance() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/llu/");
        for file in ["graph_mgdl.json", "graph_mmol.json"] {
            let text = std::fs::read_to_string(format!("{dir}{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
            let body: Value = serde_json::from_str(&text).unwrap();
            let typed: shared::llu::Envelope<shared::llu::GraphData> = serde_json::from_str(&text).unwrap();
            let graph = typed.data.unwrap();
            let series = graph.readings().series;
            let newest = series.newest().unwrap().at;
            for (unit, later) in [(GlucoseUnit::MgDl, 60), (GlucoseUnit::MmolL, 60), (GlucoseUnit::MgDl, 20 * 60)] {
                let now = newest.unix_secs() + later;
                let app = glance::glance(&series, UtcTime::from_unix_secs(now), unit);
                let first = first_glance(&body, now, unit, ("Grandma", "Alex"));
                assert_eq!(first["value"], app.value, "{file}");
                assert_eq!(first["unit"], app.unit);
                assert_eq!(first["arrow"], app.arrow);
                assert_eq!(first["arrowLabel"], app.arrow_label);
                assert_eq!(first["delta"], json!(app.marked_delta()));
                assert_eq!(first["footnote"], json!(app.footnote()));
                assert_eq!(first["sharedBy"], "Shared with Grandma by Alex · read-only");
                assert_eq!(first["age"], app.age);
                assert_eq!(first["freshness"], app.freshness_class());
                assert_eq!(first["state"], json!(app.state_text()));
                assert_eq!(first["tone"], app.tone.class());
                assert_eq!(first["spoken"], app.spoken);
                let name = shared::llu::display_name(&graph.connection.first_name, &graph.connection.last_name);
                assert_eq!(first["patient"], name);
            }
            let stale = first_glance(&body, newest.unix_secs() + 20 * 60, GlucoseUnit::MgDl, ("Grandma", "Alex"));
            assert_eq!((stale["freshness"].as_str(), stale["tone"].as_str()), (Some("stale"), Some("tone-stale")));
        }
        let empty = first_glance(
            &json!({"status": 0, "data": {"connection": {}, "graphData": []}}),
            0,
            GlucoseUnit::MgDl,
            ("a", "b"),
        );
        assert_eq!((empty["value"].as_str(), empty["freshness"].as_str()), (Some("---"), Some("no-data")));
        assert_eq!(empty["patient"], "Patient");
        let html = first_glance(&Value::String("<html>".into()), 0, GlucoseUnit::MgDl, ("a", "b"));
        assert_eq!(html["freshness"], "no-data");
    }
}
