//! Which push endpoints the worker sends to. An endpoint is parsed with a WHATWG URL parser (the `url` crate,
//! the same rules as the runtime's `fetch`), never matched as a string: `https://evil.example\.push.apple.com/x`
//! is `evil.example` to `fetch`, so a string check on it would let a subscription aim the worker at any host.
//! The VAPID audience is the parsed origin, so what is signed for is what is fetched.

use url::Url;

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
    let url = Url::parse(endpoint).ok()?;
    if url.as_str() != endpoint || !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    if push.extra_origins.contains(&origin) {
        return Some(origin);
    }
    let host = match url.host()? {
        url::Host::Domain(host) => host,
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => return None,
    };
    let browser_service = PUSH_HOSTS.contains(&host)
        || PUSH_DOMAINS.iter().any(|d| host.strip_suffix(d).is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')));
    (url.scheme() == "https" && url.port().is_none() && browser_service).then_some(origin)
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
        for endpoint in [
            // `fetch` reads a backslash as a slash: these go to evil.example.
            "https://evil.example\\.push.apple.com/x",
            "https://evil.example:8443\\.notify.windows.com/x",
            "https://evil.example%5C.push.apple.com/x",
            // Userinfo, ports, case, IDN and percent-encoded hosts.
            "https://user@fcm.googleapis.com/x",
            "https://fcm.googleapis.com@evil.example/x",
            "https://fcm.googleapis.com:443/x",
            "https://fcm.googleapis.com:8443/x",
            "https://FCM.googleapis.com/x",
            "https://fcm.googleapis.com./x",
            "https://web.push.apple.com.evil.example/x",
            "https://notify.windows.com.evil.example/x",
            "https://evilpush.apple.com/x",
            "https://.push.apple.com/x",
            "https://push.apple.com/x",
            "https://web.push.äpple.com/x",
            "https://web.push.xn--pple-koa.com/x",
            "https://fcm.googleapis%2ecom/x",
            "https://fcm.googleapis.com/a/../b",
            "https://fcm.googleapis.com/a b",
            "https://fcm.googleapis.com/x#frag",
            " https://fcm.googleapis.com/x",
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evil.example/x",
            "https://1.2.3.4/x",
            "http://127.0.0.1:9100/push/1",
            "fcm.googleapis.com/x",
            "",
        ] {
            assert_eq!(push_audience(endpoint, &none), None, "{endpoint:?}");
        }
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert_eq!(push_audience(&long, &none), None);
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
