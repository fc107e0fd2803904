//! The life of a coupon use after it is held: redeemed when its order is paid, released (the
//! use given back to the coupon's limit) when the order is cancelled or the checkout
//! compensates. Each change happens once: the status guard in the `UPDATE` makes a repeat a
//! no-op, and the event goes to the outbox in the same transaction.

use kit::ids::now_millis;
use kit::{AppError, Db, Service, Tx};
use serde_json::json;

/// Held or redeemed uses of `coupon_id` by this customer (by id, or by email for guests).
pub async fn customer_uses(
    db: &Db,
    coupon_id: &str,
    customer_id: Option<&str>,
    email: Option<&str>,
) -> Result<i64, AppError> {
    let count: i64 = sqlx::query_scalar(COUNT_SQL)
        .bind(coupon_id)
        .bind(customer_id)
        .bind(email)
        .fetch_one(db.pool())
        .await?;
    Ok(count)
}

/// The same count inside a transaction (the hold's, after the coupon row is locked).
pub async fn customer_uses_in(
    tx: &mut Tx,
    coupon_id: &str,
    customer_id: Option<&str>,
    email: Option<&str>,
) -> Result<i64, AppError> {
    let count: i64 = sqlx::query_scalar(COUNT_SQL)
        .bind(coupon_id)
        .bind(customer_id)
        .bind(email)
        .fetch_one(tx.conn())
        .await?;
    Ok(count)
}

const COUNT_SQL: &str = "SELECT COUNT(*) FROM coupon_uses WHERE coupon_id = $1 \
     AND status IN ('HELD', 'REDEEMED') AND (customer_id = $2 OR email = $3)";

/// HELD → REDEEMED for `order_id`'s use; false when there was none to redeem.
pub async fn redeem(svc: &Service, tx: &mut Tx, order_id: &str) -> Result<bool, AppError> {
    let changed = sqlx::query(
        "UPDATE coupon_uses SET status = 'REDEEMED', updated_at = $1 \
         WHERE order_id = $2 AND status = 'HELD'",
    )
    .bind(now_millis())
    .bind(order_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 1 {
        emit(svc, tx, "coupon.redeemed", order_id).await?;
    }
    Ok(changed == 1)
}

/// HELD or REDEEMED → RELEASED for `order_id`'s use, giving the use back to the coupon;
/// false when there was none to release.
pub async fn release(svc: &Service, tx: &mut Tx, order_id: &str) -> Result<bool, AppError> {
    let changed = sqlx::query(
        "UPDATE coupon_uses SET status = 'RELEASED', updated_at = $1 \
         WHERE order_id = $2 AND status IN ('HELD', 'REDEEMED')",
    )
    .bind(now_millis())
    .bind(order_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE coupons SET uses = uses - 1 WHERE uses > 0 \
         AND id = (SELECT coupon_id FROM coupon_uses WHERE order_id = $1)",
    )
    .bind(order_id)
    .execute(tx.conn())
    .await?;
    emit(svc, tx, "coupon.released", order_id).await?;
    Ok(true)
}

/// `event` with the use's details, from the row as it now is.
async fn emit(svc: &Service, tx: &mut Tx, event: &str, order_id: &str) -> Result<(), AppError> {
    let (id, coupon_id, code, status, discount, currency): (
        String,
        String,
        String,
        String,
        i64,
        String,
    ) = sqlx::query_as(
        "SELECT u.id, u.coupon_id, c.code, u.status, u.discount, u.currency \
             FROM coupon_uses u JOIN coupons c ON c.id = u.coupon_id WHERE u.order_id = $1",
    )
    .bind(order_id)
    .fetch_one(tx.conn())
    .await?;
    let discount = kit::money::Money::from_stored(discount, &currency)?;
    let data = json!({
        "holdId": id,
        "couponId": coupon_id,
        "code": code,
        "orderId": order_id,
        "status": status,
        "discount": { "amount": discount.amount_string(), "currencyCode": currency },
    });
    tx.emit(&svc.event(event, Some(order_id.to_string()), data))
        .await?;
    Ok(())
}
