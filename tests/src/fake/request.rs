//! What reaches the fake and what it answers, below its state machine ([`super::state`]): a request as the HTTP
//! layer hands it over, a reply, which endpoint a path names and on which regional host, the app-version floor, and
//! the User-Agents Cloudflare blocks in front of LibreLinkUp.

use serde_json::Value;
use shared::llu::Region;

use super::bodies;
use super::model::CallKind;

/// Whether Cloudflare would take `user_agent` for a script: none, an empty one, or an HTTP library's default.
pub fn is_library_user_agent(user_agent: Option<&str>) -> bool {
    const LIBRARIES: [&str; 12] = [
        "reqwest",
        "python-requests",
        "python-urllib",
        "python-httpx",
        "aiohttp",
        "node-fetch",
        "undici",
        "axios",
        "curl/",
        "wget/",
        "go-http-client",
        "java/",
    ];
    let agent = user_agent.unwrap_or_default().trim().to_ascii_lowercase();
    agent.is_empty() || LIBRARIES.iter().any(|library| agent.starts_with(library))
}

/// A request as the HTTP layer hands it over.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The method, upper case.
    pub method: String,
    /// The full path, region prefix included, without the query.
    pub path: String,
    /// The query string, without `?`.
    pub query: Option<String>,
    /// Headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The body (`None` when it was over the size limit).
    pub body: Option<Vec<u8>>,
}

impl Incoming {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The bearer token, if the request has one.
    pub(super) fn bearer(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }
}

/// What the fake answers.
#[derive(Clone, PartialEq, Debug)]
pub struct Reply {
    /// The HTTP status (911 included).
    pub status: u16,
    /// `content-type`.
    pub content_type: &'static str,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply { status, content_type: "application/json", headers: Vec::new(), body: value.to_string().into_bytes() }
    }

    /// Cloudflare's block page.
    pub(super) fn edge_block(ray: &str) -> Reply {
        Reply {
            status: 403,
            content_type: "text/html; charset=UTF-8",
            headers: vec![("cf-mitigated", "block".to_owned()), ("cf-ray", ray.to_owned())],
            body: bodies::edge_block_html(ray).into_bytes(),
        }
    }
}

/// Which endpoint a path names (after the region prefix).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(super) enum Route {
    Login,
    Continue(String),
    Connections,
    Graph(String),
    Logbook(String),
    CountryConfig,
    Unknown,
}

impl Route {
    pub(super) fn parse(path: &str) -> Route {
        let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        match segments.as_slice() {
            ["llu", "auth", "login"] => Route::Login,
            ["auth", "continue", step] if !step.is_empty() => Route::Continue((*step).to_owned()),
            ["llu", "connections"] => Route::Connections,
            ["llu", "connections", id, "graph"] if !id.is_empty() => Route::Graph((*id).to_owned()),
            ["llu", "connections", id, "logbook"] if !id.is_empty() => Route::Logbook((*id).to_owned()),
            ["llu", "config", "country"] => Route::CountryConfig,
            _ => Route::Unknown,
        }
    }

    pub(super) fn kind(&self) -> CallKind {
        match self {
            Route::Login => CallKind::Login,
            Route::Continue(step) if step == "tou" => CallKind::ContinueTou,
            Route::Continue(step) if step == "pp" => CallKind::ContinuePp,
            Route::Continue(_) | Route::Unknown => CallKind::Other,
            Route::Connections => CallKind::Connections,
            Route::Graph(_) => CallKind::Graph,
            Route::Logbook(_) => CallKind::Logbook,
            Route::CountryConfig => CallKind::CountryConfig,
        }
    }

    pub(super) fn method(&self) -> &'static str {
        match self {
            Route::Login | Route::Continue(_) => "POST",
            _ => "GET",
        }
    }
}

/// Splits `/{region}/rest` into the regional host and the rest; the global host has no prefix. `None` for an
/// unknown prefix (including `global`, which is not a path prefix).
pub(super) fn split_host(path: &str) -> Option<(Option<Region>, String)> {
    let first = path.strip_prefix('/')?.split('/').next().unwrap_or_default();
    if first == "llu" || first == "auth" {
        return Some((None, path.to_owned()));
    }
    let region = Region::from_code(first).filter(|r| *r != Region::Global)?;
    let rest = path.get(first.len() + 1..).filter(|r| !r.is_empty()).unwrap_or("/");
    Some((Some(region), rest.to_owned()))
}

/// Whether `version` is at least `floor`: dot-separated numbers compared part by part, missing parts counting
/// as 0 (`4.16` equals `4.16.0`). A part that is not a number, or an empty version, is too old.
pub fn version_at_least(version: &str, floor: &str) -> bool {
    let parse = |v: &str| v.trim().split('.').map(|p| p.parse::<u64>().ok()).collect::<Option<Vec<u64>>>();
    let (Some(version), Some(floor)) = (parse(version), parse(floor)) else {
        return false;
    };
    for i in 0..version.len().max(floor.len()) {
        let (v, f) = (version.get(i).copied().unwrap_or(0), floor.get(i).copied().unwrap_or(0));
        if v != f {
            return v > f;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically_part_by_part() {
        let cases = [
            ("4.16.0", "4.16.0", true),
            ("4.17.0", "4.16.0", true),
            ("4.16", "4.16.0", true),
            ("4.16.0.1", "4.16.0", true),
            ("5.0.0.1077", "4.16.0", true),
            ("4.15.9", "4.16.0", false),
            ("4.7", "4.16.0", false),
            ("4.9.0", "4.16.0", false),
            ("4.16.0", "4.18.0", false),
            ("", "4.16.0", false),
            ("4.x.0", "4.16.0", false),
            ("v4.17.0", "4.16.0", false),
            (" 4.17.0 ", "4.16.0", true),
        ];
        for (version, floor, ok) in cases {
            assert_eq!(version_at_least(version, floor), ok, "{version} vs {floor}");
        }
    }

    #[test]
    fn hosts_and_routes() {
        assert_eq!(split_host("/llu/connections"), Some((None, "/llu/connections".into())));
        assert_eq!(split_host("/auth/continue/tou"), Some((None, "/auth/continue/tou".into())));
        assert_eq!(split_host("/eu2/llu/connections"), Some((Some(Region::Eu2), "/llu/connections".into())));
        assert_eq!(split_host("/de"), Some((Some(Region::De), "/".into())));
        assert_eq!(split_host("/global/llu/connections"), None);
        assert_eq!(split_host("/xx/llu/connections"), None);
        assert_eq!(split_host("/__fake/calls"), None);
        assert_eq!(split_host("/"), None);
        assert_eq!(Route::parse("/llu/connections/abc/graph"), Route::Graph("abc".into()));
        assert_eq!(Route::parse("/llu/connections//graph"), Route::Unknown);
        assert_eq!(Route::parse("/auth/continue/pp").kind(), CallKind::ContinuePp);
        assert_eq!(Route::parse("/auth/continue/verifyEmail").kind(), CallKind::Other);
        assert_eq!(Route::parse("/__fake/calls"), Route::Unknown);
        assert_eq!(Route::parse("/llu/connections/"), Route::Unknown);
    }
}
