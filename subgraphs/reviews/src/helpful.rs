//! Helpful votes: one per user per review, idempotent both ways, never on your own review.
//! The vote row and the review's `helpful_count` change together, so the count is exact.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::{now_millis, parse_id};
use kit::schema::service;
use kit::AppError;

use crate::review::{self, Review};

#[derive(Default)]
pub struct HelpfulMutation;

/// Adds (`vote`) or withdraws the caller's vote on review `id`; returns the review afterwards.
async fn set_vote(ctx: &Context<'_>, id: &ID, vote: bool) -> Result<Review, AppError> {
    let caller = caller(ctx)?;
    let id = parse_id("id", id)?;
    let id = id.as_str();
    let svc = service(ctx);
    let mut tx = svc.db.begin().await?;
    // The review row is locked first, as every other writer does, so votes cannot deadlock
    // with a concurrent delete.
    let mut review = review::lock(&mut tx, id)
        .await?
        .filter(|r| r.is_published())
        .ok_or_else(|| AppError::not_found("id: no review has this id"))?;
    if review.author_id == caller.user_id {
        return Err(AppError::bad_input(
            "id",
            "you cannot vote on your own review",
        ));
    }
    let changed = if vote {
        sqlx::query(
            "INSERT INTO review_votes (review_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (review_id, user_id) DO NOTHING",
        )
        .bind(id)
        .bind(&caller.user_id)
        .bind(now_millis())
        .execute(tx.conn())
        .await?
        .rows_affected()
    } else {
        sqlx::query("DELETE FROM review_votes WHERE review_id = $1 AND user_id = $2")
            .bind(id)
            .bind(&caller.user_id)
            .execute(tx.conn())
            .await?
            .rows_affected()
    };
    if changed == 1 {
        let step: i64 = if vote { 1 } else { -1 };
        review.helpful_count = sqlx::query_scalar(
            "UPDATE reviews SET helpful_count = helpful_count + $1 WHERE id = $2 \
             RETURNING helpful_count",
        )
        .bind(step)
        .bind(id)
        .fetch_one(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(review)
}

#[Object]
impl HelpfulMutation {
    /// Marks a review helpful. Once per user (repeating changes nothing); not your own review
    /// (`BAD_USER_INPUT`).
    #[graphql(directive = authenticated::apply())]
    async fn mark_review_helpful(&self, ctx: &Context<'_>, id: ID) -> Result<Review> {
        Ok(set_vote(ctx, &id, true).await?)
    }

    /// Withdraws your helpful vote (harmless when there is none).
    #[graphql(directive = authenticated::apply())]
    async fn unmark_review_helpful(&self, ctx: &Context<'_>, id: ID) -> Result<Review> {
        Ok(set_vote(ctx, &id, false).await?)
    }
}
