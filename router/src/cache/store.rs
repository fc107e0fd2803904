//! The in-memory cache store: a bounded LRU of JSON values by 128-bit key, each with its expiry
//! and its tags (`Product:<id>`, `source:<subgraph>`), and a tag index so an event drops exactly
//! the entries it names. An epoch counts invalidations: a fetch that began before one does not
//! store what it read (it may be the old value), so a change is never undone by a slow reader.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use lru::LruCache;
use parking_lot::Mutex;
use serde_json::Value;

struct Entry {
    value: Arc<Value>,
    expires: Instant,
    tags: Box<[Arc<str>]>,
}

struct Inner {
    entries: LruCache<u128, Entry>,
    by_tag: HashMap<Arc<str>, HashSet<u128>>,
}

pub struct Store {
    inner: Mutex<Inner>,
    epoch: AtomicU64,
}

/// What a lookup found.
pub enum Found {
    Hit(Arc<Value>),
    Miss,
}

impl Store {
    pub fn new(max_entries: usize) -> Self {
        Store {
            inner: Mutex::new(Inner {
                entries: LruCache::new(NonZeroUsize::new(max_entries.max(1)).expect("max 1")),
                by_tag: HashMap::new(),
            }),
            epoch: AtomicU64::new(0),
        }
    }

    /// The invalidation count now; pass it back to [`Store::put`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    pub fn get(&self, key: u128) -> Found {
        let mut inner = self.inner.lock();
        let expired = match inner.entries.get(&key) {
            Some(e) if e.expires > Instant::now() => return Found::Hit(e.value.clone()),
            Some(_) => true,
            None => false,
        };
        if expired {
            if let Some(e) = inner.entries.pop(&key) {
                inner.unindex(key, &e.tags);
            }
        }
        Found::Miss
    }

    /// Stores `value` unless an invalidation happened since `epoch` (the fetch that produced it
    /// may have read the data before the change). Returns whether an entry was evicted.
    pub fn put(
        &self,
        key: u128,
        value: Arc<Value>,
        expires: Instant,
        tags: Vec<Arc<str>>,
        epoch: u64,
    ) -> bool {
        let mut inner = self.inner.lock();
        // Invalidations bump the epoch under this lock, so the check cannot race one.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return false;
        }
        for t in &tags {
            inner.by_tag.entry(t.clone()).or_default().insert(key);
        }
        let entry = Entry {
            value,
            expires,
            tags: tags.into_boxed_slice(),
        };
        match inner.entries.push(key, entry) {
            Some((old_key, old)) => {
                if old_key != key {
                    inner.unindex(old_key, &old.tags);
                    return true;
                }
                // Replaced in place: drop the old tags the new entry does not have.
                let keep: HashSet<&Arc<str>> = inner
                    .entries
                    .peek(&key)
                    .map(|e| e.tags.iter().collect())
                    .unwrap_or_default();
                let stale: Vec<Arc<str>> = old
                    .tags
                    .iter()
                    .filter(|t| !keep.contains(t))
                    .cloned()
                    .collect();
                inner.unindex(key, &stale);
                false
            }
            None => false,
        }
    }

    /// Drops every entry carrying one of `tags`; returns how many.
    pub fn invalidate(&self, tags: &[String]) -> usize {
        let mut inner = self.inner.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let mut dropped = 0;
        for tag in tags {
            let Some(keys) = inner.by_tag.remove(tag.as_str()) else {
                continue;
            };
            for key in keys {
                if let Some(e) = inner.entries.pop(&key) {
                    inner.unindex(key, &e.tags);
                    dropped += 1;
                }
            }
        }
        dropped
    }

    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn unindex(&mut self, key: u128, tags: &[Arc<str>]) {
        for t in tags {
            if let Some(set) = self.by_tag.get_mut(t) {
                set.remove(&key);
                if set.is_empty() {
                    self.by_tag.remove(t);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn tags(t: &[&str]) -> Vec<Arc<str>> {
        t.iter().map(|s| Arc::from(*s)).collect()
    }

    #[test]
    fn invalidation_drops_exactly_the_tagged_entries() {
        let s = Store::new(10);
        let later = Instant::now() + Duration::from_secs(60);
        s.put(1, Arc::new(Value::from(1)), later, tags(&["Product:a"]), 0);
        s.put(2, Arc::new(Value::from(2)), later, tags(&["Product:b"]), 0);
        assert_eq!(s.invalidate(&["Product:a".into()]), 1);
        assert!(matches!(s.get(1), Found::Miss));
        assert!(matches!(s.get(2), Found::Hit(_)));
    }

    #[test]
    fn a_fetch_older_than_an_invalidation_is_not_stored() {
        let s = Store::new(10);
        let epoch = s.epoch();
        s.invalidate(&["Product:a".into()]);
        let later = Instant::now() + Duration::from_secs(60);
        s.put(
            1,
            Arc::new(Value::from(1)),
            later,
            tags(&["Product:a"]),
            epoch,
        );
        assert!(matches!(s.get(1), Found::Miss));
    }

    #[test]
    fn bounded_and_expiring() {
        let s = Store::new(2);
        let later = Instant::now() + Duration::from_secs(60);
        assert!(!s.put(1, Arc::new(Value::Null), later, tags(&["t"]), 0));
        assert!(!s.put(2, Arc::new(Value::Null), later, tags(&["t"]), 0));
        assert!(s.put(3, Arc::new(Value::Null), later, tags(&["t"]), 0));
        assert_eq!(s.len(), 2);
        s.put(4, Arc::new(Value::Null), Instant::now(), vec![], 0);
        assert!(matches!(s.get(4), Found::Miss));
        // The evicted entry's tag no longer points at it.
        assert_eq!(s.invalidate(&["t".into()]), 1);
    }
}
