//! Where a user's text and push messages go: their phone number (`setNotificationPhone`,
//! E.164) and their push subscriptions (`addPushSubscription`, an ntfy topic per device), with
//! `notificationContacts` to read them back. The consumer reads them to address SMS and push
//! deliveries.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::{from_millis, new_id, now_millis};
use kit::schema::service;
use kit::{AppError, Db, Tx};

/// Push subscriptions one user may hold (one per device; a bound keeps a script from filling
/// the table).
const MAX_SUBSCRIPTIONS: i64 = 20;

#[derive(SimpleObject)]
pub struct PushSubscription {
    pub id: ID,
    /// The ntfy topic the device is subscribed to.
    pub topic: String,
    pub created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct NotificationContacts {
    /// E.164, e.g. `+15551234567`; none until set.
    pub phone: Option<String>,
    pub push_subscriptions: Vec<PushSubscription>,
}

/// `+` and 8 to 15 digits, the first not 0 (E.164); spaces, dashes, dots and parentheses
/// people type are dropped first.
pub fn parse_phone(field: &str, raw: &str) -> Result<String, AppError> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if !ok {
        return Err(AppError::bad_input(
            field,
            "a phone number in international form, e.g. +15551234567",
        ));
    }
    Ok(compact)
}

/// 1 to 64 letters, digits, `-` or `_` (what ntfy accepts as a topic name, and no path tricks).
pub fn parse_topic(field: &str, raw: &str) -> Result<String, AppError> {
    let topic = raw.trim();
    let ok = (1..=64).contains(&topic.len())
        && topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(AppError::bad_input(
            field,
            "a topic of 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(topic.to_string())
}

/// The user's phone number and push targets (inside the consumer's transaction).
pub async fn for_user(
    tx: &mut Tx,
    user_id: &str,
) -> Result<(Option<String>, Vec<String>), AppError> {
    let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM phones WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?;
    let targets: Vec<String> =
        sqlx::query_scalar("SELECT target FROM push_subscriptions WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(tx.conn())
            .await?;
    Ok((phone, targets))
}

async fn load(db: &Db, user_id: &str) -> Result<NotificationContacts, AppError> {
    let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM phones WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, target, created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(NotificationContacts {
        phone,
        push_subscriptions: rows
            .into_iter()
            .map(|(id, topic, at)| PushSubscription {
                id: ID(id),
                topic,
                created_at: from_millis(at),
            })
            .collect(),
    })
}

#[derive(Default)]
pub struct ContactsQuery;

#[Object]
impl ContactsQuery {
    /// The signed-in user's phone number and push subscriptions.
    #[graphql(directive = authenticated::apply())]
    async fn notification_contacts(&self, ctx: &Context<'_>) -> Result<NotificationContacts> {
        let who = caller(ctx)?;
        Ok(load(&service(ctx).db, &who.user_id).await?)
    }
}

#[derive(Default)]
pub struct ContactsMutation;

#[Object]
impl ContactsMutation {
    /// Sets (or, with null, removes) the number text messages go to.
    #[graphql(directive = authenticated::apply())]
    async fn set_notification_phone(
        &self,
        ctx: &Context<'_>,
        phone: Option<String>,
    ) -> Result<NotificationContacts> {
        let who = caller(ctx)?;
        let db = &service(ctx).db;
        match phone {
            Some(raw) => {
                let phone = parse_phone("phone", &raw)?;
                sqlx::query(
                    "INSERT INTO phones (user_id, phone, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone, \
                     updated_at = excluded.updated_at",
                )
                .bind(&who.user_id)
                .bind(phone)
                .bind(now_millis())
                .execute(db.pool())
                .await
                .map_err(AppError::from)?;
            }
            None => {
                sqlx::query("DELETE FROM phones WHERE user_id = $1")
                    .bind(&who.user_id)
                    .execute(db.pool())
                    .await
                    .map_err(AppError::from)?;
            }
        }
        Ok(load(db, &who.user_id).await?)
    }

    /// Adds a device's push subscription (adding the same topic again changes nothing).
    #[graphql(directive = authenticated::apply())]
    async fn add_push_subscription(
        &self,
        ctx: &Context<'_>,
        topic: String,
    ) -> Result<NotificationContacts> {
        let who = caller(ctx)?;
        let topic = parse_topic("topic", &topic)?;
        let db = &service(ctx).db;
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1")
                .bind(&who.user_id)
                .fetch_one(db.pool())
                .await
                .map_err(AppError::from)?;
        if held >= MAX_SUBSCRIPTIONS {
            return Err(AppError::bad_input(
                "topic",
                format!("at most {MAX_SUBSCRIPTIONS} push subscriptions; remove one first"),
            )
            .into());
        }
        sqlx::query(
            "INSERT INTO push_subscriptions (id, user_id, target, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, target) DO NOTHING",
        )
        .bind(new_id())
        .bind(&who.user_id)
        .bind(topic)
        .bind(now_millis())
        .execute(db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(load(db, &who.user_id).await?)
    }

    /// Removes one of the signed-in user's push subscriptions.
    #[graphql(directive = authenticated::apply())]
    async fn remove_push_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<NotificationContacts> {
        let who = caller(ctx)?;
        let db = &service(ctx).db;
        let removed = sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2")
            .bind(id.as_str())
            .bind(&who.user_id)
            .execute(db.pool())
            .await
            .map_err(AppError::from)?
            .rows_affected();
        if removed == 0 {
            return Err(AppError::not_found("push subscription").into());
        }
        Ok(load(db, &who.user_id).await?)
    }
}
