//! `ProductVariant`: the purchasable unit (SKU, option values, price, compare-at price, weight
//! and dimensions), its batched loaders (by id, by SKU, by product), and the staff mutations.
//! A price change emits `variant.price_changed` with the old and new price, and keeps the
//! product's "from" price (used by price sorts, filters and facets) current, in one transaction;
//! a new variant emits `variant.created` (it can lower that price), and every change emits
//! `variant.updated` with the variant's current SKU, price and weight (shipping rates by
//! weight). After each commit the product is refreshed in this instance's search engine.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::money::{Money, MoneyInput, MoneyObject};
use kit::schema::service;
use kit::{AppError, Db, Tx};
use serde_json::json;

use crate::attributes::{self, NameValue, NameValueInput};
use crate::products::{self, Product};
use crate::search;
use crate::sql::Sql;
use crate::validate;

const COLUMNS: &str = "id, product_id, sku, title, options, price_amount, currency, \
     compare_at_amount, weight_grams, length_mm, width_mm, height_mm, created_at, updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
struct VariantRow {
    id: String,
    product_id: String,
    sku: String,
    title: String,
    options: String,
    price_amount: i64,
    currency: String,
    compare_at_amount: Option<i64>,
    weight_grams: Option<i64>,
    length_mm: Option<i64>,
    width_mm: Option<i64>,
    height_mm: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// [`COLUMNS`] of a `variants v` joined onto another row (a list page's products).
pub const JOINED_COLUMNS: &str = "v.id, v.product_id, v.sku, v.title, v.options, v.price_amount, \
     v.currency, v.compare_at_amount, v.weight_grams, v.length_mm, v.width_mm, v.height_mm, \
     v.created_at, v.updated_at";

/// The variant of a `LEFT JOIN variants v` row ([`JOINED_COLUMNS`]), `None` when its product has
/// none.
pub fn read_joined(c: &mut kit::db::Columns<'_>) -> Result<Option<Variant>, sqlx::Error> {
    let Some(id) = c.next::<Option<String>>()? else {
        return Ok(None);
    };
    let mut next_text =
        || -> Result<String, sqlx::Error> { Ok(c.next::<Option<String>>()?.unwrap_or_default()) };
    let (product_id, sku, title, options) =
        (next_text()?, next_text()?, next_text()?, next_text()?);
    let price_amount = c.next::<Option<i64>>()?.unwrap_or_default();
    let currency = c.next::<Option<String>>()?.unwrap_or_default();
    let row = VariantRow {
        id,
        product_id,
        sku,
        title,
        options,
        price_amount,
        currency,
        compare_at_amount: c.next()?,
        weight_grams: c.next()?,
        length_mm: c.next()?,
        width_mm: c.next()?,
        height_mm: c.next()?,
        created_at: c.next::<Option<i64>>()?.unwrap_or_default(),
        updated_at: c.next::<Option<i64>>()?.unwrap_or_default(),
    };
    Variant::from_row(row)
        .map(Some)
        .map_err(|e| sqlx::Error::Decode(format!("variant row: {}", e.message()).into()))
}

impl kit::db::ReadRow for VariantRow {
    fn read(c: &mut kit::db::Columns<'_>) -> Result<Self, sqlx::Error> {
        Ok(VariantRow {
            id: c.next()?,
            product_id: c.next()?,
            sku: c.next()?,
            title: c.next()?,
            options: c.next()?,
            price_amount: c.next()?,
            currency: c.next()?,
            compare_at_amount: c.next()?,
            weight_grams: c.next()?,
            length_mm: c.next()?,
            width_mm: c.next()?,
            height_mm: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Dimensions {
    pub length_mm: i64,
    pub width_mm: i64,
    pub height_mm: i64,
}

#[derive(Debug, Clone, InputObject)]
pub struct DimensionsInput {
    pub length_mm: i64,
    pub width_mm: i64,
    pub height_mm: i64,
}

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, name = "ProductVariant", directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, None))]
pub struct Variant {
    pub id: ID,
    pub sku: String,
    pub title: String,
    /// Option values that tell this variant apart, e.g. size = M, colour = blue.
    pub options: Vec<NameValue>,
    pub weight_grams: Option<i64>,
    pub dimensions: Option<Dimensions>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub product_id: String,
    #[graphql(skip)]
    pub price: Money,
    #[graphql(skip)]
    pub compare_at: Option<Money>,
    /// The product, when it was already loaded (to check visibility), so `product` is free.
    #[graphql(skip)]
    pub loaded_product: Option<Box<Product>>,
}

impl Variant {
    fn from_row(r: VariantRow) -> Result<Variant, AppError> {
        let price = Money::from_stored(r.price_amount, &r.currency)?;
        let dimensions = match (r.length_mm, r.width_mm, r.height_mm) {
            (Some(length_mm), Some(width_mm), Some(height_mm)) => Some(Dimensions {
                length_mm,
                width_mm,
                height_mm,
            }),
            _ => None,
        };
        Ok(Variant {
            id: ID(r.id),
            sku: r.sku,
            title: r.title,
            options: attributes::from_json(&r.options),
            weight_grams: r.weight_grams,
            dimensions,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            product_id: r.product_id,
            compare_at: r.compare_at_amount.map(|m| Money::new(m, price.currency)),
            price,
            loaded_product: None,
        })
    }
}

#[ComplexObject]
impl Variant {
    async fn price(&self) -> MoneyObject {
        self.price.into()
    }

    /// The "was" price shown struck through, when set.
    async fn compare_at_price(&self) -> Option<MoneyObject> {
        self.compare_at.map(Into::into)
    }

    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        if let Some(p) = &self.loaded_product {
            return Ok(Some(p.as_ref().clone()));
        }
        Ok(products::load(ctx, &self.product_id).await?)
    }
}

async fn fetch(db: &Db, column: &str, keys: &[String]) -> Result<Vec<Variant>, AppError> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS} FROM variants WHERE {column} IN ("
    ));
    sql.bind_list(keys.iter()).push(") ORDER BY id");
    let rows: Vec<VariantRow> = sql.fetch_all(db).await?;
    rows.into_iter().map(Variant::from_row).collect()
}

/// Variants by id, one query per batch.
pub struct VariantsById {
    pub db: Db,
}

impl Loader<String> for VariantsById {
    type Value = Variant;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Variant>, AppError> {
        let list = fetch(&self.db, "id", ids).await?;
        Ok(list.into_iter().map(|v| (v.id.to_string(), v)).collect())
    }
}

/// Variants by SKU, one query per batch.
pub struct VariantsBySku {
    pub db: Db,
}

impl Loader<String> for VariantsBySku {
    type Value = Variant;
    type Error = AppError;

    async fn load(&self, skus: &[String]) -> Result<HashMap<String, Variant>, AppError> {
        let list = fetch(&self.db, "sku", skus).await?;
        Ok(list.into_iter().map(|v| (v.sku.clone(), v)).collect())
    }
}

/// Each product's variants, one query per batch of products.
pub struct VariantsByProduct {
    pub db: Db,
}

impl Loader<String> for VariantsByProduct {
    type Value = Vec<Variant>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<Variant>>, AppError> {
        let mut out: HashMap<String, Vec<Variant>> = HashMap::new();
        for v in fetch(&self.db, "product_id", ids).await? {
            out.entry(v.product_id.clone()).or_default().push(v);
        }
        Ok(out)
    }
}

pub async fn of_product(ctx: &Context<'_>, product_id: &str) -> Result<Vec<Variant>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<VariantsByProduct>>();
    Ok(loader
        .load_one(product_id.to_string())
        .await?
        .unwrap_or_default())
}

/// A variant is visible when its product is.
async fn visible(ctx: &Context<'_>, v: Option<Variant>) -> Result<Option<Variant>, AppError> {
    let Some(mut v) = v else { return Ok(None) };
    let Some(product) = products::load(ctx, &v.product_id).await? else {
        return Ok(None);
    };
    v.loaded_product = Some(Box::new(product));
    Ok(Some(v))
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Variant>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<VariantsById>>();
    visible(ctx, loader.load_one(id.to_string()).await?).await
}

pub async fn load_by_sku(ctx: &Context<'_>, sku: &str) -> Result<Option<Variant>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<VariantsBySku>>();
    visible(ctx, loader.load_one(sku.to_string()).await?).await
}

#[derive(Default)]
pub struct VariantQuery;

#[Object]
impl VariantQuery {
    /// A variant by id or by SKU (exactly one).
    async fn variant(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        sku: Option<String>,
    ) -> Result<Option<Variant>> {
        match (id, sku) {
            (Some(id), None) => match parse_id("id", &id) {
                Ok(id) => Ok(load(ctx, &id).await?),
                Err(_) => Ok(None),
            },
            (None, Some(sku)) => Ok(load_by_sku(ctx, sku.trim()).await?),
            _ => Err(AppError::bad_input("id", "give exactly one of id and sku").into()),
        }
    }
}

#[derive(Debug, InputObject)]
pub struct CreateVariantInput {
    pub product_id: ID,
    pub sku: String,
    /// Defaults to the option values ("M / Blue") or the SKU.
    pub title: Option<String>,
    pub options: Option<Vec<NameValueInput>>,
    pub price: MoneyInput,
    pub compare_at_price: Option<MoneyInput>,
    pub weight_grams: Option<i64>,
    pub dimensions: Option<DimensionsInput>,
}

#[derive(Debug, InputObject)]
pub struct UpdateVariantInput {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub options: Option<Vec<NameValueInput>>,
    pub price: Option<MoneyInput>,
    pub compare_at_price: Option<MoneyInput>,
    pub weight_grams: Option<i64>,
    pub dimensions: Option<DimensionsInput>,
}

fn sku(field: &str, raw: &str) -> Result<String, AppError> {
    let value = validate::text(field, raw, 64)?;
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            "may contain only letters, digits, '-', '_' and '.'",
        ))
    }
}

fn dimensions(field: &str, d: &DimensionsInput) -> Result<(i64, i64, i64), AppError> {
    Ok((
        validate::non_negative(&format!("{field}.lengthMm"), d.length_mm)?,
        validate::non_negative(&format!("{field}.widthMm"), d.width_mm)?,
        validate::non_negative(&format!("{field}.heightMm"), d.height_mm)?,
    ))
}

fn compare_at(
    field: &str,
    input: &Option<MoneyInput>,
    price: Money,
) -> Result<Option<Money>, AppError> {
    let Some(input) = input else { return Ok(None) };
    let m = input.parse(field)?;
    if m.currency != price.currency {
        return Err(AppError::bad_input(
            format!("{field}.currencyCode"),
            "must match the price's currency",
        ));
    }
    Ok(Some(m))
}

fn money_json(m: Money) -> serde_json::Value {
    json!({ "amount": m.amount_string(), "currencyCode": m.currency.code(), "minorUnits": m.minor })
}

/// Recomputes a product's lowest price from its variants, inside `tx`.
pub async fn refresh_price_from(tx: &mut Tx, product_id: &str) -> Result<(), AppError> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT price_amount, currency FROM variants WHERE product_id = $1 \
         ORDER BY price_amount ASC, id ASC LIMIT 1",
    )
    .bind(product_id)
    .fetch_optional(tx.conn())
    .await?;
    let (min, major, currency) = match row {
        Some((minor, code)) => {
            let m = Money::from_stored(minor, &code)?;
            (minor, minor / m.currency.scale(), Some(code))
        }
        None => (0, 0, None),
    };
    sqlx::query(
        "UPDATE products SET price_min = $1, price_major = $2, currency = $3 WHERE id = $4",
    )
    .bind(min)
    .bind(major)
    .bind(currency)
    .bind(product_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Other variants of the product must be priced in the same currency.
async fn check_currency(
    tx: &mut Tx,
    product_id: &str,
    except: &str,
    price: Money,
    field: &str,
) -> Result<(), AppError> {
    let other: Option<String> = sqlx::query_scalar(
        "SELECT currency FROM variants WHERE product_id = $1 AND id <> $2 LIMIT 1",
    )
    .bind(product_id)
    .bind(except)
    .fetch_optional(tx.conn())
    .await?;
    match other {
        Some(code) if code != price.currency.code() => Err(AppError::bad_input(
            format!("{field}.currencyCode"),
            format!("must be {code}, like the product's other variants"),
        )),
        _ => Ok(()),
    }
}

fn conflict_or(err: sqlx::Error, sku: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::conflict(format!("SKU \"{sku}\" is already in use"))
    } else {
        err.into()
    }
}

async fn by_id(db: &Db, id: &str) -> Result<Option<Variant>, AppError> {
    Ok(fetch(db, "id", &[id.to_string()]).await?.into_iter().next())
}

#[derive(Default)]
pub struct VariantMutation;

#[Object]
impl VariantMutation {
    /// Adds a variant to a product. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_variant(
        &self,
        ctx: &Context<'_>,
        input: CreateVariantInput,
    ) -> Result<Variant> {
        require_role(ctx, Role::Staff)?;
        let product_id = parse_id("input.productId", &input.product_id)?;
        let sku = sku("input.sku", &input.sku)?;
        let options = attributes::parse("input.options", input.options.as_deref().unwrap_or(&[]))?;
        let price = input.price.parse("input.price")?;
        let compare_at = compare_at("input.compareAtPrice", &input.compare_at_price, price)?;
        let weight = input
            .weight_grams
            .map(|w| validate::non_negative("input.weightGrams", w))
            .transpose()?;
        let dims = input
            .dimensions
            .as_ref()
            .map(|d| dimensions("input.dimensions", d))
            .transpose()?;
        let title = match &input.title {
            Some(t) => validate::text("input.title", t, 200)?,
            None if options.is_empty() => sku.clone(),
            None => options
                .iter()
                .map(|o| o.value.as_str())
                .collect::<Vec<_>>()
                .join(" / "),
        };

        let svc = service(ctx);
        let id = new_id();
        let now = now_millis();
        let mut tx = svc.db.begin().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM products WHERE id = $1")
            .bind(&product_id)
            .fetch_optional(tx.conn())
            .await?;
        if exists.is_none() {
            return Err(AppError::bad_input("input.productId", "no such product").into());
        }
        check_currency(&mut tx, &product_id, &id, price, "input.price").await?;
        sqlx::query(&format!(
            "INSERT INTO variants ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)"
        ))
        .bind(&id)
        .bind(&product_id)
        .bind(&sku)
        .bind(&title)
        .bind(attributes::to_json(&options))
        .bind(price.minor)
        .bind(price.currency.code())
        .bind(compare_at.map(|m| m.minor))
        .bind(weight)
        .bind(dims.map(|d| d.0))
        .bind(dims.map(|d| d.1))
        .bind(dims.map(|d| d.2))
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(|e| conflict_or(e, &sku))?;
        refresh_price_from(&mut tx, &product_id).await?;
        // Search (and anyone keeping prices) learns of the new lowest price from this.
        let event = svc.event(
            "variant.created",
            Some(id.clone()),
            json!({
                "variantId": id,
                "productId": product_id,
                "sku": sku,
                "price": money_json(price),
                "weightGrams": weight,
            }),
        );
        tx.emit(&event).await?;
        search::engine::expect_own(svc, &event);
        tx.commit().await?;
        search::engine::notify(svc, std::slice::from_ref(&product_id), &[&event]).await;
        Ok(by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("variant"))?)
    }

    /// Changes a variant and emits `variant.updated`; a new price also emits
    /// `variant.price_changed`. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateVariantInput,
    ) -> Result<Variant> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("no such variant"))?;
        let sku = match &input.sku {
            Some(s) => sku("input.sku", s)?,
            None => current.sku.clone(),
        };
        let title = match &input.title {
            Some(t) => validate::text("input.title", t, 200)?,
            None => current.title.clone(),
        };
        let options = match &input.options {
            Some(o) => attributes::parse("input.options", o)?,
            None => current.options.clone(),
        };
        let price = match &input.price {
            Some(p) => p.parse("input.price")?,
            None => current.price,
        };
        let compare_at = match &input.compare_at_price {
            Some(_) => compare_at("input.compareAtPrice", &input.compare_at_price, price)?,
            None => current
                .compare_at
                .map(|m| Money::new(m.minor, price.currency)),
        };
        let weight = match input.weight_grams {
            Some(w) => Some(validate::non_negative("input.weightGrams", w)?),
            None => current.weight_grams,
        };
        let dims = match &input.dimensions {
            Some(d) => Some(dimensions("input.dimensions", d)?),
            None => current
                .dimensions
                .as_ref()
                .map(|d| (d.length_mm, d.width_mm, d.height_mm)),
        };

        let mut tx = svc.db.begin().await?;
        check_currency(&mut tx, &current.product_id, &id, price, "input.price").await?;
        // Re-read the price under the write lock: the event must carry the price replaced.
        let (old_minor, old_code): (i64, String) =
            sqlx::query_as("SELECT price_amount, currency FROM variants WHERE id = $1")
                .bind(&id)
                .fetch_one(tx.conn())
                .await?;
        let old = Money::from_stored(old_minor, &old_code)?;
        sqlx::query(
            "UPDATE variants SET sku = $1, title = $2, options = $3, price_amount = $4, \
             currency = $5, compare_at_amount = $6, weight_grams = $7, length_mm = $8, \
             width_mm = $9, height_mm = $10, updated_at = $11 WHERE id = $12",
        )
        .bind(&sku)
        .bind(&title)
        .bind(attributes::to_json(&options))
        .bind(price.minor)
        .bind(price.currency.code())
        .bind(compare_at.map(|m| m.minor))
        .bind(weight)
        .bind(dims.map(|d| d.0))
        .bind(dims.map(|d| d.1))
        .bind(dims.map(|d| d.2))
        .bind(now_millis())
        .bind(&id)
        .execute(tx.conn())
        .await
        .map_err(|e| conflict_or(e, &sku))?;
        let mut events = Vec::new();
        if old != price {
            refresh_price_from(&mut tx, &current.product_id).await?;
            events.push(svc.event(
                "variant.price_changed",
                Some(id.clone()),
                json!({
                    "variantId": id,
                    "productId": current.product_id,
                    "sku": sku,
                    "oldPrice": money_json(old),
                    "newPrice": money_json(price),
                }),
            ));
        }
        events.push(svc.event(
            "variant.updated",
            Some(id.clone()),
            json!({
                "variantId": id,
                "productId": current.product_id,
                "sku": sku,
                "price": money_json(price),
                "weightGrams": weight,
            }),
        ));
        for event in &events {
            tx.emit(event).await?;
            search::engine::expect_own(svc, event);
        }
        tx.commit().await?;
        let product = std::slice::from_ref(&current.product_id);
        let events: Vec<&kit::events::Event> = events.iter().collect();
        search::engine::notify(svc, product, &events).await;
        Ok(by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("variant"))?)
    }
}
