//! The worker's configuration, read once per request from `wrangler.toml` vars and secrets into one typed
//! struct. The session key never appears in `Debug` output or logs.

use shared::llu::Region;

use crate::error::ApiError;
use crate::seal::SessionKey;

/// The `version` header sent when `LLU_VERSION` is unset (llu-protocol.md 2.2: what current clients send).
pub const DEFAULT_VERSION: &str = "4.17.0";
/// The `product` header sent when `LLU_PRODUCT` is unset (llu-protocol.md 2.3).
pub const DEFAULT_PRODUCT: &str = "llu.android";

/// Everything the worker reads from its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `LLU_UPSTREAM`.
    pub upstream: Upstream,
    /// `LLU_VERSION`.
    pub version: String,
    /// `LLU_PRODUCT`.
    pub product: String,
    /// `LLU_USER_AGENT`: the `User-Agent` sent to LibreLinkUp; unset, one like the app's
    /// (`upstream::user_agent`).
    pub user_agent: Option<String>,
    /// `ALLOWED_ORIGINS` (comma-separated, exact origins).
    pub allowed_origins: Vec<String>,
    /// `SESSION_KEY` (secret).
    pub key: SessionKey,
    /// Web Push: `VAPID_PUBLIC_KEY`, `VAPID_PRIVATE_KEY` (secret), `VAPID_SUBJECT`, `PUSH_ORIGINS`.
    pub push: PushConfig,
    /// `ALLOWED_ACCOUNTS`: the LibreLinkUp e-mails that may sign in (lower case); empty: anyone. A private
    /// deployment names its family's, so nobody else can use it to reach Abbott.
    pub allowed_accounts: Vec<String>,
    /// `DEMO` (`off` turns it off): whether the demo patient is served.
    pub demo: bool,
    /// `LOGINS_PER_CLIENT`: sign-ins one client network may make in `hub::CLIENT_WINDOW_SECS`.
    pub logins_per_client: u32,
    /// `SUBSCRIBES_PER_CLIENT`: push subscriptions (or settings changes) one client network may send in ten
    /// minutes.
    pub subscribes_per_client: u32,
    /// `WATCHDOG_SECS`: how long a `Watcher` with phones waits for the minute's round before it ticks by itself
    /// (its own Durable Object alarm), and then every minute until the round reaches it again.
    pub watchdog_secs: u32,
}

impl Config {
    /// Whether `email` may sign in here.
    pub fn allows_account(&self, email: &str) -> bool {
        self.allowed_accounts.is_empty() || self.allowed_accounts.iter().any(|a| a.eq_ignore_ascii_case(email.trim()))
    }
}

/// Web Push settings. Push is off (the app says so) until both VAPID keys are set.
#[derive(Clone, Default)]
pub struct PushConfig {
    /// `VAPID_PUBLIC_KEY`: base64url uncompressed P-256 point (what browsers subscribe with).
    pub public_key: Option<String>,
    /// `VAPID_PRIVATE_KEY` (secret): base64url P-256 scalar.
    pub private_key: Option<String>,
    /// `VAPID_SUBJECT`: the contact push services see (`mailto:` or `https:`).
    pub subject: String,
    /// `PUSH_ORIGINS`: push service origins accepted besides the browsers' own (for a test push service).
    pub extra_origins: Vec<String>,
    /// `LOUD_ORIGINS`: loud-channel origins accepted besides `https` names (for test services on this machine).
    pub loud_origins: Vec<String>,
    /// `PUSHOVER_URL`: where Pushover messages go (Pushover's own unless a test replaces it).
    pub pushover_url: String,
}

impl core::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PushConfig")
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key.as_ref().map(|_| "…"))
            .field("subject", &self.subject)
            .field("extra_origins", &self.extra_origins)
            .field("loud_origins", &self.loud_origins)
            .field("pushover_url", &self.pushover_url)
            .finish()
    }
}

/// Sign-ins one client network may make in ten minutes when `LOGINS_PER_CLIENT` is unset: a family signs in a
/// few times a day; trying passwords at scale needs thousands.
pub const DEFAULT_LOGINS_PER_CLIENT: u32 = 20;

/// Push subscriptions (or settings changes) one client network may send in ten minutes when
/// `SUBSCRIBES_PER_CLIENT` is unset: a family's phones send a few.
pub const DEFAULT_SUBSCRIBES_PER_CLIENT: u32 = 30;

/// `WATCHDOG_SECS` when unset: a Watcher the minute's round missed for three minutes ticks by itself.
pub const DEFAULT_WATCHDOG_SECS: u32 = 180;

/// The subject sent when `VAPID_SUBJECT` is unset.
pub const DEFAULT_VAPID_SUBJECT: &str = "mailto:tidewatch@example.invalid";

impl Config {
    /// Reads the configuration from the worker's vars and secrets.
    pub fn from_env(env: &worker::Env) -> Result<Config, ApiError> {
        Config::read(|name| {
            env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
        })
    }

    /// Reads the configuration through `var` (a var or secret by name). A missing or malformed `SESSION_KEY`, a
    /// bad `LLU_UPSTREAM` or a `version`/`product` that could not go into a header is a clear error.
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Config, ApiError> {
        let key = var("SESSION_KEY")
            .ok_or_else(|| ApiError::not_configured("SESSION_KEY is not set (wrangler secret put SESSION_KEY)."))
            .and_then(|secret| {
                SessionKey::from_secret(&secret).map_err(|e| ApiError::not_configured(&e.to_string()))
            })?;
        // A rotation: the new key seals, the old one still opens what it sealed.
        let key = match non_empty(var("SESSION_KEY_OLD")) {
            Some(old) => key.with_previous(
                SessionKey::from_secret(&old)
                    .map_err(|e| ApiError::not_configured(&format!("SESSION_KEY_OLD: {e}")))?,
            ),
            None => key,
        };
        let upstream = Upstream::parse(var("LLU_UPSTREAM").as_deref()).map_err(|e| ApiError::not_configured(&e))?;
        let version = non_empty(var("LLU_VERSION")).unwrap_or_else(|| DEFAULT_VERSION.to_owned());
        if !is_version(&version) {
            return Err(ApiError::not_configured("LLU_VERSION must be digits and dots, such as 4.17.0."));
        }
        let product = non_empty(var("LLU_PRODUCT")).unwrap_or_else(|| DEFAULT_PRODUCT.to_owned());
        let user_agent = non_empty(var("LLU_USER_AGENT"));
        if user_agent.as_deref().is_some_and(|ua| ua.chars().any(char::is_control)) {
            return Err(ApiError::not_configured("LLU_USER_AGENT must be one line of text."));
        }
        if !product.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-') {
            return Err(ApiError::not_configured("LLU_PRODUCT must be a plain name such as llu.android."));
        }
        let allowed_origins = origins(var("ALLOWED_ORIGINS"));
        let push = PushConfig {
            public_key: non_empty(var("VAPID_PUBLIC_KEY")),
            private_key: non_empty(var("VAPID_PRIVATE_KEY")),
            subject: non_empty(var("VAPID_SUBJECT")).unwrap_or_else(|| DEFAULT_VAPID_SUBJECT.to_owned()),
            extra_origins: origins(var("PUSH_ORIGINS")),
            loud_origins: origins(var("LOUD_ORIGINS")),
            pushover_url: non_empty(var("PUSHOVER_URL")).unwrap_or_else(|| shared::loud::PUSHOVER_URL.to_owned()),
        };
        for (name, listed) in [("PUSH_ORIGINS", &push.extra_origins), ("LOUD_ORIGINS", &push.loud_origins)] {
            if let Some(origin) = listed.iter().find(|o| !o.starts_with("https://") && !is_loopback(o)) {
                return Err(ApiError::not_configured(&format!(
                    "{name}: {origin} is not https (plain http is for a test service on this machine only)."
                )));
            }
        }
        if !push.pushover_url.starts_with("https://") && !is_loopback(&push.pushover_url) {
            return Err(ApiError::not_configured("PUSHOVER_URL must be https (plain http only on this machine)."));
        }
        let allowed_accounts = var("ALLOWED_ACCOUNTS")
            .unwrap_or_default()
            .split([',', ' ', '\n'])
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect();
        let demo = !non_empty(var("DEMO"))
            .is_some_and(|v| ["off", "false", "0", "no"].contains(&v.to_ascii_lowercase().as_str()));
        let count = |name: &str, default: u32| match non_empty(var(name)) {
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::not_configured(&format!("{name} must be a whole number above 0."))),
            None => Ok(default),
        };
        let logins_per_client = count("LOGINS_PER_CLIENT", DEFAULT_LOGINS_PER_CLIENT)?;
        let subscribes_per_client = count("SUBSCRIBES_PER_CLIENT", DEFAULT_SUBSCRIBES_PER_CLIENT)?;
        let watchdog_secs = count("WATCHDOG_SECS", DEFAULT_WATCHDOG_SECS)?;
        Ok(Config {
            upstream,
            version,
            product,
            user_agent,
            allowed_origins,
            key,
            push,
            allowed_accounts,
            demo,
            logins_per_client,
            subscribes_per_client,
            watchdog_secs,
        })
    }
}

/// A list of origins (comma-, space- or line-separated), without trailing slashes.
fn origins(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect()
}

/// Whether `url` is plain http to this machine (`127.0.0.0/8`, `localhost`, `[::1]`): the only place a password
/// or a push may travel unencrypted (the fake LibreLinkUp, the fake push service).
pub fn is_loopback(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    host == "localhost"
        || host == "[::1]"
        || host.strip_prefix("127.").is_some_and(|rest| {
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
        })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Whether `text` is digits separated by single dots.
pub fn is_version(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 20
        && text.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Where LLU lives: Abbott's host table, or one base URL that serves every region under a path prefix.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Upstream {
    /// The real hosts (`Region::host`).
    LibreView,
    /// `http://127.0.0.1:9000` → `http://127.0.0.1:9000/eu/llu/...`; the global host has no prefix.
    Base(String),
}

impl Upstream {
    /// Reads `LLU_UPSTREAM`: unset, empty or `libreview` → the real hosts; otherwise an `https://` base URL (or
    /// `http://` to this machine) with no query, fragment or credentials.
    pub fn parse(text: Option<&str>) -> Result<Upstream, String> {
        let text = text.map(str::trim).unwrap_or_default();
        if text.is_empty() || text.eq_ignore_ascii_case("libreview") {
            return Ok(Upstream::LibreView);
        }
        let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
        let valid = rest.is_some_and(|rest| {
            let host = rest.split('/').next().unwrap_or_default();
            !host.is_empty() && !rest.contains(['?', '#', '@', ' ', '\\'])
        });
        if valid && text.starts_with("http://") && !is_loopback(text) {
            Err(format!(
                "LLU_UPSTREAM `{text}` is plain http: passwords would travel unencrypted (http is for this machine only)"
            ))
        } else if valid {
            Ok(Upstream::Base(text.trim_end_matches('/').to_owned()))
        } else {
            Err(format!("LLU_UPSTREAM must be `libreview` or an http(s) base URL, not `{text}`"))
        }
    }

    /// The base URL (no trailing slash) for `region`.
    pub fn base(&self, region: Region) -> String {
        match (self, region) {
            (Upstream::LibreView, region) => region.host().to_owned(),
            (Upstream::Base(base), Region::Global) => base.clone(),
            (Upstream::Base(base), region) => format!("{base}/{}", region.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::code::Code;

    use super::*;

    const KEY: &str = "0d5b7e1f2a9c4e6b8d0f1a3c5e7092b4d6f8a1c3e5079b2d4f6a8c0e1b3d5f79";
    const OLD_KEY: &str = "e3a91f07c25d8b64f1098ac3d2e75b1604fa9c8e3b7d2051c6e4a89f1d3b7c05";

    fn read(pairs: &[(&str, &str)]) -> Result<Config, ApiError> {
        Config::read(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn defaults_need_only_the_key() {
        let config = read(&[("SESSION_KEY", KEY)]).unwrap();
        assert_eq!(config.upstream, Upstream::LibreView);
        assert_eq!((config.version.as_str(), config.product.as_str()), (DEFAULT_VERSION, DEFAULT_PRODUCT));
        assert!(config.allowed_origins.is_empty());
        assert!(!format!("{config:?}").contains(KEY));
        assert_eq!((config.push.public_key, config.push.private_key), (None, None));
        assert_eq!(config.push.subject, DEFAULT_VAPID_SUBJECT);
    }

    #[test]
    fn every_var_is_read() {
        let config = read(&[
            ("SESSION_KEY", KEY),
            ("LLU_UPSTREAM", "http://127.0.0.1:9000"),
            ("LLU_VERSION", "4.18.0"),
            ("LLU_PRODUCT", "llu.ios"),
            ("ALLOWED_ORIGINS", "https://a.example, https://b.example/"),
            ("VAPID_PUBLIC_KEY", "BPUB"),
            ("VAPID_PRIVATE_KEY", "private-scalar"),
            ("VAPID_SUBJECT", "mailto:ops@example.org"),
            ("PUSH_ORIGINS", "http://127.0.0.1:9100/"),
        ])
        .unwrap();
        assert_eq!(config.push.public_key.as_deref(), Some("BPUB"));
        assert_eq!(config.push.subject, "mailto:ops@example.org");
        assert_eq!(config.push.extra_origins, ["http://127.0.0.1:9100"]);
        assert!(!format!("{config:?}").contains("private-scalar"));
        assert_eq!(config.upstream, Upstream::Base("http://127.0.0.1:9000".into()));
        assert_eq!((config.version.as_str(), config.product.as_str()), ("4.18.0", "llu.ios"));
        assert_eq!(config.allowed_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        assert_eq!(read(&[]).unwrap_err().code, Code::NotConfigured);
        assert_eq!(read(&[("SESSION_KEY", "short")]).unwrap_err().code, Code::NotConfigured);
        assert!(read(&[("SESSION_KEY", KEY), ("LLU_VERSION", "4.17.0\r\nx: y")]).is_err());
        assert!(read(&[("SESSION_KEY", KEY), ("LLU_PRODUCT", "a b")]).is_err());
        assert!(read(&[("SESSION_KEY", KEY), ("LLU_UPSTREAM", "file:///etc")]).is_err());
        assert!(read(&[("SESSION_KEY", KEY), ("SESSION_KEY_OLD", "short")]).is_err());
    }

    #[test]
    fn a_weak_session_key_is_refused_at_start() {
        let zeros = "0".repeat(64);
        let error = read(&[("SESSION_KEY", &zeros)]).unwrap_err();
        assert_eq!(error.code, Code::NotConfigured);
        assert!(error.message.contains("not random"), "{}", error.message);
        assert!(read(&[("SESSION_KEY", KEY), ("SESSION_KEY_OLD", &zeros)]).is_err());
        assert!(read(&[("SESSION_KEY", KEY), ("SESSION_KEY_OLD", OLD_KEY)]).is_ok());
    }

    #[test]
    fn a_private_deployment_names_its_accounts_and_may_turn_the_demo_off() {
        let open = read(&[("SESSION_KEY", KEY)]).unwrap();
        assert!(open.demo && open.allows_account("anyone@example.org"));
        let private =
            read(&[("SESSION_KEY", KEY), ("ALLOWED_ACCOUNTS", "Mum@Example.org, dad@example.org"), ("DEMO", "off")])
                .unwrap();
        assert!(!private.demo);
        assert!(private.allows_account("mum@example.org") && private.allows_account(" DAD@example.org"));
        assert!(!private.allows_account("stranger@example.org"));
        assert!(read(&[("SESSION_KEY", KEY), ("DEMO", "on")]).unwrap().demo);
        assert_eq!(open.logins_per_client, DEFAULT_LOGINS_PER_CLIENT);
        assert_eq!(read(&[("SESSION_KEY", KEY), ("LOGINS_PER_CLIENT", "3")]).unwrap().logins_per_client, 3);
        assert!(read(&[("SESSION_KEY", KEY), ("LOGINS_PER_CLIENT", "0")]).is_err());
        assert_eq!(open.subscribes_per_client, DEFAULT_SUBSCRIBES_PER_CLIENT);
        assert!(read(&[("SESSION_KEY", KEY), ("SUBSCRIBES_PER_CLIENT", "many")]).is_err());
        assert_eq!(open.watchdog_secs, DEFAULT_WATCHDOG_SECS);
        // LibreLinkUp is asked with a User-Agent like the app's (Cloudflare blocks none or a library's).
        let ua = crate::upstream::user_agent(&open, "4.17.1");
        assert!(ua.starts_with("LibreLinkUp/4.17.1 (Linux; Android"), "{ua}");
        let ios = read(&[("SESSION_KEY", KEY), ("LLU_PRODUCT", "llu.ios")]).unwrap();
        assert!(crate::upstream::user_agent(&ios, "4.17.0").contains("CFNetwork/"));
        let own = read(&[("SESSION_KEY", KEY), ("LLU_USER_AGENT", "Family/1.0")]).unwrap();
        assert_eq!(crate::upstream::user_agent(&own, "4.17.0"), "Family/1.0");
        assert!(read(&[("SESSION_KEY", KEY), ("LLU_USER_AGENT", "two\nlines")]).is_err());
        assert_eq!(read(&[("SESSION_KEY", KEY), ("WATCHDOG_SECS", "5")]).unwrap().watchdog_secs, 5);
    }

    #[test]
    fn plain_http_is_refused_for_anything_but_this_machine() {
        for bad in
            ["http://relay.example", "http://10.0.0.2:9000", "http://127.0.0.1.evil.example", "http://localhost.evil"]
        {
            assert!(read(&[("SESSION_KEY", KEY), ("LLU_UPSTREAM", bad)]).is_err(), "{bad}");
            assert!(read(&[("SESSION_KEY", KEY), ("PUSH_ORIGINS", bad)]).is_err(), "{bad}");
        }
        for good in ["http://127.0.0.1:9000", "http://localhost:9100", "http://[::1]:9000", "https://relay.example"] {
            assert!(read(&[("SESSION_KEY", KEY), ("LLU_UPSTREAM", good)]).is_ok(), "{good}");
            assert!(read(&[("SESSION_KEY", KEY), ("PUSH_ORIGINS", good)]).is_ok(), "{good}");
        }
    }
}
