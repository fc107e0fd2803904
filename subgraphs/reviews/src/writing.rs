//! Writing reviews: `createReview` (any signed-in user, once per product, only for published
//! products), `updateReview` (the author) and `deleteReview` (the author or staff). Each runs in
//! one transaction that also moves the product's rating and records the event.

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::schema::service;
use kit::AppError;

use crate::events;
use crate::ratings::{self, Tally};
use crate::review::{self, Review, ReviewStatus};
use crate::validate::{self, MAX_BODY, MAX_TITLE};

#[derive(Debug, InputObject)]
pub struct CreateReviewInput {
    pub product_id: ID,
    /// 1 to 5 stars.
    pub rating: i32,
    /// 1 to 120 characters.
    pub title: String,
    /// Up to 5000 characters.
    #[graphql(default)]
    pub body: String,
}

/// Omitted fields stay as they are.
#[derive(Debug, InputObject)]
pub struct UpdateReviewInput {
    pub rating: Option<i32>,
    pub title: Option<String>,
    pub body: Option<String>,
}

#[derive(Default)]
pub struct WritingMutation;

#[Object]
impl WritingMutation {
    /// Reviews a published product. One review per product per user (`CONFLICT` for a second);
    /// an unknown or unpublished product is `NOT_FOUND`. Emits `review.created`.
    #[graphql(directive = authenticated::apply())]
    async fn create_review(&self, ctx: &Context<'_>, input: CreateReviewInput) -> Result<Review> {
        let caller = caller(ctx)?;
        let product_id = parse_id("input.productId", &input.product_id)?;
        let rating = validate::rating("input.rating", input.rating)?;
        let title = validate::text("input.title", &input.title, MAX_TITLE)?;
        let body = validate::optional_text("input.body", &input.body, MAX_BODY)?;
        let svc = service(ctx);
        let now = now_millis();
        let mut tx = svc.db.begin().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM products WHERE id = $1")
                .bind(&product_id)
                .fetch_optional(tx.conn())
                .await
                .map_err(AppError::from)?;
        if status.as_deref() != Some("PUBLISHED") {
            return Err(
                AppError::not_found("input.productId: no published product has this id").into(),
            );
        }
        let bought: Option<i64> = sqlx::query_scalar(
            "SELECT purchased_at FROM purchases WHERE user_id = $1 AND product_id = $2 \
             AND purchased_at <= $3",
        )
        .bind(&caller.user_id)
        .bind(&product_id)
        .bind(now)
        .fetch_optional(tx.conn())
        .await
        .map_err(AppError::from)?;
        let review = Review {
            id: new_id(),
            product_id,
            author_id: caller.user_id.clone(),
            rating,
            title,
            body,
            verified_purchase: bought.is_some(),
            helpful_count: 0,
            status: ReviewStatus::Published,
            hidden_reason: None,
            created_at: now,
            updated_at: now,
        };
        let inserted = sqlx::query(
            "INSERT INTO reviews (id, product_id, author_id, rating, title, body, \
             verified_purchase, helpful_count, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 'PUBLISHED', $8, $8)",
        )
        .bind(&review.id)
        .bind(&review.product_id)
        .bind(&review.author_id)
        .bind(review.rating)
        .bind(&review.title)
        .bind(&review.body)
        .bind(review.verified_purchase as i64)
        .bind(now)
        .execute(tx.conn())
        .await;
        match inserted {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => {
                return Err(AppError::conflict(
                    "input.productId: you have already reviewed this product",
                )
                .into())
            }
            Err(err) => return Err(AppError::from(err).into()),
        }
        let tally = ratings::apply(&mut tx, &review.product_id, Tally::one(rating)).await?;
        events::emit(svc, &mut tx, "review.created", &review, &tally).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(review)
    }

    /// Changes your own review; omitted fields stay. Someone else's review is `NOT_FOUND`.
    /// Emits `review.updated`.
    #[graphql(directive = authenticated::apply())]
    async fn update_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateReviewInput,
    ) -> Result<Review> {
        let caller = caller(ctx)?;
        let id = parse_id("id", &id)?;
        let rating = input
            .rating
            .map(|r| validate::rating("input.rating", r))
            .transpose()?;
        let title = input
            .title
            .map(|t| validate::text("input.title", &t, MAX_TITLE))
            .transpose()?;
        let body = input
            .body
            .map(|b| validate::optional_text("input.body", &b, MAX_BODY))
            .transpose()?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await?;
        let old = review::lock(&mut tx, &id)
            .await?
            .filter(|r| r.author_id == caller.user_id)
            .ok_or_else(|| AppError::not_found("id: you have no review with this id"))?;
        let review = Review {
            rating: rating.unwrap_or(old.rating),
            title: title.unwrap_or_else(|| old.title.clone()),
            body: body.unwrap_or_else(|| old.body.clone()),
            updated_at: now_millis().max(old.updated_at),
            ..old.clone()
        };
        sqlx::query(
            "UPDATE reviews SET rating = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(review.rating)
        .bind(&review.title)
        .bind(&review.body)
        .bind(review.updated_at)
        .bind(&id)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        let tally = if old.is_published() && review.rating != old.rating {
            let delta = Tally::one(review.rating).minus(Tally::one(old.rating));
            ratings::apply(&mut tx, &review.product_id, delta).await?
        } else {
            ratings::current(&mut tx, &review.product_id).await?
        };
        events::emit(svc, &mut tx, "review.updated", &review, &tally).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(review)
    }

    /// Deletes a review: its author or staff (anyone else gets `NOT_FOUND`). Returns its id.
    /// Emits `review.deleted`.
    #[graphql(directive = authenticated::apply())]
    async fn delete_review(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let caller = caller(ctx)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await?;
        let old = review::lock(&mut tx, &id)
            .await?
            .filter(|r| r.author_id == caller.user_id || caller.is_staff())
            .ok_or_else(|| AppError::not_found("id: you have no review with this id"))?;
        for sql in [
            "DELETE FROM review_votes WHERE review_id = $1",
            "DELETE FROM reviews WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(&id)
                .execute(tx.conn())
                .await
                .map_err(AppError::from)?;
        }
        let tally = if old.is_published() {
            ratings::apply(&mut tx, &old.product_id, Tally::one(old.rating).negated()).await?
        } else {
            ratings::current(&mut tx, &old.product_id).await?
        };
        events::emit(svc, &mut tx, "review.deleted", &old, &tally).await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(ID(id))
    }
}
