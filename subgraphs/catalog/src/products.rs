//! The `Product` entity: its row, the batched loaders every lookup by id or slug goes through
//! (so `_entities` with N products is one query), its GraphQL fields, visibility (the public
//! sees published and archived products by key, lists show published only; staff see all) and
//! the `product` / `products` queries.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::optional_caller;
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::pagination::{Cursor, Total};
use kit::{AppError, Db};

use crate::attributes::{self, NameValue};
use crate::categories::{self, Category};
use crate::listing::{self, Listing, ProductFilter, ProductSort};
use crate::sql::Sql;
use crate::variants::{self, Variant};

pub const COLUMNS: &str = "p.id, p.title, p.slug, p.description, p.brand, p.status, \
     p.category_id, p.attributes, p.price_min, p.currency, p.created_at, p.updated_at, \
     p.published_at";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductStatus {
    Draft,
    Published,
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "DRAFT",
            ProductStatus::Published => "PUBLISHED",
            ProductStatus::Archived => "ARCHIVED",
        }
    }

    fn parse(raw: &str) -> ProductStatus {
        match raw {
            "PUBLISHED" => ProductStatus::Published,
            "ARCHIVED" => ProductStatus::Archived,
            _ => ProductStatus::Draft,
        }
    }
}

/// A product as [`COLUMNS`] reads it (names for sqlx's `Any` reads, order for the kit's typed
/// reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: String,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub brand: Option<String>,
    pub status: String,
    pub category_id: Option<String>,
    pub attributes: String,
    pub price_min: i64,
    pub currency: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl kit::db::ReadRow for ProductRow {
    fn read(c: &mut kit::db::Columns<'_>) -> Result<Self, sqlx::Error> {
        Ok(ProductRow {
            id: c.next()?,
            title: c.next()?,
            slug: c.next()?,
            description: c.next()?,
            brand: c.next()?,
            status: c.next()?,
            category_id: c.next()?,
            attributes: c.next()?,
            price_min: c.next()?,
            currency: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
            published_at: c.next()?,
        })
    }
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, name = "Product", directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
pub struct Product {
    pub id: ID,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub brand: Option<String>,
    pub status: ProductStatus,
    /// Descriptive name/value pairs, e.g. material = cotton.
    pub attributes: Vec<NameValue>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub category_id: Option<String>,
    #[graphql(skip)]
    pub price_min: i64,
    #[graphql(skip)]
    pub currency: Option<String>,
    #[graphql(skip)]
    pub created_ms: i64,
    /// The value this row was ordered by in a list (for its cursor).
    #[graphql(skip)]
    pub sort_key: i64,
    /// The variants, when the list that read this product read them in the same statement.
    #[graphql(skip)]
    pub variants_read: Option<std::sync::Arc<Vec<Variant>>>,
}

impl Product {
    pub fn from_row(row: ProductRow) -> Product {
        Product {
            id: ID(row.id),
            title: row.title,
            slug: row.slug,
            description: row.description,
            brand: row.brand,
            status: ProductStatus::parse(&row.status),
            attributes: attributes::from_json(&row.attributes),
            created_at: from_millis(row.created_at),
            updated_at: from_millis(row.updated_at),
            published_at: row.published_at.map(from_millis),
            category_id: row.category_id,
            price_min: row.price_min,
            currency: row.currency,
            created_ms: row.created_at,
            sort_key: 0,
            variants_read: None,
        }
    }

    pub fn uid(&self) -> &str {
        self.id.as_str()
    }

    /// Drafts are for staff only; published and archived products resolve for everyone
    /// (orders and carts keep referring to archived ones).
    pub fn visible_to(&self, ctx: &Context<'_>) -> bool {
        self.status != ProductStatus::Draft || is_staff(ctx)
    }
}

pub fn is_staff(ctx: &Context<'_>) -> bool {
    optional_caller(ctx).is_some_and(|c| c.is_staff())
}

#[ComplexObject]
impl Product {
    /// The category this product is filed under.
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        match &self.category_id {
            Some(id) => Ok(categories::load(ctx, id).await?),
            None => Ok(None),
        }
    }

    /// Purchasable variants, oldest first.
    async fn variants(&self, ctx: &Context<'_>) -> Result<Vec<Variant>> {
        if let Some(read) = &self.variants_read {
            return Ok(read.as_ref().clone());
        }
        Ok(variants::of_product(ctx, self.uid()).await?)
    }

    /// The lowest variant price ("from ..."), once the product has a variant.
    async fn price_from(&self) -> Result<Option<MoneyObject>> {
        match &self.currency {
            Some(code) => Ok(Some(Money::from_stored(self.price_min, code)?.into())),
            None => Ok(None),
        }
    }
}

/// Loads products by id in one `IN (...)` query per batch.
pub struct ProductsById {
    pub db: Db,
}

impl Loader<String> for ProductsById {
    type Value = Product;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Product>, AppError> {
        load_where(&self.db, "id", ids, |p| p.id.to_string()).await
    }
}

/// Loads products by slug in one `IN (...)` query per batch.
pub struct ProductsBySlug {
    pub db: Db,
}

impl Loader<String> for ProductsBySlug {
    type Value = Product;
    type Error = AppError;

    async fn load(&self, slugs: &[String]) -> Result<HashMap<String, Product>, AppError> {
        load_where(&self.db, "slug", slugs, |p| p.slug.clone()).await
    }
}

async fn load_where(
    db: &Db,
    column: &str,
    keys: &[String],
    key: impl Fn(&Product) -> String,
) -> Result<HashMap<String, Product>, AppError> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM products p WHERE p.{column} IN ("
    ));
    sql.bind_list(keys.iter()).push(")");
    let rows: Vec<ProductRow> = sql.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(Product::from_row)
        .map(|p| (key(&p), p))
        .collect())
}

/// A product by id through the loader, if it exists and the caller may see it.
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Product>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<ProductsById>>();
    Ok(loader
        .load_one(id.to_string())
        .await?
        .filter(|p| p.visible_to(ctx)))
}

pub async fn load_by_slug(ctx: &Context<'_>, slug: &str) -> Result<Option<Product>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<ProductsBySlug>>();
    Ok(loader
        .load_one(slug.to_string())
        .await?
        .filter(|p| p.visible_to(ctx)))
}

/// A product by id straight from the database (after a write), whatever its status.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<Product>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM products p WHERE p.id = $1");
    let row: Option<ProductRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Product::from_row))
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// A product by id or by slug (exactly one).
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Product>> {
        match (id, slug) {
            (Some(id), None) => match kit::ids::parse_id("id", &id) {
                Ok(id) => Ok(load(ctx, &id).await?),
                Err(_) => Ok(None),
            },
            (None, Some(slug)) => Ok(load_by_slug(ctx, slug.trim()).await?),
            _ => Err(AppError::bad_input("id", "give exactly one of id and slug").into()),
        }
    }

    /// Products, newest first by default. The public sees published products only; staff
    /// see every status and may filter by it.
    #[allow(clippy::too_many_arguments)]
    #[graphql(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilter>,
        sort: Option<ProductSort>,
    ) -> Result<Connection<Cursor, Product, Total>> {
        let listing = Listing::new(ctx, filter.unwrap_or_default(), sort, None)?;
        Ok(listing::page(ctx, &listing, first, after, last, before).await?)
    }
}
