//! Checkout claims, taken before any remote side effect, so that a checkout runs once however
//! often (and however concurrently) it is sent. The claim row's primary key is the hash of the
//! caller-scoped idempotency key, and its cart id is unique too:
//! - the first request inserts the claim (RUNNING, with a lease and the new order's id) and
//!   runs the checkout; success marks it PLACED in the order's transaction, failure deletes it
//!   so the shopper can try again;
//! - a request with the same key waits while the claim runs, then answers with its order; if
//!   the claim was deleted (the checkout failed) it tries for itself;
//! - another checkout of the same cart is a `CONFLICT`;
//! - a claim whose lease ran out (its instance died) may be taken over.

use std::time::Duration;

use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis};
use kit::{AppError, Db};

const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: run the checkout for this order id.
    Mine(String),
    /// Placed by an earlier request with the same key.
    Placed(String),
}

type Row = (String, String, String, i64);

async fn by_key(db: &Db, key_hash: &str) -> Result<Option<Row>, AppError> {
    Ok(sqlx::query_as(
        "SELECT cart_id, order_id, state, lease_until FROM checkouts WHERE key_hash = $1",
    )
    .bind(key_hash)
    .fetch_optional(db.pool())
    .await?)
}

/// The order a placed claim with this key made, if any.
pub async fn placed(db: &Db, key_hash: &str) -> Result<Option<String>, AppError> {
    Ok(by_key(db, key_hash)
        .await?
        .filter(|(_, _, state, _)| state == "PLACED")
        .map(|(_, order_id, _, _)| order_id))
}

async fn drop_expired(db: &Db, column: &str, value: &str) -> Result<(), AppError> {
    let sql = format!(
        "DELETE FROM checkouts WHERE {column} = $1 AND state = 'RUNNING' AND lease_until < $2"
    );
    sqlx::query(&sql)
        .bind(value)
        .bind(now_millis())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Takes the claim for `key_hash` on `cart_id`, or waits for the request holding it.
pub async fn acquire(
    db: &Db,
    key_hash: &str,
    cart_id: &str,
    lease: Duration,
) -> Result<Claim, AppError> {
    let give_up = tokio::time::Instant::now() + lease + Duration::from_secs(5);
    loop {
        let order_id = new_id();
        let now = now_millis();
        let inserted = sqlx::query(
            "INSERT INTO checkouts (key_hash, cart_id, order_id, state, lease_until, created_at) \
             VALUES ($1, $2, $3, 'RUNNING', $4, $5)",
        )
        .bind(key_hash)
        .bind(cart_id)
        .bind(&order_id)
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .execute(db.pool())
        .await;
        match inserted {
            Ok(_) => return Ok(Claim::Mine(order_id)),
            Err(err) if !is_unique_violation(&err) => return Err(err.into()),
            Err(_) => {}
        }
        if let Some((_, order_id, state, lease_until)) = by_key(db, key_hash).await? {
            if state == "PLACED" {
                return Ok(Claim::Placed(order_id));
            }
            if lease_until < now_millis() {
                drop_expired(db, "key_hash", key_hash).await?;
                continue;
            }
        } else {
            // Not our key: the cart is claimed by another checkout.
            let other: Option<(String, String, i64)> = sqlx::query_as(
                "SELECT order_id, state, lease_until FROM checkouts WHERE cart_id = $1",
            )
            .bind(cart_id)
            .fetch_optional(db.pool())
            .await?;
            match other {
                Some((_, state, _)) if state == "PLACED" => {
                    return Err(AppError::conflict(
                        "input.cartId: this cart has already been checked out",
                    ))
                }
                Some((_, _, lease_until)) if lease_until < now_millis() => {
                    drop_expired(db, "cart_id", cart_id).await?;
                    continue;
                }
                Some(_) => {
                    return Err(AppError::conflict(
                        "input.cartId: another checkout of this cart is in progress",
                    ))
                }
                None => continue, // it just went away: try again
            }
        }
        if tokio::time::Instant::now() > give_up {
            return Err(AppError::conflict(
                "input.idempotencyKey: a checkout with this key is still in progress",
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Gives a failed checkout's claim up, so the key (and the cart) can be used again.
pub async fn release(db: &Db, key_hash: &str, order_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM checkouts WHERE key_hash = $1 AND order_id = $2 AND state = 'RUNNING'",
    )
    .bind(key_hash)
    .bind(order_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Marks the claim placed, inside the order's transaction; false if it is no longer ours.
pub async fn mark_placed(
    tx: &mut kit::Tx,
    key_hash: &str,
    order_id: &str,
) -> Result<bool, AppError> {
    let updated = sqlx::query(
        "UPDATE checkouts SET state = 'PLACED' \
         WHERE key_hash = $1 AND order_id = $2 AND state = 'RUNNING'",
    )
    .bind(key_hash)
    .bind(order_id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(updated == 1)
}
