//! Collections: hand-picked product lists ("Summer sale") in a manual order. Staff create and
//! edit them and add or remove products; `collection.products` pages through them in order.
//! An entity (`@key(fields: "id")`) resolved in batches by [`CollectionsById`]. Membership
//! changes emit `collection.products_added` / `collection.products_removed`.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db};

use crate::listing;
use crate::products::Product;
use crate::sql::Sql;
use crate::validate;

const COLUMNS: &str = "id, title, slug, description";
type Row = (String, String, String, String);

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, name = "Collection", directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
pub struct Collection {
    pub id: ID,
    pub title: String,
    pub slug: String,
    pub description: String,
}

impl Collection {
    fn from_row(r: Row) -> Collection {
        Collection {
            id: ID(r.0),
            title: r.1,
            slug: r.2,
            description: r.3,
        }
    }
}

#[ComplexObject]
impl Collection {
    /// The collection's products in their manual order (published ones for the public).
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Product, Total>> {
        let listing = listing::manual(ctx, &self.id);
        Ok(listing::page(ctx, &listing, first, after, last, before).await?)
    }
}

/// Collections by id, one query per batch.
pub struct CollectionsById {
    pub db: Db,
}

impl Loader<String> for CollectionsById {
    type Value = Collection;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Collection>, AppError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM collections WHERE id IN ("));
        sql.bind_list(ids.iter()).push(")");
        let rows: Vec<Row> = sql.query_as().fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(Collection::from_row)
            .map(|c| (c.id.to_string(), c))
            .collect())
    }
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Collection>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<CollectionsById>>();
    loader.load_one(id.to_string()).await
}

async fn by(db: &Db, column: &str, key: &str) -> Result<Option<Collection>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM collections WHERE {column} = $1"
    ))
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Collection::from_row))
}

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// A collection by id or slug (exactly one).
    async fn collection(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Collection>> {
        let db = &service(ctx).db;
        match (id, slug) {
            (Some(id), None) => match parse_id("id", &id) {
                Ok(id) => Ok(by(db, "id", &id).await?),
                Err(_) => Ok(None),
            },
            (None, Some(slug)) => Ok(by(db, "slug", slug.trim()).await?),
            _ => Err(AppError::bad_input("id", "give exactly one of id and slug").into()),
        }
    }

    /// Every collection, oldest first.
    async fn collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Collection, Total>> {
        let window = Window::parse(first, after, last, before)?;
        let db = &service(ctx).db;
        let (cmp, dir) = if window.backward {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM collections"));
        if let Some(c) = &window.cursor {
            sql.push(&format!(" WHERE id {cmp} ")).bind(c);
        }
        sql.push(&format!(" ORDER BY id {dir} LIMIT "))
            .bind(window.fetch());
        let rows: Vec<Row> = sql.query_as().fetch_all(db.pool()).await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM collections")
            .fetch_one(db.pool())
            .await?;
        Ok(window.connection(
            rows.into_iter().map(Collection::from_row).collect(),
            |c| c.id.to_string(),
            total,
        ))
    }
}

#[derive(Debug, InputObject)]
pub struct CollectionInput {
    pub title: String,
    /// Defaults to one made from the title.
    pub slug: Option<String>,
    pub description: Option<String>,
}

fn slug_conflict(err: sqlx::Error, slug: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict(format!("collection slug \"{slug}\" is already in use"))
    } else {
        err.into()
    }
}

/// Records a membership change (`{collectionId, productIds}`) in the outbox, inside the
/// change's transaction, for subgraphs that scope by collection (discounts).
async fn emit_membership(
    svc: &kit::Service,
    tx: &mut kit::Tx,
    event_type: &str,
    collection: &Collection,
    product_ids: &[String],
) -> Result<(), AppError> {
    let id = collection.id.to_string();
    let data = serde_json::json!({ "collectionId": id, "productIds": product_ids });
    tx.emit(&svc.event(event_type, Some(id), data)).await?;
    Ok(())
}

fn parse_ids(field: &str, ids: &[ID]) -> Result<Vec<String>, AppError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(AppError::bad_input(field, "give 1 to 100 product ids"));
    }
    ids.iter()
        .enumerate()
        .map(|(i, id)| parse_id(&format!("{field}[{i}]"), id))
        .collect()
}

async fn require(db: &Db, id: &ID) -> Result<Collection, AppError> {
    let id = parse_id("collectionId", id)?;
    by(db, "id", &id)
        .await?
        .ok_or_else(|| AppError::not_found("no such collection"))
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        input: CollectionInput,
    ) -> Result<Collection> {
        require_role(ctx, Role::Staff)?;
        let title = validate::text("input.title", &input.title, 200)?;
        let slug = match &input.slug {
            Some(s) => validate::slug("input.slug", s)?,
            None => validate::slugify(&title),
        };
        let description = validate::optional_text(
            "input.description",
            input.description.as_deref().unwrap_or(""),
            5_000,
        )?;
        let db = &service(ctx).db;
        let id = new_id();
        sqlx::query(
            "INSERT INTO collections (id, title, slug, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(&title)
        .bind(&slug)
        .bind(&description)
        .bind(now_millis())
        .execute(db.pool())
        .await
        .map_err(|e| slug_conflict(e, &slug))?;
        Ok(require(db, &ID(id)).await?)
    }

    /// Changes title, slug or description. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CollectionInput,
    ) -> Result<Collection> {
        require_role(ctx, Role::Staff)?;
        let db = &service(ctx).db;
        let current = require(db, &id).await?;
        let title = validate::text("input.title", &input.title, 200)?;
        let slug = match &input.slug {
            Some(s) => validate::slug("input.slug", s)?,
            None => current.slug.clone(),
        };
        let description = match &input.description {
            Some(d) => validate::optional_text("input.description", d, 5_000)?,
            None => current.description.clone(),
        };
        sqlx::query(
            "UPDATE collections SET title = $1, slug = $2, description = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(&title)
        .bind(&slug)
        .bind(&description)
        .bind(now_millis())
        .bind(current.id.as_str())
        .execute(db.pool())
        .await
        .map_err(|e| slug_conflict(e, &slug))?;
        Ok(require(db, &current.id).await?)
    }

    /// Appends products to the end of the collection (ones already in it stay where they are).
    /// Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn add_products_to_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        product_ids: Vec<ID>,
    ) -> Result<Collection> {
        require_role(ctx, Role::Staff)?;
        let ids = parse_ids("productIds", &product_ids)?;
        let svc = service(ctx);
        let collection = require(&svc.db, &collection_id).await?;
        let mut tx = svc.db.begin().await?;
        let mut sql = Sql::new("SELECT id FROM products WHERE id IN (");
        sql.bind_list(ids.iter()).push(")");
        let found: Vec<(String,)> = sql.query_as().fetch_all(tx.conn()).await?;
        if let Some((i, _)) = ids
            .iter()
            .enumerate()
            .find(|(_, id)| !found.iter().any(|(f,)| f == *id))
        {
            return Err(AppError::bad_input(format!("productIds[{i}]"), "no such product").into());
        }
        let (max,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(position) FROM collection_products WHERE collection_id = $1",
        )
        .bind(collection.id.as_str())
        .fetch_one(tx.conn())
        .await?;
        let mut position = max.unwrap_or(0);
        for id in &ids {
            position += 1;
            sqlx::query(
                "INSERT INTO collection_products (collection_id, product_id, position) \
                 VALUES ($1, $2, $3) ON CONFLICT (collection_id, product_id) DO NOTHING",
            )
            .bind(collection.id.as_str())
            .bind(id)
            .bind(position)
            .execute(tx.conn())
            .await?;
        }
        emit_membership(svc, &mut tx, "collection.products_added", &collection, &ids).await?;
        tx.commit().await?;
        Ok(collection)
    }

    /// Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn remove_products_from_collection(
        &self,
        ctx: &Context<'_>,
        collection_id: ID,
        product_ids: Vec<ID>,
    ) -> Result<Collection> {
        require_role(ctx, Role::Staff)?;
        let ids = parse_ids("productIds", &product_ids)?;
        let svc = service(ctx);
        let collection = require(&svc.db, &collection_id).await?;
        let mut tx = svc.db.begin().await?;
        let mut sql = Sql::new("DELETE FROM collection_products WHERE collection_id = ");
        sql.bind(collection.id.as_str())
            .push(" AND product_id IN (")
            .bind_list(ids.iter())
            .push(")");
        sql.query().execute(tx.conn()).await?;
        emit_membership(
            svc,
            &mut tx,
            "collection.products_removed",
            &collection,
            &ids,
        )
        .await?;
        tx.commit().await?;
        Ok(collection)
    }
}
