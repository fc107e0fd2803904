//! `auditLog` and `auditEntry`: the staff view of the log. Newest event first, keyset-paged on
//! the entry id (which carries the event's time); each filter has an index ending in the id,
//! and a time range is an id range on the primary key. Customers get `FORBIDDEN`, anonymous
//! callers `UNAUTHENTICATED`, bad filter input `BAD_USER_INPUT` naming the field.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{validate, AppError, Db};

use crate::chain::id_floor;
use crate::entry::{AuditEntry, Entry, Row, COLUMNS};

const MAX_TYPE: usize = 200;
const MAX_KEY: usize = 200;

#[derive(Debug, Clone, Default, InputObject)]
pub struct AuditLogFilter {
    /// Event types starting with this, e.g. `order.` (all order events) or `order.paid`.
    pub type_prefix: Option<String>,
    /// Events about this subject (usually an entity id).
    pub subject: Option<String>,
    /// Events caused by this actor (a user id, `guest` or `system`).
    pub actor: Option<String>,
    /// Events that happened at or after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    /// Text rather than `DateTime` so that a malformed value is a `BAD_USER_INPUT` naming
    /// `filter.from`, not a bare scalar parse error.
    pub from: Option<String>,
    /// Events that happened before this time (RFC 3339).
    pub to: Option<String>,
}

#[derive(Default)]
pub struct LogQuery;

#[Object]
impl LogQuery {
    /// The audit log, newest event first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, AuditEntry, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let db = &service(ctx).db;
        let sql = where_clause(db, &filter.unwrap_or_default()).await?;
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, AuditEntry>(
            db,
            Source {
                table: "audit_entries",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            |row| Entry::from_row(row).map(AuditEntry),
            |e| e.0.id.clone(),
        )
        .await?)
    }

    /// One entry by id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn audit_entry(&self, ctx: &Context<'_>, id: ID) -> Result<Option<AuditEntry>> {
        require_role(ctx, Role::Staff)?;
        let id = kit::ids::parse_id("id", &id)?;
        Ok(by_id(&service(ctx).db, &id).await?.map(AuditEntry))
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Entry>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_entries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Entry::from_row).transpose()
}

/// The filter as SQL over the indexed columns, validated field by field.
async fn where_clause(db: &Db, f: &AuditLogFilter) -> Result<Filter, AppError> {
    let mut sql = Filter::default();
    if let Some(prefix) =
        validate::optional("filter.typePrefix", f.type_prefix.as_deref(), MAX_TYPE)?
    {
        // The known types matching the prefix, exactly: the type index then serves an IN list.
        let types: Vec<String> = sqlx::query_scalar("SELECT event_type FROM audit_types")
            .fetch_all(db.pool())
            .await?;
        let matching = types
            .into_iter()
            .filter(|t| t.starts_with(&prefix))
            .map(Bind::Text)
            .collect();
        sql.and_in("event_type", matching);
    }
    if let Some(subject) = validate::optional("filter.subject", f.subject.as_deref(), MAX_KEY)? {
        sql.and("subject = ?", Bind::Text(subject));
    }
    if let Some(actor) = validate::optional("filter.actor", f.actor.as_deref(), MAX_KEY)? {
        sql.and("actor = ?", Bind::Text(actor));
    }
    let from = time("filter.from", f.from.as_deref())?;
    let to = time("filter.to", f.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(AppError::bad_input(
                "filter.to",
                "must be after filter.from",
            ));
        }
    }
    if let Some(from) = from {
        sql.and("id >= ?", Bind::Text(id_floor(from.timestamp_millis())));
    }
    if let Some(to) = to {
        sql.and("id < ?", Bind::Text(id_floor(to.timestamp_millis())));
    }
    Ok(sql)
}

/// An optional RFC 3339 time; blank is absent.
fn time(field: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, AppError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                AppError::bad_input(
                    field,
                    "must be an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z",
                )
            }),
    }
}
