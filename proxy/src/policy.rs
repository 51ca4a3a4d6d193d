//! What the worker answers to, and with which headers: the route table (nothing outside it reaches the upstream),
//! the origin check and CORS, and the security headers every answer carries. Pure functions, tested natively.

use crate::error::{ApiError, ApiResult};

/// Largest request body accepted.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The path prefixes the worker owns (`run_worker_first` in `wrangler.toml`); everything else is a static asset.
pub const WORKER_PREFIXES: [&str; 3] = ["/llu/", "/auth/", "/api/"];
/// Single paths the worker owns besides its prefixes (Nightscout's `/pebble`).
pub const WORKER_PATHS: [&str; 1] = ["/pebble"];

/// Which document `/auth/continue/{type}` accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Document {
    /// Terms of use.
    Tou,
    /// Privacy policy.
    Pp,
}

impl Document {
    /// LLU's name for it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Document::Tou => "tou",
            Document::Pp => "pp",
        }
    }
}

/// One thing the worker does.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Route {
    /// `POST /llu/auth/login`.
    Login,
    /// `POST /auth/continue/{tou|pp}`.
    Continue(Document),
    /// `GET /llu/connections`.
    Connections,
    /// `GET /llu/connections/{patientId}/graph`.
    Graph(String),
    /// `GET /llu/connections/{patientId}/logbook`.
    Logbook(String),
    /// `GET /llu/config/country`.
    CountryConfig,
    /// `GET /api/health`.
    Health,
    /// `POST /api/demo`: a demo session.
    Demo,
    /// `POST /api/logout`: sign this session out (on the server too) and forget the cookie.
    Logout,
    /// `POST /api/logout/everywhere`: sign out every session of the account.
    LogoutEverywhere,
    /// `POST /api/shares`: the owner creates a share link.
    CreateShare,
    /// `GET /api/shares`: the owner's shares.
    ListShares,
    /// `DELETE /api/shares/{id}`: the owner revokes one.
    RevokeShare(String),
    /// `GET /api/share/graph` (`Authorization: Share <secret>`): the shared patient's graph.
    ShareGraph,
    /// `GET /api/share/logbook`: the shared patient's logbook.
    ShareLogbook,
    /// Nightscout's `GET /api/v1/entries[.json]` and `/api/v1/entries/sgv[.json]`.
    NightscoutEntries,
    /// Nightscout's `GET /api/v1/entries/current[.json]`.
    NightscoutCurrent,
    /// Nightscout's `GET /api/v1/status[.json]`.
    NightscoutStatus,
    /// Nightscout's `GET /pebble`.
    Pebble,
    /// `GET /api/push/key`: the VAPID public key.
    PushKey,
    /// `POST /api/push/subscribe`: background alarms on this phone.
    PushSubscribe,
    /// `POST /api/push/unsubscribe`.
    PushUnsubscribe,
    /// `POST /api/push/test`: a test alarm now.
    PushTest,
    /// `POST /api/push/ack`: "I'm on it" or "Snooze" from a notification.
    PushAck,
    /// `POST /api/push/receipt`: a phone's service worker got a push.
    PushReceipt,
    /// `POST /api/push/status`: how alarms reach a phone.
    PushStatus,
    /// `POST /api/push/loud`: a phone sets its loud channel.
    PushLoud,
    /// `POST /api/push/loud/test`: a phone tests its loud channel.
    PushLoudTest,
    /// `GET /api/push/phones`: the account's phones that get alarms (owner).
    PushPhones,
    /// `DELETE /api/push/phones/{id}`: the owner removes one.
    RemovePhone(String),
    /// `GET /api/push/rota`: the owner's rotas, who is on duty, the night log.
    PushRota,
    /// `POST /api/push/rota`: the owner sets a patient's rota.
    SetRota,
    /// `POST /api/push/duty`: "I take over" from a phone in the rota.
    TakeOver,
    /// `POST /api/push/alarm-test`: the owner sets a patient's daily alarm test.
    SetAlarmTest,
    /// `GET /api/notes`: the family's notes on a patient (owner or link).
    Notes,
    /// `POST /api/notes`: a note.
    AddNote,
    /// `DELETE /api/notes/{id}`: the owner removes one.
    RemoveNote(String),
    /// Nightscout's `GET /api/v1/treatments[.json]`: a link's notes.
    NightscoutTreatments,
}

/// The route for `method` and `path` (still percent-encoded, as it came in). Only exact, known paths match: a
/// dot segment, an empty segment (`//`), an encoded slash or anything unknown is a 404, so no client-supplied
/// path ever reaches the upstream.
pub fn route(method: &str, path: &str) -> ApiResult<Route> {
    let segments: Vec<&str> = match path.strip_prefix('/') {
        Some(rest) => rest.split('/').collect(),
        None => return Err(ApiError::not_found()),
    };
    let (route, allowed) = match segments.as_slice() {
        ["llu", "auth", "login"] => (Route::Login, "POST"),
        ["auth", "continue", "tou"] => (Route::Continue(Document::Tou), "POST"),
        ["auth", "continue", "pp"] => (Route::Continue(Document::Pp), "POST"),
        ["llu", "connections"] => (Route::Connections, "GET"),
        ["llu", "connections", id, "graph"] if is_patient_id(id) => (Route::Graph(id.to_ascii_lowercase()), "GET"),
        ["llu", "connections", id, "logbook"] if is_patient_id(id) => (Route::Logbook(id.to_ascii_lowercase()), "GET"),
        ["llu", "config", "country"] => (Route::CountryConfig, "GET"),
        ["api", "demo"] => (Route::Demo, "POST"),
        ["api", "health"] => (Route::Health, "GET"),
        ["api", "logout"] => (Route::Logout, "POST"),
        ["api", "logout", "everywhere"] => (Route::LogoutEverywhere, "POST"),
        ["api", "shares"] if method == "POST" => (Route::CreateShare, "POST"),
        ["api", "shares"] => (Route::ListShares, "GET"),
        ["api", "shares", id] if is_share_id(id) => (Route::RevokeShare((*id).to_owned()), "DELETE"),
        ["api", "share", "graph"] => (Route::ShareGraph, "GET"),
        ["api", "share", "logbook"] => (Route::ShareLogbook, "GET"),
        ["api", "v1", "entries" | "entries.json"] | ["api", "v1", "entries", "sgv" | "sgv.json"] => {
            (Route::NightscoutEntries, "GET")
        }
        ["api", "v1", "entries", "current" | "current.json"] => (Route::NightscoutCurrent, "GET"),
        ["api", "v1", "status" | "status.json"] => (Route::NightscoutStatus, "GET"),
        ["api", "v1", "treatments" | "treatments.json"] => (Route::NightscoutTreatments, "GET"),
        ["pebble"] => (Route::Pebble, "GET"),
        ["api", "push", "key"] => (Route::PushKey, "GET"),
        ["api", "push", "subscribe"] => (Route::PushSubscribe, "POST"),
        ["api", "push", "unsubscribe"] => (Route::PushUnsubscribe, "POST"),
        ["api", "push", "test"] => (Route::PushTest, "POST"),
        ["api", "push", "ack"] => (Route::PushAck, "POST"),
        ["api", "push", "receipt"] => (Route::PushReceipt, "POST"),
        ["api", "push", "status"] => (Route::PushStatus, "POST"),
        ["api", "push", "loud"] => (Route::PushLoud, "POST"),
        ["api", "push", "loud", "test"] => (Route::PushLoudTest, "POST"),
        ["api", "push", "phones"] => (Route::PushPhones, "GET"),
        ["api", "push", "rota"] if method == "POST" => (Route::SetRota, "POST"),
        ["api", "push", "rota"] => (Route::PushRota, "GET"),
        ["api", "push", "duty"] => (Route::TakeOver, "POST"),
        ["api", "push", "alarm-test"] => (Route::SetAlarmTest, "POST"),
        ["api", "notes"] if method == "POST" => (Route::AddNote, "POST"),
        ["api", "notes"] => (Route::Notes, "GET"),
        // A note's id: 24 lower-case hex digits (Nightscout's `_id` shape).
        ["api", "notes", id]
            if id.len() == 24 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            (Route::RemoveNote((*id).to_owned()), "DELETE")
        }
        // A phone's id is made like a share's: 16 lower-case hex digits.
        ["api", "push", "phones", id] if crate::route::is_phone_id(id) => {
            (Route::RemovePhone((*id).to_owned()), "DELETE")
        }
        _ => return Err(ApiError::not_found()),
    };
    if method == allowed || (allowed == "GET" && method == "HEAD") {
        Ok(route)
    } else {
        Err(ApiError::method_not_allowed())
    }
}

/// The network a client address stands for, for per-client limits: an IPv4 address itself, an IPv6 address's
/// /64 (one subscriber's prefix: rotating addresses inside it is free, so a limit per address would be none).
pub fn client_network(ip: &str) -> String {
    match ip.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".to_owned(),
    }
}

/// Whether `text` is a share id as the worker issues them: 16 lower-case hex digits.
pub fn is_share_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `text` is a patient id as LLU issues them: a UUID (8-4-4-4-12 hex digits).
pub fn is_patient_id(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    text.len() == 36
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The origin (`scheme://host[:port]`) and the query (after `?`, without a fragment) of a serialized URL, read
/// without a URL parser (the `url` crate and its IDNA tables would double the worker's size).
pub fn origin_and_query(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let origin_end =
        url.get(after_scheme..).and_then(|rest| rest.find(['/', '?', '#'])).map_or(url.len(), |i| i + after_scheme);
    let origin = url.get(..origin_end).unwrap_or(url);
    let rest = url.get(origin_end..).unwrap_or_default();
    let rest = rest.split('#').next().unwrap_or_default();
    let query = rest.split_once('?').map_or("", |(_, q)| q);
    (origin, query)
}

/// The value of `name` in a query string, as sent (no percent-decoding: every value the worker reads is plain
/// ASCII, and an encoded one fails its validation).
pub fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then_some(value)
    })
}

/// A country code for `/llu/config/country`: two ASCII letters, upper-cased.
pub fn country_code(text: &str) -> Option<String> {
    (text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic())).then(|| text.to_ascii_uppercase())
}

/// How a request's `Origin` relates to this server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum OriginCheck {
    /// No `Origin` header (curl, an API client, a same-origin GET).
    Absent,
    /// The app itself.
    SameOrigin,
    /// Another origin on `ALLOWED_ORIGINS`.
    Allowed(String),
    /// Another origin not on the list: refused before anything else happens (no login attempt can be made from
    /// a stranger's page, so nobody can lock a family's account through a visitor's browser).
    Refused,
}

/// Classifies `origin` against this server's own origin and the allow-list (exact matches, no wildcards).
pub fn check_origin(origin: Option<&str>, self_origin: &str, allowed: &[String]) -> OriginCheck {
    match origin {
        None => OriginCheck::Absent,
        Some(origin) if origin.eq_ignore_ascii_case(self_origin) => OriginCheck::SameOrigin,
        Some(origin) if allowed.iter().any(|a| a == origin) => OriginCheck::Allowed(origin.to_owned()),
        Some(_) => OriginCheck::Refused,
    }
}

/// Request headers an allowed origin may send (LLU clients send `product`, `version` and `account-id`; the
/// worker ignores them and uses its own).
const ALLOWED_REQUEST_HEADERS: &str =
    "authorization, content-type, accept, cache-control, product, version, account-id, api-secret";

/// CORS headers for an answer to a request with this origin check. Every answer says `Vary: Origin`.
pub fn cors_headers(check: &OriginCheck, preflight: bool) -> Vec<(&'static str, String)> {
    let mut headers = vec![("vary", "Origin".to_owned())];
    if let OriginCheck::Allowed(origin) = check {
        headers.push(("access-control-allow-origin", origin.clone()));
        headers.push(("access-control-expose-headers", "Retry-After".to_owned()));
        if preflight {
            headers.push(("access-control-allow-methods", "GET, HEAD, POST, DELETE, OPTIONS".to_owned()));
            headers.push(("access-control-allow-headers", ALLOWED_REQUEST_HEADERS.to_owned()));
            headers.push(("access-control-max-age", "600".to_owned()));
        }
    }
    headers
}

/// The Content-Security-Policy: same-origin everything, wasm compilation allowed, nothing looser.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     worker-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
     form-action 'self'";

/// Security headers on every answer of the worker (the static assets get the same from `_headers`).
pub const SECURITY_HEADERS: [(&str, &str); 9] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), screen-wake-lock=(self)",
    ),
    ("x-frame-options", "DENY"),
    // No other site's window keeps a handle on the app's, and no other site may embed its answers.
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    // Every page is someone's private data or a share link's viewer: never indexed.
    ("x-robots-tag", "noindex, nofollow"),
];

/// The session cookie's name over https. `__Host-`: browsers take it only with `Secure`, `Path=/` and no `Domain`,
/// so a sibling subdomain of a custom domain cannot plant its own session in the app (session fixation). Over
/// https only this name is read.
pub const COOKIE_NAME: &str = "__Host-tw_session";
/// The name over plain http to this machine (`cargo xtask dev`), where a browser may refuse a prefixed cookie.
pub const LOCAL_COOKIE_NAME: &str = "tw_session";

/// The cookie name for the app at `origin`.
pub fn cookie_name(origin: &str) -> &'static str {
    if origin.starts_with("https://") { COOKIE_NAME } else { LOCAL_COOKIE_NAME }
}

/// A `Set-Cookie` value carrying `sealed` for `max_age_secs` (0 deletes it), for the app at `origin`.
pub fn session_cookie(origin: &str, sealed: &str, max_age_secs: i64) -> String {
    let name = cookie_name(origin);
    format!("{name}={sealed}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict", max_age_secs.max(0))
}

/// The sealed session a request to `origin` carries: `Authorization: Bearer …` (LLU clients) first, else the
/// cookie of that origin's name.
pub fn session_token(authorization: Option<&str>, cookie: Option<&str>, origin: &str) -> Option<String> {
    let bearer = authorization.and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let wanted = cookie_name(origin);
    bearer.filter(|t| !t.is_empty()).or_else(|| {
        cookie?.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == wanted && !value.is_empty()).then(|| value.to_owned())
        })
    })
}

#[cfg(test)]
mod tests {
    use shared::code::Code;

    use super::*;

    const ID: &str = "1e6e1c30-0b7e-4f63-9a3c-4a6d5b2f1a01";

    #[test]
    fn known_routes_match_with_their_method() {
        let cases = [
            ("POST", "/llu/auth/login", Route::Login),
            ("POST", "/auth/continue/tou", Route::Continue(Document::Tou)),
            ("POST", "/auth/continue/pp", Route::Continue(Document::Pp)),
            ("GET", "/llu/connections", Route::Connections),
            ("GET", &format!("/llu/connections/{ID}/graph"), Route::Graph(ID.into())),
            ("HEAD", &format!("/llu/connections/{}/logbook", ID.to_uppercase()), Route::Logbook(ID.into())),
            ("GET", "/llu/config/country", Route::CountryConfig),
            ("POST", "/api/demo", Route::Demo),
            ("POST", "/api/logout", Route::Logout),
            ("POST", "/api/logout/everywhere", Route::LogoutEverywhere),
            ("DELETE", "/api/push/phones/0123456789abcdef", Route::RemovePhone("0123456789abcdef".into())),
            (
                "DELETE",
                "/api/push/phones/0123456789abcdef0123456789abcdef.0123456789abcdef",
                Route::RemovePhone("0123456789abcdef0123456789abcdef.0123456789abcdef".into()),
            ),
            ("DELETE", "/api/push/phones/demo.0123456789abcdef", Route::RemovePhone("demo.0123456789abcdef".into())),
            ("GET", "/api/push/rota", Route::PushRota),
            ("POST", "/api/push/rota", Route::SetRota),
            ("POST", "/api/push/duty", Route::TakeOver),
        ];
        for (method, path, expected) in cases {
            assert_eq!(route(method, path), Ok(expected), "{method} {path}");
        }
        assert_eq!(route("GET", "/llu/auth/login").unwrap_err().code, Code::MethodNotAllowed);
        assert_eq!(route("DELETE", "/llu/connections").unwrap_err().code, Code::MethodNotAllowed);
    }

    #[test]
    fn open_proxy_attempts_are_404() {
        let attempts = [
            "//evil.com/llu/connections",
            "/llu/../x",
            "/llu/connections/..%2f..%2fuser/graph",
            "/llu/connections/%2e%2e/graph",
            "/llu/connections/a%2Fb/graph",
            "/llu/connections//graph",
            "/llu/connections/https:%2F%2Fevil.com/graph",
            "/llu/connections/1e6e1c30-0b7e-4f63-9a3c-4a6d5b2f1a01/graph/extra",
            "/llu/connections/1e6e1c30-0b7e-4f63-9a3c-4a6d5b2f1a0/graph",
            "/llu/connections/1e6e1c30-0b7e-4f63-9a3c-4a6d5b2f1a0g/graph",
            "/llu/user",
            "/llu/connections/",
            "/llu/auth/login/",
            "/auth/continue/verifyEmail",
            "/auth/continue/../../llu/connections",
            "/glucoseHistory",
            "http://evil.com/llu/connections",
            "",
            "/",
        ];
        for path in attempts {
            assert_eq!(route("GET", path).unwrap_err().code, Code::NotFound, "{path}");
            assert_eq!(route("POST", path).unwrap_err().code, Code::NotFound, "{path}");
        }
    }

    #[test]
    fn origins_are_matched_exactly() {
        let allowed = vec!["https://watch.example".to_owned()];
        let me = "https://tidewatch.example";
        assert_eq!(check_origin(None, me, &allowed), OriginCheck::Absent);
        assert_eq!(check_origin(Some(me), me, &allowed), OriginCheck::SameOrigin);
        assert_eq!(
            check_origin(Some("https://watch.example"), me, &allowed),
            OriginCheck::Allowed("https://watch.example".into())
        );
        for refused in ["https://watch.example.evil", "http://watch.example", "null", "https://evil.example", "*"] {
            assert_eq!(check_origin(Some(refused), me, &allowed), OriginCheck::Refused, "{refused}");
        }
    }

    #[test]
    fn cors_headers_only_for_allowed_origins_and_always_vary() {
        let refused = cors_headers(&OriginCheck::Refused, true);
        assert_eq!(refused, vec![("vary", "Origin".to_owned())]);
        let allowed = cors_headers(&OriginCheck::Allowed("https://a.example".into()), true);
        assert!(allowed.contains(&("access-control-allow-origin", "https://a.example".to_owned())));
        assert!(allowed.iter().any(|(name, _)| *name == "access-control-allow-methods"));
        assert!(!allowed.iter().any(|(_, value)| value == "*"), "never a wildcard");
        let simple = cors_headers(&OriginCheck::Allowed("https://a.example".into()), false);
        assert!(!simple.iter().any(|(name, _)| *name == "access-control-allow-methods"));
    }

    #[test]
    fn csp_allows_wasm_and_nothing_looser() {
        assert!(CONTENT_SECURITY_POLICY.contains("'wasm-unsafe-eval'"));
        for loose in ["'unsafe-eval'", "'unsafe-inline'", "*", "http:", "https:"] {
            let without_wasm = CONTENT_SECURITY_POLICY.replace("'wasm-unsafe-eval'", "");
            assert!(!without_wasm.contains(loose), "{loose}");
        }
    }

    #[test]
    fn wrangler_runs_the_worker_first_for_every_prefix_it_owns() {
        let config = include_str!("../../wrangler.toml");
        let line =
            config.lines().find(|l| l.starts_with("run_worker_first")).expect("run_worker_first in wrangler.toml");
        for prefix in WORKER_PREFIXES {
            assert!(line.contains(&format!("\"{prefix}*\"")), "{prefix} is missing from {line}");
        }
        for path in WORKER_PATHS {
            assert!(line.contains(&format!("\"{path}\"")), "{path} is missing from {line}");
        }
        let paths = ["/llu/auth/login", "/auth/continue/tou", "/llu/connections", "/api/demo", "/api/logout"];
        for path in paths.into_iter().chain(["/api/shares", "/api/share/graph", "/api/v1/entries.json", "/pebble"]) {
            assert!(route("POST", path).is_ok() || route("GET", path).is_ok());
            assert!(
                WORKER_PREFIXES.iter().any(|p| path.starts_with(p)) || WORKER_PATHS.contains(&path),
                "{path} would be served as an asset"
            );
        }
    }

    #[test]
    fn static_assets_carry_the_same_security_headers() {
        let file = include_str!("../../app/_headers");
        for (name, value) in SECURITY_HEADERS {
            let line = format!("{name}: {value}");
            assert!(file.lines().any(|l| l.trim().eq_ignore_ascii_case(&line)), "_headers lacks {line}");
        }
    }

    #[test]
    fn the_session_comes_from_bearer_then_cookie() {
        let local = "http://127.0.0.1:8787";
        assert_eq!(session_token(Some("Bearer tw1.a.b"), None, local).as_deref(), Some("tw1.a.b"));
        assert_eq!(session_token(Some("bearer  tw1.a.b "), None, local).as_deref(), Some("tw1.a.b"));
        assert_eq!(session_token(None, Some("x=1; tw_session=tw1.c.d; y=2"), local).as_deref(), Some("tw1.c.d"));
        assert_eq!(session_token(Some("Basic abc"), Some("tw_session=tw1.c.d"), local).as_deref(), Some("tw1.c.d"));
        assert_eq!(session_token(Some("Bearer "), None, local), None);
        assert_eq!(session_token(None, Some("tw_session="), local), None);
        assert_eq!(session_token(None, None, local), None);
    }

    #[test]
    fn an_ipv6_client_is_limited_by_its_slash_64() {
        let a = client_network("2001:db8:1:2:aaaa::1");
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(client_network("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), a, "any address of the /64");
        assert_ne!(client_network("2001:db8:1:3::1"), a);
        assert_eq!(client_network("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_network("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(client_network("junk"), "unknown");
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_is_a_session() {
        let site = "https://watch.example.org";
        // A sibling subdomain can set `tw_session` for the parent domain; it is never read as a session.
        assert_eq!(session_token(None, Some("tw_session=tw1.planted"), site), None);
        let both = Some("tw_session=tw1.planted; __Host-tw_session=tw1.own");
        assert_eq!(session_token(None, both, site).as_deref(), Some("tw1.own"));
    }

    #[test]
    fn the_cookie_is_httponly_secure_strict() {
        for origin in ["https://watch.example.org", "http://127.0.0.1:8787"] {
            let cookie = session_cookie(origin, "tw1.a.b", 60);
            for part in ["Path=/", "Max-Age=60", "HttpOnly", "Secure", "SameSite=Strict"] {
                assert!(cookie.contains(part), "{cookie}");
            }
            assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
            assert!(session_cookie(origin, "", -5).contains("Max-Age=0"));
        }
        // `__Host-` over https: a sibling subdomain cannot set it for this host.
        assert!(session_cookie("https://watch.example.org", "tw1.a.b", 60).starts_with("__Host-tw_session=tw1.a.b;"));
        assert!(session_cookie("http://127.0.0.1:8787", "tw1.a.b", 60).starts_with("tw_session=tw1.a.b;"));
    }

    #[test]
    fn urls_split_into_origin_and_query() {
        assert_eq!(
            origin_and_query("https://a.example/llu/x?country=DE&v=1#f"),
            ("https://a.example", "country=DE&v=1")
        );
        assert_eq!(origin_and_query("http://127.0.0.1:8787/llu"), ("http://127.0.0.1:8787", ""));
        assert_eq!(origin_and_query("http://h:1?x=1"), ("http://h:1", "x=1"));
        assert_eq!(query_value("country=DE&version=4.17.0", "version"), Some("4.17.0"));
        assert_eq!(query_value("country=DE&flag", "flag"), Some(""));
        assert_eq!(query_value("countryx=DE", "country"), None);
    }

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(country_code("de").as_deref(), Some("DE"));
        for bad in ["", "D", "DEU", "D1", "../", "é"] {
            assert_eq!(country_code(bad), None, "{bad}");
        }
    }
}
