//! `Asset`: one product image — its original object, two thumbnails, alt text and position in
//! the product's gallery. Lookups go through batching loaders: [`AssetsById`] for `Asset`
//! entities and [`MediaByProduct`] for a product's visible gallery, so a page of entities costs
//! one query per loader.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::{AppError, Db};

use crate::products::Product;
use crate::state::MediaState;

/// Columns of [`Row`], in order.
pub const COLUMNS: &str = "id, product_id, object_key, content_type, byte_size, width, height, \
                           small_key, medium_key, alt, position, created_at";
pub type Row = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub id: String,
    pub product_id: String,
    pub object_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub width: i64,
    pub height: i64,
    pub small_key: String,
    pub medium_key: String,
    pub alt: String,
    pub position: i64,
    pub created_at: i64,
}

impl Asset {
    pub fn from_row(row: Row) -> Asset {
        let (
            id,
            product_id,
            object_key,
            content_type,
            byte_size,
            width,
            height,
            small_key,
            medium_key,
            alt,
            position,
            created_at,
        ) = row;
        Asset {
            id,
            product_id,
            object_key,
            content_type,
            byte_size,
            width,
            height,
            small_key,
            medium_key,
            alt,
            position,
            created_at,
        }
    }

    /// Every object this asset references.
    pub fn keys(&self) -> [&str; 3] {
        [&self.object_key, &self.small_key, &self.medium_key]
    }
}

/// Thumbnail sizes: `SMALL` is 160 px wide, `MEDIUM` 480 px (never wider than the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum ThumbnailSize {
    #[default]
    Small,
    Medium,
}

/// A product image.
#[Object(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
impl Asset {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    /// The original as uploaded (immutable URL, cached for a year).
    async fn url(&self, ctx: &Context<'_>) -> String {
        MediaState::of(ctx).settings.object_url(&self.object_key)
    }

    async fn width(&self) -> i64 {
        self.width
    }

    async fn height(&self) -> i64 {
        self.height
    }

    /// Detected from the bytes (`image/jpeg`, `image/png`, `image/webp` or `image/gif`).
    async fn content_type(&self) -> &str {
        &self.content_type
    }

    /// Size of the original in bytes.
    async fn byte_size(&self) -> i64 {
        self.byte_size
    }

    /// Alternative text for screen readers.
    async fn alt(&self) -> &str {
        &self.alt
    }

    /// Place in the product's gallery, from 0.
    async fn position(&self) -> i64 {
        self.position
    }

    /// URL of a JPEG thumbnail.
    async fn thumbnail(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] size: ThumbnailSize,
    ) -> String {
        let key = match size {
            ThumbnailSize::Small => &self.small_key,
            ThumbnailSize::Medium => &self.medium_key,
        };
        MediaState::of(ctx).settings.object_url(key)
    }

    async fn product(&self) -> Product {
        Product {
            id: ID(self.product_id.clone()),
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
}

/// Assets by id: one query per batch.
pub struct AssetsById {
    pub db: Db,
}

impl Loader<String> for AssetsById {
    type Value = Asset;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Asset>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.0.clone(), Asset::from_row(row)))
            .collect())
    }
}

/// The visible gallery of each product (archived products show none), ordered by position:
/// one query per batch.
pub struct MediaByProduct {
    pub db: Db,
}

impl Loader<String> for MediaByProduct {
    type Value = Vec<Asset>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<Asset>>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM assets a WHERE a.product_id IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM product_status s WHERE s.product_id = a.product_id AND s.archived = 1) \
             ORDER BY a.product_id, a.position, a.id",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        let mut out: HashMap<String, Vec<Asset>> = HashMap::new();
        for row in rows {
            out.entry(row.1.clone())
                .or_default()
                .push(Asset::from_row(row));
        }
        Ok(out)
    }
}

/// One asset by id (batched with any others requested at the same time).
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Asset>, AppError> {
    ctx.data_unchecked::<DataLoader<AssetsById>>()
        .load_one(id.to_string())
        .await
}

/// A product's visible gallery (batched with any others requested at the same time).
pub async fn gallery(ctx: &Context<'_>, product_id: &str) -> Result<Vec<Asset>, AppError> {
    Ok(ctx
        .data_unchecked::<DataLoader<MediaByProduct>>()
        .load_one(product_id.to_string())
        .await?
        .unwrap_or_default())
}
