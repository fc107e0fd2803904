//! The `Review` entity: its database row, its GraphQL shape with per-field visibility
//! (hidden reviews only for their author and staff; `hiddenReason` only for staff), the
//! batched lookup by id and the row lock the mutations take.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::auth::{optional_caller, require_role, Caller, Role};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::{AppError, Db, Tx};

use crate::products::Product;
use crate::users::User;

/// The columns every review query selects, in [`Row`] order.
pub const COLUMNS: &str = "id, product_id, author_id, rating, title, body, verified_purchase, \
                           helpful_count, status, hidden_reason, created_at, updated_at";

pub type Row = (
    String,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    i64,
    i64,
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReviewStatus {
    /// Visible to everyone and counted in the product's rating.
    Published,
    /// Withdrawn by staff: visible only to its author and staff, not counted.
    Hidden,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Published => "PUBLISHED",
            ReviewStatus::Hidden => "HIDDEN",
        }
    }

    fn parse(raw: &str) -> ReviewStatus {
        match raw {
            "HIDDEN" => ReviewStatus::Hidden,
            _ => ReviewStatus::Published,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Review {
    pub id: String,
    pub product_id: String,
    pub author_id: String,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub verified_purchase: bool,
    pub helpful_count: i64,
    pub status: ReviewStatus,
    pub hidden_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Review {
    pub fn from_row(r: Row) -> Review {
        Review {
            id: r.0,
            product_id: r.1,
            author_id: r.2,
            rating: r.3,
            title: r.4,
            body: r.5,
            verified_purchase: r.6 != 0,
            helpful_count: r.7,
            status: ReviewStatus::parse(&r.8),
            hidden_reason: r.9,
            created_at: r.10,
            updated_at: r.11,
        }
    }

    pub fn is_published(&self) -> bool {
        self.status == ReviewStatus::Published
    }

    /// Published reviews are public; hidden ones belong to their author and staff.
    pub fn visible_to(&self, caller: Option<&Caller>) -> bool {
        self.is_published() || caller.is_some_and(|c| c.user_id == self.author_id || c.is_staff())
    }
}

#[Object(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
impl Review {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    /// The reviewed product (owned by catalog).
    async fn product(&self) -> Product {
        Product {
            id: ID(self.product_id.clone()),
        }
    }

    /// Who wrote it (owned by accounts).
    async fn author(&self) -> User {
        User {
            id: ID(self.author_id.clone()),
        }
    }

    /// 1 to 5 stars.
    async fn rating(&self) -> i64 {
        self.rating
    }

    async fn title(&self) -> &str {
        &self.title
    }

    async fn body(&self) -> &str {
        &self.body
    }

    /// Whether the author had bought the product when writing the review.
    async fn verified_purchase(&self) -> bool {
        self.verified_purchase
    }

    /// How many users marked the review helpful.
    async fn helpful_count(&self) -> i64 {
        self.helpful_count
    }

    /// Only the author and staff can see a hidden review at all, so to anyone else every
    /// review they can read is `PUBLISHED`; no guard is needed (and none may null a list).
    async fn status(&self) -> ReviewStatus {
        self.status
    }

    /// Why staff hid it. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn hidden_reason(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        require_role(ctx, Role::Staff)?;
        Ok(self.hidden_reason.as_deref())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

/// Loads reviews by id in one `IN (…)` query per batch.
pub struct ReviewsById {
    pub db: Db,
}

impl Loader<String> for ReviewsById {
    type Value = Review;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Review>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM reviews WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.0.clone(), Review::from_row(r)))
            .collect())
    }
}

/// The review with this id if the caller may see it.
pub async fn visible(ctx: &Context<'_>, id: &str) -> Result<Option<Review>, AppError> {
    let found = ctx
        .data_unchecked::<DataLoader<ReviewsById>>()
        .load_one(id.to_string())
        .await?;
    Ok(found.filter(|r| r.visible_to(optional_caller(ctx))))
}

/// Reads one review outside the loaders (after a mutation committed).
pub async fn by_id(db: &Db, id: &str) -> Result<Option<Review>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM reviews WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Review::from_row))
}

/// Reads a review inside `tx` and locks its row until commit: a no-op UPDATE takes
/// PostgreSQL's row lock (portable, unlike `SELECT … FOR UPDATE`, which SQLite lacks; SQLite's
/// `BEGIN IMMEDIATE` already serialises writers). Concurrent changes to one review therefore
/// see each other's results, which keeps the rating arithmetic exact.
pub async fn lock(tx: &mut Tx, id: &str) -> Result<Option<Review>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE reviews SET updated_at = updated_at WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Review::from_row))
}
