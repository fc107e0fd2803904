//! In-app notifications: written by the consumer (one per event and user), listed newest first
//! with `myNotifications` and `User.notifications` (the owner only), counted with
//! `unreadNotificationCount`, and marked read with `markNotificationsRead`. Each new one is
//! also announced as `notification.created` through the outbox, which feeds the
//! `notificationReceived` subscription on every instance.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Service, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::kinds::{Kind, NotificationCategory};

#[derive(SimpleObject, Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub id: ID,
    #[graphql(skip)]
    pub user_id: String,
    /// What it is about: `welcome`, `order_shipped`, `livestream_starting`, …
    pub kind: String,
    pub category: NotificationCategory,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "id, user_id, kind, category, title, body, link, created_at, read_at";

fn from_row(r: Row) -> Result<Notification, AppError> {
    Ok(Notification {
        id: ID(r.0),
        user_id: r.1,
        kind: r.2,
        category: NotificationCategory::parse(&r.3).unwrap_or(NotificationCategory::Account),
        title: r.4,
        body: r.5,
        link: r.6,
        created_at: from_millis(r.7),
        read_at: r.8.map(from_millis),
    })
}

/// Writes the in-app notification for `event_id` to `user_id` (nothing when it exists) and
/// announces it; returns it when new.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    svc: &Service,
    tx: &mut Tx,
    user_id: &str,
    event_id: &str,
    kind: Kind,
    title: &str,
    body: &str,
    link: Option<&str>,
) -> Result<Option<Notification>, AppError> {
    let n = Notification {
        id: ID(new_id()),
        user_id: user_id.to_string(),
        kind: kind.name().to_string(),
        category: kind.category(),
        title: title.to_string(),
        body: body.to_string(),
        link: link.map(str::to_string),
        created_at: from_millis(now_millis()),
        read_at: None,
    };
    let inserted = sqlx::query(
        "INSERT INTO notifications (id, user_id, event_id, kind, category, title, body, link, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (event_id, user_id) DO NOTHING",
    )
    .bind(n.id.as_str())
    .bind(user_id)
    .bind(event_id)
    .bind(&n.kind)
    .bind(n.category.as_str())
    .bind(&n.title)
    .bind(&n.body)
    .bind(&n.link)
    .bind(n.created_at.timestamp_millis())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(None);
    }
    let data = serde_json::to_value(&n).map_err(AppError::internal)?;
    let data = json!({ "notification": data, "userId": user_id });
    tx.emit(&svc.event("notification.created", Some(user_id.to_string()), data))
        .await?;
    Ok(Some(n))
}

/// One page of `user_id`'s notifications, newest first.
pub async fn page(
    ctx: &Context<'_>,
    user_id: &str,
    first: Option<i32>,
    after: Option<String>,
    unread_only: bool,
) -> Result<Connection<Cursor, Notification, Total>, AppError> {
    let window = Window::parse(first, after, None, None)?;
    let mut filter = Filter::default();
    filter.and("user_id = ?", Bind::Text(user_id.to_string()));
    if unread_only {
        filter.and("COALESCE(read_at, 0) = ?", Bind::Int(0));
    }
    let want_total = ctx.look_ahead().field("totalCount").exists();
    listing::page(
        &service(ctx).db,
        Source {
            table: "notifications",
            columns: COLUMNS,
        },
        &filter,
        &window,
        want_total,
        from_row,
        |n| n.id.to_string(),
    )
    .await
}

#[derive(Default)]
pub struct InboxQuery;

#[Object]
impl InboxQuery {
    /// The signed-in user's in-app notifications, newest first.
    #[graphql(directive = authenticated::apply())]
    async fn my_notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        unread_only: Option<bool>,
    ) -> Result<Connection<Cursor, Notification, Total>> {
        let who = caller(ctx)?;
        Ok(page(
            ctx,
            &who.user_id,
            first,
            after,
            unread_only.unwrap_or(false),
        )
        .await?)
    }

    /// How many of the signed-in user's notifications are unread.
    #[graphql(directive = authenticated::apply())]
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let who = caller(ctx)?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
        )
        .bind(&who.user_id)
        .fetch_one(service(ctx).db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(n)
    }
}

#[derive(Default)]
pub struct InboxMutation;

#[Object]
impl InboxMutation {
    /// Marks the signed-in user's notifications read: those in `ids`, or all with
    /// `all: true`. Returns how many changed; ids of other users' notifications change nothing.
    #[graphql(directive = authenticated::apply())]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        ids: Option<Vec<ID>>,
        all: Option<bool>,
    ) -> Result<i64> {
        let all = all.unwrap_or(false);
        let who = caller(ctx)?;
        let db = &service(ctx).db;
        let now = now_millis();
        let changed = match (ids, all) {
            (Some(_), true) => {
                return Err(AppError::bad_input("all", "cannot be combined with ids").into())
            }
            (None, false) => {
                return Err(AppError::bad_input("ids", "give ids, or all: true").into())
            }
            (None, true) => sqlx::query(
                "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL",
            )
            .bind(now)
            .bind(&who.user_id)
            .execute(db.pool())
            .await
            .map_err(AppError::from)?
            .rows_affected(),
            (Some(ids), false) => {
                if ids.len() > 100 {
                    return Err(AppError::bad_input("ids", "at most 100 at once").into());
                }
                let ids = ids
                    .iter()
                    .map(|id| parse_id("ids", id))
                    .collect::<Result<Vec<_>, _>>()?;
                if ids.is_empty() {
                    return Ok(0);
                }
                let sql = format!(
                    "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL \
                     AND id IN ({})",
                    kit::db::placeholders(3, ids.len())
                );
                let mut q = sqlx::query(&sql).bind(now).bind(&who.user_id);
                for id in &ids {
                    q = q.bind(id);
                }
                q.execute(db.pool())
                    .await
                    .map_err(AppError::from)?
                    .rows_affected()
            }
        };
        Ok(changed as i64)
    }
}
