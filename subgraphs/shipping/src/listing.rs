//! Keyset pages for the staff lists (zones, methods, shipments), newest first: the cursor is
//! the row id (UUIDv7, so time-ordered and unique) and a page is "ids below (or above) the
//! cursor", never an OFFSET. `totalCount` counts the same filter, only when selected.

use async_graphql::connection::Connection;
use kit::pagination::{Cursor, Total, Window};
use kit::{AppError, Db};
use sqlx::any::AnyRow;

/// A value bound to a filter condition.
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// `WHERE` conditions, each with one `?` standing for its value.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    conditions: Vec<(&'static str, Bind)>,
}

impl Filter {
    /// Adds `condition`, whose single `?` stands for `value`.
    pub fn and(&mut self, condition: &'static str, value: Bind) {
        self.conditions.push((condition, value));
    }

    /// The conditions numbered from `$1`, and how many placeholders they use.
    fn sql(&self) -> (String, usize) {
        let clauses: Vec<String> = self
            .conditions
            .iter()
            .enumerate()
            .map(|(i, (c, _))| c.replacen('?', &format!("${}", i + 1), 1))
            .collect();
        let sql = if clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            clauses.join(" AND ")
        };
        (sql, self.conditions.len())
    }

    fn bind<'q, O>(
        &'q self,
        mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for (_, value) in &self.conditions {
            query = match value {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.as_str()),
            };
        }
        query
    }
}

/// The table listed and the columns a row is read from.
pub struct Source {
    pub table: &'static str,
    pub columns: &'static str,
}

/// One page of `source` (rows read as `R`) under `filter`, as a connection.
pub async fn page<R, N>(
    db: &Db,
    source: Source,
    filter: &Filter,
    window: &Window,
    want_total: bool,
    convert: impl Fn(R) -> Result<N, AppError>,
    key: impl Fn(&N) -> String,
) -> Result<Connection<Cursor, N, Total>, AppError>
where
    R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    N: async_graphql::OutputType,
{
    let Source { table, columns } = source;
    let field = if window.backward { "before" } else { "after" };
    let cursor = window
        .cursor
        .as_deref()
        .map(|c| kit::ids::parse_id(field, c))
        .transpose()?;
    let (mut conditions, used) = filter.sql();
    let (op, order) = if window.backward {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut next = used + 1;
    if cursor.is_some() {
        conditions.push_str(&format!(" AND id {op} ${next}"));
        next += 1;
    }
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {conditions} ORDER BY id {order} LIMIT ${next}"
    );
    let mut query = filter.bind(sqlx::query_as::<_, R>(&sql));
    if let Some(c) = &cursor {
        query = query.bind(c.as_str());
    }
    let rows = query.bind(window.fetch()).fetch_all(db.pool()).await?;
    let nodes = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<N>, _>>()?;
    let total = if want_total {
        let (conditions, _) = filter.sql();
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {conditions}");
        filter
            .bind(sqlx::query_as::<_, (i64,)>(&sql))
            .fetch_one(db.pool())
            .await?
            .0
    } else {
        0
    };
    Ok(window.connection(nodes, key, total))
}
