//! Drives the fake LibreLinkUp server over real HTTP (reqwest) and feeds every answer through
//! `shared::llu::classify`, so each test asserts the outcome the real client code will see.
// Test helpers outside #[test] functions may fail loudly.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use reqwest::{Client, Method};
use serde_json::{Value, json};
use shared::llu::{Endpoint, Outcome, Payload, Region, StepKind, Ticket, classify};
use shared::simulate::{self, GRAPH_LAG, Patient};
use shared::time::{DAY, HOUR, MINUTE, UtcTime, parse_factory};
use tidewatch_tests::fake::{APP_USER_AGENT, account_id_for, default_accounts};
use tidewatch_tests::{Account, CallKind, FakeLlu, Maintenance, RateLimit};

/// What current clients send.
const VERSION: &str = "4.17.0";
/// A full token's lifetime.
const FULL_SECS: i64 = 180 * DAY;

/// One HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn outcome(&self, endpoint: Endpoint) -> Outcome {
        let headers: Vec<(&str, &str)> = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        classify(endpoint, self.status, &headers, &self.body)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The ticket of a success, or of a step.
    fn ticket(&self, endpoint: Endpoint) -> Ticket {
        match self.outcome(endpoint) {
            Outcome::Success { ticket: Some(t), .. } | Outcome::Step { ticket: Some(t), .. } => t,
            other => panic!("no ticket: {other:?}"),
        }
    }
}

/// A logged-in follower.
struct Session {
    region: Region,
    token: String,
    account_id: String,
}

/// The fake and a client.
struct Llu {
    fake: FakeLlu,
    client: Client,
}

impl Llu {
    fn new() -> Llu {
        let fake = FakeLlu::spawn(0).expect("spawn the fake");
        let client = Client::builder().no_proxy().user_agent(APP_USER_AGENT).build().expect("client");
        Llu { fake, client }
    }

    fn with(accounts: impl IntoIterator<Item = Account>) -> Llu {
        let llu = Llu::new();
        for account in accounts {
            llu.fake.add_account(account);
        }
        llu
    }

    fn url(&self, region: Option<Region>, path: &str) -> String {
        match region {
            Some(r) => format!("{}/{}{path}", self.fake.base_url(), r.code()),
            None => format!("{}{path}", self.fake.base_url()),
        }
    }

    async fn send(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Answer {
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = response.bytes().await.expect("body").to_vec();
        Answer { status, headers, body }
    }

    async fn login(&self, region: Option<Region>, email: &str, password: &str) -> Answer {
        let body = json!({"email": email, "password": password}).to_string().into_bytes();
        let headers = [("product", "llu.android"), ("version", VERSION), ("content-type", "application/json")];
        self.send(Method::POST, &self.url(region, "/llu/auth/login"), &headers, Some(body)).await
    }

    async fn continue_step(&self, region: Option<Region>, step: &str, token: Option<&str>) -> Answer {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("product", "llu.android"), ("version", VERSION)];
        if let Some(b) = &bearer {
            headers.push(("authorization", b));
        }
        self.send(Method::POST, &self.url(region, &format!("/auth/continue/{step}")), &headers, None).await
    }

    /// A GET with exactly these auth headers.
    async fn get(
        &self,
        region: Option<Region>,
        path: &str,
        token: Option<&str>,
        account_id: Option<&str>,
        version: Option<&str>,
    ) -> Answer {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("product", "llu.android")];
        headers.extend(bearer.as_deref().map(|b| ("authorization", b)));
        headers.extend(account_id.map(|a| ("account-id", a)));
        headers.extend(version.map(|v| ("version", v)));
        self.send(Method::GET, &self.url(region, path), &headers, None).await
    }

    /// A data call the way a correct client makes it.
    async fn data(&self, s: &Session, path: &str) -> Answer {
        self.get(Some(s.region), path, Some(&s.token), Some(&s.account_id), Some(VERSION)).await
    }

    /// Logs in at the global host and follows redirects (at most three) to a success.
    async fn session(&self, email: &str, password: &str) -> Session {
        let mut region = None;
        for _ in 0..4 {
            let answer = self.login(region, email, password).await;
            match answer.outcome(Endpoint::Login) {
                Outcome::Redirect { region: to } => region = Some(to),
                Outcome::Success { ticket: Some(ticket), payload: Payload::Login(login) } => {
                    return Session {
                        region: region.expect("the fake never serves data at the global host"),
                        token: ticket.token,
                        account_id: account_id_for(&login.user.id),
                    };
                }
                other => panic!("login of {email} at {region:?}: {other:?}"),
            }
        }
        panic!("too many redirects for {email}");
    }
}

fn family() -> Account {
    Account { region: Region::Eu2, country: "GB".into(), ..Account::new("family@tidewatch.test", "family123") }
}

fn terms() -> Account {
    Account {
        region: Region::De,
        via: Some(Region::Eu),
        steps: vec![StepKind::TermsOfUse, StepKind::PrivacyPolicy],
        ..Account::new("terms@tidewatch.test", "terms123")
    }
}

/// The server's "now" at a data answer: its fresh ticket expires 180 days later.
fn server_now(ticket: &Ticket) -> UtcTime {
    UtcTime::from_unix_secs(ticket.expires - FULL_SECS)
}

// ---------------------------------------------------------------------------------------------------------------
// Login, redirects, steps

#[tokio::test]
async fn family_login_is_redirected_from_global_to_eu2_then_succeeds() {
    let llu = Llu::with([family()]);
    let first = llu.login(None, "family@tidewatch.test", "family123").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json(), json!({"status": 0, "data": {"redirect": true, "region": "eu2"}}));
    assert_eq!(first.outcome(Endpoint::Login), Outcome::Redirect { region: Region::Eu2 });
    // Any other regional host redirects too; the e-mail is matched ignoring case.
    let other = llu.login(Some(Region::Us), "FAMILY@tidewatch.test", "family123").await;
    assert_eq!(other.outcome(Endpoint::Login), Outcome::Redirect { region: Region::Eu2 });

    let home = llu.login(Some(Region::Eu2), "Family@Tidewatch.test", "family123").await;
    let Outcome::Success { ticket: Some(ticket), payload: Payload::Login(login) } = home.outcome(Endpoint::Login)
    else {
        panic!("{}", home.text());
    };
    let account = family();
    assert_eq!(login.user.id, account.user_id);
    assert_eq!(login.user.email.as_deref(), Some("family@tidewatch.test"));
    assert_eq!((login.user.country.as_deref(), login.user.uom.as_deref()), (Some("GB"), Some("1")));
    assert!(login.invitations.is_empty());
    assert_eq!(ticket, login.auth_ticket);
    assert_eq!(ticket.duration, 15_552_000_000);
    let body = home.json();
    assert_eq!(body["data"]["invitations"], Value::Null);
    for key in ["messages", "notifications", "trustedDeviceToken"] {
        assert!(body["data"].get(key).is_some(), "{key}");
    }
    let now = UtcTime::from_unix_secs(body["data"]["user"]["lastLogin"].as_i64().unwrap());
    assert_eq!(ticket.expires, (now + FULL_SECS).unix_secs());
    assert!(body.get("ticket").is_none());
    assert_eq!(home.header("content-type"), Some("application/json"));
    assert!(home.header("cf-ray").is_some());
}

#[tokio::test]
async fn redirect_chain_global_eu_de_then_terms_then_privacy_policy() {
    let llu = Llu::with([terms()]);
    let (email, password) = ("terms@tidewatch.test", "terms123");
    let global = llu.login(None, email, password).await;
    assert_eq!(global.outcome(Endpoint::Login), Outcome::Redirect { region: Region::Eu });
    let eu = llu.login(Some(Region::Eu), email, password).await;
    assert_eq!(eu.outcome(Endpoint::Login), Outcome::Redirect { region: Region::De });
    let de = llu.login(Some(Region::De), email, password).await;
    let Outcome::Step { kind: StepKind::TermsOfUse, ticket: Some(step) } = de.outcome(Endpoint::Login) else {
        panic!("{}", de.text());
    };
    let body = de.json();
    assert_eq!(body["data"]["step"]["componentName"], "AcceptDocument");
    assert_eq!(body["data"]["step"]["props"]["titleKey"], "Common.termsOfUse");
    assert!(body["data"]["user"].get("id").is_none());
    assert_eq!(body["data"]["user"]["accountType"], "pat");
    assert_eq!(step.duration, 3_600_000);

    // The step token is no good for data.
    let account_id = account_id_for(&terms().user_id);
    let data = llu.get(Some(Region::De), "/llu/connections", Some(&step.token), Some(&account_id), Some(VERSION)).await;
    assert_eq!((data.status, data.outcome(Endpoint::Connections)), (401, Outcome::InvalidToken));

    let tou = llu.continue_step(Some(Region::De), "tou", Some(&step.token)).await;
    let Outcome::Step { kind: StepKind::PrivacyPolicy, ticket: Some(pp_step) } = tou.outcome(Endpoint::ContinueStep)
    else {
        panic!("{}", tou.text());
    };
    assert_ne!(pp_step.token, step.token);
    assert_eq!(tou.json()["data"]["step"]["props"]["titleKey"], "Common.privacyPolicy");
    let pp = llu.continue_step(Some(Region::De), "pp", Some(&pp_step.token)).await;
    let Outcome::Success { ticket: Some(full), payload: Payload::Login(login) } = pp.outcome(Endpoint::ContinueStep)
    else {
        panic!("{}", pp.text());
    };
    assert_eq!(login.user.id, terms().user_id);
    assert_eq!(full.duration, 15_552_000_000);

    let session = Session { region: Region::De, token: full.token, account_id };
    let data = llu.data(&session, "/llu/connections").await;
    assert!(matches!(data.outcome(Endpoint::Connections), Outcome::Success { .. }), "{}", data.text());
    // Accepted for good: the next login succeeds straight away.
    let again = llu.login(Some(Region::De), email, password).await;
    assert!(matches!(again.outcome(Endpoint::Login), Outcome::Success { .. }));
    assert_eq!(llu.fake.count(email, CallKind::ContinueTou), 1);
    assert_eq!(llu.fake.count(email, CallKind::ContinuePp), 1);
}

#[tokio::test]
async fn continue_needs_the_pending_step_and_a_step_token_of_this_host() {
    let llu = Llu::with([terms(), family()]);
    let step = llu.login(Some(Region::De), "terms@tidewatch.test", "terms123").await.ticket(Endpoint::Login);
    // The wrong type answers the step that is really pending, with a fresh step token.
    let wrong = llu.continue_step(Some(Region::De), "pp", Some(&step.token)).await;
    let Outcome::Step { kind: StepKind::TermsOfUse, ticket: Some(fresh) } = wrong.outcome(Endpoint::ContinueStep)
    else {
        panic!("{}", wrong.text());
    };
    assert_ne!(fresh.token, step.token);
    // No token, an unknown token, or a full token: 401.
    for token in [None, Some("not-a-token")] {
        let answer = llu.continue_step(Some(Region::De), "tou", token).await;
        assert_eq!((answer.status, answer.outcome(Endpoint::ContinueStep)), (401, Outcome::InvalidToken));
        assert_eq!(answer.json(), json!({"message": "invalid or expired jwt"}));
    }
    let full = llu.session("family@tidewatch.test", "family123").await;
    let answer = llu.continue_step(Some(Region::Eu2), "tou", Some(&full.token)).await;
    assert_eq!(answer.outcome(Endpoint::ContinueStep), Outcome::InvalidToken);
    // A step token used at another host.
    let foreign = llu.continue_step(Some(Region::Eu), "tou", Some(&step.token)).await;
    assert_eq!((foreign.status, foreign.outcome(Endpoint::ContinueStep)), (200, Outcome::Maintenance));
    // The old step token still works (tokens stay valid until they expire).
    let ok = llu.continue_step(Some(Region::De), "tou", Some(&step.token)).await;
    assert!(matches!(ok.outcome(Endpoint::ContinueStep), Outcome::Step { kind: StepKind::PrivacyPolicy, .. }));
    // Revoked step tokens are dead.
    llu.fake.revoke_tokens("terms@tidewatch.test");
    let revoked = llu.continue_step(Some(Region::De), "pp", Some(&fresh.token)).await;
    assert_eq!(revoked.outcome(Endpoint::ContinueStep), Outcome::InvalidToken);
}

#[tokio::test]
async fn verify_email_can_never_be_continued() {
    let account = Account { steps: vec![StepKind::VerifyEmail], ..Account::new("verify@tidewatch.test", "verify123") };
    let llu = Llu::with([account]);
    let login = llu.login(Some(Region::Eu), "verify@tidewatch.test", "verify123").await;
    let Outcome::Step { kind: StepKind::VerifyEmail, ticket: Some(step) } = login.outcome(Endpoint::Login) else {
        panic!("{}", login.text());
    };
    let body = login.json();
    assert_eq!(body["data"]["step"]["componentName"], "VerifyEmail");
    assert_eq!(body["data"]["step"]["props"]["email"], "verify@tidewatch.test");
    for step_type in ["verifyEmail", "tou", "pp"] {
        let answer = llu.continue_step(Some(Region::Eu), step_type, Some(&step.token)).await;
        assert!(
            matches!(answer.outcome(Endpoint::ContinueStep), Outcome::Step { kind: StepKind::VerifyEmail, .. }),
            "{step_type}: {}",
            answer.text()
        );
    }
    assert_eq!(llu.fake.count("verify@tidewatch.test", CallKind::Other), 1);
}

#[tokio::test]
async fn bad_password_and_unknown_email_are_bad_credentials() {
    let llu = Llu::with([family()]);
    let wrong = llu.login(Some(Region::Eu2), "family@tidewatch.test", "Family123").await;
    assert_eq!(wrong.status, 200);
    assert_eq!(wrong.json(), json!({"status": 2, "error": {"message": "incorrect username/password"}}));
    assert_eq!(wrong.outcome(Endpoint::Login), Outcome::BadCredentials);
    // The global host redirects before it looks at the password.
    let global = llu.login(None, "family@tidewatch.test", "wrong").await;
    assert_eq!(global.outcome(Endpoint::Login), Outcome::Redirect { region: Region::Eu2 });
    for region in [None, Some(Region::Eu2)] {
        let unknown = llu.login(region, "nobody@tidewatch.test", "family123").await;
        assert_eq!(unknown.outcome(Endpoint::Login), Outcome::BadCredentials);
    }
}

#[tokio::test]
async fn three_failures_lock_the_account_even_for_the_right_password() {
    let llu = Llu::with([family()]);
    for _ in 0..3 {
        let answer = llu.login(Some(Region::Eu2), "family@tidewatch.test", "guess").await;
        assert_eq!(answer.outcome(Endpoint::Login), Outcome::BadCredentials);
    }
    let locked = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await;
    assert_eq!(locked.status, 200);
    assert_eq!(
        locked.json(),
        json!({
            "status": 429,
            "data": {"code": 60, "data": {"failures": 3, "interval": 60, "lockout": 300}, "message": "locked"},
        })
    );
    assert_eq!(locked.outcome(Endpoint::Login), Outcome::Locked { retry_after_secs: 300 });
    // Unknown e-mails lock too.
    for _ in 0..3 {
        llu.login(Some(Region::Eu2), "ghost@tidewatch.test", "x").await;
    }
    let ghost = llu.login(Some(Region::Eu2), "ghost@tidewatch.test", "x").await;
    assert_eq!(ghost.outcome(Endpoint::Login), Outcome::Locked { retry_after_secs: 300 });
    assert_eq!(llu.fake.count("ghost@tidewatch.test", CallKind::Login), 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Data

#[tokio::test]
async fn connections_graph_and_logbook_answer_like_llu_with_fresh_tickets() {
    let llu = Llu::with([family()]);
    let session = llu.session("family@tidewatch.test", "family123").await;
    assert_eq!(session.region, Region::Eu2);

    let answer = llu.data(&session, "/llu/connections").await;
    let Outcome::Success { ticket: Some(ticket), payload: Payload::Connections(connections) } =
        answer.outcome(Endpoint::Connections)
    else {
        panic!("{}", answer.text());
    };
    assert_eq!(connections.len(), 2);
    assert_eq!(connections[0].patient_id, Patient::demo().patient_id());
    assert!(connections[0].sensor.is_some() && connections[1].sensor.is_none());
    assert!(connections.iter().all(|c| c.glucose_measurement.is_some()));
    assert_ne!(ticket.token, session.token);
    assert_eq!(ticket.duration, 15_552_000_000);

    // The fresh ticket works, and so does the old token.
    let rolled =
        Session { token: ticket.token.clone(), region: session.region, account_id: session.account_id.clone() };
    let graph = llu.data(&rolled, &format!("/llu/connections/{}/graph", Patient::demo().patient_id())).await;
    let Outcome::Success { ticket: Some(graph_ticket), payload: Payload::Graph(g) } = graph.outcome(Endpoint::Graph)
    else {
        panic!("{}", graph.text());
    };
    assert_ne!(graph_ticket.token, ticket.token);
    let now = server_now(&graph_ticket);
    let points = g.graph_data.expect("graphData");
    assert_eq!(points.len(), simulate::graph_points(&Patient::demo(), now).len());
    assert!((100..=144).contains(&points.len()), "{} points", points.len());
    let newest = parse_factory(&points.last().unwrap().factory_timestamp).unwrap();
    let current = parse_factory(&g.connection.glucose_measurement.expect("current").factory_timestamp).unwrap();
    assert!(newest < current, "graph {newest} vs current {current}");
    assert!(now.secs_since(newest) >= GRAPH_LAG, "the newest graph point lags now by at least 15 minutes");
    assert!(points.iter().all(|p| p.kind == 0 && p.trend_arrow.is_none()));

    let logbook = llu.data(&session, &format!("/llu/connections/{}/logbook", Patient::second().patient_id())).await;
    let Outcome::Success { payload: Payload::Logbook(entries), .. } = logbook.outcome(Endpoint::Logbook) else {
        panic!("{}", logbook.text());
    };
    assert!(!entries.is_empty());
    assert_eq!(llu.fake.count("family@tidewatch.test", CallKind::Graph), 1);
}

#[tokio::test]
async fn data_checks_answer_in_llu_order() {
    let llu = Llu::with([family()]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    let step = {
        llu.fake.update("family@tidewatch.test", |a| a.steps = vec![StepKind::TermsOfUse]);
        let t = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await.ticket(Endpoint::Login);
        llu.fake.update("family@tidewatch.test", |a| a.steps.clear());
        t.token
    };
    let eu2 = Some(Region::Eu2);
    let path = "/llu/connections";
    let (id, token) = (Some(s.account_id.as_str()), Some(s.token.as_str()));
    let upper = s.account_id.to_uppercase();
    let someone_else = account_id_for("someone-else");
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, u16, Outcome);
    let min = || Outcome::MinimumVersion { version: Some("4.16.0".into()) };
    let cases: Vec<Case<'_>> = vec![
        // Authorization first: it beats a bad version and a missing account-id.
        (None, None, None, 401, Outcome::InvalidToken),
        (Some("garbage"), id, Some(VERSION), 401, Outcome::InvalidToken),
        (Some(step.as_str()), id, Some(VERSION), 401, Outcome::InvalidToken),
        // Then the version floor (it beats a missing account-id).
        (token, None, None, 403, min()),
        (token, id, Some("4.15.9"), 403, min()),
        (token, id, Some("4.7"), 403, min()),
        (token, id, Some("junk"), 403, min()),
        // Then account-id.
        (token, None, Some(VERSION), 400, Outcome::RequiredHeaderMissing),
        (token, Some(""), Some(VERSION), 400, Outcome::RequiredHeaderMissing),
        (token, Some(&upper), Some(VERSION), 400, Outcome::AccountIdMismatch),
        (token, Some(&someone_else), Some(VERSION), 400, Outcome::AccountIdMismatch),
        // Two-part and newer versions are fine.
        (token, id, Some("4.16"), 200, Outcome::Success { ticket: None, payload: Payload::Other(Value::Null) }),
        (token, id, Some("5.0.0.1077"), 200, Outcome::Success { ticket: None, payload: Payload::Other(Value::Null) }),
    ];
    for (token, account_id, version, status, want) in cases {
        let answer = llu.get(eu2, path, token, account_id, version).await;
        let got = answer.outcome(Endpoint::Connections);
        assert_eq!(answer.status, status, "{token:?} {account_id:?} {version:?}: {}", answer.text());
        assert_eq!(got.code(), want.code(), "{token:?} {account_id:?} {version:?}");
        if let Outcome::MinimumVersion { .. } = want {
            assert_eq!(got, want);
            assert_eq!(answer.json(), json!({"data": {"minimumVersion": "4.16.0"}, "status": 920}));
        }
    }
    // The floor is per account, and login ignores it.
    llu.fake.update("family@tidewatch.test", |a| a.min_version = "4.18.0".into());
    let answer = llu.data(&s, path).await;
    assert_eq!(answer.outcome(Endpoint::Connections), Outcome::MinimumVersion { version: Some("4.18.0".into()) });
    let login = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await;
    assert!(matches!(login.outcome(Endpoint::Login), Outcome::Success { .. }));
    let bumped = llu.get(eu2, path, token, id, Some("4.18.0")).await;
    assert!(matches!(bumped.outcome(Endpoint::Connections), Outcome::Success { .. }));
}

#[tokio::test]
async fn a_session_used_at_another_regional_host_cannot_load_anything() {
    let llu = Llu::with([family()]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    let graph = format!("/llu/connections/{}/graph", Patient::demo().patient_id());
    for region in [None, Some(Region::Eu), Some(Region::De)] {
        let connections = llu.get(region, "/llu/connections", Some(&s.token), Some(&s.account_id), Some(VERSION)).await;
        assert_eq!(connections.status, 200);
        assert_eq!(connections.json(), json!({"status": 911}));
        assert_eq!(connections.outcome(Endpoint::Connections), Outcome::Maintenance);
        let g = llu.get(region, &graph, Some(&s.token), Some(&s.account_id), Some(VERSION)).await;
        assert_eq!(g.json(), json!({"status": 4, "error": {"message": "couldNotLoadPatient"}}));
        assert_eq!(g.outcome(Endpoint::Graph), Outcome::PatientNotFound);
    }
}

#[tokio::test]
async fn unknown_patients_cannot_be_loaded() {
    let llu = Llu::with([family()]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    for what in ["graph", "logbook"] {
        let answer = llu.data(&s, &format!("/llu/connections/{}/{what}", Patient::with_seed(99).patient_id())).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.outcome(Endpoint::Graph), Outcome::PatientNotFound, "{what}");
    }
}

#[tokio::test]
async fn revoked_tokens_are_invalid_and_a_new_login_works() {
    let llu = Llu::with([family()]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    let rolled = llu.data(&s, "/llu/connections").await.ticket(Endpoint::Connections);
    llu.fake.revoke_tokens("FAMILY@tidewatch.test");
    for token in [&s.token, &rolled.token] {
        let answer =
            llu.get(Some(Region::Eu2), "/llu/connections", Some(token), Some(&s.account_id), Some(VERSION)).await;
        assert_eq!((answer.status, answer.outcome(Endpoint::Connections)), (401, Outcome::InvalidToken));
    }
    let again = llu.session("family@tidewatch.test", "family123").await;
    assert!(matches!(
        llu.data(&again, "/llu/connections").await.outcome(Endpoint::Connections),
        Outcome::Success { .. }
    ));
    // The revoked calls are still attributed to the account.
    let statuses: Vec<u16> = llu.fake.calls("family@tidewatch.test").iter().map(|c| c.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 2);
}

#[tokio::test]
async fn an_account_without_patients_has_no_connections() {
    let llu = Llu::with([Account { patients: Vec::new(), ..Account::new("empty@tidewatch.test", "empty123") }]);
    let s = llu.session("empty@tidewatch.test", "empty123").await;
    let answer = llu.data(&s, "/llu/connections").await;
    assert_eq!(answer.json()["data"], json!([]));
    let Outcome::Success { payload: Payload::Connections(c), .. } = answer.outcome(Endpoint::Connections) else {
        panic!("{}", answer.text());
    };
    assert!(c.is_empty());
}

#[tokio::test]
async fn stale_data_lags_by_the_data_delay() {
    let delay = 2 * HOUR;
    let llu = Llu::with([Account {
        patients: vec![Patient::demo()],
        data_delay_secs: delay,
        ..Account::new("stale@tidewatch.test", "stale123")
    }]);
    let s = llu.session("stale@tidewatch.test", "stale123").await;
    let answer = llu.data(&s, "/llu/connections").await;
    let Outcome::Success { ticket: Some(ticket), payload: Payload::Connections(c) } =
        answer.outcome(Endpoint::Connections)
    else {
        panic!("{}", answer.text());
    };
    let now = server_now(&ticket);
    let current = parse_factory(&c[0].glucose_measurement.as_ref().unwrap().factory_timestamp).unwrap();
    let expected = simulate::current(&Patient::demo(), now - delay).unwrap();
    assert_eq!(current, expected.at);
    assert!(now.secs_since(current) >= delay, "current value is {} s old", now.secs_since(current));
    // The ticket is about the real now.
    let real_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now.unix_secs() - real_now).abs() <= MINUTE);
}

// ---------------------------------------------------------------------------------------------------------------
// Failures: edge, rate limit, maintenance

#[tokio::test]
async fn edge_blocks_answer_cloudflare_html() {
    let llu = Llu::with([family(), Account::new("other@tidewatch.test", "other123")]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    llu.fake.set_edge_block(true);
    let login = llu.login(None, "family@tidewatch.test", "family123").await;
    assert_eq!(login.status, 403);
    assert!(login.header("content-type").unwrap().starts_with("text/html"));
    assert!(login.text().contains("Attention Required! | Cloudflare"));
    assert!(login.text().contains(login.header("cf-ray").unwrap()), "the page shows the ray id of its header");
    assert_eq!(login.outcome(Endpoint::Login), Outcome::EdgeBlocked);
    let data = llu.data(&s, "/llu/connections").await;
    assert_eq!(data.outcome(Endpoint::Connections), Outcome::EdgeBlocked);
    let config = llu.get(None, "/llu/config/country?country=DE", None, None, None).await;
    assert_eq!(config.outcome(Endpoint::CountryConfig), Outcome::EdgeBlocked);
    llu.fake.set_edge_block(false);

    // One account blocked, the other not.
    llu.fake.update("family@tidewatch.test", |a| a.edge_block = true);
    assert_eq!(llu.data(&s, "/llu/connections").await.outcome(Endpoint::Connections), Outcome::EdgeBlocked);
    let login = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await;
    assert_eq!((login.status, login.outcome(Endpoint::Login)), (403, Outcome::EdgeBlocked));
    let other = llu.login(Some(Region::Eu), "other@tidewatch.test", "other123").await;
    assert!(matches!(other.outcome(Endpoint::Login), Outcome::Success { .. }));
    assert!(llu.fake.calls("family@tidewatch.test").iter().filter(|c| c.status == 403).count() >= 3);
}

#[tokio::test]
async fn a_burst_over_the_rate_limit_answers_429_with_retry_after() {
    let limit = RateLimit { max_calls: 3, per_secs: 60, retry_after_secs: 30 };
    let llu = Llu::with([Account { rate_limit: Some(limit), ..family() }]);
    let s = llu.session("family@tidewatch.test", "family123").await; // global redirect + login: 2 calls
    let ok = llu.data(&s, "/llu/connections").await;
    assert!(matches!(ok.outcome(Endpoint::Connections), Outcome::Success { .. }));
    let limited = llu.data(&s, "/llu/connections").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("30"));
    assert_eq!(limited.outcome(Endpoint::Connections), Outcome::RateLimited { retry_after_secs: 30 });
    let login = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await;
    assert_eq!(login.outcome(Endpoint::Login), Outcome::RateLimited { retry_after_secs: 30 });
}

#[tokio::test]
async fn maintenance_as_a_body_or_as_http_911() {
    let llu = Llu::with([family()]);
    let s = llu.session("family@tidewatch.test", "family123").await;
    for (mode, status) in [(Maintenance::Body, 200), (Maintenance::Http, 911)] {
        llu.fake.update("family@tidewatch.test", |a| a.maintenance = Some(mode));
        let login = llu.login(None, "family@tidewatch.test", "family123").await;
        assert_eq!((login.status, login.outcome(Endpoint::Login)), (status, Outcome::Maintenance), "{mode:?}");
        let data = llu.data(&s, "/llu/connections").await;
        assert_eq!((data.status, data.outcome(Endpoint::Connections)), (status, Outcome::Maintenance));
        assert_eq!(data.json(), json!({"status": 911}));
    }
    llu.fake.update("family@tidewatch.test", |a| a.maintenance = None);
    assert!(matches!(llu.data(&s, "/llu/connections").await.outcome(Endpoint::Connections), Outcome::Success { .. }));
}

// ---------------------------------------------------------------------------------------------------------------
// Country config, routing, malformed requests, recording, control API

#[tokio::test]
async fn country_config_points_every_region_back_at_the_fake() {
    let llu = Llu::new();
    let base = llu.fake.base_url();
    for host in [None, Some(Region::De)] {
        let answer = llu.get(host, "/llu/config/country?country=DE&version=4.17.0", None, None, None).await;
        let Outcome::Success { payload: Payload::CountryConfig(config), .. } = answer.outcome(Endpoint::CountryConfig)
        else {
            panic!("{}", answer.text());
        };
        assert_eq!(config.regional_map["eu2"].lsl_api, format!("{base}/eu2/"));
        assert_eq!(config.regional_map["de"].lsl_api, format!("{base}/de/"));
        assert!(!config.regional_map.contains_key("global"));
        let own = host.map_or(format!("{base}/"), |r| format!("{base}/{}/", r.code()));
        assert_eq!(config.lsl_api.as_deref(), Some(own.as_str()));
        assert_eq!(config.min_version.as_deref(), Some("4.16.0"));
    }
    let calls = llu.fake.all_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].kind, CallKind::CountryConfig);
    assert_eq!(calls[0].path, "/llu/config/country?country=DE&version=4.17.0");
    assert_eq!((calls[0].region, calls[1].region), (None, Some(Region::De)));
}

#[tokio::test]
async fn unknown_prefixes_paths_and_methods() {
    let llu = Llu::with([family()]);
    let base = llu.fake.base_url();
    for path in
        ["/global/llu/connections", "/xx/llu/auth/login", "/", "/eu2/__fake/calls", "/de/llu/nothing", "/api/v1"]
    {
        let answer = llu.send(Method::GET, &format!("{base}{path}"), &[], None).await;
        assert_eq!(answer.status, 404, "{path}");
        assert_eq!(answer.json(), json!({"message": "NotFound"}));
    }
    let answer = llu.send(Method::GET, &llu.url(Some(Region::Eu2), "/llu/auth/login"), &[], None).await;
    assert_eq!((answer.status, answer.json()), (405, json!({"message": "MethodNotAllowed"})));
    assert_eq!(answer.header("allow"), Some("POST"));
    let answer = llu.send(Method::DELETE, &llu.url(Some(Region::Eu2), "/llu/connections"), &[], None).await;
    assert_eq!(answer.status, 405);
    let kinds: Vec<CallKind> = llu.fake.all_calls().iter().map(|c| c.kind).collect();
    assert_eq!(kinds[..6], [CallKind::Other; 6]);
    assert_eq!(kinds[6..], [CallKind::Login, CallKind::Connections]);
    assert!(llu.fake.all_calls().iter().all(|c| c.status >= 400));
}

#[tokio::test]
async fn malformed_logins_get_llu_style_errors() {
    let llu = Llu::with([family()]);
    let url = llu.url(Some(Region::Eu2), "/llu/auth/login");
    let post = |body: &'static [u8]| {
        llu.send(Method::POST, &url, &[("content-type", "application/json")], Some(body.to_vec()))
    };
    let not_json = post(b"{\"email\": ").await;
    assert_eq!((not_json.status, not_json.json()), (400, json!({"message": "BadRequest"})));
    let array = post(b"[1,2]").await;
    assert_eq!(array.status, 400);
    for body in [&b"{}"[..], b"{\"email\":\"family@tidewatch.test\"}", b"{\"password\":\"family123\"}"] {
        let answer = llu.send(Method::POST, &url, &[], Some(body.to_vec())).await;
        assert_eq!(answer.json(), json!({"status": 2, "error": {"message": "notAuthenticated"}}));
        assert_eq!(answer.outcome(Endpoint::Login), Outcome::BadCredentials);
    }
    let empty = post(b"").await;
    assert_eq!(empty.status, 400);
    let huge = llu.send(Method::POST, &url, &[], Some(vec![b' '; 2 * 1024 * 1024])).await;
    assert_eq!(huge.status, 413);
    // The server is still fine.
    let ok = llu.login(Some(Region::Eu2), "family@tidewatch.test", "family123").await;
    assert!(matches!(ok.outcome(Endpoint::Login), Outcome::Success { .. }));
}

#[tokio::test]
async fn every_call_is_recorded_and_attributed() {
    let llu = Llu::with([family()]);
    let s = llu.session("Family@tidewatch.test", "family123").await;
    llu.data(&s, "/llu/connections").await;
    llu.get(Some(Region::Eu2), "/llu/connections", Some("unknown"), None, None).await;
    let calls = llu.fake.calls("family@TIDEWATCH.test");
    let summary: Vec<(Option<Region>, &str, CallKind, u16)> =
        calls.iter().map(|c| (c.region, c.path.as_str(), c.kind, c.status)).collect();
    assert_eq!(
        summary,
        [
            (None, "/llu/auth/login", CallKind::Login, 200),
            (Some(Region::Eu2), "/llu/auth/login", CallKind::Login, 200),
            (Some(Region::Eu2), "/llu/connections", CallKind::Connections, 200),
        ]
    );
    let data = &calls[2];
    assert_eq!(data.method, "GET");
    assert_eq!(data.header("account-id"), Some(s.account_id.as_str()));
    assert_eq!(data.header("version"), Some(VERSION));
    assert_eq!(data.header("authorization"), Some(format!("Bearer {}", s.token).as_str()));
    assert!(calls.iter().flat_map(|c| &c.headers).all(|(n, _)| *n == n.to_lowercase()));
    assert_eq!(llu.fake.count("family@tidewatch.test", CallKind::Login), 2);
    // The unknown token is in all_calls only.
    let all = llu.fake.all_calls();
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].status, 401);
    assert!(llu.fake.calls("nobody@tidewatch.test").is_empty());
}

#[tokio::test]
async fn the_control_api_adds_accounts_lists_calls_and_resets() {
    let llu = Llu::new();
    let base = llu.fake.base_url();
    let account = json!({"email": "remote@tidewatch.test", "password": "remote123", "region": "ca",
                         "patients": ["second"], "rate_limit": null});
    let added = llu.send(Method::POST, &format!("{base}/__fake/accounts"), &[], Some(account.to_string().into())).await;
    assert_eq!((added.status, added.json()["ok"].clone()), (200, json!(true)));
    let bad = llu.send(Method::POST, &format!("{base}/__fake/accounts"), &[], Some(b"{\"email\":1}".to_vec())).await;
    assert_eq!(bad.status, 400);

    let s = llu.session("remote@tidewatch.test", "remote123").await;
    assert_eq!(s.region, Region::Ca);
    let answer = llu.data(&s, "/llu/connections").await;
    let Outcome::Success { payload: Payload::Connections(c), .. } = answer.outcome(Endpoint::Connections) else {
        panic!("{}", answer.text());
    };
    assert_eq!(c[0].patient_id, Patient::second().patient_id());

    let listed = llu.send(Method::GET, &format!("{base}/__fake/calls?email=remote%40tidewatch.test"), &[], None).await;
    let calls: Vec<tidewatch_tests::Call> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(calls, llu.fake.calls("remote@tidewatch.test"));
    assert_eq!(calls.len(), 3);
    assert_eq!(listed.json()[2]["kind"], "connections");
    let everything = llu.send(Method::GET, &format!("{base}/__fake/calls"), &[], None).await;
    assert_eq!(everything.json().as_array().unwrap().len(), 3);

    let reset = llu.send(Method::POST, &format!("{base}/__fake/reset"), &[], None).await;
    assert_eq!(reset.status, 200);
    assert!(llu.fake.all_calls().is_empty());
    let unknown = llu.send(Method::GET, &format!("{base}/__fake/nothing"), &[], None).await;
    assert_eq!(unknown.status, 404);
    assert!(llu.fake.all_calls().is_empty(), "control calls are not recorded");
}

#[tokio::test]
async fn the_default_accounts_behave_as_advertised() {
    let llu = Llu::new();
    llu.fake.seed_defaults();
    let passwords: Vec<(String, String)> =
        default_accounts().into_iter().map(|(a, _)| (a.email.clone(), a.password.clone())).collect();
    let password = |email: &str| passwords.iter().find(|(e, _)| e == email).map(|(_, p)| p.clone()).unwrap();

    let family = llu.session("family@tidewatch.test", &password("family@tidewatch.test")).await;
    assert_eq!(family.region, Region::Eu2);
    let answer = llu.data(&family, "/llu/connections").await;
    let Outcome::Success { payload: Payload::Connections(c), .. } = answer.outcome(Endpoint::Connections) else {
        panic!("{}", answer.text());
    };
    assert_eq!(c.len(), 2);
    assert_eq!(c.iter().filter(|c| c.sensor.is_none()).count(), 1);

    let mut region = None;
    let mut hops = Vec::new();
    let step = loop {
        let answer = llu.login(region, "terms@tidewatch.test", &password("terms@tidewatch.test")).await;
        match answer.outcome(Endpoint::Login) {
            Outcome::Redirect { region: to } => {
                hops.push(to);
                region = Some(to);
            }
            Outcome::Step { kind, .. } => break kind,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!((hops, step), (vec![Region::Eu, Region::De], StepKind::TermsOfUse));

    let empty = llu.session("empty@tidewatch.test", &password("empty@tidewatch.test")).await;
    assert_eq!(llu.data(&empty, "/llu/connections").await.json()["data"], json!([]));

    let verify = llu.login(Some(Region::Fr), "verify@tidewatch.test", &password("verify@tidewatch.test")).await;
    assert!(matches!(verify.outcome(Endpoint::Login), Outcome::Step { kind: StepKind::VerifyEmail, .. }));

    let newer = llu.session("newer@tidewatch.test", &password("newer@tidewatch.test")).await;
    let answer = llu.data(&newer, "/llu/connections").await;
    assert_eq!(answer.outcome(Endpoint::Connections), Outcome::MinimumVersion { version: Some("4.18.0".into()) });
}

// ---------------------------------------------------------------------------------------------------------------
// The binary

#[test]
fn the_binary_prints_help_and_serves_the_default_accounts() {
    let exe = env!("CARGO_BIN_EXE_fake-libreview");
    let help = Command::new(exe).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port"));
    let bad = Command::new(exe).arg("--bogus").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let mut child = Command::new(exe).args(["--port", "0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first.rsplit(' ').next().unwrap().to_owned();
    let listing: Vec<String> = lines.by_ref().take(1 + default_accounts().len()).map(Result::unwrap).collect();
    assert!(listing.iter().any(|l| l.contains("family@tidewatch.test / family123")), "{listing:?}");

    let address = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let body = r#"{"email":"family@tidewatch.test","password":"family123"}"#;
    let request = format!(
        "POST /llu/auth/login HTTP/1.1\r\nHost: {address}\r\ncontent-type: application/json\r\n\
         user-agent: {APP_USER_AGENT}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body, json!({"status": 0, "data": {"redirect": true, "region": "eu2"}}));
}

/// The repository's own LibreLinkUp fixtures (`fixtures/llu/`) are the fake's answers, as
/// `cargo run -p tidewatch-tests --bin make-fixtures` writes them: they cannot drift from the fake.
#[test]
fn the_shipped_fixtures_are_the_fakes_answers() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/llu");
    let made = tidewatch_tests::fake::fixtures::fixtures();
    for (name, body) in &made {
        let shipped = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("fixtures/llu/{name}: {e}"));
        assert!(shipped == *body, "fixtures/llu/{name} differs from the fake's answer: run make-fixtures");
    }
    let mut shipped: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    shipped.sort();
    let mut names: Vec<String> = made.iter().map(|(name, _)| (*name).to_owned()).collect();
    names.sort();
    assert_eq!(shipped, names, "no file there that the fake does not make");
}
