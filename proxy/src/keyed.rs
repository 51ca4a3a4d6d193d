//! A map from text keys to values kept as one sorted vector: what the watch book needs of `BTreeMap` (lookup,
//! insert, remove, iteration in key order) for a few hundred entries at most. A B-tree is about 8 KB of wasm per
//! value type; this is a binary search and `Vec`'s insert and remove.

#[cfg(test)]
use core::ops::Index;

/// Text keys to values, iterated in key order.
#[derive(Clone, PartialEq, Debug)]
pub struct Keyed<V> {
    entries: Vec<(String, V)>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed { entries: Vec::new() }
    }
}

impl<V> Keyed<V> {
    /// An empty map.
    pub const fn new() -> Self {
        Keyed { entries: Vec::new() }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        let index = self.find(key).ok()?;
        self.entries.get(index).map(|(_, v)| v)
    }

    /// The value at `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let index = self.find(key).ok()?;
        self.entries.get_mut(index).map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; the value it replaces, if any.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(index) => self.entries.get_mut(index).map(|(_, v)| core::mem::replace(v, value)),
            Err(index) => {
                self.entries.insert(index, (key, value));
                None
            }
        }
    }

    /// Removes `key`; its value, if it had one.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let index = self.find(key).ok()?;
        Some(self.entries.remove(index).1)
    }

    /// Keeps only the entries whose value passes `keep`.
    pub fn retain(&mut self, mut keep: impl FnMut(&mut V) -> bool) {
        self.entries.retain_mut(|(_, v)| keep(v));
    }

    /// Entries.
    pub const fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub const fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in key order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keys in order, taken.
    pub fn into_keys(self) -> impl Iterator<Item = String> {
        self.entries.into_iter().map(|(k, _)| k)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<V: Default> Keyed<V> {
    /// The value at `key`, inserting the default first if there is none.
    pub fn or_default(&mut self, key: String) -> &mut V {
        let index = match self.find(&key) {
            Ok(index) => index,
            Err(index) => {
                self.entries.insert(index, (key, V::default()));
                index
            }
        };
        match self.entries.get_mut(index) {
            Some((_, value)) => value,
            // The index was just found or filled.
            None => unreachable!(),
        }
    }
}

#[cfg(test)]
impl<V> Index<&str> for Keyed<V> {
    type Output = V;

    /// Panics when `key` has no value (tests and callers that just inserted it).
    fn index(&self, key: &str) -> &V {
        self.get(key).unwrap_or_else(|| panic!("no entry {key:?}"))
    }
}

impl<V> IntoIterator for Keyed<V> {
    type Item = (String, V);
    type IntoIter = std::vec::IntoIter<(String, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<V> FromIterator<(String, V)> for Keyed<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(items: I) -> Self {
        let mut map = Keyed::new();
        for (key, value) in items {
            map.insert(key, value);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_as_a_btree_map_for_every_operation_the_book_uses() {
        let mut ours = Keyed::new();
        let mut theirs = BTreeMap::new();
        // A fixed pseudo-random sequence of operations over a few keys.
        let mut x: u32 = 12_345;
        for step in 0..4_000_u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("k{}", (x >> 16) % 23);
            match (x >> 8) % 5 {
                0 | 1 => assert_eq!(ours.insert(key.clone(), step), theirs.insert(key, step)),
                2 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
                3 => {
                    let parity = step % 2;
                    ours.retain(|v| *v % 2 == parity);
                    theirs.retain(|_, v| *v % 2 == parity);
                }
                _ => {
                    *ours.or_default(key.clone()) += 1;
                    *theirs.entry(key).or_default() += 1;
                }
            }
            assert_eq!(ours.iter().collect::<Vec<_>>(), theirs.iter().collect::<Vec<_>>());
            assert_eq!(ours.len(), theirs.len());
        }
        for key in ["k1", "k7", "nope"] {
            assert_eq!(ours.get(key), theirs.get(key));
            assert_eq!(ours.contains_key(key), theirs.contains_key(key));
        }
        let collected: Keyed<u32> = theirs.clone().into_iter().collect();
        assert_eq!(collected.into_iter().collect::<Vec<_>>(), theirs.into_iter().collect::<Vec<_>>());
    }
}
