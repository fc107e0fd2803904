//! Warehouses: where stock is kept. Staff create and list them; every lookup by id goes
//! through [`WarehousesById`], so resolving many at once is one query.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{from_millis, new_id, now_millis};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db};

use kit::db::placeholders as params;

const COLUMNS: &str = "id, code, name, created_at";
type Row = (String, String, String, i64);

#[derive(Debug, Clone, SimpleObject)]
pub struct Warehouse {
    pub id: ID,
    /// Short unique code, upper case (e.g. `BER-1`).
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl Warehouse {
    fn from_row((id, code, name, created_at): Row) -> Warehouse {
        Warehouse {
            id: ID(id),
            code,
            name,
            created_at: from_millis(created_at),
        }
    }
}

#[derive(InputObject)]
pub struct CreateWarehouseInput {
    pub code: String,
    pub name: String,
}

/// Parses a warehouse code: 1–32 letters, digits, `-` or `_`, stored upper case.
fn parse_code(raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.is_empty() || code.len() > 32 {
        return Err(AppError::bad_input(
            "input.code",
            "must be 1 to 32 characters",
        ));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::bad_input(
            "input.code",
            "may contain only letters, digits, '-' and '_'",
        ));
    }
    Ok(code)
}

fn parse_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.name",
            "must be 1 to 200 characters",
        ));
    }
    Ok(name.to_string())
}

#[derive(Default)]
pub struct WarehouseQuery;

#[Object]
impl WarehouseQuery {
    /// A warehouse by id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn warehouse(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Warehouse>> {
        require_role(ctx, Role::Staff)?;
        let id = kit::ids::parse_id("id", &id)?;
        Ok(load(ctx, &id).await?)
    }

    /// All warehouses, oldest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn warehouses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Warehouse, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let db = &service(ctx).db;
        let (op, order) = if window.backward {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let rows: Vec<Row> = match &window.cursor {
            Some(cursor) => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM warehouses WHERE id {op} $1 ORDER BY id {order} LIMIT $2"
                ))
                .bind(cursor)
                .bind(window.fetch())
                .fetch_all(db.pool())
                .await
            }
            None => {
                sqlx::query_as(&format!(
                    "SELECT {COLUMNS} FROM warehouses ORDER BY id {order} LIMIT $1"
                ))
                .bind(window.fetch())
                .fetch_all(db.pool())
                .await
            }
        }
        .map_err(AppError::from)?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM warehouses")
            .fetch_one(db.pool())
            .await
            .map_err(AppError::from)?;
        let list = rows.into_iter().map(Warehouse::from_row).collect();
        Ok(window.connection(list, |w: &Warehouse| w.id.to_string(), total))
    }
}

#[derive(Default)]
pub struct WarehouseMutation;

#[Object]
impl WarehouseMutation {
    /// Creates a warehouse. Staff only; codes are unique (`CONFLICT` otherwise).
    #[graphql(requires_scopes = "staff")]
    async fn create_warehouse(
        &self,
        ctx: &Context<'_>,
        input: CreateWarehouseInput,
    ) -> Result<Warehouse> {
        require_role(ctx, Role::Staff)?;
        let code = parse_code(&input.code)?;
        let name = parse_name(&input.name)?;
        let warehouse = Warehouse {
            id: ID(new_id()),
            code,
            name,
            created_at: from_millis(now_millis()),
        };
        let db = &service(ctx).db;
        let inserted = sqlx::query(
            "INSERT INTO warehouses (id, code, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(warehouse.id.as_str())
        .bind(&warehouse.code)
        .bind(&warehouse.name)
        .bind(warehouse.created_at.timestamp_millis())
        .execute(db.pool())
        .await;
        match inserted {
            Ok(_) => Ok(warehouse),
            Err(err) if is_unique_violation(&err) => Err(AppError::conflict(format!(
                "a warehouse with code {} already exists",
                warehouse.code
            ))
            .into()),
            Err(err) => Err(AppError::from(err).into()),
        }
    }
}

/// Loads warehouses by id in one `IN (…)` query per batch.
pub struct WarehousesById {
    pub db: Db,
}

impl Loader<String> for WarehousesById {
    type Value = Warehouse;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Warehouse>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM warehouses WHERE id IN ({})",
            params(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.0.clone(), Warehouse::from_row(r)))
            .collect())
    }
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Warehouse>, AppError> {
    ctx.data_unchecked::<DataLoader<WarehousesById>>()
        .load_one(id.to_string())
        .await
}

/// Whether the warehouse exists (inside a transaction).
pub async fn exists(tx: &mut kit::Tx, id: &str) -> Result<bool, AppError> {
    let found: Option<String> = sqlx::query_scalar("SELECT id FROM warehouses WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(found.is_some())
}
