//! Engine tests against a brute-force model: random products, random queries and filters; the
//! engine's matches, scores, totals and facet counts must equal a direct evaluation of the same
//! rules over the same `ProductDoc`s, and keyset paging must walk a whole result set exactly
//! once even with products inserted between pages.

use std::collections::{BTreeMap, HashMap};

use kit::money::{Currency, Money};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::exec::{self, bucket, FacetSet, Filter, Outcome, Request};
use super::query::{edit_distance, parse, TextMatch};
use super::store::{Index, ProductDoc};
use super::terms::{weigh, MIN_FUZZY_LEN};
use crate::listing::Order;
use crate::products::ProductStatus;

const WORDS: &[&str] = &[
    "trail",
    "running",
    "shoes",
    "jacket",
    "jackets",
    "waterproof",
    "wool",
    "woollen",
    "sock",
    "socks",
    "boot",
    "boots",
    "tent",
    "light",
    "lightweight",
    "classic",
    "bag",
    "backpack",
    "runner",
    "speaker",
    "sneaker",
    "sneakers",
];
const BRANDS: &[&str] = &["Acme", "Zoom", "Kestrel", "Lumen"];
const CATEGORIES: &[&str] = &["c-shoes", "c-outdoor", "c-tents", "c-bags"];
const COLOURS: &[&str] = &["red", "blue", "black"];
const SIZES: &[&str] = &["S", "M", "L"];

fn phrase(rng: &mut StdRng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn random_doc(rng: &mut StdRng, id: u128) -> ProductDoc {
    let words = rng.gen_range(1..4);
    let title = phrase(rng, words);
    let brand = (rng.gen_range(0..5) > 0).then(|| BRANDS[rng.gen_range(0..BRANDS.len())]);
    let words = rng.gen_range(0..6);
    let description = phrase(rng, words);
    let priced = rng.gen_range(0..10) > 0;
    let currency = if rng.gen_range(0..4) == 0 {
        "EUR"
    } else {
        "USD"
    };
    let price_min = if priced {
        rng.gen_range(100..150_000)
    } else {
        0
    };
    let mut attributes = vec![(
        "colour".to_string(),
        COLOURS[rng.gen_range(0..3)].to_string(),
    )];
    if rng.gen_bool(0.5) {
        attributes.push(("size".into(), SIZES[rng.gen_range(0..3)].into()));
    }
    ProductDoc {
        id,
        status: [
            ProductStatus::Published,
            ProductStatus::Published,
            ProductStatus::Draft,
            ProductStatus::Archived,
        ][rng.gen_range(0..4)],
        category: (rng.gen_range(0..6) > 0)
            .then(|| CATEGORIES[rng.gen_range(0..CATEGORIES.len())].to_string()),
        brand: brand.map(str::to_string),
        currency: priced.then(|| currency.to_string()),
        price_min,
        price_major: price_min / 100,
        // Few distinct values, so ties on the sort key are common.
        created_at: rng.gen_range(0..50),
        rating_rank: rng.gen_range(0..5) * 1_000_000,
        attributes,
        weights: weigh(&title, brand, &description)
            .into_iter()
            .map(|(t, w)| (t, w as u32))
            .collect(),
    }
}

fn random_filter(rng: &mut StdRng) -> Filter {
    let mut f = Filter {
        status: [
            None,
            Some(ProductStatus::Published),
            Some(ProductStatus::Draft),
        ][rng.gen_range(0..3)],
        ..Filter::default()
    };
    if rng.gen_bool(0.3) {
        f.categories = Some(
            CATEGORIES[..rng.gen_range(1..3)]
                .iter()
                .map(|c| c.to_string())
                .collect(),
        );
    }
    if rng.gen_bool(0.3) {
        f.brand = Some(BRANDS[rng.gen_range(0..BRANDS.len())].to_string());
    }
    if rng.gen_bool(0.3) {
        let usd = Currency::from_code("USD").unwrap();
        f.min_price = Some(Money::new(rng.gen_range(0..50_000), usd));
        if rng.gen_bool(0.5) {
            f.max_price = Some(Money::new(rng.gen_range(50_000..150_000), usd));
        }
    }
    if rng.gen_bool(0.3) {
        f.attributes
            .insert("colour".into(), vec!["red".into(), "black".into()]);
        if rng.gen_bool(0.5) {
            f.attributes.insert("size".into(), vec!["M".into()]);
        }
    }
    f
}

/// The search rules, evaluated product by product.
fn brute_score(doc: &ProductDoc, text: &TextMatch) -> Option<u32> {
    let mut total = 0;
    for (i, word) in text.words.iter().enumerate() {
        let prefix = (i + 1 == text.words.len())
            .then_some(())
            .and(text.prefix.as_deref());
        let best = doc
            .weights
            .iter()
            .filter_map(|(term, w)| {
                if term == word {
                    Some(w * 2)
                } else if (word.chars().count() >= MIN_FUZZY_LEN
                    && edit_distance(word, term, 1) <= 1)
                    || prefix.is_some_and(|p| term.starts_with(p))
                {
                    Some(*w)
                } else {
                    None
                }
            })
            .max()?;
        total += best;
    }
    Some(total)
}

fn brute_passes(doc: &ProductDoc, f: &Filter) -> bool {
    f.status.is_none_or(|s| s == doc.status)
        && f.categories
            .as_ref()
            .is_none_or(|cs| doc.category.as_ref().is_some_and(|c| cs.contains(c)))
        && f.members
            .as_ref()
            .is_none_or(|ids| ids.contains(&uuid::Uuid::from_u128(doc.id).to_string()))
        && f.brand
            .as_ref()
            .is_none_or(|b| doc.brand.as_ref() == Some(b))
        && [(f.min_price, true), (f.max_price, false)]
            .iter()
            .all(|(bound, is_min)| match bound {
                None => true,
                Some(m) => {
                    doc.currency.as_deref() == Some(m.currency.code())
                        && if *is_min {
                            doc.price_min >= m.minor
                        } else {
                            doc.price_min <= m.minor
                        }
                }
            })
        && f.attributes.iter().all(|(name, values)| {
            doc.attributes
                .iter()
                .any(|(n, v)| n == name && values.contains(v))
        })
}

fn brute_facets(matched: &[&ProductDoc]) -> exec::FacetCounts {
    let ranked = |counts: HashMap<String, i64>| {
        let mut v: Vec<(String, i64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(exec::MAX_VALUES);
        v
    };
    let mut categories = HashMap::new();
    let mut brands = HashMap::new();
    let mut prices: BTreeMap<(String, usize), i64> = BTreeMap::new();
    let mut attrs: BTreeMap<String, HashMap<String, i64>> = BTreeMap::new();
    for d in matched {
        if let Some(c) = &d.category {
            *categories.entry(c.clone()).or_insert(0) += 1;
        }
        if let Some(b) = &d.brand {
            *brands.entry(b.clone()).or_insert(0) += 1;
        }
        if let Some(c) = &d.currency {
            *prices
                .entry((c.clone(), bucket(d.price_major)))
                .or_insert(0) += 1;
        }
        for (n, v) in &d.attributes {
            *attrs
                .entry(n.clone())
                .or_default()
                .entry(v.clone())
                .or_insert(0) += 1;
        }
    }
    exec::FacetCounts {
        categories: ranked(categories),
        brands: ranked(brands),
        prices: prices.into_iter().map(|((c, b), n)| (c, b, n)).collect(),
        attributes: attrs
            .into_iter()
            .map(|(n, values)| {
                let mut v: Vec<(String, i64)> = values.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                (n, v)
            })
            .collect(),
    }
}

fn sort_key(doc: &ProductDoc, order: Order, score: u32) -> i64 {
    match order {
        Order::Relevance => score as i64,
        Order::Newest | Order::Manual => doc.created_at,
        Order::PriceAsc | Order::PriceDesc => doc.price_min,
        Order::Rating => doc.rating_rank,
    }
}

const ALL_FACETS: FacetSet = FacetSet {
    categories: true,
    brands: true,
    prices: true,
    attributes: true,
};

fn run(
    index: &Index,
    text: Option<&TextMatch>,
    f: &Filter,
    order: Order,
    after: Option<(i64, u128)>,
    limit: usize,
) -> Outcome {
    exec::run(
        index,
        &Request {
            text,
            filter: f,
            order,
            after,
            limit,
            facets: ALL_FACETS,
        },
    )
}

const ORDERS: [Order; 5] = [
    Order::Relevance,
    Order::Newest,
    Order::PriceAsc,
    Order::PriceDesc,
    Order::Rating,
];

#[test]
fn matches_scores_and_facets_equal_a_brute_force_count() {
    let mut rng = StdRng::seed_from_u64(7);
    let docs: Vec<ProductDoc> = (0..600).map(|i| random_doc(&mut rng, 1000 + i)).collect();
    let mut index = Index::default();
    for d in &docs {
        index.upsert(d);
    }
    let queries = [
        "",
        "running shoes",
        "jaket",
        "sneakres ",
        "waterprof jacket",
        "wool",
        "woo",
        "tent bag",
        "lightweight runner",
        "socks ",
        "bo",
        "zzzz",
        "speaker sneaker",
        "back",
    ];
    let mut checked = 0;
    for round in 0..120 {
        let q = queries[round % queries.len()];
        let text = parse(q).unwrap();
        let filter = random_filter(&mut rng);
        let order = match &text {
            Some(_) => ORDERS[round % 5],
            None => ORDERS[1 + round % 4],
        };
        let got = run(&index, text.as_ref(), &filter, order, None, usize::MAX);

        let mut expected: Vec<(&ProductDoc, u32)> = docs
            .iter()
            .filter(|d| brute_passes(d, &filter))
            .filter_map(|d| match &text {
                Some(t) => brute_score(d, t).map(|s| (d, s)),
                None => Some((d, 0)),
            })
            .collect();
        let asc = order.ascending();
        expected.sort_by(|a, b| {
            let o = sort_key(a.0, order, a.1)
                .cmp(&sort_key(b.0, order, b.1))
                .then(a.0.id.cmp(&b.0.id));
            if asc {
                o
            } else {
                o.reverse()
            }
        });
        let want: Vec<(u128, i64)> = expected
            .iter()
            .map(|(d, s)| (d.id, sort_key(d, order, *s)))
            .collect();
        assert_eq!(got.total, want.len(), "total for {q:?} {filter:?}");
        assert_eq!(got.page, want, "order for {q:?} {order:?} {filter:?}");
        let matched: Vec<&ProductDoc> = expected.iter().map(|(d, _)| *d).collect();
        assert_eq!(
            got.facets,
            brute_facets(&matched),
            "facets for {q:?} {filter:?}"
        );
        checked += want.len();
    }
    assert!(
        checked > 1000,
        "the random cases matched too little to prove much: {checked}"
    );
}

#[test]
fn typo_and_prefix_expansion_reach_the_right_products() {
    let mut index = Index::default();
    let mk = |id: u128, title: &str| super::store::tests::doc(id, title, None);
    index.upsert(&mk(1, "Road Runner Sneakers"));
    index.upsert(&mk(2, "Trail Jacket"));
    index.upsert(&mk(3, "Jackal Plush"));
    let ids = |q: &str| -> Vec<u128> {
        let text = parse(q).unwrap();
        let mut out: Vec<u128> = run(
            &index,
            text.as_ref(),
            &Filter::default(),
            Order::Relevance,
            None,
            100,
        )
        .page
        .into_iter()
        .map(|(id, _)| id)
        .collect();
        out.sort();
        out
    };
    assert_eq!(ids("sneakres "), [1], "one swap");
    assert!(ids("snaekres ").is_empty(), "two edits");
    assert_eq!(ids("jac"), [2, 3], "prefix of the last word");
    assert!(
        ids("jac ").is_empty(),
        "a finished short word is not a prefix"
    );
    assert_eq!(ids("jacket"), [2]);
    assert_eq!(
        ids("trail jackal"),
        Vec::<u128>::new(),
        "every word must match"
    );
    // The word's own term scores double (title weight 3); a one-typo neighbour counts once.
    let score = |q: &str| {
        let text = parse(q).unwrap();
        run(
            &index,
            text.as_ref(),
            &Filter::default(),
            Order::Relevance,
            None,
            10,
        )
        .page
    };
    assert_eq!(score("jacket "), [(2, 6)]);
    assert_eq!(
        score("jackel "),
        [(3, 3), (2, 3)],
        "one edit from both; ties by id, descending"
    );
}

#[test]
fn keyset_pages_walk_everything_once_despite_inserts() {
    let mut rng = StdRng::seed_from_u64(11);
    let mut index = Index::default();
    for i in 0..300 {
        index.upsert(&random_doc(&mut rng, 10_000 + i));
    }
    for order in ORDERS {
        let text = parse("trail").ok().flatten();
        // A browse for every sort but relevance; relevance pages a broad text query.
        let text = (order == Order::Relevance).then_some(text).flatten();
        let filter = Filter::default();
        let before = run(&index, text.as_ref(), &filter, order, None, usize::MAX).page;
        let mut seen: Vec<(u128, i64)> = Vec::new();
        let mut after = None;
        let mut next_id = 50_000 + (order as u128) * 1000;
        loop {
            let page = run(&index, text.as_ref(), &filter, order, after, 7).page;
            if page.is_empty() {
                break;
            }
            let last = *page.last().unwrap();
            seen.extend(page);
            after = Some((last.1, last.0));
            // New products between pages: they may show up later or not, never twice, and
            // nothing from before may be skipped or repeated.
            for _ in 0..3 {
                index.upsert(&random_doc(&mut rng, next_id));
                next_id += 1;
            }
        }
        let mut ids: Vec<u128> = seen.iter().map(|(id, _)| *id).collect();
        ids.sort();
        let len = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), len, "{order:?}: a product appeared twice");
        for item in &before {
            assert!(seen.contains(item), "{order:?}: {item:?} was skipped");
        }
    }
}

#[test]
fn refreshing_a_product_moves_it_between_results() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut index = Index::default();
    let mut d = random_doc(&mut rng, 42);
    d.status = ProductStatus::Published;
    d.weights = vec![("kettle".into(), 3)];
    index.upsert(&d);
    let published = Filter {
        status: Some(ProductStatus::Published),
        ..Filter::default()
    };
    let kettle = parse("kettle ").unwrap();
    assert_eq!(
        run(
            &index,
            kettle.as_ref(),
            &published,
            Order::Relevance,
            None,
            10
        )
        .total,
        1
    );
    d.status = ProductStatus::Archived;
    index.upsert(&d);
    assert_eq!(
        run(
            &index,
            kettle.as_ref(),
            &published,
            Order::Relevance,
            None,
            10
        )
        .total,
        0
    );
    d.status = ProductStatus::Published;
    d.weights = vec![("teapot".into(), 3)];
    index.upsert(&d);
    assert_eq!(
        run(
            &index,
            kettle.as_ref(),
            &published,
            Order::Relevance,
            None,
            10
        )
        .total,
        0
    );
    let teapot = parse("teapot").unwrap();
    assert_eq!(
        run(
            &index,
            teapot.as_ref(),
            &published,
            Order::Relevance,
            None,
            10
        )
        .total,
        1
    );
    index.remove(42);
    assert_eq!(
        run(&index, None, &Filter::default(), Order::Newest, None, 10).total,
        0
    );
}
