//! Reading products for the engine: pages in id order for the start-up build, and given ids for
//! refreshes. One statement each; attributes come from the product row's JSON copy and terms
//! from [`terms::weigh`](super::terms::weigh).

use kit::{AppError, Db};

use super::store::ProductDoc;
use super::terms::weigh;
use crate::products::ProductStatus;
use crate::sql::Sql;

const COLUMNS: &str = "id, title, description, brand, status, category_id, attributes, \
     price_min, price_major, currency, created_at, rating_rank";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    title: String,
    description: String,
    brand: Option<String>,
    status: String,
    category_id: Option<String>,
    attributes: String,
    price_min: i64,
    price_major: i64,
    currency: Option<String>,
    created_at: i64,
    rating_rank: i64,
}

fn status(raw: &str) -> ProductStatus {
    match raw {
        "PUBLISHED" => ProductStatus::Published,
        "ARCHIVED" => ProductStatus::Archived,
        _ => ProductStatus::Draft,
    }
}

fn doc(row: Row) -> Option<ProductDoc> {
    let Ok(id) = uuid::Uuid::parse_str(&row.id) else {
        tracing::warn!(id = %row.id, "product id is not a UUID; left out of search");
        return None;
    };
    let weights = weigh(&row.title, row.brand.as_deref(), &row.description)
        .into_iter()
        .map(|(t, w)| (t, w.clamp(0, 7) as u32))
        .collect();
    Some(ProductDoc {
        id: id.as_u128(),
        status: status(&row.status),
        category: row.category_id,
        currency: row.currency,
        price_min: row.price_min,
        price_major: row.price_major,
        created_at: row.created_at,
        rating_rank: row.rating_rank,
        attributes: crate::attributes::from_json(&row.attributes)
            .into_iter()
            .map(|a| (a.name, a.value))
            .collect(),
        weights,
        brand: row.brand,
    })
}

/// Up to `limit` products after id `after` (all when `None`), in id order, and the last id read.
pub async fn page(
    db: &Db,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<ProductDoc>, Option<String>), AppError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM products"));
    if let Some(after) = after {
        sql.push(" WHERE id > ").bind(after);
    }
    sql.push(" ORDER BY id LIMIT ").bind(limit);
    let rows: Vec<Row> = sql.query_as().fetch_all(db.pool()).await?;
    let last = rows.last().map(|r| r.id.clone());
    Ok((rows.into_iter().filter_map(doc).collect(), last))
}

/// The current state of `ids`; ids missing from the result no longer exist.
pub async fn by_ids(db: &Db, ids: &[String]) -> Result<Vec<ProductDoc>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM products WHERE id IN ("));
        sql.bind_list(chunk.iter()).push(")");
        let rows: Vec<Row> = sql.query_as().fetch_all(db.pool()).await?;
        out.extend(rows.into_iter().filter_map(doc));
    }
    Ok(out)
}
