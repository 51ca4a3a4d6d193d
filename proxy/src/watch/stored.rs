//! The watch book in storage: the values a `Watcher` stores, what a save writes (only what changed), and the book
//! read back.

use super::*;

/// A stored value as this object last wrote it: what it compares equal by (`meta` without the tick's time), and
/// when it was written.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Written {
    /// The value's text (for `meta`, without `last_tick`).
    pub fingerprint: String,
    /// Unix seconds.
    pub at: i64,
}

/// What one save does: the values to put, the keys to delete, and what storage holds afterwards.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Changes {
    /// `(key, value)` to write.
    pub puts: Vec<(String, String)>,
    /// Keys to delete.
    pub deletes: Vec<String>,
    /// What storage holds once both are done.
    pub written: Keyed<Written>,
}

/// What a stored value is compared by: its text without the clocks that move every minute (`meta`'s
/// `last_tick`; a phone's `state.last_step`, and `state.excursion_seen`, the rebound tracker's watermark: readings
/// fed again to an excursion they did not change leave it as it is, so an older watermark after a restart is
/// harmless).
/// The clocks are taken out of `value` and given back, for [`restore_clocks`].
fn fingerprint(key: &str, value: &mut Value) -> (String, Vec<(&'static str, Value)>) {
    let mut clocks = Vec::new();
    if let Some(object) = clock_holder(key, value) {
        for clock in CLOCKS {
            if let Some(taken) = object.remove(clock) {
                clocks.push((clock, taken));
            }
        }
    }
    (value.to_string(), clocks)
}

/// The fields [`fingerprint`] leaves out.
const CLOCKS: [&str; 3] = ["last_tick", "last_step", "excursion_seen"];

fn restore_clocks(key: &str, value: &mut Value, clocks: Vec<(&'static str, Value)>) {
    if let Some(object) = clock_holder(key, value) {
        for (clock, taken) in clocks {
            object.insert(clock.to_owned(), taken);
        }
    }
}

/// The object that holds a stored value's clocks: `meta` itself, a phone's `state`.
fn clock_holder<'a>(key: &str, value: &'a mut Value) -> Option<&'a mut serde_json::Map<String, Value>> {
    if key == "meta" { value.as_object_mut() } else { value.get_mut("state").and_then(Value::as_object_mut) }
}

impl WatchBook {
    /// The book as the `Watcher` stores it: one value for the groups (without readings), the outbox and the last
    /// tick (`meta`), one per subscription (`sub:<id>`) and one per group's readings (`series:<group>`), so no value
    /// nears Durable Objects' 128 KiB limit.
    pub fn to_storage(&self) -> Keyed<String> {
        let mut values = Keyed::new();
        for (key, value) in self.stored_values() {
            values.insert(key, value.to_string());
        }
        values
    }

    /// The values of [`WatchBook::to_storage`], before they become text.
    fn stored_values(&self) -> Vec<(String, Value)> {
        let mut values = vec![("meta".to_owned(), wire::to_value(&self.meta()))];
        for (id, sub) in self.subs.iter() {
            values.push((format!("sub:{id}"), wire::to_value(sub)));
        }
        for (key, group) in self.groups.iter() {
            values.push((format!("series:{key}"), wire::to_value(&group.series)));
        }
        values
    }

    /// The `meta` value: the groups without their readings, the outbox, and `last_tick`.
    fn meta(&self) -> WatchBook {
        let mut groups = Keyed::new();
        for (key, group) in self.groups.iter() {
            groups.insert(key.clone(), Group { series: Series::default(), ..group.clone() });
        }
        WatchBook {
            subs: Keyed::new(),
            groups,
            outbox: self.outbox.clone(),
            last_tick: self.last_tick,
            removed: self.removed.clone(),
            interruptions: self.interruptions.clone(),
            loud_outbox: self.loud_outbox.clone(),
        }
    }

    /// What a save at `now` writes and deletes, given what the storage holds as far as this object knows
    /// (`written`, as the last [`Changes::written`]): only values that changed, so a minute in which nothing
    /// happens writes nothing and the free plan's daily writes go to what matters.
    ///
    /// - The clocks alone are not worth a row (see [`fingerprint`]): they are written with the next real change,
    ///   and `meta` (the last tick) at least every [`HEARTBEAT_SECS`], so an interruption can be told from a restart. A restart that forgets them at worst runs a duplicate delivery of a minute
    ///   again, which `shared::alarm::step` makes harmless.
    /// - A group's readings are written at most every [`SERIES_WRITE_SECS`]: LibreLinkUp's graph gives the last
    ///   12 hours back at the next read, so a restart loses at most the minute values of that span.
    pub fn changes(&self, written: &Keyed<Written>, now: i64) -> Changes {
        let mut changes = Changes::default();
        for (key, mut value) in self.stored_values() {
            let (fingerprint, clocks) = fingerprint(&key, &mut value);
            let before = written.get(&key);
            let write = match before {
                Some(before) if key == "meta" && now - before.at >= HEARTBEAT_SECS => true,
                Some(before) if before.fingerprint == fingerprint => false,
                Some(before) => !key.starts_with("series:") || now - before.at >= SERIES_WRITE_SECS,
                None => true,
            };
            let kept = if write {
                restore_clocks(&key, &mut value, clocks);
                changes.puts.push((key.clone(), value.to_string()));
                Written { fingerprint, at: now }
            } else {
                before.cloned().unwrap_or(Written { fingerprint, at: now })
            };
            changes.written.insert(key, kept);
        }
        changes.deletes = written.keys().filter(|key| !changes.written.contains_key(key.as_str())).cloned().collect();
        changes
    }

    /// The book from the stored `(key, value)` pairs of [`WatchBook::to_storage`], and the keys it could not read.
    /// A value that does not parse (or a key this version does not know) is skipped, so one bad subscription does
    /// not stop every phone's alarms; the caller keeps those values as they are (see `Watcher::load`). Every
    /// subscription's group exists afterwards: a group lost with an unreadable `meta` starts again with fresh
    /// alarm states, rather than leaving its phones without alarms (`apply` skips a group it does not have).
    pub fn from_storage(values: impl IntoIterator<Item = (String, String)>) -> (WatchBook, Vec<String>) {
        let mut book = WatchBook::default();
        let mut series = Vec::new();
        let mut unreadable = Vec::new();
        for (key, text) in values {
            let read = if key == "meta" {
                wire::from_json::<WatchBook>(&text).map(|meta| {
                    book.groups = meta.groups;
                    book.outbox = meta.outbox;
                    book.last_tick = meta.last_tick;
                    book.removed = meta.removed;
                    book.interruptions = meta.interruptions;
                    book.loud_outbox = meta.loud_outbox;
                })
            } else if let Some(id) = key.strip_prefix("sub:") {
                wire::from_json(&text).map(|sub| {
                    book.subs.insert(id.to_owned(), sub);
                })
            } else if let Some(group) = key.strip_prefix("series:") {
                wire::from_json(&text).map(|readings| series.push((group.to_owned(), readings)))
            } else {
                unreadable.push(key);
                continue;
            };
            if read.is_none() {
                unreadable.push(key);
            }
        }
        for sub in book.subs.values() {
            book.groups.entry(sub.setup.group.clone()).or_default();
        }
        for (group, readings) in series {
            if let Some(g) = book.groups.get_mut(&group) {
                g.series = readings;
            }
        }
        (book, unreadable)
    }
}
