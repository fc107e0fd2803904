//! Order lists, served from the read model (never the write tables): a customer's
//! `myOrders`, `User.orders`, and staff `orders` with filters by status, customer, time placed
//! and a search by order number or email. Newest first, keyset-paginated on
//! `(placed_at, id)`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::auth::{caller, require_owner_or_staff, require_role, Role};
use kit::authz_directives::authenticated;
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db};

use crate::order::Order;
use crate::status::OrderStatus;
use crate::view::OrderView;

pub type OrderConnection = Connection<Cursor, Order, Total>;

const MAX_SEARCH: usize = 254;

/// Filters for a customer's own orders.
#[derive(InputObject, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// Placed at or after this time.
    pub placed_after: Option<DateTime<Utc>>,
    /// Placed before this time.
    pub placed_before: Option<DateTime<Utc>>,
}

/// Filters for staff.
#[derive(InputObject, Default)]
pub struct StaffOrderFilter {
    pub status: Option<OrderStatus>,
    pub customer_id: Option<ID>,
    pub placed_after: Option<DateTime<Utc>>,
    pub placed_before: Option<DateTime<Utc>>,
    /// An order number (exact, any case) or part of an email address.
    pub search: Option<String>,
}

/// A validated list request.
#[derive(Default)]
struct Query {
    customer_id: Option<String>,
    status: Option<OrderStatus>,
    after: Option<i64>,
    before: Option<i64>,
    search: Option<String>,
}

impl From<OrderFilter> for Query {
    fn from(f: OrderFilter) -> Query {
        Query {
            status: f.status,
            after: f.placed_after.map(|t| t.timestamp_millis()),
            before: f.placed_before.map(|t| t.timestamp_millis()),
            ..Query::default()
        }
    }
}

fn cursor_key(order: &Order) -> String {
    format!("{:015}:{}", order.0.placed_at, order.0.id)
}

fn parse_cursor(raw: &str, field: &str) -> Result<(i64, String), AppError> {
    raw.split_once(':')
        .and_then(|(t, id)| Some((t.parse().ok()?, id.to_string())))
        .ok_or_else(|| AppError::bad_input(field, "is not a valid cursor"))
}

/// Escapes `LIKE` wildcards in user text (with `ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

async fn list(db: &Db, query: Query, window: Window) -> Result<OrderConnection, AppError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let param = |binds: &mut Vec<Bind>, value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    if let Some(customer) = query.customer_id {
        let p = param(&mut binds, Bind::Text(customer));
        conditions.push(format!("customer_id = {p}"));
    }
    if let Some(status) = query.status {
        let p = param(&mut binds, Bind::Text(status.as_str().into()));
        conditions.push(format!("status = {p}"));
    }
    if let Some(after) = query.after {
        let p = param(&mut binds, Bind::Int(after));
        conditions.push(format!("placed_at >= {p}"));
    }
    if let Some(before) = query.before {
        let p = param(&mut binds, Bind::Int(before));
        conditions.push(format!("placed_at < {p}"));
    }
    if let Some(search) = query.search {
        let number = param(&mut binds, Bind::Text(search.to_ascii_uppercase()));
        let email = param(&mut binds, Bind::Text(like_pattern(&search.to_lowercase())));
        conditions.push(format!(
            "(number = {number} OR email LIKE {email} ESCAPE '\\')"
        ));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM order_read_model{filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = b.bind_scalar(count);
    }
    let total = count.fetch_one(db.pool()).await?;

    // Newest first: forward pages go down the (placed_at, id) order, backward pages up it.
    let (cmp, order) = if window.backward {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut page_conditions = conditions;
    if let Some(raw) = &window.cursor {
        let field = if window.backward { "before" } else { "after" };
        let (t, id) = parse_cursor(raw, field)?;
        let pt = param(&mut binds, Bind::Int(t));
        let pt2 = param(&mut binds, Bind::Int(t));
        let pid = param(&mut binds, Bind::Text(id));
        page_conditions.push(format!(
            "(placed_at {cmp} {pt} OR (placed_at = {pt2} AND id {cmp} {pid}))"
        ));
    }
    let limit = param(&mut binds, Bind::Int(window.fetch()));
    let where_clause = if page_conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", page_conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT document FROM order_read_model{where_clause} \
         ORDER BY placed_at {order}, id {order} LIMIT {limit}"
    );
    let mut rows = sqlx::query_scalar::<_, String>(&sql);
    for b in &binds {
        rows = b.bind_scalar(rows);
    }
    let documents = rows.fetch_all(db.pool()).await?;
    let orders = documents
        .iter()
        .map(|d| {
            serde_json::from_str::<OrderView>(d)
                .map(Order::new)
                .map_err(AppError::internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(window.connection(orders, cursor_key, total))
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Bind {
    fn bind_scalar<'q, O>(
        &'q self,
        q: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Bind::Text(t) => q.bind(t.as_str()),
            Bind::Int(i) => q.bind(*i),
        }
    }
}

fn check_range(after: Option<i64>, before: Option<i64>, field: &str) -> Result<(), AppError> {
    match (after, before) {
        (Some(a), Some(b)) if a >= b => Err(AppError::bad_input(
            field,
            "placedAfter must be earlier than placedBefore",
        )),
        _ => Ok(()),
    }
}

/// The orders of `customer_id`, for themself or staff.
pub async fn of_customer(
    ctx: &Context<'_>,
    customer_id: &str,
    filter: Option<OrderFilter>,
    window: Window,
) -> Result<OrderConnection, AppError> {
    let mut query = Query::from(filter.unwrap_or_default());
    check_range(query.after, query.before, "filter.placedBefore")?;
    query.customer_id = Some(customer_id.to_string());
    list(&service(ctx).db, query, window).await
}

#[derive(Default)]
pub struct ListingQuery;

#[Object]
impl ListingQuery {
    /// The signed-in customer's orders, newest first.
    #[graphql(directive = authenticated::apply())]
    async fn my_orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrderConnection> {
        let me = caller(ctx)?.user_id.clone();
        let window = Window::parse(first, after, last, before)?;
        Ok(of_customer(ctx, &me, filter, window).await?)
    }

    /// Every order, newest first, filtered. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<StaffOrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrderConnection> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let f = filter.unwrap_or_default();
        let search = match f.search.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.chars().count() > MAX_SEARCH => {
                return Err(AppError::bad_input(
                    "filter.search",
                    format!("must be at most {MAX_SEARCH} characters"),
                )
                .into())
            }
            Some(s) => Some(s.to_string()),
        };
        let query = Query {
            customer_id: f.customer_id.map(|c| c.to_string()),
            status: f.status,
            after: f.placed_after.map(|t| t.timestamp_millis()),
            before: f.placed_before.map(|t| t.timestamp_millis()),
            search,
        };
        check_range(query.after, query.before, "filter.placedBefore")?;
        Ok(list(&service(ctx).db, query, window).await?)
    }
}

/// `User` (owned by accounts) extended with their orders.
pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The user's orders, newest first. The user themself or staff (else `FORBIDDEN`).
    #[graphql(directive = authenticated::apply())]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrderConnection> {
        require_owner_or_staff(ctx, &self.id)?;
        let window = Window::parse(first, after, last, before)?;
        Ok(of_customer(ctx, &self.id, filter, window).await?)
    }
}
