//! A small builder for the dynamic SQL that listing, search and facets share: text with `$n`
//! placeholders numbered as values are bound, so fragments (filters, the text match, keyset
//! predicates) compose into one portable statement for SQLite and PostgreSQL. Hot reads run
//! it with [`Sql::fetch_all`] (the kit's typed reads); the rest through sqlx's `Any` pool.

use kit::db::ReadRow;
use kit::Db;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::QueryAs;
use sqlx::{Any, FromRow};

/// A bound value: the kit's typed-read parameter, so a statement built here runs either way.
pub use kit::db::Param as Bind;

#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    /// Appends `$a, $b, ...` for every value.
    pub fn bind_list<T: Into<Bind>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self
    }

    /// Every row, through the kit's typed reads (one statement).
    pub async fn fetch_all<T: ReadRow>(&self, db: &Db) -> Result<Vec<T>, sqlx::Error> {
        db.fetch_all(&self.text, &self.binds).await
    }

    pub fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, AnyRow>,
    {
        let mut query = sqlx::query_as::<_, T>(&self.text);
        for b in &self.binds {
            query = match b {
                Bind::Text(s) => query.bind(s.as_str()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }

    pub fn query(&self) -> sqlx::query::Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for b in &self.binds {
            query = match b {
                Bind::Text(s) => query.bind(s.as_str()),
                Bind::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::Sql;

    #[test]
    fn numbers_placeholders_in_bind_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind("x")
            .push(" AND b IN (")
            .bind_list([1i64, 2])
            .push(")");
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
    }
}
