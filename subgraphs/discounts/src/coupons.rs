//! Staff management of coupons: create, update, deactivate, look up by id or code, and the
//! filtered, keyset-paginated list. Customers get `FORBIDDEN`, anonymous callers
//! `UNAUTHENTICATED`; a duplicate code (in any case) is a `CONFLICT`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Service};
use serde_json::json;

use crate::coupon::{self, Coupon, Row, COLUMNS};
use crate::coupon_spec::{CouponSpec, CreateCouponInput, UpdateCouponInput};
use crate::validate;
use kit::listing::{self, Bind, Filter, Source};

#[derive(Debug, Clone, Default, InputObject)]
pub struct CouponFilter {
    pub active: Option<bool>,
    /// Codes starting with this (any case).
    pub code_prefix: Option<String>,
}

#[derive(Default)]
pub struct CouponQuery;

#[Object]
impl CouponQuery {
    /// Coupons, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn coupons(
        &self,
        ctx: &Context<'_>,
        filter: Option<CouponFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Coupon, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut sql = Filter::default();
        if let Some(active) = filter.active {
            sql.and("active = ?", Bind::Int(active as i64));
        }
        if let Some(prefix) = filter.code_prefix.as_deref().map(str::trim) {
            let prefix = prefix.to_ascii_uppercase();
            if prefix.len() > validate::MAX_CODE {
                return Err(AppError::bad_input(
                    "filter.codePrefix",
                    format!("must be at most {} characters", validate::MAX_CODE),
                )
                .into());
            }
            if !prefix.is_empty() {
                let n = prefix.len();
                sql.and(&format!("substr(code, 1, {n}) = ?"), Bind::Text(prefix));
            }
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Coupon>(
            &service(ctx).db,
            Source {
                table: "coupons",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            Coupon::from_row,
            |c| c.id.clone(),
        )
        .await?)
    }

    /// A coupon by id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn coupon(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Coupon>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(coupon::by_id(&service(ctx).db, &id).await?)
    }

    /// A coupon by code, in any case. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn coupon_by_code(&self, ctx: &Context<'_>, code: String) -> Result<Option<Coupon>> {
        require_role(ctx, Role::Staff)?;
        let code = validate::code("code", &code)?;
        Ok(coupon::by_code(&service(ctx).db, &code).await?)
    }
}

#[derive(Default)]
pub struct CouponMutation;

#[Object]
impl CouponMutation {
    /// Creates a coupon. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_coupon(&self, ctx: &Context<'_>, input: CreateCouponInput) -> Result<Coupon> {
        require_role(ctx, Role::Staff)?;
        let spec = CouponSpec::create(&input)?;
        Ok(create(service(ctx), &spec).await?)
    }

    /// Changes a coupon; omitted fields stay. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_coupon(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCouponInput,
    ) -> Result<Coupon> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = coupon::by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such coupon"))?;
        let spec = CouponSpec::update(&current, &input)?;
        Ok(write(svc, &id, &spec, "coupon.updated").await?)
    }

    /// Stops a coupon from applying (carts that have it show a notice). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn deactivate_coupon(&self, ctx: &Context<'_>, id: ID) -> Result<Coupon> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let current = coupon::by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such coupon"))?;
        let spec = CouponSpec::update(
            &current,
            &UpdateCouponInput {
                active: Some(false),
                ..Default::default()
            },
        )?;
        Ok(write(svc, &id, &spec, "coupon.updated").await?)
    }
}

/// Inserts a new coupon (also used by the demo seed).
pub async fn create(svc: &Service, spec: &CouponSpec) -> Result<Coupon, AppError> {
    let id = new_id();
    write(svc, &id, spec, "coupon.created").await
}

/// Writes `spec` as coupon `id` (insert when `event` is `coupon.created`), with its event.
async fn write(
    svc: &Service,
    id: &str,
    spec: &CouponSpec,
    event: &str,
) -> Result<Coupon, AppError> {
    let now = now_millis();
    let creating = event == "coupon.created";
    let sql = if creating {
        "INSERT INTO coupons (code, description, kind, percent_off, amount_off, amount_currency, \
           minimum_subtotal, minimum_currency, starts_at, ends_at, scope, scope_ids, usage_limit, \
           per_customer_limit, active, updated_at, id, created_at, uses) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $16, 0)"
    } else {
        "UPDATE coupons SET code = $1, description = $2, kind = $3, percent_off = $4, \
           amount_off = $5, amount_currency = $6, minimum_subtotal = $7, minimum_currency = $8, \
           starts_at = $9, ends_at = $10, scope = $11, scope_ids = $12, usage_limit = $13, \
           per_customer_limit = $14, active = $15, updated_at = $16 WHERE id = $17"
    };
    let mut tx = svc.db.begin().await?;
    let result = sqlx::query(sql)
        .bind(&spec.code)
        .bind(&spec.description)
        .bind(spec.kind.as_str())
        .bind(spec.percent_off)
        .bind(spec.amount_off.map(|m| m.minor))
        .bind(spec.amount_off.map(|m| m.currency.code()))
        .bind(spec.minimum.map(|m| m.minor))
        .bind(spec.minimum.map(|m| m.currency.code()))
        .bind(spec.starts_at)
        .bind(spec.ends_at)
        .bind(spec.scope.kind.as_str())
        .bind(spec.scope.ids_json())
        .bind(spec.usage_limit)
        .bind(spec.per_customer_limit)
        .bind(spec.active as i64)
        .bind(now)
        .bind(id)
        .execute(tx.conn())
        .await;
    match result {
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::conflict(format!(
                "input.code: a coupon with code {} already exists",
                spec.code
            )))
        }
        Err(err) => return Err(err.into()),
        Ok(_) => {}
    }
    let data = json!({ "couponId": id, "code": spec.code, "active": spec.active });
    tx.emit(&svc.event(event, Some(id.to_string()), data))
        .await?;
    tx.commit().await?;
    coupon::by_id(&svc.db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("written coupon vanished")))
}
