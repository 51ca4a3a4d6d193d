//! Which push endpoints the worker sends to. An endpoint is parsed with a WHATWG URL parser, never matched as a
//! string: `https://evil.example\\.push.apple.com/x` is `evil.example` to `fetch`, so a string check on it would let
//! a subscription aim the worker at any host. In the worker the parser is the runtime's own `URL`, the one its
//! `fetch` uses; natively (the unit tests) it is the `url` crate, which follows the same standard. The VAPID
//! audience is the parsed origin, so what is signed for is what is fetched.

use crate::config::PushConfig;

/// Browser push services; any other needs `PUSH_ORIGINS`. The worker only ever POSTs encrypted bodies to
/// these, so a subscription cannot make it a proxy to arbitrary hosts.
const PUSH_HOSTS: [&str; 4] =
    ["fcm.googleapis.com", "android.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com"];
/// Push service domains matched by label suffix (Apple and Windows use many hosts).
const PUSH_DOMAINS: [&str; 2] = ["push.apple.com", "notify.windows.com"];
/// The longest endpoint kept (browsers' are under 600 characters).
pub const MAX_ENDPOINT_LEN: usize = 1024;

/// The origin (VAPID audience) of `endpoint` when the worker may send to it: https on the default port to a
/// browser push service, or an origin listed in `PUSH_ORIGINS`; `None` for anything else.
///
/// The endpoint must already be in the parser's normal form (what browsers hand out): a backslash, a spelled-out
/// port, userinfo, an upper-case or Unicode host, a dot segment or a raw space all change the parsed form, so
/// such an endpoint is refused rather than reinterpreted.
pub fn push_audience(endpoint: &str, push: &PushConfig) -> Option<String> {
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return None;
    }
    let url = Parsed::new(endpoint)?;
    // `#` even with nothing after it: a fragment is never part of a push endpoint.
    if url.href != endpoint || url.userinfo || endpoint.contains('#') {
        return None;
    }
    if push.extra_origins.contains(&url.origin) {
        return Some(url.origin);
    }
    let host = url.host.as_str();
    // An address is no push service's (their hosts are names).
    let address = is_address(host);
    let browser_service = PUSH_HOSTS.contains(&host)
        || PUSH_DOMAINS.iter().any(|d| host.strip_suffix(d).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')));
    (url.https && !url.port && !address && browser_service).then_some(url.origin)
}

/// An IP address rather than a name (IPv6 in brackets, or dotted digits).
fn is_address(host: &str) -> bool {
    host.starts_with('[') || host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether the worker may POST a loud channel's message to `url` (`shared::loud`): parsed as `fetch` parses it
/// and already in that normal form, without userinfo or fragment, `https` to a name with a dot (any port: a family's
/// own ntfy often runs on one), never to an address or `localhost`; or under an origin listed in `LOUD_ORIGINS`
/// (a test service on this machine).
pub fn loud_target(url: &str, extra_origins: &[String]) -> bool {
    if url.len() > shared::loud::MAX_URL_LEN {
        return false;
    }
    let Some(parsed) = Parsed::new(url) else { return false };
    if parsed.href != url || parsed.userinfo || url.contains('#') {
        return false;
    }
    if extra_origins.contains(&parsed.origin) {
        return true;
    }
    let host = parsed.host.as_str();
    let local = host.ends_with('.') || host == "localhost" || host.ends_with(".localhost") || !host.contains('.');
    parsed.https && !is_address(host) && !local
}

/// What [`push_audience`] and [`loud_target`] need of a parsed URL.
struct Parsed {
    /// The serialised URL.
    href: String,
    /// The scheme is `https`.
    https: bool,
    /// A user name or password.
    userinfo: bool,
    /// The host (an IPv6 address in brackets).
    host: String,
    /// A port other than the scheme's default.
    port: bool,
    /// The origin, serialised.
    origin: String,
}

impl Parsed {
    /// The runtime's `URL`: what `fetch` makes of `endpoint`.
    #[cfg(target_arch = "wasm32")]
    fn new(endpoint: &str) -> Option<Parsed> {
        let url = web_sys::Url::new(endpoint).ok()?;
        Some(Parsed {
            href: url.href(),
            https: url.protocol() == "https:",
            userinfo: !url.username().is_empty() || !url.password().is_empty(),
            host: url.hostname(),
            port: !url.port().is_empty(),
            origin: url.origin(),
        })
    }

    /// The `url` crate, natively: the same WHATWG rules.
    #[cfg(not(target_arch = "wasm32"))]
    fn new(endpoint: &str) -> Option<Parsed> {
        let url = url::Url::parse(endpoint).ok()?;
        Some(Parsed {
            href: url.as_str().to_owned(),
            https: url.scheme() == "https",
            userinfo: !url.username().is_empty() || url.password().is_some(),
            host: url.host_str()?.to_owned(),
            port: url.port().is_some(),
            origin: url.origin().ascii_serialization(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(extra: &[&str]) -> PushConfig {
        PushConfig { extra_origins: extra.iter().map(|s| (*s).to_owned()).collect(), ..PushConfig::default() }
    }

    #[test]
    fn browser_push_services_are_sent_to_at_their_origin() {
        let none = push(&[]);
        let cases = [
            ("https://fcm.googleapis.com/fcm/send/abc:APA91b-x_y", "https://fcm.googleapis.com"),
            ("https://updates.push.services.mozilla.com/wpush/v2/gAAA", "https://updates.push.services.mozilla.com"),
            ("https://web.push.apple.com/QGx", "https://web.push.apple.com"),
            ("https://api.push.apple.com/3/device/x", "https://api.push.apple.com"),
            ("https://db5p.notify.windows.com/w/?token=BQY%3d", "https://db5p.notify.windows.com"),
        ];
        for (endpoint, origin) in cases {
            assert_eq!(push_audience(endpoint, &none).as_deref(), Some(origin), "{endpoint}");
        }
    }

    #[test]
    fn an_endpoint_that_a_url_parser_reads_as_another_host_is_refused() {
        let none = push(&[]);
        // One list for both parsers: the `url` crate's here, the runtime's through the worker
        // (`push::subscriptions_are_checked`). Backslashes (`fetch` reads one as a slash, so the host is
        // evil.example), userinfo, ports, case, IDN and percent-encoded hosts, dot segments, fragments, addresses.
        let refused: Vec<String> = serde_json::from_str(include_str!("../tests/data/refused_endpoints.json")).unwrap();
        assert!(refused.len() > 20);
        for endpoint in &refused {
            let endpoint = endpoint.as_str();
            assert_eq!(push_audience(endpoint, &none), None, "{endpoint:?}");
        }
        // Not in the normal form either (the subscribe handler trims what a client sends before asking).
        assert_eq!(push_audience(" https://fcm.googleapis.com/x", &none), None);
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert_eq!(push_audience(&long, &none), None);
    }

    #[test]
    fn a_loud_channel_goes_only_to_https_names_or_a_listed_test_origin() {
        for url in ["https://ntfy.sh/", "https://ntfy.home.example:8443/", "https://hooks.example/t?x=1"] {
            assert!(loud_target(url, &[]), "{url}");
        }
        for url in [
            "http://ntfy.sh/",
            "https://ntfy.sh",
            "https://127.0.0.1/",
            "https://1.2.3.4/x",
            "https://0x7f.1/x",
            "https://[::1]/",
            "https://localhost/",
            "https://ntfy.localhost/",
            "https://localhost./",
            "https://hooks.example./",
            "https://router/",
            "https://u:p@hooks.example/",
            "https://hooks.example/#x",
            "https://HOOKS.example/",
            "https://evil.example\\.push.apple.com/x",
            "https://hooks.example/a/../b",
            "https://hooks.example/a b",
            "hooks.example/x",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!loud_target(url, &[]), "{url:?}");
        }
        let test = ["http://127.0.0.1:9100".to_owned()];
        assert!(loud_target("http://127.0.0.1:9100/hook/a", &test));
        assert!(!loud_target("http://127.0.0.1:9101/hook/a", &test));
    }

    #[test]
    fn a_configured_origin_is_matched_exactly() {
        let test = push(&["http://127.0.0.1:9100"]);
        assert_eq!(push_audience("http://127.0.0.1:9100/push/1", &test).as_deref(), Some("http://127.0.0.1:9100"));
        assert_eq!(push_audience("http://127.0.0.1:9101/push/1", &test), None);
        assert_eq!(push_audience("http://127.0.0.1:9100\\@evil.example/push/1", &test), None);
        assert_eq!(push_audience("http://x@127.0.0.1:9100/push/1", &test), None);
    }
}
