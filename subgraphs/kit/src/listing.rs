//! Keyset pages for plain staff lists (coupons, promotions, shipping zones, methods,
//! shipments), newest first: the cursor is the row id (UUIDv7, so time-ordered and unique), a
//! page is "ids below/above the cursor", never an OFFSET; `totalCount` counts the same filter,
//! only when selected. Lists with their own sort keys (catalog, orders) page themselves.

use crate::pagination::{Cursor, Total, Window};
use crate::{AppError, Db};
use async_graphql::connection::Connection;
use sqlx::any::AnyRow;

/// A value bound to a filter clause.
#[derive(Debug, Clone)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// `WHERE` clauses with their values; clauses use `?` for "the next placeholder".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    /// Adds `clause`, whose single `?` stands for `value`.
    pub fn and(&mut self, clause: &str, value: Bind) {
        self.clauses.push(clause.to_string());
        self.binds.push(value);
    }

    /// Adds `column IN (...)` over `values` (one placeholder each); an empty list matches
    /// nothing. `column` is code, never client input.
    pub fn and_in(&mut self, column: &str, values: Vec<Bind>) {
        if values.is_empty() {
            self.clauses.push("1 = 0".into());
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.clauses.push(format!("{column} IN ({marks})"));
        self.binds.extend(values);
    }

    /// The clauses numbered from `$1`, and the next free placeholder number.
    fn sql(&self) -> (String, usize) {
        let mut out = Vec::new();
        let mut n = 1;
        for c in &self.clauses {
            let mut numbered = String::with_capacity(c.len() + 4);
            for ch in c.chars() {
                if ch == '?' {
                    numbered.push_str(&format!("${n}"));
                    n += 1;
                } else {
                    numbered.push(ch);
                }
            }
            out.push(numbered);
        }
        let sql = if out.is_empty() {
            "1 = 1".to_string()
        } else {
            out.join(" AND ")
        };
        (sql, n)
    }
}

fn bind_all<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_str()),
        };
    }
    query
}

/// The table listed and the columns a row is read from.
pub struct Source {
    pub table: &'static str,
    pub columns: &'static str,
}

/// One page of `source` under `filter` as a connection; `key` gives a row's id.
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
        .map(|c| crate::ids::parse_id(field, c))
        .transpose()?;
    let (mut where_sql, next) = filter.sql();
    let (op, dir) = if window.backward {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut limit_at = next;
    if cursor.is_some() {
        where_sql.push_str(&format!(" AND id {op} ${next}"));
        limit_at += 1;
    }
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE {where_sql} ORDER BY id {dir} LIMIT ${limit_at}"
    );
    let mut query = bind_all(sqlx::query_as::<_, R>(&sql), &filter.binds);
    if let Some(c) = &cursor {
        query = query.bind(c.as_str());
    }
    let rows = query.bind(window.fetch()).fetch_all(db.pool()).await?;
    let nodes = rows
        .into_iter()
        .map(convert)
        .collect::<Result<Vec<N>, _>>()?;
    let total = if want_total {
        let (count_where, _) = filter.sql();
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {count_where}");
        let query = bind_all(sqlx::query_as::<_, (i64,)>(&sql), &filter.binds);
        query.fetch_one(db.pool()).await?.0
    } else {
        0
    };
    Ok(window.connection(nodes, key, total))
}

#[cfg(test)]
mod tests {
    use super::{Bind, Filter};

    #[test]
    fn numbers_every_placeholder_in_order() {
        let mut f = Filter::default();
        f.and("active = ?", Bind::Int(1));
        f.and_in("kind", vec![Bind::Text("a".into()), Bind::Text("b".into())]);
        f.and("id < ?", Bind::Text("x".into()));
        assert_eq!(
            f.sql(),
            (
                "active = $1 AND kind IN ($2, $3) AND id < $4".to_string(),
                5
            )
        );
        let mut none = Filter::default();
        none.and_in("kind", vec![]);
        assert_eq!(none.sql(), ("1 = 0".to_string(), 1));
    }
}
