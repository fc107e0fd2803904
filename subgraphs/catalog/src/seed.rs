//! Demo catalogue generator (`SEED_PRODUCTS=10000`): a category tree, brands, and published
//! products with attributes and sized, priced variants. Deterministic and
//! idempotent: products are numbered (`demo-<n>` slugs), and a restart only adds the missing
//! numbers. Bulk-loaded without events (nothing downstream needs a seed's history).

use kit::ids::{new_id, now_millis};
use kit::Service;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::attributes::{self, NameValue};
use crate::sql::Sql;

const TREE: &[(&str, &[&str])] = &[
    ("Clothing", &["Shirts", "Jackets", "Trousers", "Dresses"]),
    ("Footwear", &["Running Shoes", "Boots", "Sandals"]),
    ("Outdoor", &["Tents", "Backpacks", "Sleeping Bags"]),
    ("Home", &["Kitchen", "Lighting", "Bedding"]),
    ("Electronics", &["Headphones", "Speakers", "Chargers"]),
];
const BRANDS: &[&str] = &[
    "Northwind",
    "Acme",
    "Trailhead",
    "Lumen",
    "Fjordline",
    "Urbanist",
    "Peakform",
    "Kestrel",
];
const ADJECTIVES: &[&str] = &[
    "Classic",
    "Lightweight",
    "Waterproof",
    "Organic",
    "Vintage",
    "Insulated",
    "Compact",
    "Recycled",
    "Premium",
    "Everyday",
];
const COLOURS: &[&str] = &["black", "navy", "olive", "sand", "red", "grey"];
const MATERIALS: &[&str] = &["cotton", "wool", "nylon", "leather", "bamboo", "steel"];
const SIZES: &[&str] = &["S", "M", "L", "XL"];
const BATCH: u32 = 500;

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list[rng.gen_range(0..list.len())]
}

/// Ensures the demo category tree exists; returns the leaf categories (id, name).
async fn categories(svc: &Service) -> anyhow::Result<Vec<(String, String)>> {
    let mut leaves = Vec::new();
    for (root, children) in TREE {
        let root_id = ensure_category(svc, root, None).await?;
        for child in *children {
            let id = ensure_category(svc, child, Some(&root_id)).await?;
            leaves.push((id, child.to_string()));
        }
    }
    Ok(leaves)
}

async fn ensure_category(
    svc: &Service,
    name: &str,
    parent: Option<&str>,
) -> anyhow::Result<String> {
    let slug = crate::validate::slugify(name);
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(&slug)
        .fetch_optional(svc.db.pool())
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let id = new_id();
    let path = match parent {
        Some(p) => {
            let parent_path: String =
                sqlx::query_scalar("SELECT path FROM categories WHERE id = $1")
                    .bind(p)
                    .fetch_one(svc.db.pool())
                    .await?;
            format!("{parent_path}{id}/")
        }
        None => format!("/{id}/"),
    };
    sqlx::query(
        "INSERT INTO categories (id, name, slug, parent_id, path, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(&slug)
    .bind(parent)
    .bind(&path)
    .bind(now_millis())
    .execute(svc.db.pool())
    .await?;
    Ok(id)
}

/// Generates demo products up to `target`.
pub async fn run(svc: &Service, target: u32) -> anyhow::Result<()> {
    if target == 0 {
        return Ok(());
    }
    let leaves = categories(svc).await?;
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE slug LIKE 'demo-%'")
            .fetch_one(svc.db.pool())
            .await?;
    let mut n = existing as u32;
    while n < target {
        let end = (n + BATCH).min(target);
        let mut tx = svc.db.begin().await?;
        for i in n..end {
            product(&mut tx, i, &leaves).await?;
        }
        tx.commit().await?;
        n = end;
    }
    if target > existing as u32 {
        tracing::info!(added = target - existing as u32, "seeded demo products");
    }
    Ok(())
}

/// One seeded product and its variants, as handed to other subgraphs' demo seeds.
pub struct DemoProduct {
    pub id: String,
    pub category_id: Option<String>,
    pub published: bool,
    pub variants: Vec<DemoVariant>,
}

/// A demo variant with its price in minor units, for subgraphs that keep their own prices.
pub struct DemoVariant {
    pub id: String,
    pub sku: String,
    pub price_minor: i64,
    pub currency: String,
    pub weight_grams: Option<i64>,
}

/// The next `limit` demo products after `after` (id order), with their category and variants:
/// the launcher pages through these to seed stock, reviews, images, cart prices and discount
/// scopes.
pub async fn demo_page(
    svc: &Service,
    after: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<DemoProduct>> {
    let products: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, category_id, status FROM products WHERE slug LIKE 'demo-%' AND id > $1 \
         ORDER BY id LIMIT $2",
    )
    .bind(after.unwrap_or(""))
    .bind(limit)
    .fetch_all(svc.db.background())
    .await?;
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT product_id, id, sku, price_amount, currency, weight_grams FROM variants \
         WHERE product_id IN ({}) \
         ORDER BY product_id, id",
        kit::db::placeholders(1, products.len())
    );
    let mut q = sqlx::query_as::<_, (String, String, String, i64, String, Option<i64>)>(&sql);
    for (id, _, _) in &products {
        q = q.bind(id);
    }
    let mut variants: std::collections::HashMap<String, Vec<DemoVariant>> = Default::default();
    for (product, id, sku, price_minor, currency, weight_grams) in
        q.fetch_all(svc.db.background()).await?
    {
        variants.entry(product).or_default().push(DemoVariant {
            id,
            sku,
            price_minor,
            currency,
            weight_grams,
        });
    }
    Ok(products
        .into_iter()
        .map(|(id, category_id, status)| DemoProduct {
            variants: variants.remove(&id).unwrap_or_default(),
            published: status == "PUBLISHED",
            category_id,
            id,
        })
        .collect())
}

/// Every category as (id, parent id): for subgraphs that keep their own copy of the tree.
pub async fn category_tree(svc: &Service) -> anyhow::Result<Vec<(String, Option<String>)>> {
    Ok(
        sqlx::query_as("SELECT id, parent_id FROM categories ORDER BY path")
            .fetch_all(svc.db.background())
            .await?,
    )
}

/// The singular of a category name for a product title ("Dresses" → "Dress"); pluralia tantum
/// such as "Trousers" stay as they are.
fn singular(category: &str) -> &str {
    if category.ends_with("sers") {
        category
    } else if let Some(stem) = category.strip_suffix("sses") {
        &category[..stem.len() + 2]
    } else {
        category.strip_suffix('s').unwrap_or(category)
    }
}

async fn product(tx: &mut kit::Tx, i: u32, leaves: &[(String, String)]) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(i as u64);
    let (category_id, category) = &leaves[rng.gen_range(0..leaves.len())];
    let brand = pick(&mut rng, BRANDS);
    let colour = pick(&mut rng, COLOURS);
    let material = pick(&mut rng, MATERIALS);
    let noun = singular(category);
    let title = format!(
        "{} {} {noun}",
        pick(&mut rng, ADJECTIVES),
        capitalise(colour)
    );
    let description = format!(
        "A {} {noun} from {brand}, made of {material}. Built for everyday use and easy care.",
        colour
    );
    let attrs = vec![
        NameValue {
            name: "colour".into(),
            value: colour.into(),
        },
        NameValue {
            name: "material".into(),
            value: material.into(),
        },
    ];
    let id = new_id();
    let now = now_millis() - (10_000 - i as i64 % 10_000) * 60_000;
    let base = rng.gen_range(5..400i64) * 100 + 99;
    sqlx::query(
        "INSERT INTO products (id, title, slug, description, brand, status, category_id, \
         attributes, price_min, price_major, currency, created_at, updated_at, published_at) \
         VALUES ($1, $2, $3, $4, $5, 'PUBLISHED', $6, $7, $8, $9, 'USD', $10, $10, $10)",
    )
    .bind(&id)
    .bind(&title)
    .bind(format!("demo-{i}"))
    .bind(&description)
    .bind(brand)
    .bind(category_id)
    .bind(attributes::to_json(&attrs))
    .bind(base)
    .bind(base / 100)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let mut sql = Sql::new("INSERT INTO product_attributes (product_id, name, value) VALUES ");
    for (k, a) in attrs.iter().enumerate() {
        if k > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(&id)
            .push(", ")
            .bind(&a.name)
            .push(", ")
            .bind(&a.value)
            .push(")");
    }
    sql.query().execute(tx.conn()).await?;
    let sizes = rng.gen_range(1..=SIZES.len());
    let mut sql = Sql::new(
        "INSERT INTO variants (id, product_id, sku, title, options, price_amount, currency, \
         compare_at_amount, weight_grams, length_mm, width_mm, height_mm, created_at, updated_at) VALUES ",
    );
    for (k, size) in SIZES.iter().take(sizes).enumerate() {
        if k > 0 {
            sql.push(", ");
        }
        let options = vec![
            NameValue {
                name: "size".into(),
                value: size.to_string(),
            },
            NameValue {
                name: "colour".into(),
                value: colour.into(),
            },
        ];
        sql.push("(")
            .bind(new_id())
            .push(", ")
            .bind(&id)
            .push(", ")
            .bind(format!("DEMO-{i}-{size}"))
            .push(", ")
            .bind(format!("{size} / {colour}"))
            .push(", ")
            .bind(attributes::to_json(&options))
            .push(", ")
            .bind(base + k as i64 * 200)
            .push(", 'USD', NULL, ")
            .bind(rng.gen_range(100..3000i64))
            .push(", 300, 200, 100, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
    }
    sql.query().execute(tx.conn()).await?;
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod singular_tests {
    use super::singular;

    #[test]
    fn category_names_become_product_nouns() {
        assert_eq!(singular("Dresses"), "Dress");
        assert_eq!(singular("Running Shoes"), "Running Shoe");
        assert_eq!(singular("Trousers"), "Trousers");
        assert_eq!(singular("Kitchen"), "Kitchen");
    }
}
