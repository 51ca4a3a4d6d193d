//! The real stack for integration tests: the fake LibreLinkUp server and the real worker in workerd
//! (`wrangler dev`), pointed at each other on loopback. Started once per test binary.
//!
//! The worker must have been built (`cargo xtask build-worker`, which `cargo xtask test` runs first). wrangler
//! runs from a generated copy of `wrangler.toml` without its build command, with its state in a fresh
//! directory, and dies with the test binary (a shell wrapper kills it when its stdin closes). A test can restart it
//! on the same port and state ([`Stack::restart`]); `proxy-bench` also runs it without `wrangler dev`
//! ([`Stack::start_bare`]).

use std::io::{self, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::fake::FakeLlu;
use crate::loud_services::FakeLoud;
use crate::push_service::FakePush;

/// The session key every test stack runs with (tests seal tokens with it and with others).
pub const TEST_SESSION_KEY: &str = "5f0c9a3e71d2b8464e1a7c0d93f25b68a4c1e07d2b9f6538e0a7d41c96b2f3e8";

/// The VAPID key pair every test stack runs with (generated once with Node's WebCrypto; tests verify the
/// worker's tokens against the public half).
pub const TEST_VAPID_PRIVATE: &str = "xKafvVDPbs7W8QPxjiKur0sgUFzsOPj0ml8_lwewi_s";
/// The public half of [`TEST_VAPID_PRIVATE`].
pub const TEST_VAPID_PUBLIC: &str =
    "BLrSPLjYuG8KEsNVGsS26UV45zatcTCJO2AAG5uBYiEpapWQnmCCUXpOGWVfTBQKiR28kZk0pqsw3NrOTZo6kPA";
/// The VAPID subject of test stacks.
pub const TEST_VAPID_SUBJECT: &str = "mailto:alarms@tidewatch.test";

/// How long wrangler may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// What runs the worker.
#[derive(Clone, Copy)]
enum Runner {
    /// `wrangler dev`, as a self-hoster runs it.
    WranglerDev,
    /// Miniflare alone (`tests/bench/workerd.mjs`).
    Miniflare,
}

/// The fake upstream and the worker in front of it.
pub struct Stack {
    /// The fake LibreLinkUp.
    pub fake: FakeLlu,
    /// The fake Web Push service (the worker may send to it: it is in `PUSH_ORIGINS`).
    pub push: FakePush,
    /// The fake ntfy, Pushover and webhook (in `LOUD_ORIGINS`; `PUSHOVER_URL` is its Pushover).
    pub loud: FakeLoud,
    /// The worker's base URL (`http://127.0.0.1:PORT`, no trailing slash).
    pub worker: String,
    /// The worker's log file.
    pub log: PathBuf,
    runner: Mutex<Child>,
    spec: Spec,
}

/// How to start the worker again ([`Stack::restart`]).
struct Spec {
    program: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    port: u16,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

impl Stack {
    /// The stack shared by every test of this binary, started on first use.
    pub fn shared() -> &'static Stack {
        static STACK: OnceLock<Stack> = OnceLock::new();
        STACK.get_or_init(|| match Stack::start(&[]) {
            Ok(stack) => stack,
            Err(e) => {
                eprintln!("cannot start the test stack: {e}");
                std::process::exit(1);
            }
        })
    }

    /// Starts a fake and a worker with `vars` added to (or overriding) `wrangler.toml`'s, serving the app from
    /// `dist/`.
    pub fn start(vars: &[(&str, &str)]) -> io::Result<Stack> {
        Stack::start_serving(vars, &root().join("dist"))
    }

    /// [`Stack::start`] without the app's files: the worker alone, so that Miniflare's
    /// `/cdn-cgi/handler/scheduled?time=…` reaches its Cron Trigger at a chosen instant ([`Stack::cron_at`]);
    /// with Workers assets in front, only wrangler's `/__scheduled` (always the real clock) does.
    pub fn start_worker_only(vars: &[(&str, &str)]) -> io::Result<Stack> {
        Stack::launch(vars, None)
    }

    /// [`Stack::start`], with the app's files served from `assets` (a test that changes them uses a copy).
    pub fn start_serving(vars: &[(&str, &str)], assets: &Path) -> io::Result<Stack> {
        Stack::launch(vars, Some(assets))
    }

    /// The worker alone in workerd through Miniflare (`tests/bench/workerd.mjs`), from the same configuration
    /// but without `wrangler dev`'s ProxyWorker and DevTools inspector, whose work on every request is not the
    /// worker's and exists only locally. For `proxy-bench`; tests use [`Stack::start`].
    pub fn start_bare(vars: &[(&str, &str)]) -> io::Result<Stack> {
        Stack::launch_with(Runner::Miniflare, vars, None)
    }

    fn launch(vars: &[(&str, &str)], assets: Option<&Path>) -> io::Result<Stack> {
        Stack::launch_with(Runner::WranglerDev, vars, assets)
    }

    fn launch_with(runner: Runner, vars: &[(&str, &str)], assets: Option<&Path>) -> io::Result<Stack> {
        let fake = FakeLlu::spawn(0)?;
        let push = FakePush::spawn()?;
        let loud = FakeLoud::spawn()?;
        let root = root();
        if !root.join("proxy/build/index.js").exists() {
            return Err(io::Error::other("the worker is not built: run `cargo xtask build-worker` first"));
        }
        let port = free_port()?;
        let dir = root.join("target/wrangler-test").join(format!("{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("wrangler.toml");
        std::fs::write(&config, test_config(&std::fs::read_to_string(root.join("wrangler.toml"))?, assets))?;
        let log = dir.join("wrangler.log");
        for file in [&log, &dir.join("wrangler.err")] {
            std::fs::File::create(file)?;
        }
        let state = dir.join("state").to_string_lossy().into_owned();
        let config = config.to_string_lossy().into_owned();
        let upstream = fake.base_url();
        let push_origin = push.base_url();
        let (loud_origin, pushover) = (loud.base_url(), loud.pushover());
        let defaults = [
            ("LLU_UPSTREAM", upstream.as_str()),
            ("SESSION_KEY", TEST_SESSION_KEY),
            ("VAPID_PUBLIC_KEY", TEST_VAPID_PUBLIC),
            ("VAPID_PRIVATE_KEY", TEST_VAPID_PRIVATE),
            ("VAPID_SUBJECT", TEST_VAPID_SUBJECT),
            ("PUSH_ORIGINS", push_origin.as_str()),
            ("LOUD_ORIGINS", loud_origin.as_str()),
            ("PUSHOVER_URL", pushover.as_str()),
            // Every test signs in from 127.0.0.1: the per-client limit is tested on a stack of its own.
            ("LOGINS_PER_CLIENT", "100000"),
            ("SUBSCRIBES_PER_CLIENT", "100000"),
        ];
        let vars = defaults.iter().filter(|(n, _)| !vars.iter().any(|(v, _)| v == n)).chain(vars);
        let (program, args): (PathBuf, Vec<String>) = match runner {
            Runner::WranglerDev => {
                let mut args: Vec<String> = [
                    "dev",
                    "-c",
                    &config,
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--inspector-port",
                    &free_port()?.to_string(),
                    "--show-interactive-dev-session=false",
                    "--persist-to",
                    &state,
                    "--log-level",
                    "warn",
                    // `/__scheduled?cron=…&time=<ms>` runs the Cron Trigger at that instant.
                    "--test-scheduled",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
                for (name, value) in vars {
                    args.push("--var".into());
                    args.push(format!("{name}:{value}"));
                }
                (root.join("node_modules/.bin/wrangler"), args)
            }
            Runner::Miniflare => {
                let script = root.join("tests/bench/workerd.mjs").to_string_lossy().into_owned();
                let mut args = vec![script, config, port.to_string(), state];
                args.extend(vars.map(|(name, value)| format!("{name}={value}")));
                (PathBuf::from("node"), args)
            }
        };
        let spec = Spec { program, args, dir, port };
        let child = spec.spawn()?;
        Ok(Stack { fake, push, loud, worker: format!("http://127.0.0.1:{port}"), log, runner: Mutex::new(child), spec })
    }

    /// Stops the worker and starts it again on the same port with the same stored state (Durable Objects
    /// storage), as when workerd restarts or evicts every object: whatever an object kept only in memory is gone.
    pub fn restart(&self) -> io::Result<()> {
        self.restart_with(|_| Ok(()))
    }

    /// Stops the worker, lets `between` change its stored state (the directory the runtime persists to, with
    /// `v3/do/<worker>-<class>/*.sqlite` per Durable Object), and starts it again: as a deploy over data an earlier
    /// build stored.
    pub fn restart_with(&self, between: impl FnOnce(&Path) -> io::Result<()>) -> io::Result<()> {
        let mut runner = self.runner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        stop(&mut runner);
        // workerd may take a moment to follow its parent out on a busy machine.
        let stopped = Instant::now();
        while answers(self.spec.port) {
            if stopped.elapsed() > Duration::from_secs(10) {
                let port = self.spec.port;
                return Err(io::Error::other(format!("port {port} still answers after the worker was stopped")));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        between(&self.state())?;
        *runner = self.spec.spawn()?;
        Ok(())
    }

    /// The directory the runtime persists the worker's stored state to (`v3/do/<worker>-<class>/*.sqlite`).
    pub fn state(&self) -> PathBuf {
        self.spec.dir.join("state")
    }

    /// `path` on the worker.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.worker)
    }

    /// Runs the Cron Trigger as if scheduled at `unix_secs` (`wrangler dev --test-scheduled`); waits for it.
    pub async fn cron_at(&self, unix_secs: i64) -> Result<(), String> {
        // Miniflare's handler takes the instant (`time`, ms); wrangler's `/__scheduled` always uses the real clock.
        let url = self.url(&format!("/cdn-cgi/handler/scheduled?cron=*+*+*+*+*&time={}", unix_secs * 1000));
        let response = reqwest::get(url).await.map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("/__scheduled answered {}: {}", response.status(), response.text().await.unwrap_or_default()))
        }
    }

    /// Signs `email` in through the worker and makes a share link (`label`) of its first patient, as an owner's
    /// app does; returns the link's secret.
    pub async fn share_first_patient(&self, email: &str, password: &str, label: &str) -> Result<String, String> {
        self.share_first_patient_as(email, password, label, "secret").await
    }

    /// [`Stack::share_first_patient`], returning the answer's field `field` (`secret`, `nightscoutToken`).
    pub async fn share_first_patient_as(
        &self,
        email: &str,
        password: &str,
        label: &str,
        field: &str,
    ) -> Result<String, String> {
        let http = reqwest::Client::new();
        let json = |response: reqwest::Response| async move {
            response.json::<serde_json::Value>().await.map_err(|e| e.to_string())
        };
        let login = serde_json::json!({"email": email, "password": password});
        let signed_in = http.post(self.url("/llu/auth/login")).json(&login).send().await.map_err(|e| e.to_string())?;
        let signed_in = json(signed_in).await?;
        let token = signed_in
            .pointer("/data/authTicket/token")
            .and_then(serde_json::Value::as_str)
            .ok_or(format!("no session: {signed_in}"))?;
        let bearer = format!("Bearer {token}");
        let list = http.get(self.url("/llu/connections")).header("authorization", &bearer).send().await;
        let list = json(list.map_err(|e| e.to_string())?).await?;
        let patient = list
            .pointer("/data/0/patientId")
            .and_then(serde_json::Value::as_str)
            .ok_or(format!("no patient: {list}"))?;
        let share = serde_json::json!({"patientId": patient, "label": label});
        let created = http.post(self.url("/api/shares")).header("authorization", &bearer).json(&share).send().await;
        let created = json(created.map_err(|e| e.to_string())?).await?;
        created.get(field).and_then(serde_json::Value::as_str).map(str::to_owned).ok_or(format!("no share: {created}"))
    }
}

impl Spec {
    /// Starts the runner and waits until the worker answers.
    fn spawn(&self) -> io::Result<Child> {
        let root = root();
        let home = root.join("target/wrangler-home");
        let mut child = Command::new("sh")
            .arg("-c")
            // Run the worker in the background; when the test binary exits, stdin closes and `read` returns.
            .arg(r#""$@" & pid=$!; read _ignored; kill "$pid" 2>/dev/null; sleep 1; kill -9 "$pid" 2>/dev/null"#)
            .arg("sh")
            .arg(&self.program)
            .args(&self.args)
            .current_dir(&root)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_TELEMETRY_DISABLED", "1")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .stdin(Stdio::piped())
            .stdout(std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("wrangler.log"))?)
            .stderr(std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("wrangler.err"))?)
            .spawn()?;
        let started = Instant::now();
        while !answers(self.port) {
            if started.elapsed() > START_TIMEOUT || child.try_wait()?.is_some() {
                stop(&mut child);
                let err = std::fs::read_to_string(self.dir.join("wrangler.err")).unwrap_or_default();
                return Err(io::Error::other(format!("the worker did not start on port {}: {err}", self.port)));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(child)
    }
}

/// Stops a runner started by [`Spec::spawn`]: its wrapper kills it when a line arrives, then exits.
fn stop(child: &mut Child) {
    if let Some(stdin) = child.stdin.as_mut() {
        let _ = stdin.write_all(b"\n");
    }
    let _ = child.wait();
}

impl Drop for Stack {
    fn drop(&mut self) {
        stop(self.runner.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
    }
}

/// `wrangler.toml` for tests: no build command (the test runner built the worker), the worker's path from
/// `target/...`, and the app's files from `assets` (none: no `[assets]` at all).
pub fn test_config(original: &str, assets: Option<&Path>) -> String {
    let directory = format!("directory = {:?}", assets.map(|a| a.to_string_lossy()).unwrap_or_default());
    let mut out = String::new();
    let mut skipping = false;
    for line in original.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = trimmed == "[build]" || (assets.is_none() && trimmed == "[assets]");
        }
        if skipping {
            continue;
        }
        let mut line = line
            .replace("\"proxy/build/index.js\"", "\"../../../proxy/build/index.js\"")
            .replace("directory = \"dist\"", &directory);
        if line.starts_with("run_worker_first") {
            // `--test-scheduled`'s `/__scheduled` is answered inside the worker: it must not go to the assets.
            line = line.replacen('[', "[\"/__scheduled\", ", 1);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Whether the worker answers an HTTP request (any status) on `port`.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /api/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_config_drops_the_build_and_reaches_back_to_the_root() {
        let config = test_config(
            &std::fs::read_to_string(root().join("wrangler.toml")).unwrap(),
            Some(Path::new("/work/x/dist")),
        );
        assert!(!config.contains("[build]") && !config.contains("command ="), "{config}");
        assert!(config.contains("main = \"../../../proxy/build/index.js\""));
        assert!(config.contains("directory = \"/work/x/dist\""));
        assert!(config.contains("class_name = \"Hub\""));
        assert!(config.contains("run_worker_first = [\"/__scheduled\", \"/llu/*\""), "{config}");
        assert!(root().join("target/wrangler-test/x/y").join("../../../proxy").ends_with("proxy"));
        let bare = test_config(&std::fs::read_to_string(root().join("wrangler.toml")).unwrap(), None);
        assert!(
            !bare.contains("[assets]") && !bare.contains("run_worker_first") && bare.contains("[triggers]"),
            "{bare}"
        );
    }
}
