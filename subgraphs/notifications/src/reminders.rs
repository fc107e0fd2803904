//! Livestream reminders: `remindMeOfLivestream(streamId)` records that the signed-in user
//! wants to be told when that stream starts (`forgetLivestreamReminder` undoes it); the
//! consumer takes the reminders when livestream's start event arrives.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::now_millis;
use kit::schema::service;
use kit::{AppError, Tx};

/// The users waiting for `stream_id`, removed as they are read (a reminder reminds once).
pub async fn take(tx: &mut Tx, stream_id: &str) -> Result<Vec<String>, AppError> {
    let users: Vec<(String,)> = sqlx::query_as(
        "SELECT user_id FROM livestream_reminders WHERE stream_id = $1 ORDER BY user_id",
    )
    .bind(stream_id)
    .fetch_all(tx.conn())
    .await?;
    sqlx::query("DELETE FROM livestream_reminders WHERE stream_id = $1")
        .bind(stream_id)
        .execute(tx.conn())
        .await?;
    Ok(users.into_iter().map(|(u,)| u).collect())
}

fn parse_stream_id(raw: &ID) -> Result<String, AppError> {
    let id = raw.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::bad_input("streamId", "is not a livestream id"));
    }
    Ok(id.to_string())
}

#[derive(Default)]
pub struct ReminderMutation;

#[Object]
impl ReminderMutation {
    /// Tells the signed-in user (by email and in the app, as their LIVESTREAMS preferences
    /// say) when the livestream starts. Asking twice is the same as once.
    #[graphql(directive = authenticated::apply())]
    async fn remind_me_of_livestream(&self, ctx: &Context<'_>, stream_id: ID) -> Result<bool> {
        let who = caller(ctx)?;
        let stream = parse_stream_id(&stream_id)?;
        sqlx::query(
            "INSERT INTO livestream_reminders (stream_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (stream_id, user_id) DO NOTHING",
        )
        .bind(&stream)
        .bind(&who.user_id)
        .bind(now_millis())
        .execute(service(ctx).db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(true)
    }

    /// Cancels the reminder; `false` when there was none.
    #[graphql(directive = authenticated::apply())]
    async fn forget_livestream_reminder(&self, ctx: &Context<'_>, stream_id: ID) -> Result<bool> {
        let who = caller(ctx)?;
        let stream = parse_stream_id(&stream_id)?;
        let removed =
            sqlx::query("DELETE FROM livestream_reminders WHERE stream_id = $1 AND user_id = $2")
                .bind(&stream)
                .bind(&who.user_id)
                .execute(service(ctx).db.pool())
                .await
                .map_err(AppError::from)?
                .rows_affected();
        Ok(removed == 1)
    }
}
