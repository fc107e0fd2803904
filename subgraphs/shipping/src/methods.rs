//! Staff management of shipping methods: create, update (zones and rates replaced when
//! given), delete, look up and list (filtered by active and zone). Customers get `FORBIDDEN`,
//! anonymous callers `UNAUTHENTICATED`; a duplicate name (in any case) is a `CONFLICT`, an
//! unknown zone a `BAD_USER_INPUT` naming its `input.zoneIds[i]`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::db::placeholders;
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db, Tx};

use crate::method::{self, Method, Row, COLUMNS};
use crate::method_spec::{
    CreateShippingMethodInput, Current, MethodSpec, UpdateShippingMethodInput,
};
use kit::listing::{self, Bind, Filter, Source};

#[derive(Debug, Clone, Default, InputObject)]
pub struct ShippingMethodFilter {
    pub active: Option<bool>,
    /// Methods shipping to this zone.
    pub zone_id: Option<ID>,
}

#[derive(Default)]
pub struct MethodQuery;

#[Object]
impl MethodQuery {
    /// Shipping methods, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipping_methods(
        &self,
        ctx: &Context<'_>,
        filter: Option<ShippingMethodFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Method, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut sql = Filter::default();
        if let Some(active) = filter.active {
            sql.and("active = ?", Bind::Int(active as i64));
        }
        if let Some(zone) = &filter.zone_id {
            let zone = parse_id("filter.zoneId", zone)?;
            sql.and(
                "id IN (SELECT method_id FROM method_zones WHERE zone_id = ?)",
                Bind::Text(zone),
            );
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Method>(
            &service(ctx).db,
            Source {
                table: "shipping_methods",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            Method::from_row,
            |m| m.id.clone(),
        )
        .await?)
    }

    /// A method by id; null when unknown. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipping_method(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Method>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(method::by_id(&service(ctx).db, &id).await?)
    }
}

#[derive(Default)]
pub struct MethodMutation;

#[Object]
impl MethodMutation {
    /// Creates a method. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_shipping_method(
        &self,
        ctx: &Context<'_>,
        input: CreateShippingMethodInput,
    ) -> Result<Method> {
        require_role(ctx, Role::Staff)?;
        let spec = MethodSpec::create(&input)?;
        Ok(write(&service(ctx).db, &new_id(), &spec, true).await?)
    }

    /// Changes a method; omitted fields stay. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_shipping_method(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateShippingMethodInput,
    ) -> Result<Method> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let db = &service(ctx).db;
        let mut offers = method::offers(db, Some(&id)).await?;
        let Some(offer) = offers.pop() else {
            return Err(AppError::not_found("id: no such shipping method").into());
        };
        let spec = MethodSpec::update(
            Current {
                method: &offer.method,
                zone_ids: &offer.zone_ids,
                rates: &offer.rates,
            },
            &input,
        )?;
        Ok(write(db, &id, &spec, false).await?)
    }

    /// Deletes a method (shipments keep their copy of it); returns its id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn delete_shipping_method(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let db = &service(ctx).db;
        let mut tx = db.begin().await?;
        // Children first: nothing relies on the databases' cascade settings.
        for sql in [
            "DELETE FROM method_rates WHERE method_id = $1",
            "DELETE FROM method_zones WHERE method_id = $1",
        ] {
            sqlx::query(sql).bind(&id).execute(tx.conn()).await?;
        }
        let deleted = sqlx::query("DELETE FROM shipping_methods WHERE id = $1")
            .bind(&id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(AppError::not_found("id: no such shipping method").into());
        }
        tx.commit().await?;
        Ok(ID(id))
    }
}

/// Inserts (`creating`) or updates method `id` from `spec` with its zones and rates, in one
/// transaction (also used by the demo seed).
pub async fn write(
    db: &Db,
    id: &str,
    spec: &MethodSpec,
    creating: bool,
) -> Result<Method, AppError> {
    let mut tx = db.begin().await?;
    check_zones(&mut tx, &spec.zone_ids).await?;
    let sql = if creating {
        "INSERT INTO shipping_methods (name, name_key, carrier, active, days_min, days_max, \
           updated_at, id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)"
    } else {
        "UPDATE shipping_methods SET name = $1, name_key = $2, carrier = $3, active = $4, \
           days_min = $5, days_max = $6, updated_at = $7 WHERE id = $8"
    };
    let result = sqlx::query(sql)
        .bind(&spec.name)
        .bind(spec.name.to_lowercase())
        .bind(&spec.carrier)
        .bind(spec.active as i64)
        .bind(spec.days_min)
        .bind(spec.days_max)
        .bind(now_millis())
        .bind(id)
        .execute(tx.conn())
        .await;
    match result {
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::conflict(format!(
                "input.name: a shipping method named {:?} already exists",
                spec.name
            )))
        }
        Err(err) => return Err(err.into()),
        Ok(done) if done.rows_affected() == 0 => {
            return Err(AppError::not_found("id: no such shipping method"))
        }
        Ok(_) => {}
    }
    for sql in [
        "DELETE FROM method_zones WHERE method_id = $1",
        "DELETE FROM method_rates WHERE method_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(tx.conn()).await?;
    }
    for zone in &spec.zone_ids {
        sqlx::query(
            "INSERT INTO method_zones (method_id, zone_id) VALUES ($1, $2) \
             ON CONFLICT (method_id, zone_id) DO NOTHING",
        )
        .bind(id)
        .bind(zone)
        .execute(tx.conn())
        .await?;
    }
    for rate in &spec.rates {
        sqlx::query(
            "INSERT INTO method_rates (method_id, currency, kind, amount, per_kg, \
               max_weight_grams, free_above) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(rate.currency.code())
        .bind(rate.kind.as_str())
        .bind(rate.amount)
        .bind(rate.per_kg)
        .bind(rate.max_weight_grams)
        .bind(rate.free_above)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    method::by_id(db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("written method vanished")))
}

/// Fails naming the first of `ids` (by input position) that is no zone.
async fn check_zones(tx: &mut Tx, ids: &[String]) -> Result<(), AppError> {
    let sql = format!(
        "SELECT id FROM shipping_zones WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let found = query.fetch_all(tx.conn()).await?;
    match ids.iter().position(|id| !found.contains(id)) {
        Some(i) => Err(AppError::bad_input(
            format!("input.zoneIds[{i}]"),
            "no such shipping zone",
        )),
        None => Ok(()),
    }
}
