//! String interning for the in-memory search engine: each distinct string (brand, category id,
//! currency, attribute pair, term) is stored once and referred to by a dense `u32`, so per-product
//! columns are plain integer vectors.

use std::collections::HashMap;
use std::sync::Arc;

/// "No value" in an interned column (a product without brand, category or currency).
pub const NONE: u32 = u32::MAX;

#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<Arc<str>, u32>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    /// The id of `s`, adding it when new; the flag tells whether it was new.
    pub fn intern(&mut self, s: &str) -> (u32, bool) {
        if let Some(id) = self.ids.get(s) {
            return (*id, false);
        }
        let id = self.strings.len() as u32;
        let shared: Arc<str> = Arc::from(s);
        self.strings.push(shared.clone());
        self.ids.insert(shared, id);
        (id, true)
    }

    /// The id of an optional string; [`NONE`] for none.
    pub fn intern_opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.intern(s).0)
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    /// The shared copy of an interned string (for indexes keyed by it).
    pub fn shared(&self, id: u32) -> Arc<str> {
        self.strings[id as usize].clone()
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.strings.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.strings.capacity() * 16
            + self.ids.capacity() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once() {
        let mut i = Interner::default();
        assert_eq!(i.intern("acme"), (0, true));
        assert_eq!(i.intern("zoom"), (1, true));
        assert_eq!(i.intern("acme"), (0, false));
        assert_eq!(i.get("zoom"), Some(1));
        assert_eq!(i.get("nope"), None);
        assert_eq!(i.name(1), "zoom");
        assert_eq!(i.intern_opt(None), NONE);
    }
}
