//! The classification rules, case by case, and its properties over any input.

use super::*;
use proptest::prelude::*;

const CF_HTML: &str = "<!DOCTYPE html>\n<html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>";

fn run(endpoint: Endpoint, status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    classify(endpoint, status, headers, body.as_bytes())
}

#[test]
fn classifies_the_documented_cases() {
    use Endpoint::*;
    let json = [("content-type", "application/json"), ("CF-RAY", "8f00-FRA")];
    type Case<'a> = (Endpoint, u16, &'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case<'_>] = &[
        (Login, 200, &json, r#"{"status":2,"error":{"message":"incorrect username/password"}}"#, "bad_credentials"),
        (Login, 401, &[], "", "bad_credentials"),
        (Login, 401, &json, r#"{"message":"Unauthorized"}"#, "bad_credentials"),
        (Login, 401, &json, r#"{"message":"invalid or expired jwt"}"#, "bad_credentials"),
        (Login, 401, &[], CF_HTML, "bad_credentials"),
        (Connections, 401, &json, r#"{"message":"Unauthorized"}"#, "invalid_token"),
        (Connections, 401, &[], "", "invalid_token"),
        (Graph, 401, &json, r#"{"message":"invalid or expired jwt"}"#, "invalid_token"),
        (ContinueStep, 401, &json, r#"{"message":"Invalid Or Expired JWT"}"#, "invalid_token"),
        (Graph, 200, &json, r#"{"message":"MissingCachedUser"}"#, "missing_cached_user"),
        (
            Login,
            200,
            &json,
            r#"{"status":429,"data":{"code":60,"data":{"failures":3,"interval":60,"lockout":300},"message":"locked"}}"#,
            "locked",
        ),
        (Login, 429, &json, r#"{"status":429,"data":{"code":60,"data":{"lockout":120},"message":"locked"}}"#, "locked"),
        (Connections, 429, &[("Retry-After", "30")], "", "rate_limited"),
        (Connections, 429, &[], "<html>1015 rate limited</html>", "rate_limited"),
        (Connections, 200, &json, r#"{"status":429}"#, "rate_limited"),
        (Connections, 403, &json, r#"{"data":{"minimumVersion":"4.16.0"},"status":920}"#, "minimum_version"),
        (Login, 200, &json, r#"{"data":{"minimumVersion":"4.7.0"},"status":920}"#, "minimum_version"),
        (Connections, 403, &[], CF_HTML, "edge_blocked"),
        (Connections, 200, &[], CF_HTML, "edge_blocked"),
        (Login, 403, &[("content-type", "text/html; charset=UTF-8")], "blocked", "edge_blocked"),
        (Login, 403, &[], "Forbidden", "edge_blocked"),
        (Login, 430, &json, r#"{"status":0}"#, "accept_new_documents"),
        (Connections, 200, &json, r#"{"data":"bm9uY2U.Y2lwaGVy.dGFn","signature":"c2ln"}"#, "protocol_changed"),
        (Login, 400, &json, r#"{"code":1001,"errors":[{"message":"x"}]}"#, "protocol_changed"),
        (Connections, 200, &json, r#"{"status":0,"data":"a.b.c"}"#, "malformed"),
        (Connections, 503, &[("cf-mitigated", "challenge")], r#"{"x":1}"#, "edge_blocked"),
        (Connections, 200, &[("cf-ray", "1")], "error code: 1020", "edge_blocked"),
        (Connections, 400, &json, r#"{"message":"RequiredHeaderMissing"}"#, "required_header_missing"),
        (Connections, 400, &json, r#"{"message":"AccountIdMismatch"}"#, "account_id_mismatch"),
        (Graph, 200, &json, r#"{"status":4,"error":{"message":"couldNotLoadPatient"}}"#, "patient_not_found"),
        (Graph, 200, &json, r#"{"status":4,"error":{"message":"followerNotConnectToPatient"}}"#, "not_connected"),
        (Graph, 200, &json, r#"{"status":4,"error":{"message":"somethingNew"}}"#, "unexpected"),
        (Login, 200, &json, r#"{"status":911}"#, "maintenance"),
        (Login, 911, &[], "", "maintenance"),
        (Login, 200, &json, r#"{"status":0,"data":{"redirect":true,"region":"EU2"}}"#, "redirect"),
        (Login, 200, &json, r#"{"status":0,"data":{"redirect":true,"region":"mars"}}"#, "unknown_region"),
        (Login, 200, &json, r#"{"status":0,"data":{"redirect":true}}"#, "malformed"),
        (
            Login,
            200,
            &json,
            r#"{"status":4,"data":{"step":{"type":"tou"},"authTicket":{"token":"t","expires":1,"duration":3600000}}}"#,
            "step_required",
        ),
        (Login, 200, &json, r#"{"status":4,"data":{"step":{"type":7}}}"#, "malformed"),
        (Other, 400, &json, r#"{"message":"ProductMismatch"}"#, "unexpected"),
        (
            Login,
            400,
            &json,
            r#"{"code":5,"errors":[{"error":"unsupported country in API region"}]}"#,
            "protocol_changed",
        ),
        (Other, 200, &json, r#"{"status":2,"error":{"message":"failedToLoadHistory"}}"#, "unexpected"),
        (ContinueStep, 200, &json, r#"{"status":2,"error":{"message":"notAuthenticated"}}"#, "invalid_token"),
        (Connections, 200, &json, r#"{"status":1}"#, "unexpected"),
        (Connections, 200, &json, r#"{"status":0,"data":[]}"#, "success"),
        (Connections, 200, &json, r#"{"status":0,"data":{}}"#, "malformed"),
        (Connections, 200, &json, r#"{"status":0}"#, "malformed"),
        (Connections, 200, &json, r#"{"data":"nonce.cipher.tag","signature":"x"}"#, "protocol_changed"),
        (Other, 200, &json, r#"{"status":0}"#, "success"),
        (Connections, 500, &json, "", "unavailable"),
        (Connections, 502, &[], "Bad Gateway", "unavailable"),
        (Connections, 500, &json, r#"{"status":3}"#, "unavailable"),
        (Connections, 404, &[], "Not Found", "unexpected"),
        (Connections, 200, &json, "", "malformed"),
        (Connections, 200, &[("cf-ray", "1")], "", "malformed"),
        (Connections, 200, &[("cf-ray", "1")], "\x00\x01binary", "edge_blocked"),
        (Connections, 200, &json, "   \n", "malformed"),
        (Connections, 200, &json, r#"{"status":0,"data":["#, "malformed"),
        (Connections, 200, &json, "null", "malformed"),
        (Connections, 200, &json, "42", "malformed"),
        (Connections, 200, &json, "[1,2]", "malformed"),
        (Connections, 200, &json, "\"status\"", "malformed"),
    ];
    for (endpoint, status, headers, body, want) in cases {
        let got = run(*endpoint, *status, headers, body);
        assert_eq!(got.code(), *want, "{endpoint:?} {status} {body:?} -> {got:?}");
    }
}

#[test]
fn carries_the_numbers_that_matter() {
    let locked =
        r#"{"status":429,"data":{"code":60,"data":{"failures":3,"interval":60,"lockout":120},"message":"locked"}}"#;
    assert_eq!(run(Endpoint::Login, 200, &[], locked), Outcome::Locked { retry_after_secs: 120 });
    assert_eq!(run(Endpoint::Login, 200, &[], r#"{"status":429}"#), Outcome::Locked { retry_after_secs: 300 });
    let retry = |v: &str| run(Endpoint::Graph, 429, &[("retry-after", v)], "");
    assert_eq!(retry("30"), Outcome::RateLimited { retry_after_secs: 30 });
    assert_eq!(retry(" 7 "), Outcome::RateLimited { retry_after_secs: 7 });
    assert_eq!(retry("0"), Outcome::RateLimited { retry_after_secs: 1 });
    assert_eq!(retry("99999999999"), Outcome::RateLimited { retry_after_secs: MAX_WAIT_SECS });
    assert_eq!(
        retry("Wed, 21 Oct 2015 07:28:00 GMT"),
        Outcome::RateLimited { retry_after_secs: DEFAULT_RATE_LIMIT_SECS }
    );
    assert_eq!(retry("-5"), Outcome::RateLimited { retry_after_secs: DEFAULT_RATE_LIMIT_SECS });
    let version =
        |v: &str| run(Endpoint::Connections, 403, &[], &format!(r#"{{"data":{{"minimumVersion":{v}}},"status":920}}"#));
    assert_eq!(version("\"4.16.0\""), Outcome::MinimumVersion { version: Some("4.16.0".into()) });
    assert_eq!(version("\"4.7\""), Outcome::MinimumVersion { version: Some("4.7".into()) });
    for bad in ["\"4.16.0\\r\\nx-evil: 1\"", "\"\"", "\"v4\"", "4.16", "null", "\"1.2.3.4.5\""] {
        assert_eq!(version(bad), Outcome::MinimumVersion { version: None }, "{bad}");
    }
    let step = r#"{"status":4,"data":{"step":{"type":"pp"},"authTicket":{"token":"abc","expires":1752938161,"duration":3600000}}}"#;
    match run(Endpoint::ContinueStep, 200, &[], step) {
        Outcome::Step { kind: StepKind::PrivacyPolicy, ticket: Some(t) } => {
            assert_eq!((t.token.as_str(), t.expires, t.duration), ("abc", 1_752_938_161, 3_600_000));
        }
        other => panic!("{other:?}"),
    }
    let new_step = r#"{"status":4,"data":{"step":{"type":"mfa"}}}"#;
    assert_eq!(
        run(Endpoint::Login, 200, &[], new_step),
        Outcome::Step { kind: StepKind::Other("mfa".into()), ticket: None }
    );
}

#[test]
fn success_keeps_the_fresh_ticket() {
    let body = r#"{"status":0,"data":[],"ticket":{"token":"new","expires":1700000000,"duration":15552000000}}"#;
    match run(Endpoint::Connections, 200, &[], body) {
        Outcome::Success { ticket: Some(t), payload: Payload::Connections(c) } => {
            assert_eq!(t.token, "new");
            assert!(c.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn retry_policy() {
    let cases = [
        (Outcome::BadCredentials, Retry::Never, false),
        (Outcome::InvalidToken, Retry::AfterLogin, true),
        (Outcome::MissingCachedUser, Retry::AfterLogin, true),
        (Outcome::Locked { retry_after_secs: 300 }, Retry::AfterSecs(300), true),
        (Outcome::MinimumVersion { version: None }, Retry::WithNewVersion, true),
        (Outcome::Step { kind: StepKind::TermsOfUse, ticket: None }, Retry::AfterUserAction, false),
        (Outcome::EdgeBlocked, Retry::AfterSecs(EDGE_BLOCK_RETRY_SECS), true),
        (Outcome::NewDocuments, Retry::AfterSecs(NEW_DOCUMENTS_RETRY_SECS), true),
        (Outcome::ProtocolChanged { encrypted: true }, Retry::AfterSecs(PROTOCOL_CHANGED_RETRY_SECS), true),
        (Outcome::PatientNotFound, Retry::Never, false),
        (Outcome::Redirect { region: Region::De }, Retry::NotNeeded, false),
    ];
    for (outcome, retry, auto) in cases {
        assert_eq!(outcome.retry(), retry, "{outcome:?}");
        assert_eq!(outcome.may_retry_automatically(), auto, "{outcome:?}");
    }
    assert!(Outcome::InvalidToken.needs_login() && !Outcome::BadCredentials.needs_login());
}

#[test]
fn hostile_bodies() {
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(classify(Endpoint::Graph, 200, &[], &huge), malformed(MalformedReason::TooLarge));
    let mut ten_mb = b"{\"status\":0,\"data\":\"".to_vec();
    ten_mb.resize(10 * 1024 * 1024, b'a');
    assert_eq!(classify(Endpoint::Graph, 200, &[], &ten_mb), malformed(MalformedReason::TooLarge));
    let mut html = b"<html>".to_vec();
    html.resize(10 * 1024 * 1024, b'x');
    assert_eq!(classify(Endpoint::Graph, 403, &[], &html), Outcome::EdgeBlocked);
    let deep = "[".repeat(100_000);
    assert_eq!(run(Endpoint::Graph, 200, &[], &deep), malformed(MalformedReason::NotJson));
    let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_eq!(classify(Endpoint::Graph, 200, &[], &junk), malformed(MalformedReason::NotJson));
    assert_eq!(classify(Endpoint::Graph, 200, &[], b"\xEF\xBB\xBF{\"status\":911}"), Outcome::Maintenance);
    let bad_utf8 = b"{\"status\":0,\"data\":\"\xff\"}";
    assert_eq!(classify(Endpoint::Other, 200, &[], bad_utf8), malformed(MalformedReason::NotJson));
    let long = format!(r#"{{"message":"{}"}}"#, "é".repeat(10_000));
    match run(Endpoint::Other, 400, &[], &long) {
        Outcome::Unexpected { message, .. } => assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_code_is_distinct() {
    let all = [
        Outcome::Success { ticket: None, payload: Payload::Other(Value::Null) },
        Outcome::Redirect { region: Region::Eu },
        Outcome::UnknownRegion { region: String::new() },
        Outcome::Step { kind: StepKind::VerifyEmail, ticket: None },
        Outcome::BadCredentials,
        Outcome::Locked { retry_after_secs: 1 },
        Outcome::MinimumVersion { version: None },
        Outcome::RequiredHeaderMissing,
        Outcome::AccountIdMismatch,
        Outcome::InvalidToken,
        Outcome::MissingCachedUser,
        Outcome::PatientNotFound,
        Outcome::NotConnected,
        Outcome::Maintenance,
        Outcome::EdgeBlocked,
        Outcome::RateLimited { retry_after_secs: 1 },
        Outcome::Unavailable { http_status: 500 },
        Outcome::Unexpected { http_status: 400, message: String::new() },
        Outcome::Malformed { reason: MalformedReason::Empty },
    ];
    let mut codes: Vec<_> = all.iter().map(Outcome::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        Just(Endpoint::Login),
        Just(Endpoint::ContinueStep),
        Just(Endpoint::Connections),
        Just(Endpoint::Graph),
        Just(Endpoint::Logbook),
        Just(Endpoint::CountryConfig),
        Just(Endpoint::Other),
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_and_status_never_panic(
        endpoint in endpoint(),
        status in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        name in "[A-Za-z-]{0,16}", value in "\\PC{0,24}",
    ) {
        let outcome = classify(endpoint, status, &[(name.as_str(), value.as_str())], &body);
        prop_assert!(!outcome.code().is_empty());
    }

    #[test]
    fn json_like_bodies_never_panic(
        endpoint in endpoint(),
        status in prop_oneof![Just(200u16), Just(400), Just(401), Just(403), Just(429), Just(500), any::<u16>()],
        llu_status in prop_oneof![Just(0i64), Just(2), Just(4), Just(429), Just(911), Just(920), any::<i64>()],
        data in "[\\[\\]{}\":,a-z0-9 ]{0,64}",
    ) {
        let body = format!(r#"{{"status":{llu_status},"data":{data},"error":{{"message":"{data}"}}}}"#);
        let outcome = classify(endpoint, status, &[], body.as_bytes());
        if llu_status == 911 && status != 430 && serde_json::from_str::<Value>(&body).is_ok() {
            prop_assert_eq!(outcome, Outcome::Maintenance);
        }
    }
}
