//! Keyset pages of payments for staff, newest first: the cursor is the payment id (UUIDv7, so
//! time-ordered and unique) and a page is "ids below/above the cursor", never an OFFSET;
//! `totalCount` counts the same filter, only when selected.

use async_graphql::connection::Connection;
use kit::pagination::{Cursor, Total, Window};
use kit::{AppError, Db};

use crate::payment::{Payment, Row, COLUMNS};

/// `WHERE` clauses, each `column = ?` with its text value.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    equals: Vec<(&'static str, String)>,
}

impl Filter {
    /// Rows whose `column` (a constant) equals `value`.
    pub fn equal(&mut self, column: &'static str, value: String) {
        self.equals.push((column, value));
    }

    /// The clauses numbered from `$1`, and the next free placeholder.
    fn sql(&self) -> (String, usize) {
        let clauses: Vec<String> = self
            .equals
            .iter()
            .enumerate()
            .map(|(i, (column, _))| format!("{column} = ${}", i + 1))
            .collect();
        let sql = if clauses.is_empty() {
            "1 = 1".to_string()
        } else {
            clauses.join(" AND ")
        };
        (sql, self.equals.len() + 1)
    }
}

pub async fn page(
    db: &Db,
    filter: &Filter,
    window: &Window,
    want_total: bool,
) -> Result<Connection<Cursor, Payment, Total>, AppError> {
    let field = if window.backward { "before" } else { "after" };
    let cursor = window
        .cursor
        .as_deref()
        .map(|c| kit::ids::parse_id(field, c))
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
        "SELECT {COLUMNS} FROM payments WHERE {where_sql} ORDER BY id {dir} LIMIT ${limit_at}"
    );
    let mut query = sqlx::query_as::<_, Row>(&sql);
    for (_, value) in &filter.equals {
        query = query.bind(value.as_str());
    }
    if let Some(c) = &cursor {
        query = query.bind(c.as_str());
    }
    let rows = query.bind(window.fetch()).fetch_all(db.pool()).await?;
    let nodes = rows
        .into_iter()
        .map(Payment::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let total = if want_total {
        let (count_where, _) = filter.sql();
        let sql = format!("SELECT COUNT(*) FROM payments WHERE {count_where}");
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for (_, value) in &filter.equals {
            query = query.bind(value.as_str());
        }
        query.fetch_one(db.pool()).await?
    } else {
        0
    };
    Ok(window.connection(nodes, |p| p.id.clone(), total))
}
