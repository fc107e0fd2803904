//! Staff moderation: `hideReview` takes a review out of public view and out of the product's
//! rating (recording why); `unhideReview` puts it back. Repeating either changes nothing and
//! emits nothing.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::ids::{now_millis, parse_id};
use kit::schema::service;
use kit::AppError;

use crate::events;
use crate::ratings::{self, Tally};
use crate::review::{self, Review, ReviewStatus};
use crate::validate::{self, MAX_REASON};

#[derive(Default)]
pub struct ModerationMutation;

/// Moves review `id` to `to` (with `reason` when hiding). Returns the review afterwards.
async fn set_status(
    ctx: &Context<'_>,
    id: &str,
    to: ReviewStatus,
    reason: Option<String>,
) -> Result<Review, AppError> {
    let svc = service(ctx);
    let mut tx = svc.db.begin().await?;
    let old = review::lock(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("id: no review has this id"))?;
    let now = now_millis().max(old.updated_at);
    let review = Review {
        status: to,
        hidden_reason: reason,
        updated_at: now,
        ..old.clone()
    };
    sqlx::query(
        "UPDATE reviews SET status = $1, hidden_reason = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(to.as_str())
    .bind(&review.hidden_reason)
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?;
    if old.status != to {
        let (delta, event_type) = match to {
            ReviewStatus::Hidden => (Tally::one(old.rating).negated(), "review.hidden"),
            ReviewStatus::Published => (Tally::one(old.rating), "review.unhidden"),
        };
        let tally = ratings::apply(&mut tx, &old.product_id, delta).await?;
        events::emit(svc, &mut tx, event_type, &review, &tally).await?;
    }
    tx.commit().await?;
    Ok(review)
}

#[Object]
impl ModerationMutation {
    /// Hides a review from everyone but its author and staff and removes it from the product's
    /// rating. Staff only; hiding a hidden review only updates the reason. Emits `review.hidden`.
    #[graphql(requires_scopes = "staff")]
    async fn hide_review(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Review> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let reason = validate::text("reason", &reason, MAX_REASON)?;
        Ok(set_status(ctx, &id, ReviewStatus::Hidden, Some(reason)).await?)
    }

    /// Publishes a hidden review again. Staff only. Emits `review.unhidden`.
    #[graphql(requires_scopes = "staff")]
    async fn unhide_review(&self, ctx: &Context<'_>, id: ID) -> Result<Review> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(set_status(ctx, &id, ReviewStatus::Published, None).await?)
    }
}
