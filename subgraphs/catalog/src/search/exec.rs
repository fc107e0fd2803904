//! Running one search over the in-memory index: expand the words to terms (exact, one typo,
//! typed prefix), intersect their postings into scored matches, apply the filters, count the
//! facets over what is left, and pick the requested keyset page — all in memory, so only the
//! page's products are read from the database afterwards.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use kit::money::Money;

use super::facets::PRICE_EDGES;
use super::intern::NONE;
use super::query::TextMatch;
use super::store::{status_code, Index};
use super::terms::MIN_FUZZY_LEN;
use super::vocab::{doc_of, weight_of};
use crate::listing::Order;
use crate::products::ProductStatus;

/// Most terms one typed prefix expands to.
pub const MAX_PREFIX_TERMS: usize = 20;
/// Most values listed per facet (attribute values: ten times this over all names).
pub const MAX_VALUES: usize = 50;

/// The filters of a search, with the sets that come from the database (a category's subtree,
/// a collection's members) already resolved.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<ProductStatus>,
    /// Category ids the product's category must be one of.
    pub categories: Option<Vec<String>>,
    /// Product ids the product must be one of.
    pub members: Option<Vec<String>>,
    pub brand: Option<String>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Attribute name → accepted values.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Which facets to count.
#[derive(Debug, Clone, Copy, Default)]
pub struct FacetSet {
    pub categories: bool,
    pub brands: bool,
    pub prices: bool,
    pub attributes: bool,
}

pub struct Request<'a> {
    pub text: Option<&'a TextMatch>,
    pub filter: &'a Filter,
    pub order: Order,
    /// Keyset position (sort key, product id) to continue after.
    pub after: Option<(i64, u128)>,
    /// How many to return (a page plus one, to tell whether more follow).
    pub limit: usize,
    pub facets: FacetSet,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacetCounts {
    /// (category id, count), most first.
    pub categories: Vec<(String, i64)>,
    pub brands: Vec<(String, i64)>,
    /// (currency, bucket index into `PRICE_EDGES`, count), by currency then bucket.
    pub prices: Vec<(String, usize, i64)>,
    /// (name, [(value, count)]): names in order, values most first.
    pub attributes: Vec<(String, Vec<(String, i64)>)>,
}

#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub total: usize,
    /// (product id, sort key) in page order.
    pub page: Vec<(u128, i64)>,
    pub facets: FacetCounts,
}

/// The price bucket of whole major units.
pub fn bucket(major: i64) -> usize {
    PRICE_EDGES
        .iter()
        .rposition(|edge| major >= *edge)
        .filter(|i| *i > 0)
        .unwrap_or(0)
}

/// Every term a word reaches, with whether it is the word's own stem (scores double). `None`
/// when the word can match nothing.
fn word_terms(index: &Index, word: &str, prefix: Option<&str>) -> Option<Vec<(u32, bool)>> {
    let mut terms: Vec<(u32, bool)> = Vec::new();
    let exact = index.vocab.live(word);
    if let Some(t) = exact {
        terms.push((t, true));
    }
    let fuzzy = word.chars().count() >= MIN_FUZZY_LEN;
    if fuzzy {
        terms.extend(index.vocab.near(word).into_iter().map(|t| (t, false)));
    }
    if let Some(prefix) = prefix {
        for t in index.vocab.prefixed(prefix, MAX_PREFIX_TERMS) {
            if !terms.iter().any(|(have, _)| *have == t) {
                terms.push((t, false));
            }
        }
    }
    (!terms.is_empty()).then_some(terms)
}

/// Merges two doc-sorted (doc, weight) lists, keeping the larger weight per doc.
fn union(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            Ordering::Equal => {
                out.push((a[i].0, a[i].1.max(b[j].1)));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Documents having any of a word's terms, with the word's best weight (exact terms double).
fn word_matches(index: &Index, terms: &[(u32, bool)]) -> Vec<(u32, u32)> {
    // Smallest two first, so one huge list is copied few times.
    let mut lists: BinaryHeap<std::cmp::Reverse<(usize, usize)>> = BinaryHeap::new();
    let mut store: Vec<Vec<(u32, u32)>> = terms
        .iter()
        .map(|(t, exact)| {
            let factor = if *exact { 2 } else { 1 };
            index
                .vocab
                .postings(*t)
                .iter()
                .map(|p| (doc_of(*p), weight_of(*p) * factor))
                .collect()
        })
        .collect();
    for (i, l) in store.iter().enumerate() {
        lists.push(std::cmp::Reverse((l.len(), i)));
    }
    while lists.len() > 1 {
        let std::cmp::Reverse((_, a)) = lists.pop().expect("two lists");
        let std::cmp::Reverse((_, b)) = lists.pop().expect("two lists");
        let merged = union(&store[a], &store[b]);
        store[a] = Vec::new();
        store[b] = Vec::new();
        lists.push(std::cmp::Reverse((merged.len(), store.len())));
        store.push(merged);
    }
    match lists.pop() {
        Some(std::cmp::Reverse((_, i))) => std::mem::take(&mut store[i]),
        None => Vec::new(),
    }
}

/// Keeps the entries of `acc` whose doc is in `other`, adding its weight.
fn intersect(acc: Vec<(u32, u32)>, other: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(acc.len().min(other.len()));
    let mut j = 0;
    for (doc, score) in acc {
        // Gallop: `other` is usually the longer list.
        let rest = &other[j..];
        let k = rest.partition_point(|(d, _)| *d < doc);
        j += k;
        if j >= other.len() {
            break;
        }
        if other[j].0 == doc {
            out.push((doc, score + other[j].1));
            j += 1;
        }
    }
    out
}

/// Documents matching every word, with their summed scores, in document order.
fn text_matches(index: &Index, text: &TextMatch) -> Vec<(u32, u32)> {
    let count = text.words.len();
    let mut per_word: Vec<Vec<(u32, u32)>> = Vec::with_capacity(count);
    for (i, word) in text.words.iter().enumerate() {
        let prefix = if i + 1 == count {
            text.prefix.as_deref()
        } else {
            None
        };
        let Some(terms) = word_terms(index, word, prefix) else {
            return Vec::new();
        };
        per_word.push(word_matches(index, &terms));
    }
    per_word.sort_by_key(|l| l.len());
    let mut lists = per_word.into_iter();
    let mut acc = lists.next().unwrap_or_default();
    for l in lists {
        if acc.is_empty() {
            break;
        }
        acc = intersect(acc, &l);
    }
    acc
}

/// The filter as per-document checks over interned ids.
struct Compiled {
    status: Option<u8>,
    categories: Option<Vec<bool>>,
    members: Option<Vec<u64>>,
    brand: Option<u32>,
    price: Option<(u32, i64, i64)>,
    attributes: Vec<Vec<u32>>,
    /// A filter names a value no product has: nothing matches.
    empty: bool,
}

fn compile(index: &Index, f: &Filter) -> Compiled {
    let mut empty = false;
    let categories = f.categories.as_ref().map(|ids| {
        let mut set = vec![false; index.categories.len()];
        for id in ids {
            if let Some(c) = index.categories.get(id) {
                set[c as usize] = true;
            }
        }
        set
    });
    let members = f.members.as_ref().map(|ids| {
        let mut bits = vec![0u64; index.len().div_ceil(64)];
        for id in ids {
            let doc = uuid::Uuid::parse_str(id)
                .ok()
                .and_then(|u| index.doc(u.as_u128()));
            if let Some(d) = doc {
                bits[d as usize / 64] |= 1 << (d % 64);
            }
        }
        bits
    });
    let brand = f
        .brand
        .as_ref()
        .map(|b| index.brands.get(b).unwrap_or(NONE));
    empty |= brand == Some(NONE);
    let price = match (f.min_price, f.max_price) {
        (None, None) => None,
        (min, max) => {
            let code = min.or(max).map(|m| m.currency.code()).unwrap_or_default();
            let currency = index.currencies.get(code).unwrap_or(NONE);
            empty |= currency == NONE;
            Some((
                currency,
                min.map_or(i64::MIN, |m| m.minor),
                max.map_or(i64::MAX, |m| m.minor),
            ))
        }
    };
    let attributes: Vec<Vec<u32>> = f
        .attributes
        .iter()
        .map(|(name, values)| {
            let mut ids: Vec<u32> = values.iter().filter_map(|v| index.pair(name, v)).collect();
            ids.sort_unstable();
            ids
        })
        .collect();
    empty |= attributes.iter().any(|ids| ids.is_empty());
    Compiled {
        status: f.status.map(status_code),
        categories,
        members,
        brand,
        price,
        attributes,
        empty,
    }
}

impl Compiled {
    fn passes(&self, index: &Index, doc: u32) -> bool {
        let d = doc as usize;
        if let Some(s) = self.status {
            if index.status[d] != s {
                return false;
            }
        } else if index.status[d] == super::store::GONE {
            return false;
        }
        if let Some(set) = &self.categories {
            let c = index.category[d];
            if c == NONE || !set.get(c as usize).copied().unwrap_or(false) {
                return false;
            }
        }
        if let Some(bits) = &self.members {
            if bits[d / 64] & (1 << (d % 64)) == 0 {
                return false;
            }
        }
        if let Some(b) = self.brand {
            if index.brand[d] != b {
                return false;
            }
        }
        if let Some((currency, min, max)) = self.price {
            let p = index.price_min[d];
            if index.currency[d] != currency || p < min || p > max {
                return false;
            }
        }
        let attrs = &index.attrs[d];
        self.attributes
            .iter()
            .all(|accepted| attrs.iter().any(|a| accepted.binary_search(a).is_ok()))
    }
}

/// `count` entries with a count, most first then by name, at most `limit`.
fn top(counts: &[u32], name: impl Fn(u32) -> String, limit: usize) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, c)| (name(i as u32), *c as i64))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(limit);
    out
}

fn count_facets(index: &Index, matched: &[(u32, u32)], want: FacetSet) -> FacetCounts {
    let mut out = FacetCounts::default();
    if want.categories {
        let mut counts = vec![0u32; index.categories.len()];
        for (doc, _) in matched {
            let c = index.category[*doc as usize];
            if c != NONE {
                counts[c as usize] += 1;
            }
        }
        out.categories = top(
            &counts,
            |c| index.categories.name(c).to_string(),
            MAX_VALUES,
        );
    }
    if want.brands {
        let mut counts = vec![0u32; index.brands.len()];
        for (doc, _) in matched {
            let b = index.brand[*doc as usize];
            if b != NONE {
                counts[b as usize] += 1;
            }
        }
        out.brands = top(&counts, |b| index.brands.name(b).to_string(), MAX_VALUES);
    }
    if want.prices {
        let buckets = PRICE_EDGES.len();
        let mut counts = vec![0u32; index.currencies.len() * buckets];
        for (doc, _) in matched {
            let d = *doc as usize;
            let c = index.currency[d];
            if c != NONE {
                counts[c as usize * buckets + bucket(index.price_major[d])] += 1;
            }
        }
        let mut prices: Vec<(String, usize, i64)> = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| {
                let code = index.currencies.name((i / buckets) as u32).to_string();
                (code, i % buckets, *n as i64)
            })
            .collect();
        prices.sort();
        out.prices = prices;
    }
    if want.attributes {
        let mut counts = vec![0u32; index.pairs.len()];
        for (doc, _) in matched {
            for pair in index.attrs[*doc as usize].iter() {
                counts[*pair as usize] += 1;
            }
        }
        let mut rows: Vec<(&str, &str, i64)> = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(p, n)| {
                let name = index.attr_names.name(index.pair_name[p]);
                (name, &*index.pair_value[p], *n as i64)
            })
            .collect();
        rows.sort_by(|a, b| {
            a.0.cmp(b.0)
                .then_with(|| b.2.cmp(&a.2))
                .then_with(|| a.1.cmp(b.1))
        });
        rows.truncate(MAX_VALUES * 10);
        for (name, value, n) in rows {
            match out.attributes.last_mut() {
                Some((last, values)) if last == name => values.push((value.to_string(), n)),
                _ => out
                    .attributes
                    .push((name.to_string(), vec![(value.to_string(), n)])),
            }
        }
    }
    out
}

/// A document's sort key under `order`.
fn key(index: &Index, order: Order, doc: u32, score: u32) -> i64 {
    let d = doc as usize;
    match order {
        Order::Relevance => score as i64,
        Order::Newest | Order::Manual => index.created_at[d],
        Order::PriceAsc | Order::PriceDesc => index.price_min[d],
        Order::Rating => index.rating_rank[d],
    }
}

/// Runs `req` over `index`.
pub fn run(index: &Index, req: &Request<'_>) -> Outcome {
    let filter = compile(index, req.filter);
    if filter.empty {
        return Outcome::default();
    }
    let matched: Vec<(u32, u32)> = match req.text {
        Some(text) => text_matches(index, text)
            .into_iter()
            .filter(|(doc, _)| filter.passes(index, *doc))
            .collect(),
        None => (0..index.len() as u32)
            .filter(|doc| filter.passes(index, *doc))
            .map(|doc| (doc, 0))
            .collect(),
    };

    let ascending = req.order.ascending();
    let ids = &index.ids;
    let cmp = |a: &(i64, u32), b: &(i64, u32)| {
        let o =
            a.0.cmp(&b.0)
                .then_with(|| ids[a.1 as usize].cmp(&ids[b.1 as usize]));
        if ascending {
            o
        } else {
            o.reverse()
        }
    };
    let mut keyed: Vec<(i64, u32)> = matched
        .iter()
        .map(|(doc, score)| (key(index, req.order, *doc, *score), *doc))
        .filter(|(k, doc)| match req.after {
            None => true,
            Some((ak, aid)) => {
                let o = k.cmp(&ak).then_with(|| ids[*doc as usize].cmp(&aid));
                if ascending {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        })
        .collect();
    if req.limit < keyed.len() {
        if req.limit == 0 {
            keyed.clear();
        } else {
            keyed.select_nth_unstable_by(req.limit - 1, cmp);
            keyed.truncate(req.limit);
        }
    }
    keyed.sort_unstable_by(cmp);

    Outcome {
        total: matched.len(),
        page: keyed
            .iter()
            .map(|(k, doc)| (ids[*doc as usize], *k))
            .collect(),
        facets: count_facets(index, &matched, req.facets),
    }
}
