//! Staff management of automatic promotions: create, update, deactivate, look up and the
//! keyset-paginated list (lowest priority number applies first; see `engine` for stacking).

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Service};
use serde_json::json;

use crate::promotion::{self, Promotion, Row, COLUMNS};
use crate::promotion_spec::{CreatePromotionInput, PromotionSpec, UpdatePromotionInput};
use kit::listing::{self, Bind, Filter, Source};

#[derive(Debug, Clone, Default, InputObject)]
pub struct PromotionFilter {
    pub active: Option<bool>,
}

#[derive(Default)]
pub struct PromotionQuery;

#[Object]
impl PromotionQuery {
    /// Promotions, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn promotions(
        &self,
        ctx: &Context<'_>,
        filter: Option<PromotionFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Promotion, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let mut sql = Filter::default();
        if let Some(active) = filter.and_then(|f| f.active) {
            sql.and("active = ?", Bind::Int(active as i64));
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Promotion>(
            &service(ctx).db,
            Source {
                table: "promotions",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            Promotion::from_row,
            |p| p.id.clone(),
        )
        .await?)
    }

    /// A promotion by id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn promotion(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Promotion>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(promotion::by_id(&service(ctx).db, &id).await?)
    }
}

#[derive(Default)]
pub struct PromotionMutation;

#[Object]
impl PromotionMutation {
    /// Creates an automatic promotion. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_promotion(
        &self,
        ctx: &Context<'_>,
        input: CreatePromotionInput,
    ) -> Result<Promotion> {
        require_role(ctx, Role::Staff)?;
        let spec = PromotionSpec::create(&input)?;
        Ok(create(service(ctx), &spec).await?)
    }

    /// Changes a promotion; omitted fields stay. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_promotion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePromotionInput,
    ) -> Result<Promotion> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = promotion::by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such promotion"))?;
        let spec = PromotionSpec::update(&current, &input)?;
        Ok(write(svc, &id, &spec, "promotion.updated").await?)
    }

    /// Stops a promotion from applying. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn deactivate_promotion(&self, ctx: &Context<'_>, id: ID) -> Result<Promotion> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let mut current = promotion::by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such promotion"))?;
        current.active = false;
        let spec = spec_of(&current);
        Ok(write(svc, &id, &spec, "promotion.updated").await?)
    }
}

/// The stored promotion's spec, unchanged.
fn spec_of(p: &Promotion) -> PromotionSpec {
    PromotionSpec {
        title: p.title.clone(),
        kind: p.kind,
        percent_off: p.percent_off,
        amount_off: p.amount_off,
        minimum: p.minimum,
        buy_quantity: p.buy_quantity,
        get_quantity: p.get_quantity,
        priority: p.priority,
        combinable: p.combinable,
        scope: p.scope.clone(),
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        active: p.active,
    }
}

/// Inserts a new promotion (also used by the demo seed).
pub async fn create(svc: &Service, spec: &PromotionSpec) -> Result<Promotion, AppError> {
    write(svc, &new_id(), spec, "promotion.created").await
}

async fn write(
    svc: &Service,
    id: &str,
    spec: &PromotionSpec,
    event: &str,
) -> Result<Promotion, AppError> {
    let sql = if event == "promotion.created" {
        "INSERT INTO promotions (title, kind, percent_off, amount_off, amount_currency, \
           minimum_subtotal, minimum_currency, buy_quantity, get_quantity, priority, combinable, \
           scope, scope_ids, starts_at, ends_at, active, updated_at, id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $17)"
    } else {
        "UPDATE promotions SET title = $1, kind = $2, percent_off = $3, amount_off = $4, \
           amount_currency = $5, minimum_subtotal = $6, minimum_currency = $7, buy_quantity = $8, \
           get_quantity = $9, priority = $10, combinable = $11, scope = $12, scope_ids = $13, \
           starts_at = $14, ends_at = $15, active = $16, updated_at = $17 WHERE id = $18"
    };
    let mut tx = svc.db.begin().await?;
    sqlx::query(sql)
        .bind(&spec.title)
        .bind(spec.kind.as_str())
        .bind(spec.percent_off)
        .bind(spec.amount_off.map(|m| m.minor))
        .bind(spec.amount_off.map(|m| m.currency.code()))
        .bind(spec.minimum.map(|m| m.minor))
        .bind(spec.minimum.map(|m| m.currency.code()))
        .bind(spec.buy_quantity)
        .bind(spec.get_quantity)
        .bind(spec.priority)
        .bind(spec.combinable as i64)
        .bind(spec.scope.kind.as_str())
        .bind(spec.scope.ids_json())
        .bind(spec.starts_at)
        .bind(spec.ends_at)
        .bind(spec.active as i64)
        .bind(now_millis())
        .bind(id)
        .execute(tx.conn())
        .await?;
    let data = json!({ "promotionId": id, "title": spec.title, "active": spec.active });
    tx.emit(&svc.event(event, Some(id.to_string()), data))
        .await?;
    tx.commit().await?;
    promotion::by_id(&svc.db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("written promotion vanished")))
}
