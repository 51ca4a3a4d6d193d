//! Fixed-window counters for what one phone or one client may do per minute (acknowledge, send a test, subscribe),
//! kept in the memory of the one object that answers them: bounded, and forgotten with the object (a limit against
//! floods, not an account of anyone's use).

/// Counters by key: the window's start and the count in it.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    windows: Vec<(String, i64, u32)>,
}

/// Keys counted at most: past it, the oldest window is forgotten first.
pub const MAX_KEYS: usize = 4096;

impl Limits {
    /// Counts one more `key` at `now` (seconds): `Err(seconds to wait)` once `per_window` already came in the
    /// `window` seconds that started with the first of them.
    pub fn admit(&mut self, key: &str, now: i64, per_window: u32, window: i64) -> Result<(), u32> {
        self.windows.retain(|(_, start, _)| now - start < window && now >= *start);
        match self.windows.iter_mut().find(|(k, ..)| k == key) {
            Some((_, start, count)) if *count >= per_window => {
                Err(u32::try_from(window - (now - *start)).unwrap_or(1).max(1))
            }
            Some((_, _, count)) => {
                *count += 1;
                Ok(())
            }
            None => {
                if self.windows.len() >= MAX_KEYS
                    && let Some(oldest) = self.windows.iter().enumerate().min_by_key(|(_, w)| w.1).map(|(i, _)| i)
                {
                    self.windows.swap_remove(oldest);
                }
                self.windows.push((key.to_owned(), now, 1));
                Ok(())
            }
        }
    }

    /// How many keys are counted now.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether nothing is counted.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_past_its_count_until_its_window_ends() {
        let mut limits = Limits::default();
        for _ in 0..3 {
            assert_eq!(limits.admit("ack:a", 100, 3, 60), Ok(()));
        }
        assert_eq!(limits.admit("ack:a", 130, 3, 60), Err(30));
        assert_eq!(limits.admit("ack:b", 130, 3, 60), Ok(()), "another key counts on its own");
        assert_eq!(limits.admit("ack:a", 160, 3, 60), Ok(()), "a new window");
    }

    #[test]
    fn the_table_stays_bounded() {
        let mut limits = Limits::default();
        for n in 0..MAX_KEYS + 10 {
            assert!(limits.admit(&format!("k{n}"), 5, 1, 60).is_ok());
        }
        assert_eq!(limits.len(), MAX_KEYS);
    }
}
