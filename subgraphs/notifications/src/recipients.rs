//! Who notifications writes to, kept from other subgraphs' events in the consumer's
//! transaction: users (email, name, role — staff get stock alerts) from accounts'
//! `user.registered` / `user.updated`, and each order's contact from `order.created`, for
//! events that name only the order (`payment.failed`).

use kit::events::Event;
use kit::ids::now_millis;
use kit::{AppError, Tx};

/// A user as far as notifications knows them.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// Records what `user.registered` / `user.updated` say about a user (absent fields keep
/// their value).
pub async fn record_user(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let d = &event.data;
    let Some(user_id) = d["userId"].as_str().or(event.subject.as_deref()) else {
        return Ok(());
    };
    let text = |k: &str| d[k].as_str().map(str::to_string);
    sqlx::query(
        "INSERT INTO recipients (user_id, email, name, role, updated_at) \
         VALUES ($1, $2, $3, COALESCE($4, 'customer'), $5) \
         ON CONFLICT (user_id) DO UPDATE SET email = COALESCE(excluded.email, recipients.email), \
         name = COALESCE(excluded.name, recipients.name), \
         role = CASE WHEN $4 IS NULL THEN recipients.role ELSE excluded.role END, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(text("email").map(|e| e.to_lowercase()))
    .bind(text("name"))
    .bind(text("role"))
    .bind(now_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn user(tx: &mut Tx, user_id: &str) -> Result<Option<Recipient>, AppError> {
    let row: Option<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT user_id, email, name FROM recipients WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(|(user_id, email, name)| Recipient {
        user_id,
        email,
        name,
    }))
}

/// Staff and admins with an email address.
pub async fn staff(tx: &mut Tx) -> Result<Vec<Recipient>, AppError> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT user_id, email, name FROM recipients WHERE role IN ('staff', 'admin') \
         AND email IS NOT NULL ORDER BY user_id",
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, email, name)| Recipient {
            user_id,
            email,
            name,
        })
        .collect())
}

/// An order's contact, as `order.created` gave it.
#[derive(Debug, Clone)]
pub struct OrderContact {
    pub number: Option<String>,
    pub customer_id: Option<String>,
    pub email: Option<String>,
}

pub async fn record_order(tx: &mut Tx, event: &Event) -> Result<(), AppError> {
    let d = &event.data;
    let Some(order_id) = d["orderId"].as_str() else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO order_contacts (order_id, number, customer_id, email, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(
        d["number"]
            .as_str()
            .map(str::to_string)
            .or_else(|| d["number"].as_i64().map(|n| n.to_string())),
    )
    .bind(d["customerId"].as_str())
    .bind(d["email"].as_str().map(str::to_lowercase))
    .bind(now_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn order(tx: &mut Tx, order_id: &str) -> Result<Option<OrderContact>, AppError> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT number, customer_id, email FROM order_contacts WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(|(number, customer_id, email)| OrderContact {
        number,
        customer_id,
        email,
    }))
}
