//! Values read from the database and kept in memory while content is unchanged.
//!
//! Each value is kept with the content generation it was read in (see `page_cache`: the
//! generation moves on every change, from this node or any other); a value from an older
//! generation is never returned.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// At most `capacity` values, each with the generation it was read in.
///
/// Keys are hashed with foldhash, not the standard SipHash: a member's page view looks up
/// three memos (session, own state, shared page) by keys of 16 to 80 bytes, and SipHash was
/// most of each lookup. Its seed is random per process, and a memo is bounded, so keys made
/// to collide cannot be found or cost much.
#[derive(Debug)]
pub struct Memo<K, V> {
    entries: Mutex<HashMap<K, (u64, V), foldhash::fast::RandomState>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub fn new(capacity: usize) -> Self {
        Memo {
            entries: Mutex::new(HashMap::default()),
            capacity,
        }
    }

    /// The value kept for `key`, if it was read in generation `current`.
    pub fn get<Q>(&self, key: &Q, current: u64) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(generation, _)| *generation == current)
            .map(|(_, value)| value.clone())
    }

    /// The value kept for `key` and the generation it was read in, however old.
    pub fn get_any<Q>(&self, key: &Q) -> Option<(u64, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).cloned()
    }

    /// The value kept for `key` in the generation now (`generation` tells it), or else the
    /// one `read` gives, kept unless content changed while it was read.
    pub async fn get_or_read<Q, E>(
        &self,
        key: &Q,
        generation: impl Fn() -> u64,
        read: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let read_in = generation();
        if let Some(value) = self.get(key, read_in) {
            return Ok(value);
        }
        let value = read.await?;
        self.put(key.to_owned(), read_in, generation(), value.clone());
        Ok(value)
    }

    /// Keeps `value` for `key`, read in generation `read_in`, unless content changed since
    /// (`current` is the generation now): then it is already out of date. When full, the
    /// oldest generations go first: those of the oldest quarter of the values, and all of
    /// them when the memo holds one generation.
    pub fn put(&self, key: K, read_in: u64, current: u64, value: V) {
        if read_in != current {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            let mut generations: Vec<u64> = entries.values().map(|(g, _)| *g).collect();
            let quarter = generations.len() / 4;
            let (_, oldest_kept, _) = generations.select_nth_unstable(quarter);
            let cut = *oldest_kept;
            entries.retain(|_, (generation, _)| *generation > cut);
        }
        entries.insert(key, (read_in, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_from_an_older_generation_is_never_returned() {
        let memo: Memo<String, &str> = Memo::new(2);
        memo.put("a".into(), 1, 1, "one");
        assert_eq!(memo.get("a", 1), Some("one"));
        assert_eq!(memo.get("a", 2), None);
        // Read before a change committed: not kept.
        memo.put("b".into(), 1, 2, "stale");
        assert_eq!(memo.get("b", 2), None);
        // Out of date, but there for whoever can use it so.
        assert_eq!(memo.get_any("a"), Some((1, "one")));
        assert_eq!(memo.get_any("b"), None);
    }

    #[tokio::test]
    async fn a_value_is_read_only_when_none_is_kept_for_the_generation() {
        let memo: Memo<String, u32> = Memo::new(4);
        let now = std::cell::Cell::new(1);
        let reads = std::cell::Cell::new(0);
        let read = |value| {
            let reads = &reads;
            async move {
                reads.set(reads.get() + 1);
                Ok::<_, ()>(value)
            }
        };
        assert_eq!(memo.get_or_read("a", || now.get(), read(10)).await, Ok(10));
        assert_eq!(memo.get_or_read("a", || now.get(), read(11)).await, Ok(10));
        now.set(2);
        assert_eq!(memo.get_or_read("a", || now.get(), read(12)).await, Ok(12));
        // Content changed while it was read: answered, not kept.
        let changing = || {
            now.set(now.get() + 1);
            now.get()
        };
        assert_eq!(memo.get_or_read("b", changing, read(20)).await, Ok(20));
        assert_eq!(memo.get("b", now.get()), None);
        assert_eq!(reads.get(), 3, "the kept value was not read again");
    }

    #[test]
    fn when_full_the_older_generations_go_first() {
        let memo: Memo<u32, u32> = Memo::new(8);
        for key in 0..8 {
            memo.put(key, u64::from(key / 2), u64::from(key / 2), key);
        }
        memo.put(8, 4, 4, 8);
        // The oldest quarter's generations (0 and 1) went; the later ones are kept.
        assert_eq!(memo.get_any(&1), None);
        assert_eq!(memo.get_any(&3), None);
        assert_eq!(memo.get_any(&4), Some((2, 4)));
        assert_eq!(memo.get_any(&8), Some((4, 8)));

        let memo: Memo<u32, u32> = Memo::new(2);
        memo.put(2, 2, 2, 20);
        memo.put(3, 2, 2, 30);
        assert_eq!((memo.get(&2, 2), memo.get(&3, 2)), (Some(20), Some(30)));
        memo.put(4, 2, 2, 40);
        assert_eq!(memo.get(&4, 2), Some(40));
        assert_eq!(
            memo.get(&2, 2),
            None,
            "a full memo of the current generation starts over"
        );
    }
}
