//! The engine's text side: terms (interned), their postings — sorted `(doc, field weight)` lists
//! packed into one `u32` each — and the two ways a query word reaches terms it does not spell
//! exactly: one-edit neighbours through symmetric deletes, and terms the last word begins
//! (ordered map range). Terms whose postings run empty stay interned but are never offered.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::intern::Interner;
use super::query::edit_distance;
use super::terms::{deletions, MIN_FUZZY_LEN};

/// Low bits of a posting that hold the field weight (title 3 + brand 2 + description 1 = 6).
const WEIGHT_BITS: u32 = 3;
const WEIGHT_MASK: u32 = (1 << WEIGHT_BITS) - 1;
/// Largest document number a posting can hold.
pub const MAX_DOC: u32 = u32::MAX >> WEIGHT_BITS;

pub fn pack(doc: u32, weight: u32) -> u32 {
    (doc << WEIGHT_BITS) | weight.min(WEIGHT_MASK)
}

pub fn doc_of(posting: u32) -> u32 {
    posting >> WEIGHT_BITS
}

pub fn weight_of(posting: u32) -> u32 {
    posting & WEIGHT_MASK
}

#[derive(Debug, Default)]
pub struct Vocab {
    terms: Interner,
    /// Term → packed postings, ascending by document.
    postings: Vec<Vec<u32>>,
    /// Single-character deletion of a term (of at least `MIN_FUZZY_LEN` characters) → terms.
    deletes: HashMap<Box<str>, Vec<u32>>,
    /// Every term in order, for prefix ranges.
    sorted: BTreeMap<Arc<str>, u32>,
}

impl Vocab {
    /// The id of `term`, adding it (and its deletion variants) when new.
    pub fn intern(&mut self, term: &str) -> u32 {
        let (id, new) = self.terms.intern(term);
        if new {
            self.postings.push(Vec::new());
            self.sorted.insert(self.terms.shared(id), id);
            if term.chars().count() >= MIN_FUZZY_LEN {
                for d in deletions(term) {
                    self.deletes.entry(d.into_boxed_str()).or_default().push(id);
                }
            }
        }
        id
    }

    /// A term that some product currently has.
    pub fn live(&self, term: &str) -> Option<u32> {
        self.terms
            .get(term)
            .filter(|t| !self.postings[*t as usize].is_empty())
    }

    pub fn postings(&self, term: u32) -> &[u32] {
        &self.postings[term as usize]
    }

    pub fn term(&self, id: u32) -> &str {
        self.terms.name(id)
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Sets `doc`'s weight for `term` (adding the posting when missing).
    pub fn add(&mut self, term: u32, doc: u32, weight: u32) {
        let list = &mut self.postings[term as usize];
        let packed = pack(doc, weight);
        // Documents are numbered in arrival order, so new ones append.
        if list.last().is_none_or(|last| doc_of(*last) < doc) {
            list.push(packed);
            return;
        }
        match list.binary_search_by_key(&doc, |p| doc_of(*p)) {
            Ok(i) => list[i] = packed,
            Err(i) => list.insert(i, packed),
        }
    }

    pub fn remove(&mut self, term: u32, doc: u32) {
        let list = &mut self.postings[term as usize];
        if let Ok(i) = list.binary_search_by_key(&doc, |p| doc_of(*p)) {
            list.remove(i);
        }
    }

    /// Live terms within one edit (insert, delete, substitute, swap) of `word`, `word` itself
    /// excluded: the symmetric-delete lookup (`word` and its deletions against terms and
    /// their deletions), confirmed by an edit distance.
    pub fn near(&self, word: &str) -> Vec<u32> {
        let mut variants = deletions(word);
        variants.push(word.to_string());
        let mut found: Vec<u32> = Vec::new();
        for v in &variants {
            if let Some(t) = self.terms.get(v) {
                found.push(t);
            }
            if let Some(ts) = self.deletes.get(v.as_str()) {
                found.extend_from_slice(ts);
            }
        }
        found.sort_unstable();
        found.dedup();
        found.retain(|t| {
            let term = self.terms.name(*t);
            term != word
                && !self.postings[*t as usize].is_empty()
                && edit_distance(word, term, 1) <= 1
        });
        found
    }

    /// Up to `limit` live terms starting with `prefix`, in order.
    pub fn prefixed(&self, prefix: &str, limit: usize) -> Vec<u32> {
        self.sorted
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(term, _)| term.starts_with(prefix))
            .filter(|(_, id)| !self.postings[**id as usize].is_empty())
            .take(limit)
            .map(|(_, id)| *id)
            .collect()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        let postings: usize = self.postings.iter().map(|p| p.capacity() * 4 + 24).sum();
        let deletes: usize = self
            .deletes
            .iter()
            .map(|(k, v)| k.len() + 16 + v.capacity() * 4 + 24 + 8)
            .sum();
        self.terms.heap_bytes() + postings + deletes + self.sorted.len() * 40
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(terms: &[(&str, u32)]) -> Vocab {
        let mut v = Vocab::default();
        for (term, doc) in terms {
            let t = v.intern(term);
            v.add(t, *doc, 3);
        }
        v
    }

    fn names(v: &Vocab, ids: Vec<u32>) -> Vec<String> {
        ids.into_iter().map(|t| v.term(t).to_string()).collect()
    }

    #[test]
    fn postings_stay_sorted_and_updatable() {
        let mut v = Vocab::default();
        let t = v.intern("shoe");
        v.add(t, 5, 3);
        v.add(t, 9, 1);
        v.add(t, 2, 2);
        v.add(t, 5, 6);
        let docs: Vec<(u32, u32)> = v
            .postings(t)
            .iter()
            .map(|p| (doc_of(*p), weight_of(*p)))
            .collect();
        assert_eq!(docs, [(2, 2), (5, 6), (9, 1)]);
        v.remove(t, 5);
        v.remove(t, 7);
        assert_eq!(v.postings(t).len(), 2);
        assert_eq!(pack(MAX_DOC, 6) >> WEIGHT_BITS, MAX_DOC);
    }

    #[test]
    fn one_edit_neighbours_by_symmetric_deletes() {
        let v = vocab(&[
            ("sneaker", 1),
            ("speaker", 2),
            ("sneakers", 3),
            ("snake", 4),
            ("jacket", 5),
            ("shoe", 6),
            ("sho", 7),
        ]);
        // Substitution, insertion, deletion and a swap; never the word itself.
        assert_eq!(names(&v, v.near("sneaker")), ["speaker", "sneakers"]);
        assert_eq!(names(&v, v.near("snaeker")), ["sneaker"]);
        assert_eq!(names(&v, v.near("sneakr")), ["sneaker"]);
        assert_eq!(names(&v, v.near("jackets")), ["jacket"]);
        // A three-letter term is reached as the deletion of a longer word.
        assert_eq!(names(&v, v.near("shoe")), ["sho"]);
        // Two edits away: nothing.
        assert!(v.near("snkaer").is_empty());
    }

    #[test]
    fn dead_terms_are_not_offered() {
        let mut v = vocab(&[("jacket", 1), ("jackal", 2), ("jacuzzi", 3)]);
        let t = v.live("jackal").unwrap();
        v.remove(t, 2);
        assert_eq!(v.live("jackal"), None);
        assert_eq!(names(&v, v.prefixed("jac", 20)), ["jacket", "jacuzzi"]);
        assert_eq!(names(&v, v.prefixed("jac", 1)), ["jacket"]);
        assert!(v.near("jackel").iter().all(|t| v.term(*t) != "jackal"));
        assert!(v.prefixed("zz", 20).is_empty());
    }
}
