//! The minute's round: which `Watcher` objects have phones, so the Cron Trigger can hand the minute to each. Alarms
//! live in one `Watcher` per account (and one for the demo), not in one object for the whole server: each minute
//! is then one invocation per family, with its own CPU and subrequests, and no family's phones wait on another's.
//!
//! A `Watcher` is added by every subscribe (after the phone is stored, so no phone is ever in an object the round
//! does not visit) and dropped when a tick finds it empty, unless it was added again since (a subscribe that came
//! between the tick and the drop keeps its object in the round). The one object of earlier builds (`watch`) is in
//! the round from the start, so its phones keep their alarms until it empties.

use std::cell::RefCell;

use worker::{DurableObject, Env, Request, Response, State, durable_object};

use crate::error::{ApiError, ApiResult};
use crate::storage;
use crate::wire;
use litemap::LiteMap;

/// The binding, and the one object's name.
pub const BINDING: &str = "ROUNDS";
const OBJECT: &str = "rounds";
/// Where each member is stored: `o:<object name>` → when it was last added, Unix ms.
const PREFIX: &str = "o:";
/// Set once the object of earlier builds has been put in the round.
const SEEDED: &str = "seeded";
/// The one `Watcher` object of builds before alarms lived per account.
pub const LEGACY_WATCHER: &str = "watch";

/// The members: object name → when it was last added, Unix ms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Round {
    members: LiteMap<String, i64>,
}

impl Round {
    /// Adds `name` at `at_ms` (again: the later time is kept); the value to store for it.
    pub fn add(&mut self, name: &str, at_ms: i64) -> i64 {
        let at = self.members.get(name).copied().unwrap_or(i64::MIN).max(at_ms);
        self.members.insert(name.to_owned(), at);
        at
    }

    /// Drops each of `names` that was found empty at `seen_ms` and not added since; the names dropped.
    pub fn drop_empty(&mut self, names: &[String], seen_ms: i64) -> Vec<String> {
        let gone: Vec<String> = names
            .iter()
            .filter(|name| self.members.get(name.as_str()).is_some_and(|at| *at < seen_ms))
            .cloned()
            .collect();
        for name in &gone {
            self.members.remove(name);
        }
        gone
    }

    /// Every member.
    pub fn names(&self) -> Vec<String> {
        self.members.keys().cloned().collect()
    }
}

/// What the worker asks the round (serde's externally tagged JSON, as the hand-written codec of earlier builds
/// wrote it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundsRequest {
    /// A `Watcher` has a phone now.
    Add(String),
    /// These `Watcher`s were empty when the tick that started at `seen_ms` asked them.
    DropEmpty {
        /// The objects.
        names: Vec<String>,
        /// When the tick asked, Unix ms.
        seen_ms: i64,
    },
    /// Every member (the minute's cron asks).
    List,
    /// How many members, and when the cron last asked (for `/api/health`).
    Status,
}

/// What the round answers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundsAnswer {
    /// Done.
    Done,
    /// The members.
    List(Vec<String>),
    /// How many members, and when the cron last asked, Unix ms (`None` since this object started).
    Status {
        /// Members.
        members: usize,
        /// Unix ms.
        last_round_ms: Option<i64>,
    },
    /// It failed.
    Error(ApiError),
}

/// Asks the round.
pub async fn ask(env: &Env, request: &RoundsRequest) -> ApiResult<RoundsAnswer> {
    let answer = crate::objects::ask_object_text(env, BINDING, OBJECT, wire::to_json(request)).await?;
    match wire::from_json(&answer).ok_or_else(ApiError::internal)? {
        RoundsAnswer::Error(error) => Err(error),
        answer => Ok(answer),
    }
}

/// The `Rounds` Durable Object.
#[durable_object]
pub struct Rounds {
    state: State,
    round: RefCell<Option<Round>>,
    /// When the cron last asked for the round, Unix ms (in memory: the object is asked every minute).
    last_round_ms: core::cell::Cell<Option<i64>>,
}

impl DurableObject for Rounds {
    fn new(state: State, _env: Env) -> Self {
        Rounds { state, round: RefCell::new(None), last_round_ms: core::cell::Cell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::objects::object_message::<RoundsRequest>(&mut req).await {
            Some(request) => self.answer(request).await.unwrap_or_else(RoundsAnswer::Error),
            None => RoundsAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::to_json(&answer))
    }
}

impl Rounds {
    /// Storage first, then memory: a change that could not be stored is not kept.
    async fn answer(&self, request: RoundsRequest) -> ApiResult<RoundsAnswer> {
        let mut round = self.load().await?;
        let storage = self.state.storage();
        let now = worker::Date::now().as_millis() as i64;
        let answer = match request {
            RoundsRequest::List => {
                self.last_round_ms.set(Some(now));
                return Ok(RoundsAnswer::List(round.names()));
            }
            RoundsRequest::Status => {
                let members = round.names().len();
                return Ok(RoundsAnswer::Status { members, last_round_ms: self.last_round_ms.get() });
            }
            RoundsRequest::Add(name) => {
                let at = round.add(&name, now);
                storage::write(&storage, &[(format!("{PREFIX}{name}"), at.to_string())], &[]).await?;
                RoundsAnswer::Done
            }
            RoundsRequest::DropEmpty { names, seen_ms } => {
                let gone = round.drop_empty(&names, seen_ms);
                let keys: Vec<String> = gone.iter().map(|name| format!("{PREFIX}{name}")).collect();
                storage::write(&storage, &[], &keys).await?;
                RoundsAnswer::Done
            }
        };
        *self.round.borrow_mut() = Some(round);
        Ok(answer)
    }

    /// The round (read from storage once per object lifetime); the first time ever, with the object of earlier
    /// builds in it.
    async fn load(&self) -> ApiResult<Round> {
        if let Some(round) = self.round.borrow().as_ref() {
            return Ok(round.clone());
        }
        let storage = self.state.storage();
        let mut round = Round::default();
        for (key, text) in storage::read_all(&storage, PREFIX).await? {
            if let (Some(name), Ok(at)) = (key.strip_prefix(PREFIX), text.parse::<i64>()) {
                round.add(name, at);
            }
        }
        if storage::read_all(&storage, SEEDED).await?.is_empty() {
            let at = round.add(LEGACY_WATCHER, 0);
            let puts = [(format!("{PREFIX}{LEGACY_WATCHER}"), at.to_string()), (SEEDED.to_owned(), "1".to_owned())];
            storage::write(&storage, &puts, &[]).await?;
        }
        *self.round.borrow_mut() = Some(round.clone());
        Ok(round)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_added_after_the_tick_saw_it_empty_stays_in_the_round() {
        let mut round = Round::default();
        round.add("watch:a", 1_000);
        round.add("watch:b", 1_000);
        round.add("watch:c", 1_000);
        // The tick asks at 2,000; `b` gets a phone at 2,500 (added again), after it answered "empty".
        round.add("watch:b", 2_500);
        let gone = round.drop_empty(&["watch:a".into(), "watch:b".into(), "watch:nobody".into()], 2_000);
        assert_eq!(gone, ["watch:a"]);
        assert_eq!(round.names(), ["watch:b", "watch:c"]);
        assert_eq!(round.add("watch:c", 500), 1_000, "an older add never moves the time back");
    }

    #[test]
    fn round_messages_round_trip() {
        for request in [
            RoundsRequest::Add("watch:x".into()),
            RoundsRequest::DropEmpty { names: vec!["a".into(), "b".into()], seen_ms: 7 },
            RoundsRequest::List,
            RoundsRequest::Status,
        ] {
            assert_eq!(wire::from_json::<RoundsRequest>(&wire::to_json(&request)), Some(request));
        }
        for answer in [
            RoundsAnswer::Done,
            RoundsAnswer::List(vec!["a".into()]),
            RoundsAnswer::Status { members: 3, last_round_ms: Some(9) },
            RoundsAnswer::Status { members: 0, last_round_ms: None },
            RoundsAnswer::Error(ApiError::internal()),
        ] {
            assert_eq!(wire::from_json::<RoundsAnswer>(&wire::to_json(&answer)), Some(answer));
        }
    }

    /// A round object of the build before and a worker of this one understand each other during a deploy.
    #[test]
    fn round_messages_are_the_json_earlier_builds_wrote() {
        let written = [
            (wire::to_json(&RoundsRequest::Add("watch:x".into())), r#"{"add":"watch:x"}"#),
            (
                wire::to_json(&RoundsRequest::DropEmpty { names: vec!["a".into()], seen_ms: 7 }),
                r#"{"drop_empty":{"names":["a"],"seen_ms":7}}"#,
            ),
            (wire::to_json(&RoundsRequest::List), r#""list""#),
            (wire::to_json(&RoundsAnswer::List(vec!["a".into()])), r#"{"list":["a"]}"#),
            (
                wire::to_json(&RoundsAnswer::Status { members: 3, last_round_ms: None }),
                r#"{"status":{"members":3,"last_round_ms":null}}"#,
            ),
        ];
        for (now, before) in written {
            assert_eq!(wire::parse(&now), wire::parse(before), "{now}");
        }
    }
}
