//! The engine's per-product side: dense `u32` document numbers for product ids, and per
//! document the columns search filters, sorts and counts on (status, category, brand, currency,
//! prices, creation time, rating rank, attribute pairs), kept as one vector per column. A
//! product is upserted whole ([`Index::upsert`]) from a [`ProductDoc`] read from the database;
//! that one path serves both the start-up build and every later refresh.

use std::collections::HashMap;

use super::intern::{Interner, NONE};
use super::vocab::{Vocab, MAX_DOC};
use crate::products::ProductStatus;

/// Status code of a document whose product is gone: matches no status filter.
pub const GONE: u8 = u8::MAX;

pub fn status_code(s: ProductStatus) -> u8 {
    match s {
        ProductStatus::Draft => 0,
        ProductStatus::Published => 1,
        ProductStatus::Archived => 2,
    }
}

/// One product as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDoc {
    pub id: u128,
    pub status: ProductStatus,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub currency: Option<String>,
    pub price_min: i64,
    pub price_major: i64,
    pub created_at: i64,
    pub rating_rank: i64,
    /// (name, value) pairs.
    pub attributes: Vec<(String, String)>,
    /// Term → summed field weight (`terms::weigh`).
    pub weights: Vec<(String, u32)>,
}

#[derive(Debug, Default)]
pub struct Index {
    pub ids: Vec<u128>,
    by_id: HashMap<u128, u32>,
    pub status: Vec<u8>,
    pub category: Vec<u32>,
    pub brand: Vec<u32>,
    pub currency: Vec<u32>,
    pub price_min: Vec<i64>,
    pub price_major: Vec<i64>,
    pub created_at: Vec<i64>,
    pub rating_rank: Vec<i64>,
    /// Sorted attribute-pair ids per document.
    pub attrs: Vec<Box<[u32]>>,
    /// Sorted term ids per document (to drop its postings when it changes).
    doc_terms: Vec<Box<[u32]>>,
    pub categories: Interner,
    pub brands: Interner,
    pub currencies: Interner,
    pub attr_names: Interner,
    /// "name\u{1f}value" → pair id.
    pub pairs: Interner,
    /// Pair id → its name id and its value.
    pub pair_name: Vec<u32>,
    pub pair_value: Vec<Box<str>>,
    pub vocab: Vocab,
}

fn pair_key(name: &str, value: &str) -> String {
    format!("{name}\u{1f}{value}")
}

impl Index {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn doc(&self, id: u128) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// The pair id of an attribute value, if any product ever had it.
    pub fn pair(&self, name: &str, value: &str) -> Option<u32> {
        self.pairs.get(&pair_key(name, value))
    }

    fn new_doc(&mut self, id: u128) -> u32 {
        let doc = self.ids.len() as u32;
        assert!(doc <= MAX_DOC, "search index full");
        self.ids.push(id);
        self.by_id.insert(id, doc);
        self.status.push(GONE);
        self.category.push(NONE);
        self.brand.push(NONE);
        self.currency.push(NONE);
        self.price_min.push(0);
        self.price_major.push(0);
        self.created_at.push(0);
        self.rating_rank.push(0);
        self.attrs.push(Box::new([]));
        self.doc_terms.push(Box::new([]));
        doc
    }

    /// Adds or replaces a product.
    pub fn upsert(&mut self, p: &ProductDoc) {
        let doc = match self.doc(p.id) {
            Some(d) => d,
            None => self.new_doc(p.id),
        };
        let d = doc as usize;
        self.status[d] = status_code(p.status);
        self.category[d] = self.categories.intern_opt(p.category.as_deref());
        self.brand[d] = self.brands.intern_opt(p.brand.as_deref());
        self.currency[d] = self.currencies.intern_opt(p.currency.as_deref());
        self.price_min[d] = p.price_min;
        self.price_major[d] = p.price_major;
        self.created_at[d] = p.created_at;
        self.rating_rank[d] = p.rating_rank;

        let mut attrs: Vec<u32> = p
            .attributes
            .iter()
            .map(|(name, value)| {
                let (pair, new) = self.pairs.intern(&pair_key(name, value));
                if new {
                    self.pair_name.push(self.attr_names.intern(name).0);
                    self.pair_value.push(value.as_str().into());
                }
                pair
            })
            .collect();
        attrs.sort_unstable();
        attrs.dedup();
        self.attrs[d] = attrs.into_boxed_slice();

        let mut terms: Vec<(u32, u32)> = p
            .weights
            .iter()
            .map(|(term, w)| (self.vocab.intern(term), *w))
            .collect();
        terms.sort_unstable();
        let old = std::mem::take(&mut self.doc_terms[d]);
        for t in old.iter() {
            if terms.binary_search_by_key(t, |(id, _)| *id).is_err() {
                self.vocab.remove(*t, doc);
            }
        }
        for (t, w) in &terms {
            self.vocab.add(*t, doc, *w);
        }
        self.doc_terms[d] = terms.into_iter().map(|(t, _)| t).collect();
    }

    /// Drops a product that no longer exists: it keeps its number but matches nothing.
    pub fn remove(&mut self, id: u128) {
        let Some(doc) = self.doc(id) else { return };
        let d = doc as usize;
        self.status[d] = GONE;
        self.attrs[d] = Box::new([]);
        for t in std::mem::take(&mut self.doc_terms[d]).iter() {
            self.vocab.remove(*t, doc);
        }
    }

    /// Approximate heap bytes held by the whole index.
    pub fn heap_bytes(&self) -> usize {
        let n = self.ids.capacity();
        let columns = n * (16 + 1 + 4 * 3 + 8 * 4 + 16 * 2) + self.by_id.capacity() * 24;
        let lists: usize = self
            .attrs
            .iter()
            .chain(self.doc_terms.iter())
            .map(|b| b.len() * 4)
            .sum();
        columns
            + lists
            + self.categories.heap_bytes()
            + self.brands.heap_bytes()
            + self.currencies.heap_bytes()
            + self.attr_names.heap_bytes()
            + self.pairs.heap_bytes()
            + self.pair_value.iter().map(|v| v.len() + 16).sum::<usize>()
            + self.vocab.heap_bytes()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::search::vocab::doc_of;

    pub fn doc(n: u128, title: &str, brand: Option<&str>) -> ProductDoc {
        ProductDoc {
            id: n,
            status: ProductStatus::Published,
            category: None,
            brand: brand.map(str::to_string),
            currency: Some("USD".into()),
            price_min: 1000,
            price_major: 10,
            created_at: n as i64,
            rating_rank: 0,
            attributes: vec![],
            weights: crate::search::terms::weigh(title, brand, "")
                .into_iter()
                .map(|(t, w)| (t, w as u32))
                .collect(),
        }
    }

    #[test]
    fn upsert_replaces_terms_and_columns() {
        let mut index = Index::default();
        index.upsert(&doc(1, "Red Jacket", Some("Acme")));
        index.upsert(&doc(2, "Blue Jacket", None));
        let jacket = index.vocab.live("jacket").unwrap();
        assert_eq!(index.vocab.postings(jacket).len(), 2);

        let mut changed = doc(1, "Red Coat", Some("Zoom"));
        changed.attributes = vec![("colour".into(), "red".into())];
        index.upsert(&changed);
        assert_eq!(index.len(), 2, "same product keeps its number");
        let docs: Vec<u32> = index
            .vocab
            .postings(jacket)
            .iter()
            .map(|p| doc_of(*p))
            .collect();
        assert_eq!(docs, [1]);
        assert!(index.vocab.live("coat").is_some());
        assert_eq!(index.vocab.live("acme"), None);
        assert_eq!(index.brands.name(index.brand[0]), "Zoom");
        let pair = index.pair("colour", "red").unwrap();
        assert_eq!(&*index.attrs[0], &[pair]);
        assert_eq!(
            index.attr_names.name(index.pair_name[pair as usize]),
            "colour"
        );

        index.remove(2);
        assert_eq!(index.status[1], GONE);
        assert_eq!(index.vocab.live("jacket"), None);
    }
}
