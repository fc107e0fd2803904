//! Staff mutations on products: create (as a draft), update, publish, archive. Each runs in one
//! transaction that also records its event (`product.created`, `product.updated`,
//! `product.archived`) in the outbox; once committed,
//! the product is refreshed in this instance's search engine before the mutation answers.

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Service, Tx};
use serde_json::json;

use crate::attributes::{self, NameValue, NameValueInput};
use crate::products::{self, Product, ProductStatus};
use crate::search::engine;
use crate::validate;

#[derive(Debug, InputObject)]
pub struct CreateProductInput {
    pub title: String,
    /// Defaults to one made from the title.
    pub slug: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    pub category_id: Option<ID>,
    pub attributes: Option<Vec<NameValueInput>>,
}

#[derive(Debug, InputObject)]
pub struct UpdateProductInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    /// An empty string clears the brand.
    pub brand: Option<String>,
    pub category_id: Option<ID>,
    pub attributes: Option<Vec<NameValueInput>>,
}

/// A product's editable fields after validation.
struct Fields {
    title: String,
    slug: String,
    description: String,
    brand: Option<String>,
    category_id: Option<String>,
    attributes: Vec<NameValue>,
}

fn brand(raw: &str) -> Result<Option<String>, AppError> {
    let b = validate::optional_text("input.brand", raw, 100)?;
    Ok((!b.is_empty()).then_some(b))
}

async fn check_category(tx: &mut Tx, id: &Option<String>) -> Result<(), AppError> {
    let Some(id) = id else { return Ok(()) };
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM categories WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::bad_input("input.categoryId", "no such category")),
    }
}

fn slug_conflict(err: sqlx::Error, slug: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict(format!("slug \"{slug}\" is already in use"))
    } else {
        err.into()
    }
}

async fn write_attributes(tx: &mut Tx, id: &str, attrs: &[NameValue]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM product_attributes WHERE product_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    if attrs.is_empty() {
        return Ok(());
    }
    let mut sql =
        crate::sql::Sql::new("INSERT INTO product_attributes (product_id, name, value) VALUES ");
    for (i, a) in attrs.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("(")
            .bind(id)
            .push(", ")
            .bind(&a.name)
            .push(", ")
            .bind(&a.value)
            .push(")");
    }
    sql.query().execute(tx.conn()).await?;
    Ok(())
}

fn summary(p: &Fields, id: &str, status: ProductStatus) -> serde_json::Value {
    json!({
        "id": id,
        "slug": p.slug,
        "title": p.title,
        "brand": p.brand,
        "categoryId": p.category_id,
        "status": status.as_str(),
    })
}

async fn reload(svc: &Service, id: &str) -> Result<Product, AppError> {
    products::by_id(&svc.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("no such product"))
}

/// Changes a product's status and records `event_type`.
async fn set_status(
    ctx: &Context<'_>,
    id: &ID,
    status: ProductStatus,
    event_type: &str,
) -> Result<Product, AppError> {
    require_role(ctx, Role::Staff)?;
    let id = parse_id("id", id)?;
    let svc = service(ctx);
    let mut tx = svc.db.begin().await?;
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT status, slug FROM products WHERE id = $1")
            .bind(&id)
            .fetch_optional(tx.conn())
            .await?;
    let Some((current, slug)) = row else {
        return Err(AppError::not_found("no such product"));
    };
    if current == status.as_str() {
        drop(tx);
        return reload(svc, &id).await;
    }
    if status == ProductStatus::Published {
        let variants: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE product_id = $1")
                .bind(&id)
                .fetch_one(tx.conn())
                .await?;
        if variants == 0 {
            return Err(AppError::bad_input(
                "id",
                "a product needs at least one variant before it can be published",
            ));
        }
    }
    let now = now_millis();
    sqlx::query(
        "UPDATE products SET status = $1, updated_at = $2, \
         published_at = COALESCE(published_at, $3) WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(now)
    .bind((status == ProductStatus::Published).then_some(now))
    .bind(&id)
    .execute(tx.conn())
    .await?;
    let event = svc.event(
        event_type,
        Some(id.clone()),
        json!({ "id": id, "slug": slug, "status": status.as_str(), "previousStatus": current, "changed": ["status"] }),
    );
    tx.emit(&event).await?;
    engine::expect_own(svc, &event);
    tx.commit().await?;
    engine::notify(svc, std::slice::from_ref(&id), &[&event]).await;
    reload(svc, &id).await
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Creates a draft product. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<Product> {
        require_role(ctx, Role::Staff)?;
        let title = validate::text("input.title", &input.title, 200)?;
        let slug = match &input.slug {
            Some(s) => validate::slug("input.slug", s)?,
            None => validate::slugify(&title),
        };
        let fields = Fields {
            description: validate::optional_text(
                "input.description",
                input.description.as_deref().unwrap_or(""),
                10_000,
            )?,
            brand: brand(input.brand.as_deref().unwrap_or(""))?,
            category_id: input
                .category_id
                .as_ref()
                .map(|c| parse_id("input.categoryId", c))
                .transpose()?,
            attributes: attributes::parse(
                "input.attributes",
                input.attributes.as_deref().unwrap_or(&[]),
            )?,
            title,
            slug,
        };
        let svc = service(ctx);
        let id = new_id();
        let now = now_millis();
        let mut tx = svc.db.begin().await?;
        check_category(&mut tx, &fields.category_id).await?;
        sqlx::query(
            "INSERT INTO products (id, title, slug, description, brand, status, category_id, \
             attributes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'DRAFT', $6, $7, $8, $8)",
        )
        .bind(&id)
        .bind(&fields.title)
        .bind(&fields.slug)
        .bind(&fields.description)
        .bind(&fields.brand)
        .bind(&fields.category_id)
        .bind(attributes::to_json(&fields.attributes))
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(|e| slug_conflict(e, &fields.slug))?;
        write_attributes(&mut tx, &id, &fields.attributes).await?;
        let event = svc.event(
            "product.created",
            Some(id.clone()),
            summary(&fields, &id, ProductStatus::Draft),
        );
        tx.emit(&event).await?;
        engine::expect_own(svc, &event);
        tx.commit().await?;
        engine::notify(svc, std::slice::from_ref(&id), &[&event]).await;
        Ok(reload(svc, &id).await?)
    }

    /// Changes a product's fields; omitted fields stay. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> Result<Product> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = products::by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("no such product"))?;
        let mut changed = Vec::new();
        let mut note = |name: &'static str, given: bool| {
            if given {
                changed.push(name)
            }
        };
        note("title", input.title.is_some());
        note("slug", input.slug.is_some());
        note("description", input.description.is_some());
        note("brand", input.brand.is_some());
        note("categoryId", input.category_id.is_some());
        note("attributes", input.attributes.is_some());
        let fields = Fields {
            title: match &input.title {
                Some(t) => validate::text("input.title", t, 200)?,
                None => current.title.clone(),
            },
            slug: match &input.slug {
                Some(s) => validate::slug("input.slug", s)?,
                None => current.slug.clone(),
            },
            description: match &input.description {
                Some(d) => validate::optional_text("input.description", d, 10_000)?,
                None => current.description.clone(),
            },
            brand: match &input.brand {
                Some(b) => brand(b)?,
                None => current.brand.clone(),
            },
            category_id: match &input.category_id {
                Some(c) => Some(parse_id("input.categoryId", c)?),
                None => current.category_id.clone(),
            },
            attributes: match &input.attributes {
                Some(a) => attributes::parse("input.attributes", a)?,
                None => current.attributes.clone(),
            },
        };
        let mut tx = svc.db.begin().await?;
        check_category(&mut tx, &fields.category_id).await?;
        sqlx::query(
            "UPDATE products SET title = $1, slug = $2, description = $3, brand = $4, \
             category_id = $5, attributes = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&fields.title)
        .bind(&fields.slug)
        .bind(&fields.description)
        .bind(&fields.brand)
        .bind(&fields.category_id)
        .bind(attributes::to_json(&fields.attributes))
        .bind(now_millis())
        .bind(&id)
        .execute(tx.conn())
        .await
        .map_err(|e| slug_conflict(e, &fields.slug))?;
        if input.attributes.is_some() {
            write_attributes(&mut tx, &id, &fields.attributes).await?;
        }
        let mut data = summary(&fields, &id, current.status);
        data["changed"] = json!(changed);
        let event = svc.event("product.updated", Some(id.clone()), data);
        tx.emit(&event).await?;
        engine::expect_own(svc, &event);
        tx.commit().await?;
        engine::notify(svc, std::slice::from_ref(&id), &[&event]).await;
        Ok(reload(svc, &id).await?)
    }

    /// Makes a product visible to the public (it needs a variant). Emits `product.updated`.
    #[graphql(requires_scopes = "staff")]
    async fn publish_product(&self, ctx: &Context<'_>, id: ID) -> Result<Product> {
        Ok(set_status(ctx, &id, ProductStatus::Published, "product.updated").await?)
    }

    /// Withdraws a product from lists and search; it still resolves by key (old orders).
    /// Emits `product.archived`.
    #[graphql(requires_scopes = "staff")]
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> Result<Product> {
        Ok(set_status(ctx, &id, ProductStatus::Archived, "product.archived").await?)
    }
}
