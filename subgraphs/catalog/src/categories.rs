//! The category tree: `Category` with parent, children, its path from the root and its
//! products (the whole subtree); batched loaders by id and by parent; staff mutations to create
//! and move/rename categories. Each row stores its materialised path ("/root/child/"), so a
//! subtree is one indexed prefix match and a move that would create a cycle is refused.
//! Creating or changing one emits `category.created` / `category.updated` (`{id, parentId,
//! slug, name}`), so subgraphs that scope by category (discounts) keep their own tree.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total};
use kit::schema::service;
use kit::{AppError, Db, Tx};

use crate::listing::{self, Listing, ProductFilter, ProductSort};
use crate::products::Product;
use crate::sql::Sql;
use crate::validate;

/// The row, and whether the category is a leaf (an indexed probe of `categories_by_parent` in
/// the same statement), so a leaf's product page needs no subtree read.
const COLUMNS: &str = "id, name, slug, parent_id, path, CAST(CASE WHEN EXISTS (SELECT 1 FROM \
                       categories k WHERE k.parent_id = categories.id) THEN 0 ELSE 1 END AS BIGINT)";

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, name = "Category", directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
pub struct Category {
    pub id: ID,
    pub name: String,
    pub slug: String,
    #[graphql(skip)]
    pub parent_id: Option<String>,
    #[graphql(skip)]
    pub path: String,
    /// No category below it (as read with the row).
    #[graphql(skip)]
    pub leaf: bool,
}

type Row = (String, String, String, Option<String>, String, i64);

impl Category {
    fn from_row(r: Row) -> Category {
        Category {
            id: ID(r.0),
            name: r.1,
            slug: r.2,
            parent_id: r.3,
            path: r.4,
            leaf: r.5 != 0,
        }
    }

    fn ancestor_ids(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[ComplexObject]
impl Category {
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        match &self.parent_id {
            Some(id) => Ok(load(ctx, id).await?),
            None => Ok(None),
        }
    }

    /// Direct sub-categories, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let loader = ctx.data_unchecked::<DataLoader<CategoriesByParent>>();
        Ok(loader
            .load_one(self.id.to_string())
            .await?
            .unwrap_or_default())
    }

    /// From the root down to this category (breadcrumbs).
    async fn path(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let ids = self.ancestor_ids();
        let loader = ctx.data_unchecked::<DataLoader<CategoriesById>>();
        let mut found = loader.load_many(ids.clone()).await?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// 0 for a root category.
    async fn depth(&self) -> i32 {
        self.ancestor_ids().len() as i32 - 1
    }

    /// Products in this category and every category below it.
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        sort: Option<ProductSort>,
    ) -> Result<Connection<Cursor, Product, Total>> {
        let filter = ProductFilter {
            category_id: Some(self.id.clone()),
            ..Default::default()
        };
        let mut listing = Listing::new(ctx, filter, sort, None)?;
        // A leaf's subtree is itself: the page is then the only statement.
        if self.leaf {
            listing.subtree = Some(vec![self.id.to_string()]);
        }
        Ok(listing::page(ctx, &listing, first, after, last, before).await?)
    }
}

async fn fetch(db: &Db, column: &str, keys: &[String]) -> Result<Vec<Category>, AppError> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM categories WHERE {column} IN ("
    ));
    sql.bind_list(keys.iter()).push(") ORDER BY name, id");
    let rows: Vec<Row> = sql.fetch_all(db).await?;
    Ok(rows.into_iter().map(Category::from_row).collect())
}

/// Categories by id, one query per batch.
pub struct CategoriesById {
    pub db: Db,
}

impl Loader<String> for CategoriesById {
    type Value = Category;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Category>, AppError> {
        let list = fetch(&self.db, "id", ids).await?;
        Ok(list.into_iter().map(|c| (c.id.to_string(), c)).collect())
    }
}

/// Children of many categories, one query per batch.
pub struct CategoriesByParent {
    pub db: Db,
}

impl Loader<String> for CategoriesByParent {
    type Value = Vec<Category>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<Category>>, AppError> {
        let mut out: HashMap<String, Vec<Category>> = HashMap::new();
        for c in fetch(&self.db, "parent_id", ids).await? {
            if let Some(parent) = c.parent_id.clone() {
                out.entry(parent).or_default().push(c);
            }
        }
        Ok(out)
    }
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Category>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<CategoriesById>>();
    loader.load_one(id.to_string()).await
}

async fn by_id(db: &Db, id: &str) -> Result<Option<Category>, AppError> {
    Ok(fetch(db, "id", &[id.to_string()]).await?.into_iter().next())
}

#[derive(Default)]
pub struct CategoryQuery;

#[Object]
impl CategoryQuery {
    /// A category by id or slug (exactly one).
    async fn category(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Option<Category>> {
        match (id, slug) {
            (Some(id), None) => match parse_id("id", &id) {
                Ok(id) => Ok(load(ctx, &id).await?),
                Err(_) => Ok(None),
            },
            (None, Some(slug)) => {
                let db = &service(ctx).db;
                Ok(fetch(db, "slug", &[slug.trim().to_string()])
                    .await?
                    .into_iter()
                    .next())
            }
            _ => Err(AppError::bad_input("id", "give exactly one of id and slug").into()),
        }
    }

    /// The top of the tree, by name.
    async fn root_categories(&self, ctx: &Context<'_>) -> Result<Vec<Category>> {
        let db = &service(ctx).db;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM categories WHERE parent_id IS NULL ORDER BY name, id"
        ))
        .fetch_all(db.pool())
        .await?;
        Ok(rows.into_iter().map(Category::from_row).collect())
    }
}

#[derive(Debug, InputObject)]
pub struct CreateCategoryInput {
    pub name: String,
    /// Defaults to one made from the name.
    pub slug: Option<String>,
    pub parent_id: Option<ID>,
}

#[derive(Debug, InputObject)]
pub struct UpdateCategoryInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    /// Moves the category (with its subtree) under this parent.
    pub parent_id: Option<ID>,
    /// Moves the category to the top of the tree.
    pub make_root: Option<bool>,
}

fn slug_conflict(err: sqlx::Error, slug: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict(format!("category slug \"{slug}\" is already in use"))
    } else {
        err.into()
    }
}

/// Records a category event in the outbox, inside the change's transaction.
async fn emit(
    svc: &kit::Service,
    tx: &mut Tx,
    event_type: &str,
    id: &str,
    parent: &Option<String>,
    slug: &str,
    name: &str,
) -> Result<(), AppError> {
    let data = serde_json::json!({ "id": id, "parentId": parent, "slug": slug, "name": name });
    tx.emit(&svc.event(event_type, Some(id.to_string()), data))
        .await?;
    Ok(())
}

async fn path_of(tx: &mut Tx, id: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT path FROM categories WHERE id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

#[derive(Default)]
pub struct CategoryMutation;

#[Object]
impl CategoryMutation {
    /// Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_category(
        &self,
        ctx: &Context<'_>,
        input: CreateCategoryInput,
    ) -> Result<Category> {
        require_role(ctx, Role::Staff)?;
        let name = validate::text("input.name", &input.name, 100)?;
        let slug = match &input.slug {
            Some(s) => validate::slug("input.slug", s)?,
            None => validate::slugify(&name),
        };
        let parent = input
            .parent_id
            .as_ref()
            .map(|p| parse_id("input.parentId", p))
            .transpose()?;
        let svc = service(ctx);
        let id = new_id();
        let now = now_millis();
        let mut tx = svc.db.begin().await?;
        let path = match &parent {
            Some(p) => {
                let parent_path = path_of(&mut tx, p)
                    .await?
                    .ok_or_else(|| AppError::bad_input("input.parentId", "no such category"))?;
                format!("{parent_path}{id}/")
            }
            None => format!("/{id}/"),
        };
        sqlx::query(
            "INSERT INTO categories (id, name, slug, parent_id, path, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(&name)
        .bind(&slug)
        .bind(&parent)
        .bind(&path)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(|e| slug_conflict(e, &slug))?;
        emit(svc, &mut tx, "category.created", &id, &parent, &slug, &name).await?;
        tx.commit().await?;
        Ok(by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("category"))?)
    }

    /// Renames or moves a category; a move under itself or its own descendant is refused.
    /// Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_category(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCategoryInput,
    ) -> Result<Category> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("no such category"))?;
        let name = match &input.name {
            Some(n) => validate::text("input.name", n, 100)?,
            None => current.name.clone(),
        };
        let slug = match &input.slug {
            Some(s) => validate::slug("input.slug", s)?,
            None => current.slug.clone(),
        };
        let make_root = input.make_root.unwrap_or(false);
        if make_root && input.parent_id.is_some() {
            return Err(
                AppError::bad_input("input.makeRoot", "cannot be combined with parentId").into(),
            );
        }
        let new_parent = input
            .parent_id
            .as_ref()
            .map(|p| parse_id("input.parentId", p))
            .transpose()?;

        let mut tx = svc.db.begin().await?;
        let old_path = path_of(&mut tx, &id)
            .await?
            .ok_or_else(|| AppError::not_found("no such category"))?;
        let (parent, new_path) = match (&new_parent, make_root) {
            (Some(p), _) => {
                let parent_path = path_of(&mut tx, p)
                    .await?
                    .ok_or_else(|| AppError::bad_input("input.parentId", "no such category"))?;
                if parent_path.starts_with(&old_path) {
                    return Err(AppError::bad_input(
                        "input.parentId",
                        "would put the category inside itself",
                    )
                    .into());
                }
                (Some(p.clone()), format!("{parent_path}{id}/"))
            }
            (None, true) => (None, format!("/{id}/")),
            (None, false) => (current.parent_id.clone(), old_path.clone()),
        };
        sqlx::query(
            "UPDATE categories SET name = $1, slug = $2, parent_id = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&name)
        .bind(&slug)
        .bind(&parent)
        .bind(now_millis())
        .bind(&id)
        .execute(tx.conn())
        .await
        .map_err(|e| slug_conflict(e, &slug))?;
        if new_path != old_path {
            // The whole subtree (this category included) gets the new prefix.
            sqlx::query(
                "UPDATE categories SET path = $1 || SUBSTR(path, CAST($2 AS INTEGER)) \
                 WHERE path LIKE $3",
            )
            .bind(&new_path)
            .bind(old_path.len() as i64 + 1)
            .bind(format!("{old_path}%"))
            .execute(tx.conn())
            .await?;
        }
        emit(svc, &mut tx, "category.updated", &id, &parent, &slug, &name).await?;
        tx.commit().await?;
        Ok(by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("category"))?)
    }
}
