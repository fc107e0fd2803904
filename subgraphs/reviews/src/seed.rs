//! Demo reviews for the launcher's seeded catalogue: registers the given products as published,
//! then gives each 0..=N reviews (N = min(authors, 8)) from distinct authors, ratings skewed
//! positive, titles and bodies assembled from word lists. Everything is derived from the product
//! id, so a run is deterministic. Bulk-loaded in multi-row INSERTs, with each product's
//! `product_ratings` row written in the same transaction as its reviews, so ratings stay exact;
//! a product that already has a ratings row is left alone, which makes the seed idempotent. No
//! events (a seed has no history).

use std::collections::HashSet;

use kit::db::placeholders;
use kit::ids::{new_id, now_millis};
use kit::Service;

use crate::ratings::Tally;

/// Products handled per transaction.
const CHUNK: usize = 500;
/// Rows per multi-row INSERT (at most 8 parameters each: well under both databases' limits).
const ROWS: usize = 500;
const MAX_PER_PRODUCT: usize = 8;
const YEAR_MS: u64 = 365 * 24 * 3600 * 1000;

/// A small deterministic generator (SplitMix64) seeded from the product id (FNV-1a).
struct Rng(u64);

impl Rng {
    fn for_id(id: &str) -> Rng {
        Rng(id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }
}

const ADJECTIVES: [&[&str]; 5] = [
    &[
        "Poor",
        "Terrible",
        "Awful",
        "Very disappointing",
        "Not worth it",
    ],
    &[
        "Disappointing",
        "Mediocre",
        "Underwhelming",
        "Not great",
        "Meh",
    ],
    &["Decent", "Okay", "Average", "Fair", "Reasonable"],
    &["Very good", "Solid", "Great", "Nice", "Lovely"],
    &[
        "Excellent",
        "Fantastic",
        "Superb",
        "Outstanding",
        "Brilliant",
        "Perfect",
    ],
];
const NOUNS: &[&str] = &[
    "quality", "purchase", "fit", "value", "product", "buy", "finish", "design", "comfort",
];
const SUFFIXES: &[&str] = &["", "", " overall", " for the price", " so far", "!"];
const POSITIVE: &[&str] = &[
    "The quality is better than I expected.",
    "Arrived quickly and well packaged.",
    "Fits perfectly and feels well made.",
    "I have been using it daily for weeks now.",
    "Great value for the price.",
    "Would happily buy this again.",
    "The colour is exactly as pictured.",
    "My family loves it too.",
    "Easy to set up and easy to clean.",
    "Looks even better in person.",
];
const NEUTRAL: &[&str] = &[
    "It does the job, nothing more.",
    "Sizing runs a little small.",
    "Delivery took longer than expected.",
    "The materials feel fine but not premium.",
    "Instructions could be clearer.",
    "Took a few days to get used to.",
];
const NEGATIVE: &[&str] = &[
    "It stopped working after a week.",
    "The finish looks cheap in person.",
    "Not as described on the product page.",
    "I returned it and got a refund.",
    "Would not recommend.",
    "The stitching came loose almost immediately.",
];

struct Seeded {
    product_id: String,
    author_id: String,
    rating: i64,
    title: String,
    body: String,
    helpful: i64,
    created_at: i64,
}

/// Ratings skewed positive: 45 % five stars, 30 % four, 12 % three, 7 % two, 6 % one.
fn rating(rng: &mut Rng) -> i64 {
    match rng.below(100) {
        0..45 => 5,
        45..75 => 4,
        75..87 => 3,
        87..94 => 2,
        _ => 1,
    }
}

fn body(rng: &mut Rng, rating: i64) -> String {
    if rng.below(12) == 0 {
        return String::new(); // some people only leave stars and a title
    }
    let (main, other) = match rating {
        4 | 5 => (POSITIVE, NEUTRAL),
        3 => (NEUTRAL, POSITIVE),
        _ => (NEGATIVE, NEUTRAL),
    };
    let sentences = 1 + rng.below(4);
    let mut picked: Vec<&str> = Vec::new();
    for i in 0..sentences {
        let list = if i == 2 { other } else { main };
        let s = rng.pick(list);
        if !picked.contains(&s) {
            picked.push(s);
        }
    }
    picked.join(" ")
}

/// The reviews product `id` gets, from distinct authors.
fn reviews_for(id: &str, authors: &[String], now: i64) -> Vec<Seeded> {
    let mut rng = Rng::for_id(id);
    let max = authors.len().min(MAX_PER_PRODUCT);
    let count = rng.below(max + 1);
    let start = rng.below(authors.len().max(1));
    (0..count)
        .map(|k| {
            let rating = rating(&mut rng);
            let title = format!(
                "{} {}{}",
                rng.pick(ADJECTIVES[(rating - 1) as usize]),
                rng.pick(NOUNS),
                rng.pick(SUFFIXES)
            );
            let helpful = {
                let r = rng.below(100) as i64;
                r * r / 400
            };
            Seeded {
                product_id: id.to_string(),
                author_id: authors[(start + k) % authors.len()].clone(),
                rating,
                body: body(&mut rng, rating),
                title,
                helpful,
                created_at: now - (rng.next() % YEAR_MS) as i64,
            }
        })
        .collect()
}

/// Seeds `products` with reviews by `authors`. Idempotent.
pub async fn run(svc: &Service, products: &[String], authors: &[String]) -> anyhow::Result<()> {
    let now = now_millis();
    let mut added = 0usize;
    for chunk in products.chunks(CHUNK) {
        let mut tx = svc.db.begin().await?;
        // Reviewable: a real catalog event (any later time) overrides this.
        let mut sql = String::from("INSERT INTO products (id, status, changed_at) VALUES ");
        sql.push_str(
            &(1..=chunk.len())
                .map(|i| format!("(${i}, 'PUBLISHED', 0)"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q.bind(p);
        }
        q.execute(tx.conn()).await?;
        if authors.is_empty() {
            tx.commit().await?;
            continue;
        }

        let sql = format!(
            "SELECT product_id FROM product_ratings WHERE product_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for p in chunk {
            q = q.bind(p);
        }
        let done: HashSet<String> = q.fetch_all(tx.conn()).await?.into_iter().collect();
        let fresh: Vec<&String> = chunk.iter().filter(|p| !done.contains(*p)).collect();
        if fresh.is_empty() {
            tx.commit().await?;
            continue;
        }
        let mut tallies = Vec::with_capacity(fresh.len());
        let mut rows = Vec::new();
        for p in &fresh {
            let reviews = reviews_for(p, authors, now);
            let mut tally = Tally::default();
            for r in &reviews {
                tally = tally.plus(Tally::one(r.rating));
            }
            tallies.push((p.as_str(), tally));
            rows.extend(reviews);
        }
        for part in rows.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO reviews (id, product_id, author_id, rating, title, body, \
                 verified_purchase, helpful_count, status, created_at, updated_at) VALUES ",
            );
            for i in 0..part.len() {
                let b = i * 8;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, 0, ${}, 'PUBLISHED', ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 8
                ));
            }
            let mut q = sqlx::query(&sql);
            for r in part {
                q = q
                    .bind(new_id())
                    .bind(&r.product_id)
                    .bind(&r.author_id)
                    .bind(r.rating)
                    .bind(&r.title)
                    .bind(&r.body)
                    .bind(r.helpful)
                    .bind(r.created_at);
            }
            q.execute(tx.conn()).await?;
        }
        for part in tallies.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO product_ratings (product_id, review_count, rating_sum, \
                 stars_1, stars_2, stars_3, stars_4, stars_5) VALUES ",
            );
            sql.push_str(
                &(0..part.len())
                    .map(|i| {
                        let b = i * 8;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4,
                            b + 5,
                            b + 6,
                            b + 7,
                            b + 8
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            let mut q = sqlx::query(&sql);
            for (p, t) in part {
                q = q.bind(*p).bind(t.count).bind(t.sum);
                for s in t.stars {
                    q = q.bind(s);
                }
            }
            q.execute(tx.conn()).await?;
        }
        tx.commit().await?;
        added += rows.len();
    }
    if added > 0 {
        tracing::debug!(reviews = added, "seeded demo reviews");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authors(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("author-{i}")).collect()
    }

    #[test]
    fn deterministic_distinct_authors_and_positive_skew() {
        let authors = authors(20);
        let a = reviews_for("product-1", &authors, 1_000_000_000_000);
        let b = reviews_for("product-1", &authors, 1_000_000_000_000);
        assert_eq!(
            a.iter().map(|r| (&r.title, r.rating)).collect::<Vec<_>>(),
            b.iter().map(|r| (&r.title, r.rating)).collect::<Vec<_>>()
        );
        let mut all = Vec::new();
        for i in 0..500 {
            let reviews = reviews_for(&format!("product-{i}"), &authors, 0);
            assert!(reviews.len() <= MAX_PER_PRODUCT);
            let distinct: HashSet<_> = reviews.iter().map(|r| &r.author_id).collect();
            assert_eq!(distinct.len(), reviews.len(), "one review per author");
            all.extend(reviews);
        }
        let mean = all.iter().map(|r| r.rating).sum::<i64>() as f64 / all.len() as f64;
        assert!(mean > 3.6 && mean < 4.4, "mean rating {mean}");
        assert!((1..=5).all(|s| all.iter().any(|r| r.rating == s)));
        let titles: HashSet<_> = all.iter().map(|r| &r.title).collect();
        assert!(titles.len() > 100, "varied titles ({})", titles.len());
        assert!(all.iter().all(|r| r.title.chars().count() <= 120));
    }

    #[test]
    fn never_more_reviews_than_authors() {
        let authors = authors(2);
        for i in 0..100 {
            assert!(reviews_for(&format!("p{i}"), &authors, 0).len() <= 2);
        }
    }
}
