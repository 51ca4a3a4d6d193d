//! Where a presented secret leads: the `ShareIndex` objects. A share lives in its owner's book (one `Shares` object
//! per account, one for the demo); the index maps each of its hashed keys to that book, so a viewer's request goes
//! to one small object named from its key's hash and then to one owner's book, and no object sees every lookup.
//!
//! 256 objects (`index:<first two hex digits of the hash>`), each holding the pointers of the keys that start so:
//! `<kind>:<hash>` → the owner's route and when the share ends. A pointer says nothing about whether the share is
//! live: the owner's book decides (a revocation is one write there, and holds at once). Pointers are written before
//! the share (a pointer to nothing opens nothing), removed when the book drops the share, and an index drops the
//! pointers of ended shares whenever it is written, so it never holds more than the live shares.
//!
//! Looking a pointer up by its exact key tells a timing observer nothing: the keys are hashes of 128-bit secrets.

use std::cell::RefCell;
use std::collections::BTreeMap;

use worker::{DurableObject, Env, Request, Response, State, durable_object};

use super::{Key, Share};
use crate::error::{ApiError, ApiResult};
use crate::storage;
use crate::wire;

/// The binding of the index objects.
pub const BINDING: &str = "SHARE_INDEX";
/// Where a pointer is stored in its index object: `p:<pointer key>`.
const STORAGE_PREFIX: &str = "p:";

/// One key of a share, and the book it leads to.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pointer {
    /// `<kind>:<hash>` ([`pointer_key`]).
    pub key: String,
    /// The owner's route (`watch::route::owner_route`): the book is `book:<route>`.
    pub route: String,
    /// When the share ends, Unix seconds: the pointer is dropped after it.
    pub until: i64,
}

/// The pointer key of a presented key: its kind and its hash, lower-case.
pub fn pointer_key(key: &Key) -> String {
    let (kind, hash) = match key {
        Key::Sha256(hash) => ("l", hash),
        Key::NightscoutSha256(hash) => ("n", hash),
        Key::NightscoutSha1(hash) => ("n1", hash),
    };
    format!("{kind}:{}", hash.to_ascii_lowercase())
}

/// Every key that opens `share` (the ones `Book::open` accepts), as pointers to the book of `route`.
pub fn pointers(share: &Share, route: &str) -> Vec<Pointer> {
    // A link made before links had a Nightscout token of their own opens the Nightscout routes with its secret.
    let (ns256, ns1) = match &share.nightscout {
        Some(token) => (&token.sha256, &token.sha1),
        None => (&share.sha256, &share.sha1),
    };
    [Key::Sha256(share.sha256.clone()), Key::NightscoutSha256(ns256.clone()), Key::NightscoutSha1(ns1.clone())]
        .iter()
        .map(|key| Pointer { key: pointer_key(key), route: route.to_owned(), until: share.expires })
        .collect()
}

/// The index object that keeps `pointer_key`: named from the first two hex digits of its hash.
pub fn object_of(pointer_key: &str) -> String {
    let hash = pointer_key.split_once(':').map_or(pointer_key, |(_, hash)| hash);
    format!("index:{}", hash.get(..2).unwrap_or("00"))
}

/// What the worker asks an index object.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexRequest {
    /// Keep these pointers (a pointer to the same key is replaced).
    Put(Vec<Pointer>),
    /// The route of a pointer key, if there is one.
    Find(String),
    /// Forget these pointer keys.
    Remove(Vec<String>),
}

/// Never the key: a key's hash is what a Nightscout client presents as `api-secret`.
impl core::fmt::Debug for Pointer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pointer").field("route", &self.route).field("until", &self.until).finish_non_exhaustive()
    }
}

/// Never a key (see [`Pointer`]'s).
impl core::fmt::Debug for IndexRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            IndexRequest::Put(pointers) => f.debug_tuple("IndexRequest::Put").field(pointers).finish(),
            IndexRequest::Find(_) => f.write_str("IndexRequest::Find(..)"),
            IndexRequest::Remove(keys) => write!(f, "IndexRequest::Remove({} keys)", keys.len()),
        }
    }
}

/// What an index object answers.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexAnswer {
    /// Done.
    Done,
    /// The route of the key asked for.
    Found(Option<String>),
    /// It failed.
    Error(ApiError),
}

/// The pointers of one index object (pure, natively tested).
#[derive(Clone, Debug, Default)]
pub struct Index {
    pointers: BTreeMap<String, (String, i64)>,
}

impl Index {
    /// The index from what storage holds (`(storage key, JSON)`); unreadable values are left out.
    pub fn from_stored(values: Vec<(String, String)>) -> Index {
        let pointers = values
            .into_iter()
            .filter_map(|(_, text)| wire::from_json::<Pointer>(&text))
            .map(|p| (p.key, (p.route, p.until)))
            .collect();
        Index { pointers }
    }

    /// The route `key` leads to while its share lasts.
    pub fn find(&self, key: &str, now: i64) -> Option<String> {
        self.pointers.get(key).filter(|(_, until)| *until > now).map(|(route, _)| route.clone())
    }

    /// Adds `pointers` and drops every ended one: what storage must put and delete.
    pub fn put(&mut self, pointers: Vec<Pointer>, now: i64) -> (Vec<(String, String)>, Vec<String>) {
        let ended: Vec<String> =
            self.pointers.iter().filter(|(_, (_, until))| *until <= now).map(|(key, _)| key.clone()).collect();
        let mut puts = Vec::new();
        for pointer in pointers {
            puts.push((format!("{STORAGE_PREFIX}{}", pointer.key), wire::to_json(&pointer)));
            self.pointers.insert(pointer.key, (pointer.route, pointer.until));
        }
        let deletes = ended
            .into_iter()
            .filter(|key| self.pointers.get(key).is_some_and(|(_, until)| *until <= now))
            .collect::<Vec<_>>();
        for key in &deletes {
            self.pointers.remove(key);
        }
        (puts, deletes.iter().map(|key| format!("{STORAGE_PREFIX}{key}")).collect())
    }

    /// Forgets `keys`: the storage keys to delete.
    pub fn remove(&mut self, keys: &[String]) -> Vec<String> {
        keys.iter().filter(|key| self.pointers.remove(*key).is_some()).map(|k| format!("{STORAGE_PREFIX}{k}")).collect()
    }

    /// How many pointers it holds.
    pub fn len(&self) -> usize {
        self.pointers.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.pointers.is_empty()
    }
}

/// The `ShareIndex` Durable Object.
#[durable_object]
pub struct ShareIndex {
    state: State,
    index: RefCell<Option<Index>>,
}

impl DurableObject for ShareIndex {
    fn new(state: State, _env: Env) -> Self {
        ShareIndex { state, index: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match crate::objects::object_message::<IndexRequest>(&mut req).await {
            Some(request) => self.answer(request).await.unwrap_or_else(IndexAnswer::Error),
            None => IndexAnswer::Error(ApiError::internal()),
        };
        Response::ok(wire::to_json(&answer))
    }
}

impl ShareIndex {
    async fn answer(&self, request: IndexRequest) -> ApiResult<IndexAnswer> {
        if self.index.borrow().is_none() {
            let values = storage::read_all(&self.state.storage(), STORAGE_PREFIX).await?;
            *self.index.borrow_mut() = Some(Index::from_stored(values));
        }
        let now = worker::Date::now().as_millis() as i64 / 1000;
        let (answer, puts, deletes) = {
            let mut guard = self.index.borrow_mut();
            let index = guard.as_mut().ok_or_else(ApiError::internal)?;
            match request {
                IndexRequest::Find(key) => return Ok(IndexAnswer::Found(index.find(&key, now))),
                IndexRequest::Put(pointers) => {
                    let (puts, deletes) = index.put(pointers, now);
                    (IndexAnswer::Done, puts, deletes)
                }
                IndexRequest::Remove(keys) => (IndexAnswer::Done, Vec::new(), index.remove(&keys)),
            }
        };
        if let Err(error) = storage::write(&self.state.storage(), &puts, &deletes).await {
            // Memory is read again from storage: nothing is kept that was not stored.
            *self.index.borrow_mut() = None;
            return Err(error);
        }
        Ok(answer)
    }
}

/// Asks the index object of each pointer (one call per object, in turn); the first failure is the answer.
pub async fn put(env: &Env, pointers: Vec<Pointer>) -> ApiResult<()> {
    for (object, pointers) in by_object(pointers, |p| p.key.as_str()) {
        ask(env, &object, &IndexRequest::Put(pointers)).await?;
    }
    Ok(())
}

/// Forgets `keys` in their index objects (best effort: a pointer left behind leads to a book that no longer has
/// the share, which opens nothing, and is dropped when its share's time ends).
pub async fn remove(env: &Env, keys: Vec<String>) {
    for (object, keys) in by_object(keys, String::as_str) {
        if ask(env, &object, &IndexRequest::Remove(keys)).await.is_err() {
            worker::console_error!("shares: pointers of dropped shares stay until they end");
        }
    }
}

/// The route `key` leads to, if any.
pub async fn find(env: &Env, key: &Key) -> ApiResult<Option<String>> {
    let key = pointer_key(key);
    match ask(env, &object_of(&key), &IndexRequest::Find(key)).await? {
        IndexAnswer::Found(route) => Ok(route),
        _ => Err(ApiError::internal()),
    }
}

/// Groups `items` by the index object of their key.
fn by_object<T>(items: Vec<T>, key: impl Fn(&T) -> &str) -> BTreeMap<String, Vec<T>> {
    let mut groups: BTreeMap<String, Vec<T>> = BTreeMap::new();
    for item in items {
        groups.entry(object_of(key(&item))).or_default().push(item);
    }
    groups
}

async fn ask(env: &Env, object: &str, request: &IndexRequest) -> ApiResult<IndexAnswer> {
    let answer = crate::objects::ask_object_text(env, BINDING, object, wire::to_json(request)).await?;
    match wire::from_json(&answer).ok_or_else(ApiError::internal)? {
        IndexAnswer::Error(error) => Err(error),
        answer => Ok(answer),
    }
}

#[cfg(test)]
mod tests {
    use super::super::book::sample::{NOW, share};
    use super::*;
    use crate::shares::Hashes;

    #[test]
    fn every_key_that_opens_a_share_points_at_its_owners_book() {
        let mut old = share("a1", "owner-a", "AB12");
        let keys: Vec<String> = pointers(&old, "r").into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["l:ab12", "n:ab12", "n1:sha1-ab12"], "a link from before opens Nightscout with its secret");
        old.nightscout = Some(Hashes { sha256: "cd34".into(), sha1: "ef56".into() });
        let keys: Vec<String> = pointers(&old, "r").into_iter().map(|p| p.key).collect();
        assert_eq!(keys, ["l:ab12", "n:cd34", "n1:ef56"]);
        assert_eq!(pointer_key(&Key::NightscoutSha1("EF56".into())), "n1:ef56");
        assert_eq!(object_of("n1:ef56"), "index:ef");
        assert_eq!(object_of("l:"), "index:00", "a made-up key still names an object, and finds nothing there");
    }

    #[test]
    fn an_index_forgets_ended_shares_whenever_it_is_written() {
        let mut index = Index::default();
        let pointer = |key: &str, until| Pointer { key: key.into(), route: "r".into(), until };
        let (puts, deletes) = index.put(vec![pointer("l:aa", NOW + 10), pointer("l:ab", NOW + 100)], NOW);
        assert_eq!((puts.len(), deletes.len()), (2, 0));
        assert_eq!(index.find("l:aa", NOW).as_deref(), Some("r"));
        assert_eq!(index.find("l:aa", NOW + 10), None, "an ended share's pointer leads nowhere");
        let (_, deletes) = index.put(vec![pointer("l:ac", NOW + 100)], NOW + 20);
        assert_eq!(deletes, ["p:l:aa"]);
        assert_eq!(index.len(), 2);
        assert_eq!(index.remove(&["l:ab".into(), "l:zz".into()]), ["p:l:ab"]);
        let stored = vec![("p:l:ac".into(), wire::to_json(&pointer("l:ac", NOW + 100))), ("p:x".into(), "{".into())];
        let read = Index::from_stored(stored);
        assert_eq!((read.len(), read.find("l:ac", NOW).as_deref()), (1, Some("r")));
    }

    #[test]
    fn index_messages_never_show_a_key_in_debug_output() {
        let pointer = Pointer { key: "n1:ef56ef56".into(), route: "r".into(), until: NOW };
        for request in [IndexRequest::Put(vec![pointer]), IndexRequest::Find("n1:ef56ef56".into())] {
            assert!(!format!("{request:?}").contains("ef56"), "{request:?}");
        }
        assert_eq!(format!("{:?}", IndexRequest::Remove(vec!["n1:ef56ef56".into()])), "IndexRequest::Remove(1 keys)");
    }

    #[test]
    fn index_messages_round_trip() {
        let pointer = Pointer { key: "l:aa".into(), route: "demo".into(), until: NOW };
        for request in
            [IndexRequest::Put(vec![pointer]), IndexRequest::Find("l:aa".into()), IndexRequest::Remove(vec![])]
        {
            assert_eq!(wire::from_json::<IndexRequest>(&wire::to_json(&request)), Some(request));
        }
        for answer in [IndexAnswer::Done, IndexAnswer::Found(None), IndexAnswer::Found(Some("r".into()))] {
            assert_eq!(wire::from_json::<IndexAnswer>(&wire::to_json(&answer)), Some(answer));
        }
    }

    /// Pointers stored and messages sent by the hand-written codec of earlier builds read the same.
    #[test]
    fn pointers_and_messages_are_the_json_earlier_builds_wrote() {
        let pointer = Pointer { key: "l:aa".into(), route: "demo".into(), until: NOW };
        let written = [
            (wire::to_json(&pointer), format!(r#"{{"key":"l:aa","route":"demo","until":{NOW}}}"#)),
            (
                wire::to_json(&IndexRequest::Put(vec![pointer])),
                format!(r#"{{"put":[{{"key":"l:aa","route":"demo","until":{NOW}}}]}}"#),
            ),
            (wire::to_json(&IndexRequest::Find("l:aa".into())), r#"{"find":"l:aa"}"#.to_owned()),
            (wire::to_json(&IndexAnswer::Found(None)), r#"{"found":null}"#.to_owned()),
            (wire::to_json(&IndexAnswer::Done), r#""done""#.to_owned()),
        ];
        for (now, before) in written {
            assert_eq!(wire::parse(&now), wire::parse(&before), "{now}");
        }
    }
}
