//! One stable sort for the whole crate and its users, written once and not generic in its loop.
//!
//! std's `sort_by` is excellent and large: each element type and comparator gets its own copy of driftsort and
//! its small-sort networks, about 8 KB of wasm each. For short lists (the open alarms, the outbox, the share list,
//! the simulator's logbook, the Watcher's groups) that copy costs more than the sort saves. Here the merging works
//! on indices through a `&dyn` comparator: one copy in the binary, and each caller adds only the small generic step
//! that reorders its items. It is about three times slower than std's sort per element, so long lists (a
//! fortnight of readings in `Series::merge`, the AGP buckets) keep std's.

use std::cmp::Ordering;

/// The positions of `n` items in stable ascending order by `cmp` (which compares items by their index): a
/// bottom-up merge sort, O(n log n) comparisons, equal items keep their order.
pub fn stable_order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut merged: Vec<usize> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        merged.clear();
        for run in order.chunks(2 * width) {
            let (left, right) = run.split_at(width.min(run.len()));
            let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
            while let (Some(&&a), Some(&&b)) = (l.peek(), r.peek()) {
                // Only a strictly smaller right item goes first: that is what keeps equal items in order.
                if cmp(b, a) == Ordering::Less {
                    merged.push(b);
                    r.next();
                } else {
                    merged.push(a);
                    l.next();
                }
            }
            merged.extend(l);
            merged.extend(r);
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Sorts `items` stably by `cmp`, like `slice::sort_by`.
pub fn sort_by<T>(items: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    let order = {
        let view: &[T] = items;
        stable_order(view.len(), &|a, b| match (view.get(a), view.get(b)) {
            (Some(a), Some(b)) => cmp(a, b),
            _ => Ordering::Equal,
        })
    };
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)));
}

/// Sorts `items` stably by the key `key` gives, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_short_lists_and_keeps_equal_items_in_order() {
        let mut empty: Vec<(u8, u8)> = Vec::new();
        sort_by_key(&mut empty, |p| p.0);
        assert!(empty.is_empty());
        let mut items = vec![(3, 0), (1, 1), (3, 2), (2, 3), (1, 4)];
        sort_by_key(&mut items, |p| p.0);
        assert_eq!(items, [(1, 1), (1, 4), (2, 3), (3, 0), (3, 2)]);
        sort_by(&mut items, |a, b| b.0.cmp(&a.0));
        assert_eq!(items, [(3, 0), (3, 2), (2, 3), (1, 1), (1, 4)]);
    }

    proptest! {
        /// The same result as std's stable sort, stability included (the second field tells equal keys apart).
        #[test]
        fn matches_std_stable_sort(keys in proptest::collection::vec(0_u8..8, 0..300)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut ours = items.clone();
            sort_by_key(&mut ours, |p| p.0);
            let mut theirs = items;
            theirs.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, theirs);
        }
    }
}
