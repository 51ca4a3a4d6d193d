//! The bodies the fake sends, shaped like the captures in `fixtures/llu/` (llu-protocol.md sections 3–4).

use serde_json::{Value, json};
use shared::llu::{Region, StepKind, Ticket};
use shared::time::{DAY, UtcTime};

use super::model::{Account, DEFAULT_MIN_VERSION};

/// `{"status":0,"data":{"redirect":true,"region":…}}`.
pub fn redirect(region: Region) -> Value {
    json!({"status": 0, "data": {"redirect": true, "region": region.code()}})
}

/// Wrong e-mail or password (DiaBLE's wording; HTTP 200).
pub fn bad_credentials() -> Value {
    json!({"status": 2, "error": {"message": "incorrect username/password"}})
}

/// A login body without an e-mail or a password (NLU's `login-failed.json`; HTTP 200).
pub fn not_authenticated() -> Value {
    json!({"status": 2, "error": {"message": "notAuthenticated"}})
}

/// The lockout after three failures within 60 s (HTTP 200).
pub fn locked(failures: u32, interval_secs: i64, lockout_secs: i64) -> Value {
    json!({
        "status": 429,
        "data": {"code": 60, "data": {"failures": failures, "interval": interval_secs, "lockout": lockout_secs},
                 "message": "locked"},
    })
}

/// `{"status":911}`: maintenance, or a session used at a foreign regional host.
pub fn status_911() -> Value {
    json!({"status": 911})
}

/// LibreLinkUp 5's encrypted answer (llu-protocol.md 0): `data` a nonce, an AES-256-GCM ciphertext and a tag,
/// base64url, dot-separated, beside an RSA-PSS `signature`. Made-up bytes: nobody outside Abbott can read the real.
pub fn llu5_encrypted() -> Value {
    json!({
        "data": "bWFkZS11cC1ub25jZQ.bWFkZS11cC1jaXBoZXJ0ZXh0LW5vdC1yZWFsLWRhdGE.bWFkZS11cC10YWc",
        "signature": "bWFkZS11cC1zaWduYXR1cmUtbm90LWEtcmVhbC1vbmU",
    })
}

/// LibreLinkUp 5's error shape (HTTP 400), as DiaBLE recorded it at the new API's sign-in.
pub fn llu5_error() -> Value {
    json!({"code": 5, "errors": [{"error": "unsupported country in API region", "unsupported country": "IT"}]})
}

/// HTTP 401 on a missing, unknown, expired, revoked or wrong-kind token.
pub fn invalid_jwt() -> Value {
    json!({"message": "invalid or expired jwt"})
}

/// HTTP 403 when the `version` header is below the floor.
pub fn minimum_version(floor: &str) -> Value {
    json!({"data": {"minimumVersion": floor}, "status": 920})
}

/// HTTP 400 without `account-id`.
pub fn required_header_missing() -> Value {
    json!({"message": "RequiredHeaderMissing"})
}

/// HTTP 400 when `account-id` is not the token user's hash.
pub fn account_id_mismatch() -> Value {
    json!({"message": "AccountIdMismatch"})
}

/// HTTP 200: the patient is unknown here (wrong id or wrong regional host).
pub fn could_not_load_patient() -> Value {
    json!({"status": 4, "error": {"message": "couldNotLoadPatient"}})
}

/// HTTP 429's body (the outcome is decided by the status and `Retry-After`).
pub fn too_many_requests() -> Value {
    json!({"message": "Too Many Requests"})
}

/// HTTP 400 for a login body that is not JSON (LLU's answer is not captured; a plain LLU-style message).
pub fn bad_request() -> Value {
    json!({"message": "BadRequest"})
}

/// HTTP 404 for an unknown path.
pub fn not_found() -> Value {
    json!({"message": "NotFound"})
}

/// HTTP 405 for a known path with the wrong method.
pub fn method_not_allowed() -> Value {
    json!({"message": "MethodNotAllowed"})
}

/// HTTP 413 for a request body over the limit.
pub fn payload_too_large() -> Value {
    json!({"message": "PayloadTooLarge"})
}

fn ticket_json(t: &Ticket) -> Value {
    json!({"token": t.token, "expires": t.expires, "duration": t.duration})
}

/// The `step` object of a status-4 answer (PLU's `terms_of_use_response.json`, `privacy_policy_response.json`,
/// `email_verification_response.json`).
fn step_json(kind: &StepKind, email: &str) -> Value {
    match kind {
        StepKind::TermsOfUse => json!({
            "type": "tou", "componentName": "AcceptDocument",
            "props": {"reaccept": true, "titleKey": "Common.termsOfUse", "type": "tou"},
        }),
        StepKind::PrivacyPolicy => json!({
            "type": "pp", "componentName": "AcceptDocument",
            "props": {"reaccept": true, "titleKey": "Common.privacyPolicy", "type": "pp"},
        }),
        StepKind::VerifyEmail => {
            json!({"type": "verifyEmail", "componentName": "VerifyEmail", "props": {"email": email}})
        }
        StepKind::Other(other) => json!({"type": other, "componentName": "AcceptDocument", "props": {"type": other}}),
    }
}

/// A status-4 answer: the step, a user without `id`, and the 1-hour step token.
pub fn step(kind: &StepKind, account: &Account, ticket: &Ticket) -> Value {
    json!({
        "status": 4,
        "data": {
            "step": step_json(kind, &account.email),
            "user": {"accountType": "pat", "country": account.country, "uiLanguage": ui_language(&account.country)},
            "authTicket": ticket_json(ticket),
        },
    })
}

/// A successful login (or `/auth/continue/*`), shaped like NLU's `login.json`.
pub fn login_success(account: &Account, ticket: &Ticket, now: UtcTime) -> Value {
    let language = ui_language(&account.country);
    let created = (now - 400 * DAY).unix_secs();
    json!({
        "status": 0,
        "data": {
            "user": {
                "id": account.user_id,
                "firstName": account.first_name,
                "lastName": account.last_name,
                "email": account.email,
                "country": account.country,
                "uiLanguage": language,
                "communicationLanguage": language,
                "accountType": "pat",
                "uom": "1",
                "dateFormat": "2",
                "timeFormat": "2",
                "emailDay": [1],
                "system": {"messages": {"firstUsePhoenix": created, "lluNewFeatureModal": created}},
                "details": {},
                "twoFactor": {"primaryMethod": "", "primaryValue": "", "secondaryMethod": "", "secondaryValue": ""},
                "created": created,
                "lastLogin": now.unix_secs(),
                "programs": {},
                "dateOfBirth": 567_043_200,
                "practices": {},
                "devices": {},
                "consents": {"llu": {"policyAccept": created, "touAccept": created}},
            },
            "messages": {"unread": 0},
            "notifications": {"unresolved": 0},
            "authTicket": ticket_json(ticket),
            "invitations": null,
            "trustedDeviceToken": "",
        },
    })
}

/// A plausible UI language for a country.
fn ui_language(country: &str) -> String {
    match country {
        "DE" | "AT" => "de-DE".to_owned(),
        "FR" => "fr-FR".to_owned(),
        "GB" | "IE" => "en-GB".to_owned(),
        "NL" => "nl-NL".to_owned(),
        "CA" => "en-CA".to_owned(),
        _ => "en-US".to_owned(),
    }
}

/// Where LibreView keeps its legal documents (the country config links them).
const DOCUMENTS: &str = "https://files.libreview.io/files/documents/en-US";

/// `GET /llu/config/country`: the shape of LVU's `config_country.json`, trimmed, with every region's `lslApi`
/// pointing back at this server (`{base}/{code}/`, trailing slash) and the top-level `lslApi` being the host
/// that answered. Unlike the 2023 capture, `regionalMap` lists every regional code (`la`, `ru` and `cn`
/// included), because this fake serves them all.
pub fn country_config(base_url: &str, host: Region) -> Value {
    let regional = |r: Region| format!("{base_url}/{}/", r.code());
    let map: serde_json::Map<String, Value> = Region::ALL
        .into_iter()
        .filter(|r| *r != Region::Global)
        .map(|r| (r.code().to_owned(), json!({"lslApi": regional(r), "socketHub": format!("{}poll/", regional(r))})))
        .collect();
    let own = if host == Region::Global { format!("{base_url}/") } else { regional(host) };
    let countries: Vec<Value> = [
        ("australia", "AU"),
        ("austria", "AT"),
        ("canada", "CA"),
        ("france", "FR"),
        ("germany", "DE"),
        ("ireland", "IE"),
        ("japan", "JP"),
        ("netherlands", "NL"),
        ("uae", "AE"),
        ("unitedkingdom", "GB"),
        ("usa", "US"),
    ]
    .into_iter()
    .map(|(name, code)| json!({"DisplayMember": name, "ValueMember": code}))
    .collect();
    json!({
        "status": 0,
        "data": {
            "CaptureAnalytics": "false",
            "CountryList": {"countries": countries},
            "LSL-ServiceURL": format!("{own}lsl/api/"),
            "LibreLinkResourceKey": "freestyle_librelink",
            "MinVersion": DEFAULT_MIN_VERSION,
            "PartnerApplicationKeys": ["libreview", "librelinkup", "freestyle_librelink"],
            "ShowAlert": true,
            "SupportedLanguages": ["de", "de-DE", "en", "en-GB", "en-US", "fr", "fr-FR", "nl", "nl-NL"],
            "lluPrivacyPolicyHtml": {"default": format!("{DOCUMENTS}/pat-PP_2022-12-08.html")},
            "lluPrivacyPolicyVersions": {"default": "2022-12-13T08:00:00-08:00"},
            "lluToUHtml": {"default": format!("{DOCUMENTS}/LLU_EULA_2023-04-03.html")},
            "lluToUVersions": {"default": "2023-06-13T10:44:00-07:00"},
            "lslApi": own,
            "lv": "https://www.libreview.com",
            "minorityAge": 18,
            "regionalMap": map,
            "touDocId": "toullu",
            "pnDocId": "pnllu",
        },
    })
}

/// The Ray ID in the repository's capture of Cloudflare's block page.
pub const CAPTURED_RAY: &str = "8f1e2d3c4b5a6978-AMS";

/// Cloudflare's block page (what an IP ban looks like: HTTP 403, `text/html`): the repository's masked capture
/// (`fixtures/llu/edge_block.html`), with `ray` as its Ray ID.
pub fn edge_block_html(ray: &str) -> String {
    include_str!("../../../fixtures/llu/edge_block.html").replace(CAPTURED_RAY, ray)
}
