//! Background alarms end to end: the real worker in workerd, its Cron Trigger run through `wrangler dev
//! --test-scheduled` at chosen instants, the fake LibreLinkUp, and a fake push service on loopback. Every push is
//! decrypted by PyPI's `http-ece` and its VAPID header verified by `py-vapid` (`tests/clients/push_tool.py`),
//! never by Tidewatch's own code.
//!
//! The cron's instant is the alarm clock: each test moves it forward (one minute, five, thirty) and moves the fake's
//! data with it (`data_delay_secs`), so "repeats every 5 minutes" is tested in seconds. These tests share one stack
//! of their own and run one at a time (the cron's minute is one clock for every account's `Watcher`), each on a later stretch
//! of that clock than the last.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use shared::simulate::{self, Hold, Patient};
use shared::time::{HOUR, MINUTE, UtcTime};
use shared::units::MgDl;
use tidewatch_tests::Account;
use tidewatch_tests::stack::{Stack, TEST_VAPID_PUBLIC, TEST_VAPID_SUBJECT};
use tokio::sync::Mutex;

mod loud;
mod notes;
mod polling;
mod receipts;
mod session;
mod settings;
mod watchdog;

/// One test at a time; holds the last instant the cron ran at.
static CLOCK: Mutex<i64> = Mutex::const_new(0);

fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| match Stack::start_worker_only(&[]) {
        Ok(stack) => {
            eprintln!("push stack worker log: {}", stack.log.display());
            stack
        }
        Err(e) => panic!("cannot start the push stack: {e}"),
    })
}

fn real_now() -> i64 {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

/// A patient held at `level` from a day before `from` on, whose sensor delivers a reading every minute from
/// `from - 1 h` to `to` (a seed with no signal gap there). The sensor was put on two days before `from`, so no
/// "sensor ends" notice joins a test's pushes, whatever the day the tests run.
fn steady_patient(level: u16, from: i64, to: i64) -> Patient {
    let script = vec![Hold { from: UtcTime::from_unix_secs(from - 24 * HOUR), level: MgDl::new(level) }];
    gapless_patient("Lee", script, (from, to), 1..2000)
}

/// A patient called `name` whose glucose follows `script`, and whose sensor delivers a reading every minute from
/// `from - 1 h` to `to` (the first seed from `seeds` with no signal gap there), worn for two days before `from`.
/// The seed is the patient's identity: two patients of one account take theirs from different ranges.
fn gapless_patient(name: &str, script: Vec<Hold>, (from, to): (i64, i64), seeds: std::ops::Range<u64>) -> Patient {
    seeds
        .map(|seed| Patient {
            first_name: name.into(),
            script: script.clone(),
            sensor_anchor: UtcTime::from_unix_secs(from - 48 * HOUR),
            ..Patient::with_seed(seed)
        })
        .find(|p| {
            (from - HOUR..=to).step_by(60).all(|t| {
                let now = UtcTime::from_unix_secs(t);
                simulate::current(p, now).is_some_and(|r| now.secs_since(r.at) < MINUTE)
            })
        })
        .expect("some seed has no gap in the window")
}

/// A fresh account whose one patient is `patient`.
fn account(tag: &str, patient: Patient) -> Account {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let email = format!("push-{tag}-{}-{n}@tidewatch.test", std::process::id());
    let account = Account { patients: vec![patient], ..Account::new(&email, "right-password") };
    stack().fake.add_account(account.clone());
    account
}

/// Signs in; the sealed token and the first patient's id.
async fn sign_in(account: &Account) -> (String, String) {
    let http = client();
    let login = json!({"email": account.email, "password": account.password});
    let answer: Value =
        http.post(stack().url("/llu/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let token = answer["data"]["authTicket"]["token"].as_str().unwrap().to_owned();
    let list: Value =
        http.get(stack().url("/llu/connections")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    (token, list["data"][0]["patientId"].as_str().unwrap().to_owned())
}

/// What `push_tool.py` runs with.
fn python() -> std::path::PathBuf {
    crate::clients::python()
}

fn push_tool(args: &[&str], input: Option<&Value>) -> Value {
    let script = tidewatch_tests::stack::root().join("tests/clients/push_tool.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "push_tool.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A browser-like subscription: its keys (made by Python's `cryptography`) and its endpoint on the fake service.
struct Phone {
    inbox: String,
    keys: Value,
    id: String,
    key: String,
}

static PHONES: AtomicU32 = AtomicU32::new(0);

/// Subscribes a new phone with `auth` (`Bearer …` or `Share …`) to `patient`, with `extra` fields in the body.
async fn subscribe(auth: &str, patient: &str, extra: Value) -> Phone {
    subscribe_with(auth, patient, extra, push_tool(&["keys"], None)).await
}

/// [`subscribe`] with the browser keys given (`push_tool.py keys`).
async fn subscribe_with(auth: &str, patient: &str, extra: Value, keys: Value) -> Phone {
    let inbox = format!("phone-{}-{}", std::process::id(), PHONES.fetch_add(1, Ordering::Relaxed));
    subscribe_at(auth, patient, extra, keys, inbox).await
}

/// [`subscribe_with`] at a given inbox (the same phone, subscribing again).
async fn subscribe_at(auth: &str, patient: &str, extra: Value, keys: Value, inbox: String) -> Phone {
    let mut body = json!({
        "subscription": {"endpoint": stack().push.endpoint(&inbox), "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}},
        "patientId": patient,
        "unit": "mgdl",
    });
    for (name, value) in extra.as_object().into_iter().flatten() {
        body[name] = value.clone();
    }
    let (status, answer) = post_subscribe(auth, &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    Phone { inbox, keys, id: answer["id"].as_str().unwrap().into(), key: answer["key"].as_str().unwrap().into() }
}

/// A subscribe request as the app sends it: the status, and the answer (`null` when it is not JSON).
async fn post_subscribe(auth: &str, body: &Value) -> (StatusCode, Value) {
    let response = client()
        .post(stack().url("/api/push/subscribe"))
        .header("authorization", auth)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json::<Value>().await.unwrap_or(Value::Null))
}

/// A link to `patient` for Grandma, from Alex, made by the owner with `bearer`: the answer of `POST /api/shares`.
async fn grandmas_link(bearer: &str, patient: &str) -> Value {
    let body = json!({"patientId": patient, "label": "Grandma", "from": "Alex"});
    let response = client().post(stack().url("/api/shares")).header("authorization", bearer).json(&body).send().await;
    response.unwrap().json().await.unwrap()
}

/// One push as the phone would read it.
struct Opened {
    status: u16,
    headers: std::collections::BTreeMap<String, String>,
    payload: Value,
    tool: Value,
    bytes: usize,
}

/// Everything the fake push service received for `phone`, decrypted and verified independently.
fn received(phone: &Phone) -> Vec<Opened> {
    stack()
        .push
        .received(&phone.inbox)
        .into_iter()
        .map(|r| {
            let request = json!({
                "private": phone.keys["private"],
                "auth": phone.keys["auth"],
                "body": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &r.body),
                "authorization": r.headers.get("authorization").cloned().unwrap_or_default(),
            });
            let tool = push_tool(&["open"], Some(&request));
            let payload = serde_json::from_str(tool["plaintext"].as_str().unwrap()).unwrap();
            Opened { status: r.status, headers: r.headers, payload, tool, bytes: r.body.len() }
        })
        .collect()
}

fn kinds(phone: &Phone) -> Vec<String> {
    received(phone).iter().map(|o| o.payload["kind"].as_str().unwrap_or("?").to_owned()).collect()
}

/// Runs the cron at `at`, with `account`'s data moved so that the fake's "now" is `at`.
async fn cron(account: &Account, at: i64) {
    let delay = real_now() - at;
    stack().fake.update(&account.email, |a| a.data_delay_secs = delay);
    stack().cron_at(at).await.unwrap();
}

/// A `{id, key}` call.
async fn present(path: &str, phone: &Phone, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"id": phone.id, "key": phone.key});
    for (name, value) in extra.as_object().into_iter().flatten() {
        body[name] = value.clone();
    }
    let response = client().post(stack().url(path)).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The start of a fresh stretch of the cron's clock, after every instant an earlier test used; `span` is the
/// last offset this test runs the cron at (a tick at or before the Watcher's last one is refused as a duplicate).
fn fresh_start(clock: &mut i64, span: i64) -> i64 {
    let start = real_now().max(*clock + MINUTE) / MINUTE * MINUTE + MINUTE;
    *clock = start + span;
    start
}

/// A test's own stretch of the cron's clock (held until the test ends: `_clock`), starting at `t`, and a signed-in
/// account whose patient is steady at `level` from an hour before `t` to `t + data_for`.
struct Owner {
    _clock: tokio::sync::MutexGuard<'static, i64>,
    t: i64,
    account: Account,
    token: String,
    patient: String,
}

/// [`Owner`] for a test that runs the cron up to `t + span` (see [`fresh_start`]).
async fn owner(tag: &str, level: u16, span: i64, data_for: i64) -> Owner {
    let mut clock = CLOCK.lock().await;
    let t = fresh_start(&mut clock, span);
    let account = account(tag, steady_patient(level, t, t + data_for));
    let (token, patient) = sign_in(&account).await;
    Owner { _clock: clock, t, account, token, patient }
}

/// `owner`, and the owner's own phone subscribed with the default settings.
async fn owner_with_phone(tag: &str, level: u16, span: i64, data_for: i64) -> (Owner, Phone) {
    let owner = owner(tag, level, span, data_for).await;
    let phone = owners_phone(&owner.token, &owner.patient).await;
    (owner, phone)
}

/// The owner's own phone, subscribed with the default settings.
async fn owners_phone(token: &str, patient: &str) -> Phone {
    subscribe(&format!("Bearer {token}"), patient, json!({})).await
}

#[tokio::test]
async fn a_test_alarm_decrypts_with_http_ece_and_its_vapid_token_verifies_with_py_vapid() {
    let Owner { _clock, token, patient, .. } = owner("test", 120, 0, HOUR).await;
    let key: Value = client().get(stack().url("/api/push/key")).send().await.unwrap().json().await.unwrap();
    assert_eq!(key["publicKey"], TEST_VAPID_PUBLIC);
    let phone = owners_phone(&token, &patient).await;
    let before = real_now();
    let (status, answer) = present("/api/push/test", &phone, json!({})).await;
    assert_eq!((status, answer["status"].as_u64()), (StatusCode::OK, Some(201)), "{answer}");
    let got = received(&phone);
    assert_eq!(got.len(), 1);
    let push = &got[0];
    assert_eq!(push.payload["kind"], "Test");
    assert_eq!(push.payload["title"], "Tidewatch test alarm");
    assert_eq!((push.payload["sub"].as_str(), push.payload["key"].as_str()), (Some(&*phone.id), Some(&*phone.key)));
    // RFC 8291: one aes128gcm record of 4096, the sender's 65-byte key as key id, padded to 256-byte buckets.
    assert_eq!(push.headers["content-encoding"], "aes128gcm");
    assert_eq!((push.tool["rs"].as_u64(), push.tool["keyid_len"].as_u64()), (Some(4096), Some(65)));
    assert_eq!((push.bytes - 86 - 16) % 256, 0, "padded: {} bytes", push.bytes);
    // RFC 8292: py-vapid verifies the ES256 signature with the key in `k`, which is the server's.
    assert_eq!(push.tool["vapid_valid"], true);
    assert_eq!(push.tool["k"], TEST_VAPID_PUBLIC);
    assert_eq!(push.tool["jwt_header"]["alg"], "ES256");
    assert_eq!(push.tool["claims"]["aud"], stack().push.base_url());
    assert_eq!(push.tool["claims"]["sub"], TEST_VAPID_SUBJECT);
    let exp = push.tool["claims"]["exp"].as_i64().unwrap();
    assert!(exp > before && exp <= before + 24 * HOUR, "exp {exp} must be within 24 h of {before}");
    assert_eq!(push.headers["urgency"], "high");
    assert!(push.headers["ttl"].parse::<i64>().unwrap() > 0);
    // Unsubscribed: the key no longer works.
    assert_eq!(present("/api/push/unsubscribe", &phone, json!({})).await.0, StatusCode::OK);
    let (status, answer) = present("/api/push/test", &phone, json!({})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("push_not_found")));
}

#[tokio::test]
async fn a_low_sends_exactly_one_push_and_a_double_cron_sends_nothing_twice() {
    let (Owner { _clock, t, account, .. }, phone) = owner_with_phone("low", 62, 15 * MINUTE, 20 * MINUTE).await;
    cron(&account, t).await;
    cron(&account, t).await; // Cron's occasional double delivery.
    cron(&account, t + MINUTE).await;
    cron(&account, t + 2 * MINUTE).await;
    let got = received(&phone);
    assert_eq!(got.iter().map(|o| o.payload["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["Low"]);
    let low = &got[0];
    assert_eq!(low.payload["title"], "Low: 62 mg/dL");
    assert!(low.payload["body"].as_str().unwrap().starts_with("Lee"), "{}", low.payload);
    assert_eq!(low.payload["urgent"], false);
    assert_eq!(low.payload["snooze_min"], 15);
    assert_eq!(low.headers["topic"], "Low");
    assert_eq!(low.tool["vapid_valid"], true);
    // Low repeats after 15 minutes while it lasts.
    cron(&account, t + 15 * MINUTE).await;
    assert_eq!(kinds(&phone), ["Low", "Low"]);
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn urgent_low_repeats_every_five_minutes_until_someone_is_on_it() {
    let (Owner { _clock, t, account, .. }, phone) = owner_with_phone("urgent", 45, 25 * MINUTE, 30 * MINUTE).await;
    for minute in 0..5 {
        cron(&account, t + minute * MINUTE).await;
    }
    let got = received(&phone);
    assert_eq!(got.len(), 1, "one push in the first five minutes");
    assert_eq!(got[0].payload["kind"], "UrgentLow");
    assert_eq!(got[0].payload["title"], "Urgent low: 45 mg/dL");
    assert_eq!(got[0].payload["urgent"], true);
    assert_eq!(got[0].headers["urgency"], "high");
    assert!(got[0].headers["ttl"].parse::<i64>().unwrap() <= 300, "an urgent low is not worth delivering late");
    cron(&account, t + 5 * MINUTE).await;
    assert_eq!(kinds(&phone), ["UrgentLow", "UrgentLow"], "the 5-minute repeat");
    // "I'm on it" from the notification: no repeat at +10; urgent low is muted 15 minutes at most, so at +20,
    // still urgent low, it rings again.
    let (status, answer) = present("/api/push/ack", &phone, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!((status, answer["phones"].as_u64()), (StatusCode::OK, Some(1)), "{answer}");
    for minute in 6..=19 {
        cron(&account, t + minute * MINUTE).await;
    }
    assert_eq!(kinds(&phone).len(), 2, "no repeat while someone is on it");
    cron(&account, t + 20 * MINUTE).await;
    assert_eq!(kinds(&phone), ["UrgentLow", "UrgentLow", "UrgentLow"]);
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

/// workerd restarts (or evicts the Watcher) while an urgent low is ringing: the Watcher reads its phones, alarm
/// states and last tick back from storage, so the low neither rings again as new nor stops repeating.
#[tokio::test]
async fn an_urgent_low_keeps_its_rhythm_across_a_restart_of_the_worker() {
    let (Owner { _clock, t, account, .. }, phone) = owner_with_phone("restart", 45, 6 * MINUTE, 10 * MINUTE).await;
    cron(&account, t).await;
    assert_eq!(kinds(&phone), ["UrgentLow"]);
    stack().restart().unwrap();
    cron(&account, t).await; // The same minute again, after the restart: a duplicate.
    cron(&account, t + MINUTE).await;
    assert_eq!(kinds(&phone), ["UrgentLow"], "the alarm state came back: no second push as if it were new");
    cron(&account, t + 5 * MINUTE).await;
    assert_eq!(kinds(&phone), ["UrgentLow", "UrgentLow"], "the phone came back: the 5-minute repeat rings");
    stack().restart().unwrap();
    cron(&account, t + 6 * MINUTE).await;
    assert_eq!(kinds(&phone).len(), 2);
    let (status, _) = present("/api/push/unsubscribe", &phone, json!({})).await;
    assert_eq!(status, StatusCode::OK, "the key came back");
}

/// LibreLinkUp ends the owner's session: the phone is told its alarms stopped. The owner signs in again, and with
/// nothing else done the same phone is alarmed again (the Watcher takes the new session).
#[tokio::test]
async fn signing_in_again_restarts_alarms_that_stopped_with_the_session() {
    let (Owner { _clock, t, account, .. }, phone) = owner_with_phone("relogin", 45, 5 * MINUTE, 10 * MINUTE).await;
    stack().fake.revoke_tokens(&account.email);
    cron(&account, t).await;
    assert_eq!(kinds(&phone), ["SignedOut"]);
    sign_in(&account).await;
    cron(&account, t + MINUTE).await;
    let mut after = kinds(&phone).split_off(1);
    after.sort();
    assert_eq!(after, ["Recovered", "UrgentLow"], "the urgent low rings, and the phone is told alarms are back");
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

/// The Watcher learns when the sensor ends from LibreLinkUp's answer (the phone never sends it): 20 hours before
/// the end, the phone gets the "sensor ends within 24 h" notice, once.
#[tokio::test]
async fn the_sensor_notice_reaches_a_phone_from_llus_data() {
    let mut clock = CLOCK.lock().await;
    let t = fresh_start(&mut clock, MINUTE);
    let mut patient = steady_patient(120, t, t + 10 * MINUTE);
    let life = patient.sensor_model.lifetime_secs();
    patient.sensor_anchor = UtcTime::from_unix_secs(t + 20 * HOUR - life);
    let account = account("sensor", patient);
    let (token, patient) = sign_in(&account).await;
    let phone = owners_phone(&token, &patient).await;
    cron(&account, t).await;
    cron(&account, t + MINUTE).await;
    assert_eq!(kinds(&phone), ["SensorEndsInADay"]);
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

/// A family with more phones than one Durable Object storage call takes (128 keys): the Watcher stores every
/// subscription, and reads every one back after a restart.
#[tokio::test]
async fn more_phones_than_one_storage_call_takes_are_all_kept() {
    let Owner { _clock, t, account: first, token, patient } = owner("many-keys", 120, 0, 10 * MINUTE).await;
    let mut families = vec![(token, patient)];
    for _ in 1..6 {
        families.push(sign_in(&account("many-keys", steady_patient(120, t, t + 10 * MINUTE))).await);
    }
    // Six patients of 24 phones each (a patient takes 25 at most): 144 subscriptions, 6 series and the book's
    // own value, 151 keys.
    let keys = push_tool(&["keys"], None);
    let mut phones = Vec::new();
    for (token, patient) in &families {
        for _ in 0..24 {
            phones.push(subscribe_with(&format!("Bearer {token}"), patient, json!({}), keys.clone()).await);
        }
    }
    cron(&first, t).await;
    stack().restart().unwrap();
    for phone in &phones {
        let (status, answer) = present("/api/push/unsubscribe", phone, json!({})).await;
        assert_eq!(status, StatusCode::OK, "phone {} came back: {answer}", phone.id);
    }
}

/// Shared acknowledgement is the owner's: the owner's "I'm on it" stops every phone, a link's stops only the link's
/// own phone (a read-only link must not silence the family). Revoking the link removes its phone at once.
#[tokio::test]
async fn a_links_acknowledgement_is_its_own_and_a_revoked_links_phone_goes_at_once() {
    let Owner { _clock, t, account, token, patient } = owner("shared", 45, 20 * MINUTE, 25 * MINUTE).await;
    let bearer = format!("Bearer {token}");
    let owner = subscribe(&bearer, &patient, json!({"sharedAck": true})).await;
    let share = grandmas_link(&bearer, &patient).await;
    let secret = share["secret"].as_str().unwrap();
    let grandma = subscribe(&format!("Share {secret}"), "", json!({})).await;
    cron(&account, t).await;
    assert_eq!((kinds(&owner), kinds(&grandma)), (vec!["UrgentLow".to_owned()], vec!["UrgentLow".to_owned()]));
    // Grandma taps "I'm on it": her phone stops, the parents' phone keeps ringing.
    let (_, answer) = present("/api/push/ack", &grandma, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!(answer["phones"], 1, "{answer}");
    cron(&account, t + 5 * MINUTE).await;
    assert_eq!((kinds(&owner).len(), kinds(&grandma).len()), (2, 1));
    // The owner taps it: with shared acknowledgement every phone stops.
    let (_, answer) = present("/api/push/ack", &owner, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!(answer["phones"], 2, "{answer}");
    cron(&account, t + 10 * MINUTE).await;
    assert_eq!((kinds(&owner).len(), kinds(&grandma).len()), (2, 1));
    // The owner revokes the link: grandma's phone is gone at once, before any tick.
    let id = share["id"].as_str().unwrap();
    let revoked = client().delete(stack().url(&format!("/api/shares/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let (status, _) = present("/api/push/ack", &grandma, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the revoked link's phone can no longer act");
    cron(&account, t + 20 * MINUTE).await;
    assert_eq!((kinds(&owner).len(), kinds(&grandma).len()), (3, 1), "urgent low is muted 15 minutes at most");
    present("/api/push/unsubscribe", &owner, json!({})).await;
}

/// A link the owner let acknowledge for everyone (its own choice, made with the link): with shared acknowledgement,
/// grandma's "I'm on it" quiets every phone, as the owner's own does.
#[tokio::test]
async fn a_link_the_owner_trusts_acknowledges_for_everyone() {
    let Owner { _clock, t, account, token, patient } = owner("trusted", 45, 10 * MINUTE, 15 * MINUTE).await;
    let bearer = format!("Bearer {token}");
    let owner = subscribe(&bearer, &patient, json!({"sharedAck": true})).await;
    let body = json!({"patientId": patient, "label": "Grandpa", "from": "Alex", "actsForAll": true});
    let response = client().post(stack().url("/api/shares")).header("authorization", &bearer).json(&body).send().await;
    let share: Value = response.unwrap().json().await.unwrap();
    let listed: Value =
        client().get(stack().url("/api/shares")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["shares"][0]["actsForAll"], true, "the owner's list says which links may: {listed}");
    let grandpa = subscribe(&format!("Share {}", share["secret"].as_str().unwrap()), "", json!({})).await;
    cron(&account, t).await;
    assert_eq!((kinds(&owner).len(), kinds(&grandpa).len()), (1, 1));
    let (_, answer) = present("/api/push/ack", &grandpa, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!(answer["phones"], 2, "{answer}");
    cron(&account, t + 5 * MINUTE).await;
    assert_eq!((kinds(&owner).len(), kinds(&grandpa).len()), (1, 1), "both quiet");
    present("/api/push/unsubscribe", &grandpa, json!({})).await;
    present("/api/push/unsubscribe", &owner, json!({})).await;
}

/// A phone can follow two families (a grandparent with grandchildren in two homes): each account's alarms live in
/// that account's own `Watcher`, so following the second does not take the phone from the first.
#[tokio::test]
async fn a_phone_that_follows_two_families_gets_both_familys_alarms() {
    let Owner { _clock, t, account: home, token, patient } = owner("two-homes", 45, 0, 10 * MINUTE).await;
    let other = account("other-home", steady_patient(45, t, t + 10 * MINUTE));
    let (other_token, other_patient) = sign_in(&other).await;
    let phone = owners_phone(&token, &patient).await;
    let link = grandmas_link(&format!("Bearer {other_token}"), &other_patient).await;
    let share = format!("Share {}", link["secret"].as_str().unwrap());
    let again = subscribe_at(&share, "", json!({}), phone.keys.clone(), phone.inbox.clone()).await;
    assert_ne!(again.id, phone.id, "a subscription in each family");
    let delay = real_now() - t;
    stack().fake.update(&other.email, |a| a.data_delay_secs = delay);
    cron(&home, t).await;
    assert_eq!(kinds(&phone), ["UrgentLow", "UrgentLow"], "both children's urgent lows reach the one phone");
    present("/api/push/unsubscribe", &phone, json!({})).await;
    present("/api/push/unsubscribe", &again, json!({})).await;
}

/// The owner sees every phone the account's alarms reach (its own, its links') and removes a lost one: it gets
/// nothing more, signing in again does not bring it back, and its old subscription cannot come back either.
#[tokio::test]
async fn an_owner_removes_a_lost_phone_and_it_stays_removed() {
    let Owner { _clock, t, account: family, token, patient } = owner("phones", 45, 0, 10 * MINUTE).await;
    let bearer = format!("Bearer {token}");
    let lost = subscribe(&bearer, &patient, json!({})).await;
    let kept = subscribe(&bearer, &patient, json!({})).await;
    let share = grandmas_link(&bearer, &patient).await;
    let grandma = subscribe(&format!("Share {}", share["secret"].as_str().unwrap()), "", json!({})).await;
    let list = |auth: String| async move {
        let response = client().get(stack().url("/api/push/phones")).header("authorization", auth).send().await;
        response.unwrap().json::<Value>().await.unwrap()
    };
    let phones = list(bearer.clone()).await;
    let listed = phones["phones"].as_array().unwrap();
    let mut ids: Vec<&str> = listed.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let mut expected = [&*lost.id, &*kept.id, &*grandma.id];
    ids.sort_unstable();
    expected.sort_unstable();
    assert_eq!(ids, expected, "{phones}");
    let grandmas = listed.iter().find(|p| p["id"] == grandma.id.as_str()).unwrap();
    assert_eq!(grandmas["shareId"], share["id"], "grandma's phone follows through her link");
    // Nobody else sees or removes them.
    let (stranger, _) = sign_in(&account("stranger", steady_patient(120, t, t + MINUTE))).await;
    assert_eq!(list(format!("Bearer {stranger}")).await["phones"], json!([]));
    let remove = |auth: String, id: String| async move {
        let url = stack().url(&format!("/api/push/phones/{id}"));
        client().delete(url).header("authorization", auth).send().await.unwrap().status()
    };
    assert_eq!(remove(format!("Bearer {stranger}"), lost.id.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(remove(bearer.clone(), lost.id.clone()).await, StatusCode::OK);
    assert_eq!(present("/api/push/test", &lost, json!({})).await.0, StatusCode::NOT_FOUND, "its key is gone");
    // Signing in again, and its old subscription sent again (a settings change on that phone), bring nothing back.
    let (bearer, _) = sign_in(&family).await;
    let bearer = format!("Bearer {bearer}");
    let again = client()
        .post(stack().url("/api/push/subscribe"))
        .header("authorization", &bearer)
        .json(&json!({
            "subscription": {"endpoint": stack().push.endpoint(&lost.inbox), "keys": {"p256dh": lost.keys["p256dh"], "auth": lost.keys["auth"]}},
            "patientId": patient,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    cron(&family, t).await;
    assert!(kinds(&lost).is_empty(), "the removed phone is not woken");
    assert_eq!(kinds(&kept), ["UrgentLow"]);
    assert_eq!(kinds(&grandma), ["UrgentLow"]);
    let phones = list(bearer).await;
    assert_eq!(phones["phones"].as_array().unwrap().len(), 2);
    assert!(phones["phones"][0]["delivered"].as_i64().is_some(), "the last alarm that reached it: {phones}");
    present("/api/push/unsubscribe", &kept, json!({})).await;
    present("/api/push/unsubscribe", &grandma, json!({})).await;
}

/// The cron did not run for 40 minutes (the free plan's daily allowance spent, an outage): at the next tick every
/// phone is told that background alarms were interrupted, and from when to when.
#[tokio::test]
async fn after_an_interruption_every_phone_and_the_owners_app_are_told() {
    let (Owner { _clock, t, account, token, .. }, phone) =
        owner_with_phone("interrupted", 120, 40 * MINUTE, 45 * MINUTE).await;
    cron(&account, t).await;
    cron(&account, t + MINUTE).await;
    assert!(kinds(&phone).is_empty(), "in range and watched: nothing");
    cron(&account, t + 40 * MINUTE).await;
    let got = received(&phone);
    assert_eq!(got.iter().map(|o| o.payload["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["Interrupted"]);
    let hm = |at: i64| format!("{:02}:{:02}", at.rem_euclid(86_400) / 3600, at.rem_euclid(3600) / 60);
    let body = got[0].payload["body"].as_str().unwrap();
    assert!(body.contains(&format!("from {} to {}", hm(t + MINUTE), hm(t + 40 * MINUTE))), "{body}");
    // The owner's app says it too, in the list of phones, the latest last.
    let listed: Value =
        client().get(stack().url("/api/push/phones")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let latest = listed["interruptions"].as_array().and_then(|all| all.last()).cloned();
    assert_eq!(latest, Some(json!({"from": t + MINUTE, "to": t + 40 * MINUTE})), "{listed}");
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

/// A loop of "I'm on it" or of test pushes from one phone (each would be a Durable Object request, and a push
/// the server pays for) is refused past a few a minute, with the time to wait.
#[tokio::test]
async fn an_ack_or_test_loop_from_one_phone_is_refused() {
    let (Owner { _clock, .. }, phone) = owner_with_phone("loops", 120, 0, 10 * MINUTE).await;
    for _ in 0..2 {
        assert_eq!(present("/api/push/test", &phone, json!({})).await.0, StatusCode::OK);
    }
    let (status, answer) = present("/api/push/test", &phone, json!({})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("push_rate_limited")));
    let ack = json!({"kind": "Low", "action": "ack"});
    for _ in 0..10 {
        assert_eq!(present("/api/push/ack", &phone, ack.clone()).await.0, StatusCode::OK);
    }
    assert_eq!(present("/api/push/ack", &phone, ack).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(received(&phone).len(), 2, "the refused test sent nothing");
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn push_service_answers_gone_removes_and_busy_retries_with_back_off() {
    let Owner { _clock, t, account, token, patient } = owner("retry", 62, 6 * MINUTE, 10 * MINUTE).await;
    let busy = subscribe(&format!("Bearer {token}"), &patient, json!({})).await;
    let gone = subscribe(&format!("Bearer {token}"), &patient, json!({})).await;
    stack().push.answer_with(&busy.inbox, 503, None);
    stack().push.answer_with(&gone.inbox, 410, None);
    cron(&account, t).await; // first try: 503 and 410
    cron(&account, t + MINUTE).await; // retried the next minute: 503 again
    cron(&account, t + 2 * MINUTE).await; // backing off: no try
    stack().push.answer_with(&busy.inbox, 201, None);
    cron(&account, t + 3 * MINUTE).await; // tried again, accepted
    cron(&account, t + 4 * MINUTE).await; // nothing left to send
    let got = received(&busy);
    let low: Vec<u16> = got.iter().filter(|o| o.payload["kind"] == "Low").map(|o| o.status).collect();
    assert_eq!(low, [503, 503, 201], "the same alarm, not lost");
    // Besides, the busy phone is told the other stopped getting alarms (a message of its own, retried the same way).
    assert_eq!(got.iter().filter(|o| o.payload["kind"] == "PhoneLost").map(|o| o.status).next_back(), Some(201));
    assert_eq!(received(&gone).len(), 1, "410 once, then never again");
    let (status, _) = present("/api/push/test", &gone, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "410 removed the subscription");
    present("/api/push/unsubscribe", &busy, json!({})).await;
}

#[tokio::test]
async fn the_watchdog_tells_phones_when_librelinkup_is_unreachable_for_thirty_minutes() {
    let (Owner { _clock, t, account, .. }, phone) = owner_with_phone("watchdog", 120, 40 * MINUTE, 45 * MINUTE).await;
    cron(&account, t).await;
    assert!(kinds(&phone).is_empty(), "in range: nothing");
    stack().fake.update(&account.email, |a| a.maintenance = Some(tidewatch_tests::Maintenance::Body));
    for minute in 1..=31 {
        cron(&account, t + minute * MINUTE).await;
    }
    let during = kinds(&phone);
    assert!(during.contains(&"StaleData".to_owned()), "stale data is an alarm: {during:?}");
    assert_eq!(during.iter().filter(|k| *k == "Outage").count(), 1, "told once: {during:?}");
    let outage = received(&phone).into_iter().find(|o| o.payload["kind"] == "Outage").unwrap();
    assert_eq!(outage.payload["title"], "Tidewatch cannot reach LibreLinkUp");
    assert!(outage.payload["at"].as_i64().unwrap() >= t + 30 * MINUTE);
    stack().fake.update(&account.email, |a| a.maintenance = None);
    cron(&account, t + 40 * MINUTE).await;
    assert_eq!(kinds(&phone).last().map(String::as_str), Some("Recovered"));
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn subscriptions_are_checked() {
    let _clock = CLOCK.lock().await;
    let account = account("checks", Patient::demo());
    let (token, patient) = sign_in(&account).await;
    let keys = push_tool(&["keys"], None);
    let post = |auth: String, body: Value| async move { post_subscribe(&auth, &body).await };
    let sub_with = |endpoint: &str, keys: &Value| json!({"subscription": {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}, "patientId": patient});
    let sub = |endpoint: &str, p256dh: &Value| sub_with(endpoint, &json!({"p256dh": p256dh, "auth": keys["auth"]}));
    let bearer = format!("Bearer {token}");
    // Not a push service this server sends to: the worker never becomes a proxy to an arbitrary host.
    let (status, _) = post(bearer.clone(), sub("https://evil.example/x", &keys["p256dh"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Parsed as `fetch` parses it (the worker asks the runtime's own `URL`), the first is evil.example: a string
    // check on ".push.apple.com" let it through. The same list as the unit test's (the `url` crate's reading).
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../proxy/tests/data/refused_endpoints.json");
    let refused: Vec<String> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for endpoint in &refused {
        let (status, answer) = post(bearer.clone(), sub(endpoint, &keys["p256dh"])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{endpoint}: {answer}");
    }
    let (status, _) = post(bearer.clone(), sub(&stack().push.endpoint("x"), &json!("AAAA"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a key that is not a P-256 point");
    let (status, _) = post(bearer.clone(), json!({"subscription": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, answer) = post("Bearer nope".into(), sub(&stack().push.endpoint("x"), &keys["p256dh"])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let other = json!({"subscription": {"endpoint": stack().push.endpoint("x"), "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}, "patientId": "00000000-0000-4000-8000-000000000000"});
    let (status, answer) = post(bearer.clone(), other).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("patient_not_followed")));
    // A wrong key for a real subscription is the same "not found" as an unknown id.
    let phone = subscribe(&bearer, &patient, json!({})).await;
    let forged = Phone {
        key: "A".repeat(phone.key.len()),
        inbox: phone.inbox.clone(),
        keys: phone.keys.clone(),
        id: phone.id.clone(),
    };
    let (status, _) = present("/api/push/ack", &forged, json!({"kind": "Low", "action": "ack"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Subscribing again from the same browser (same endpoint and keys) updates that phone: same id and key.
    let endpoint = stack().push.endpoint(&phone.inbox);
    let (status, again) = post(bearer.clone(), sub_with(&endpoint, &phone.keys)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((again["id"].as_str(), again["key"].as_str()), (Some(&*phone.id), Some(&*phone.key)));
    // Whoever learns the endpoint cannot take the phone with other keys (its `{id, key}`, its alarms)...
    let (status, taken) = post(format!("Bearer {token}"), sub_with(&endpoint, &keys)).await;
    assert_eq!((status, taken["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("push_endpoint_taken")));
    assert!(taken.get("key").is_none());
    // ...but the phone itself, presenting its key, gives its endpoint new keys.
    let mut renewed = sub_with(&endpoint, &keys);
    renewed["key"] = json!(phone.key);
    let (status, again) = post(bearer.clone(), renewed).await;
    assert_eq!((status, again["id"].as_str()), (StatusCode::OK, Some(&*phone.id)));
    present("/api/push/unsubscribe", &phone, json!({})).await;
}

#[tokio::test]
async fn more_phones_than_one_invocation_sends_all_ring_in_the_same_minute_once() {
    let Owner { _clock, t, account, token, patient } = owner("many", 45, 0, 10 * MINUTE).await;
    let bearer = format!("Bearer {token}");
    // More than one invocation sends (16): the rest leave in the next invocations the Watcher starts at once.
    let mut phones = Vec::new();
    for _ in 0..22 {
        phones.push(subscribe(&bearer, &patient, json!({})).await);
    }
    cron(&account, t).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let count = || phones.iter().filter(|p| !stack().push.received(&p.inbox).is_empty()).count();
    while count() < phones.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(), phones.len(), "every phone rang within seconds of the one cron run");
    // A double delivery of the minute, and time for any stray invocation: still one push per phone.
    cron(&account, t).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for phone in &phones {
        let got = received(phone);
        let kinds: Vec<&str> = got.iter().map(|o| o.payload["kind"].as_str().unwrap_or("?")).collect();
        assert_eq!(kinds, ["UrgentLow"], "{}", phone.inbox);
        assert_eq!(got[0].tool["vapid_valid"], true, "py-vapid verifies the token");
    }
    // One VAPID signature serves every push to this push service.
    let tokens: std::collections::BTreeSet<String> = phones
        .iter()
        .flat_map(|p| stack().push.received(&p.inbox))
        .map(|r| r.headers["authorization"].clone())
        .collect();
    assert_eq!(tokens.len(), 1, "one token for the push service, not one per push");
    for phone in &phones {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}

/// The family's night shift through the worker: the owner sets a rota of two phones; an urgent low reaches Alex
/// alone, then after five unanswered minutes Sam too, told that Alex did not answer; Sam's "I'm on it" from the
/// notification stops the ladder, Alex's ringing notification becomes "Sam is on it", Grandma's link phone is never
/// woken, and the owner's app reads every step back.
#[tokio::test]
async fn an_unanswered_urgent_low_goes_up_the_rota_and_whoever_answers_is_shown_to_the_others() {
    let Owner { _clock, t, account, token, patient } = owner("rota", 45, 12 * MINUTE, 15 * MINUTE).await;
    let bearer = format!("Bearer {token}");
    let alex = owners_phone(&token, &patient).await;
    let sam = owners_phone(&token, &patient).await;
    let link = grandmas_link(&bearer, &patient).await;
    let gran = subscribe(&format!("Share {}", link["secret"].as_str().unwrap()), "", json!({})).await;
    let set = |rota: Value| {
        let bearer = bearer.clone();
        async move {
            let response = client().post(stack().url("/api/push/rota")).header("authorization", bearer).json(&rota);
            let response = response.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let people = json!([{"phone": alex.id, "name": "Alex"}, {"phone": sam.id, "name": "Sam"}]);
    // Refused: a phone of another patient's, a wait of an hour, a body that is not the shape.
    let stranger = json!([{"phone": "0123456789abcdef", "name": "Pat"}]);
    assert_eq!(set(json!({"patientId": patient, "rota": {"people": stranger}})).await.0, StatusCode::BAD_REQUEST);
    let (status, said) = set(json!({"patientId": patient, "rota": {"people": people, "wait_min": 60}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(said["error"]["message"].as_str().unwrap_or_default().contains("1 to 30 minutes"), "{said}");
    assert_eq!(set(json!({"patientId": patient, "rota": "Alex then Sam"})).await.0, StatusCode::BAD_REQUEST);
    let (status, said) = set(json!({"patientId": patient, "rota": {"people": people}})).await;
    assert_eq!(status, StatusCode::OK, "{said}");

    for minute in 0..5 {
        cron(&account, t + minute * MINUTE).await;
    }
    assert_eq!((kinds(&alex), kinds(&sam), kinds(&gran)), (vec!["UrgentLow".to_owned()], vec![], vec![]));
    cron(&account, t + 5 * MINUTE).await;
    let woken = received(&sam);
    assert_eq!(woken.len(), 1, "Sam after five minutes without an answer");
    assert!(woken[0].payload["body"].as_str().unwrap().starts_with("No answer from Alex"), "{}", woken[0].payload);
    let (status, answer) = present("/api/push/ack", &sam, json!({"kind": "UrgentLow", "action": "ack"})).await;
    assert_eq!((status, answer["phones"].as_u64()), (StatusCode::OK, Some(3)), "{answer}");
    // Alex is told at once, not at the next minute: Alex's phone may still be ringing.
    let told = received(&alex);
    let last = &told.last().unwrap().payload;
    assert_eq!(last["kind"].as_str(), Some("OnIt"), "before any further minute: {last}");
    for minute in 6..=12 {
        cron(&account, t + minute * MINUTE).await;
    }
    let told = received(&alex);
    let last = &told.last().unwrap().payload;
    assert_eq!((last["kind"].as_str(), last["tag"].as_str()), (Some("OnIt"), Some("tw-UrgentLow")), "{last}");
    assert!(last["title"].as_str().unwrap().starts_with("Sam is on it ("), "{last}");
    assert_eq!(last["silent"], true);
    assert!(kinds(&gran).is_empty(), "Grandma is never woken while Sam is on it");
    assert_eq!(kinds(&sam), ["UrgentLow"], "nor is Sam again");

    let read: Value =
        client().get(stack().url("/api/push/rota")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let view = &read["rotas"][0];
    assert_eq!(view["patient_id"], patient.as_str(), "{read}");
    let steps: Vec<(&str, &str)> = view["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["what"].as_str().unwrap(), s["names"][0].as_str().unwrap_or("")))
        .collect();
    assert_eq!(steps, [("reached", "Alex"), ("reached", "Sam"), ("on_it", "Sam")], "{read}");
    assert_eq!(view["open"][0]["on_it"]["name"], "Sam");
    assert_eq!(view["on_duty"], "Alex");

    // Sam takes over tonight; Grandma's phone, outside the rota, cannot.
    let (status, answer) = present("/api/push/duty", &sam, json!({"hours": 8})).await;
    assert_eq!((status, answer["ok"].as_bool()), (StatusCode::OK, Some(true)), "{answer}");
    assert_eq!(present("/api/push/duty", &gran, json!({"hours": 8})).await.0, StatusCode::NOT_FOUND);
    let read: Value =
        client().get(stack().url("/api/push/rota")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(read["rotas"][0]["on_duty"], "Sam", "{read}");
    // A link's secret is not the owner's session.
    let by_link = client()
        .get(stack().url("/api/push/rota"))
        .header("authorization", format!("Share {}", link["secret"].as_str().unwrap()));
    assert!(by_link.send().await.unwrap().status().is_client_error());
    for phone in [&alex, &sam, &gran] {
        present("/api/push/unsubscribe", phone, json!({})).await;
    }
}

/// A phone whose push service ends its subscription (its browser's data cleared, notifications revoked) does not
/// vanish silently: every other phone of the patient is told by a push, and the owner's list of phones says which
/// and when, with when an alarm last reached it.
#[tokio::test]
async fn a_phone_whose_subscription_ends_is_shown_to_the_others_as_unreachable() {
    let Owner { _clock, t, account, token, patient } = owner("lost", 62, 2 * MINUTE, 5 * MINUTE).await;
    let stays = owners_phone(&token, &patient).await;
    let ends = owners_phone(&token, &patient).await;
    cron(&account, t).await; // a low reaches both
    stack().push.answer_with(&ends.inbox, 410, None);
    let (status, answer) = present("/api/push/test", &ends, json!({})).await;
    assert_eq!((status, answer["status"].as_u64()), (StatusCode::OK, Some(410)), "{answer}");
    cron(&account, t + MINUTE).await;
    let told = received(&stays);
    let last = &told.last().unwrap().payload;
    assert_eq!(last["kind"], "PhoneLost", "{last}");
    assert!(last["title"].as_str().unwrap().starts_with("A phone"), "{last}");
    assert!(last["body"].as_str().unwrap().contains("The last alarm reached it at"), "{last}");
    let listed: Value =
        client().get(stack().url("/api/push/phones")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["phones"].as_array().map(Vec::len), Some(1), "{listed}");
    let lost = &listed["lost"][0];
    assert_eq!(lost["patientId"], patient.as_str(), "{listed}");
    assert!(lost["lastReached"].as_i64().is_some() && lost["at"].as_i64().is_some(), "{listed}");
    present("/api/push/unsubscribe", &stays, json!({})).await;
}
