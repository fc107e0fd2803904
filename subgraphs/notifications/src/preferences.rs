//! Per-user channel switches by category (email, in-app, SMS, push): `notificationPreferences`
//! and `updateNotificationPreferences`. Everything is on until turned off (SMS and push reach
//! only users who registered a phone or a push subscription); account and security emails
//! cannot be turned off.

use std::collections::HashMap;

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::now_millis;
use kit::schema::service;
use kit::{AppError, Db, Tx};

use crate::kinds::NotificationCategory;

#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct NotificationPreference {
    pub category: NotificationCategory,
    pub email: bool,
    pub in_app: bool,
    pub sms: bool,
    pub push: bool,
}

#[derive(InputObject)]
pub struct NotificationPreferenceInput {
    pub category: NotificationCategory,
    /// Unchanged when omitted.
    pub email: Option<bool>,
    pub in_app: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
}

impl NotificationPreference {
    fn default_for(category: NotificationCategory) -> Self {
        NotificationPreference {
            category,
            email: true,
            in_app: true,
            sms: true,
            push: true,
        }
    }
}

/// Stored switches per category: email, in-app, SMS, push (0/1).
type Switches = (i64, i64, i64, i64);

async fn stored(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> Result<HashMap<String, Switches>, AppError> {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT category, email, in_app, sms, push FROM preferences WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, e, i, s, p)| (c, (e, i, s, p)))
        .collect())
}

fn merge(stored: &HashMap<String, Switches>) -> Vec<NotificationPreference> {
    NotificationCategory::ALL
        .into_iter()
        .map(|c| match stored.get(c.as_str()) {
            Some((e, i, s, p)) => NotificationPreference {
                category: c,
                email: *e != 0 || c == NotificationCategory::Account,
                in_app: *i != 0,
                sms: *s != 0,
                push: *p != 0,
            },
            None => NotificationPreference::default_for(c),
        })
        .collect()
}

/// The user's switches for `category` (inside the consumer's transaction).
pub async fn for_user(
    tx: &mut Tx,
    user_id: &str,
    category: NotificationCategory,
) -> Result<NotificationPreference, AppError> {
    let all = merge(&stored(tx.conn(), user_id).await?);
    Ok(all
        .into_iter()
        .find(|p| p.category == category)
        .unwrap_or(NotificationPreference::default_for(category)))
}

async fn list(db: &Db, user_id: &str) -> Result<Vec<NotificationPreference>, AppError> {
    let mut conn = db.pool().acquire().await?;
    Ok(merge(&stored(&mut conn, user_id).await?))
}

#[derive(Default)]
pub struct PreferencesQuery;

#[Object]
impl PreferencesQuery {
    /// The signed-in user's channel switches, one per category.
    #[graphql(directive = authenticated::apply())]
    async fn notification_preferences(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<NotificationPreference>> {
        let who = caller(ctx)?;
        Ok(list(&service(ctx).db, &who.user_id).await?)
    }
}

#[derive(Default)]
pub struct PreferencesMutation;

#[Object]
impl PreferencesMutation {
    /// Turns channels on or off per category; returns every category's switches.
    #[graphql(directive = authenticated::apply())]
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        input: Vec<NotificationPreferenceInput>,
    ) -> Result<Vec<NotificationPreference>> {
        let who = caller(ctx)?;
        for (i, p) in input.iter().enumerate() {
            if p.category == NotificationCategory::Account && p.email == Some(false) {
                return Err(AppError::bad_input(
                    format!("input[{i}].email"),
                    "account and security emails cannot be turned off",
                )
                .into());
            }
        }
        let db = &service(ctx).db;
        let mut tx = db.begin().await.map_err(AppError::from)?;
        let current = merge(&stored(tx.conn(), &who.user_id).await?);
        for p in &input {
            let now = current
                .iter()
                .find(|c| c.category == p.category)
                .copied()
                .unwrap_or(NotificationPreference::default_for(p.category));
            sqlx::query(
                "INSERT INTO preferences (user_id, category, email, in_app, sms, push, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, category) DO UPDATE SET \
                 email = excluded.email, in_app = excluded.in_app, sms = excluded.sms, \
                 push = excluded.push, updated_at = excluded.updated_at",
            )
            .bind(&who.user_id)
            .bind(p.category.as_str())
            .bind(p.email.unwrap_or(now.email) as i64)
            .bind(p.in_app.unwrap_or(now.in_app) as i64)
            .bind(p.sms.unwrap_or(now.sms) as i64)
            .bind(p.push.unwrap_or(now.push) as i64)
            .bind(now_millis())
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?;
        }
        tx.commit().await.map_err(AppError::from)?;
        Ok(list(db, &who.user_id).await?)
    }
}
