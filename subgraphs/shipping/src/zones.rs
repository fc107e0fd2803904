//! Staff management of shipping zones: create, update, delete (refused while a method ships
//! to the zone), look up and list. Customers get `FORBIDDEN`, anonymous callers
//! `UNAUTHENTICATED`; a duplicate name (in any case) is a `CONFLICT`.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db};

use crate::zone::{self, Row, Zone, COLUMNS};
use crate::zone_spec::{CreateShippingZoneInput, UpdateShippingZoneInput, ZoneSpec};
use kit::listing::{self, Filter, Source};

#[derive(Default)]
pub struct ZoneQuery;

#[Object]
impl ZoneQuery {
    /// Shipping zones, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipping_zones(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Zone, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Zone>(
            &service(ctx).db,
            Source {
                table: "shipping_zones",
                columns: COLUMNS,
            },
            &Filter::default(),
            &window,
            want_total,
            Zone::from_row,
            |z| z.id.clone(),
        )
        .await?)
    }

    /// A zone by id; null when unknown. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipping_zone(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Zone>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(zone::by_id(&service(ctx).db, &id).await?)
    }
}

#[derive(Default)]
pub struct ZoneMutation;

#[Object]
impl ZoneMutation {
    /// Creates a zone. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_shipping_zone(
        &self,
        ctx: &Context<'_>,
        input: CreateShippingZoneInput,
    ) -> Result<Zone> {
        require_role(ctx, Role::Staff)?;
        let spec = ZoneSpec::create(&input)?;
        Ok(write(&service(ctx).db, &new_id(), &spec, true).await?)
    }

    /// Changes a zone; omitted fields stay. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_shipping_zone(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateShippingZoneInput,
    ) -> Result<Zone> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let db = &service(ctx).db;
        let current = zone::by_id(db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such shipping zone"))?;
        let spec = ZoneSpec::update(&current, &input)?;
        Ok(write(db, &id, &spec, false).await?)
    }

    /// Deletes a zone no method ships to (`CONFLICT` otherwise); returns its id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn delete_shipping_zone(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let db = &service(ctx).db;
        let mut tx = db.begin().await?;
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM method_zones WHERE zone_id = $1")
            .bind(&id)
            .fetch_one(tx.conn())
            .await?;
        if users > 0 {
            return Err(AppError::conflict(format!(
                "id: {users} shipping method(s) ship to this zone; remove it from them first"
            ))
            .into());
        }
        let deleted = sqlx::query("DELETE FROM shipping_zones WHERE id = $1")
            .bind(&id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(AppError::not_found("id: no such shipping zone").into());
        }
        tx.commit().await?;
        Ok(ID(id))
    }
}

/// Inserts (`creating`) or updates zone `id` from `spec` (also used by the demo seed).
pub async fn write(db: &Db, id: &str, spec: &ZoneSpec, creating: bool) -> Result<Zone, AppError> {
    let now = now_millis();
    let sql = if creating {
        "INSERT INTO shipping_zones (name, name_key, countries, regions, postal_prefixes, \
           rest_of_world, updated_at, id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)"
    } else {
        "UPDATE shipping_zones SET name = $1, name_key = $2, countries = $3, regions = $4, \
           postal_prefixes = $5, rest_of_world = $6, updated_at = $7 WHERE id = $8"
    };
    let json = |v: &Vec<String>| serde_json::Value::from(v.clone()).to_string();
    let result = sqlx::query(sql)
        .bind(&spec.name)
        .bind(spec.name.to_lowercase())
        .bind(json(&spec.countries))
        .bind(json(&spec.regions))
        .bind(json(&spec.postal_prefixes))
        .bind(spec.rest_of_world as i64)
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await;
    match result {
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::conflict(format!(
                "input.name: a shipping zone named {:?} already exists",
                spec.name
            )))
        }
        Err(err) => return Err(err.into()),
        Ok(done) if done.rows_affected() == 0 => {
            return Err(AppError::not_found("id: no such shipping zone"))
        }
        Ok(_) => {}
    }
    zone::by_id(db, id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("written zone vanished")))
}
