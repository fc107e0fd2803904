//! Reading orders from the write tables: whole orders (with their lines) by id in one batch,
//! within a transaction or from the pool, and status histories.

use std::collections::HashMap;

use kit::db::placeholders;
use kit::{AppError, Db};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::status::OrderStatus;
use crate::view::{AddressView, HistoryEntry, LineView, OrderView};

const COLUMNS: &str = "id, number, status, version, cart_id, customer_id, email, currency, \
    subtotal, discount_total, shipping_total, total, refunded_total, coupon_code, \
    shipping_address, shipping_method_id, payment_id, token_hash, shipment_id, carrier, \
    tracking_number, placed_at, updated_at, payment_deadline";

fn corrupt(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("stored order has a bad {what}"))
}

fn parse_status(raw: &str) -> Result<OrderStatus, AppError> {
    OrderStatus::parse(raw).ok_or_else(|| corrupt("status"))
}

fn order_of(row: &AnyRow) -> Result<OrderView, AppError> {
    let address: String = row.try_get("shipping_address")?;
    Ok(OrderView {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        status: parse_status(&row.try_get::<String, _>("status")?)?,
        version: row.try_get("version")?,
        cart_id: row.try_get("cart_id")?,
        customer_id: row.try_get("customer_id")?,
        email: row.try_get("email")?,
        currency: row.try_get("currency")?,
        lines: Vec::new(),
        subtotal: row.try_get("subtotal")?,
        discount_total: row.try_get("discount_total")?,
        shipping_total: row.try_get("shipping_total")?,
        total: row.try_get("total")?,
        refunded_total: row.try_get("refunded_total")?,
        coupon_code: row.try_get("coupon_code")?,
        shipping_address: serde_json::from_str::<AddressView>(&address)
            .map_err(|_| corrupt("address"))?,
        shipping_method_id: row.try_get("shipping_method_id")?,
        payment_id: row.try_get("payment_id")?,
        shipment_id: row.try_get("shipment_id")?,
        carrier: row.try_get("carrier")?,
        tracking_number: row.try_get("tracking_number")?,
        placed_at: row.try_get("placed_at")?,
        updated_at: row.try_get("updated_at")?,
        payment_deadline: row.try_get("payment_deadline")?,
        token_hash: row.try_get("token_hash")?,
        history: None,
    })
}

/// The orders with these ids (absent ones are missing from the map), lines included: two
/// statements however many ids.
pub async fn by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, OrderView>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let mut orders = HashMap::new();
    for row in query.fetch_all(&mut *conn).await? {
        let order = order_of(&row)?;
        orders.insert(order.id.clone(), order);
    }
    if orders.is_empty() {
        return Ok(orders);
    }
    let sql = format!(
        "SELECT order_id, id, variant_id, product_id, sku, title, quantity, unit_price, \
         line_total, livestream_id FROM order_lines WHERE order_id IN ({}) ORDER BY order_id, position",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    for row in query.fetch_all(&mut *conn).await? {
        let order_id: String = row.try_get("order_id")?;
        if let Some(order) = orders.get_mut(&order_id) {
            order.lines.push(LineView {
                id: row.try_get("id")?,
                variant_id: row.try_get("variant_id")?,
                product_id: row.try_get("product_id")?,
                sku: row.try_get("sku")?,
                title: row.try_get("title")?,
                quantity: row.try_get("quantity")?,
                unit_price: row.try_get("unit_price")?,
                line_total: row.try_get("line_total")?,
                livestream_id: row.try_get("livestream_id")?,
            });
        }
    }
    Ok(orders)
}

/// One order, lines included.
pub async fn one(conn: &mut AnyConnection, id: &str) -> Result<Option<OrderView>, AppError> {
    Ok(by_ids(conn, &[id.to_string()]).await?.remove(id))
}

/// One order from the pool.
pub async fn load(db: &Db, id: &str) -> Result<Option<OrderView>, AppError> {
    let mut conn = db.pool().acquire().await?;
    one(&mut conn, id).await
}

/// The id of the order numbered `number`.
pub async fn id_by_number(db: &Db, number: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM orders WHERE number = $1")
            .bind(number)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Status histories of these orders, oldest change first.
pub async fn histories(
    db: &Db,
    ids: &[String],
) -> Result<HashMap<String, Vec<HistoryEntry>>, AppError> {
    let sql = format!(
        "SELECT order_id, version, status, previous_status, actor, reason, note, at \
         FROM order_status_history WHERE order_id IN ({}) ORDER BY order_id, version",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let mut out: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
    for row in query.fetch_all(db.pool()).await? {
        let previous: Option<String> = row.try_get("previous_status")?;
        out.entry(row.try_get("order_id")?)
            .or_default()
            .push(HistoryEntry {
                version: row.try_get("version")?,
                status: parse_status(&row.try_get::<String, _>("status")?)?,
                previous_status: previous.as_deref().map(parse_status).transpose()?,
                actor: row.try_get("actor")?,
                reason: row.try_get("reason")?,
                note: row.try_get("note")?,
                at: row.try_get("at")?,
            });
    }
    Ok(out)
}
