//! The local read models scopes are matched against, fed by catalog's events:
//! `product.created|updated|archived` (data `{id, categoryId, status, …}`) give each product's
//! category, `category.created|updated` (data `{id, parentId, name, …}`) the category tree,
//! `collection.products_added|removed` (data `{collectionId, productIds}`) collection
//! membership. Events may arrive out of order, so a row only moves forward in event time
//! (seeded rows have time 0 and yield to any event).

use kit::events::Event;
use kit::{AppError, Tx};
use serde_json::Value;

pub async fn apply(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let at = event.time.timestamp_millis();
    match event.event_type.as_str() {
        "category.created" | "category.updated" => category(tx, event, at).await,
        "collection.products_added" => collection(tx, event, at, true).await,
        "collection.products_removed" => collection(tx, event, at, false).await,
        _ => product(tx, event, at).await,
    }
}

fn id_of(event: &Event) -> Option<&str> {
    event.data["id"]
        .as_str()
        .or(event.subject.as_deref())
        .filter(|id| !id.is_empty())
}

fn optional_text(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.is_empty())
}

async fn product(tx: &mut Tx, event: &Event, at: i64) -> Result<(), AppError> {
    let Some(id) = id_of(event) else {
        tracing::warn!(event = %event.id, kind = %event.event_type, "product event without id; ignored");
        return Ok(());
    };
    let status = match optional_text(&event.data["status"]) {
        Some(s) => s.to_ascii_uppercase(),
        None if event.event_type == "product.archived" => "ARCHIVED".into(),
        None => "PUBLISHED".into(),
    };
    // An event that does not mention the category keeps the one known.
    let mentions_category = event.data.get("categoryId").is_some();
    let category = optional_text(&event.data["categoryId"]);
    let sql = if mentions_category {
        "INSERT INTO scope_products (id, category_id, status, changed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET category_id = excluded.category_id, \
           status = excluded.status, changed_at = excluded.changed_at \
         WHERE scope_products.changed_at <= excluded.changed_at"
    } else {
        "INSERT INTO scope_products (id, category_id, status, changed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at \
         WHERE scope_products.changed_at <= excluded.changed_at"
    };
    sqlx::query(sql)
        .bind(id)
        .bind(category)
        .bind(status)
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

async fn category(tx: &mut Tx, event: &Event, at: i64) -> Result<(), AppError> {
    let Some(id) = id_of(event) else {
        tracing::warn!(event = %event.id, "category event without id; ignored");
        return Ok(());
    };
    let parent = optional_text(&event.data["parentId"]).filter(|p| *p != id);
    let name = optional_text(&event.data["name"]);
    sqlx::query(
        "INSERT INTO scope_categories (id, parent_id, name, changed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, \
           name = COALESCE(excluded.name, scope_categories.name), changed_at = excluded.changed_at \
         WHERE scope_categories.changed_at <= excluded.changed_at",
    )
    .bind(id)
    .bind(parent)
    .bind(name)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

async fn collection(tx: &mut Tx, event: &Event, at: i64, member: bool) -> Result<(), AppError> {
    let collection = optional_text(&event.data["collectionId"]).or(event.subject.as_deref());
    let products: Vec<&str> = event.data["productIds"]
        .as_array()
        .map(|ids| ids.iter().filter_map(optional_text).collect())
        .unwrap_or_default();
    let Some(collection) = collection else {
        tracing::warn!(event = %event.id, "collection event without collectionId; ignored");
        return Ok(());
    };
    let mut products = products;
    products.sort_unstable();
    products.dedup();
    for chunk in products.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, $2, $3)", i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO collection_products (collection_id, product_id, member, changed_at) \
             VALUES {} ON CONFLICT (collection_id, product_id) DO UPDATE SET \
               member = excluded.member, changed_at = excluded.changed_at \
             WHERE collection_products.changed_at <= excluded.changed_at",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(collection)
            .bind(member as i64)
            .bind(at);
        for p in chunk {
            query = query.bind(*p);
        }
        query.execute(tx.conn()).await?;
    }
    Ok(())
}
