//! Typed reads for hot paths ([`Db::fetch_all`](super::Db::fetch_all)): one statement text
//! (`$n` placeholders) and one row type ([`ReadRow`], columns read in `SELECT` order) for both
//! databases, run without sqlx's `Any` layer.
//!
//! Why not through the `Any` pool: sqlx's SQLite driver runs each connection on its own thread
//! and sends every row to the async caller over a channel, so a 24-row page wakes the caller
//! and the connection thread back and forth (most of a cold listing's kernel time), and `Any`
//! then copies each row into an `AnyRow` before it is decoded. Here:
//!
//! - **SQLite**: a small pool of plain SQLite connections (rusqlite over the same bundled
//!   library) used on tokio's blocking threads: the statement runs there, its rows are decoded
//!   into `T` there, and the whole `Vec<T>` comes back in one hand-off. Each connection keeps
//!   its prepared statements (`prepare_cached`), so a repeated statement is compiled once.
//! - **PostgreSQL**: the backend's own sqlx pool (its connections also keep their prepared
//!   statements), rows decoded straight from the `PgRow`.
//!
//! Both pools open connections on first use, so a subgraph that never reads this way holds
//! none. Writes and all other reads keep using the `Any` pool.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use parking_lot::Mutex;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row};

use super::Backend;

/// A value bound to a `$n` placeholder of a typed read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl From<&String> for Param {
    fn from(v: &String) -> Self {
        Param::Text(v.clone())
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

/// A column type both drivers decode: `String`, `i64`, `f64`, `bool` and their `Option`s.
pub trait Column: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self>;
    fn from_pg(row: &PgRow, i: usize) -> Result<Self, sqlx::Error>;
}

impl<T> Column for T
where
    T: rusqlite::types::FromSql
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>,
{
    fn from_sqlite(row: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Self> {
        row.get(i)
    }

    fn from_pg(row: &PgRow, i: usize) -> Result<Self, sqlx::Error> {
        row.try_get(i)
    }
}

/// One row being read, column after column in `SELECT` order.
pub struct Columns<'a> {
    row: RowRef<'a>,
    next: usize,
}

enum RowRef<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a PgRow),
}

impl Columns<'_> {
    /// The next column's value.
    #[allow(clippy::should_implement_trait)]
    pub fn next<T: Column>(&mut self) -> Result<T, sqlx::Error> {
        let i = self.next;
        self.next += 1;
        match self.row {
            RowRef::Sqlite(row) => T::from_sqlite(row, i).map_err(sqlite_error),
            RowRef::Postgres(row) => T::from_pg(row, i),
        }
    }
}

/// A row type of a typed read: its fields taken from the columns in `SELECT` order.
pub trait ReadRow: Sized + Send + 'static {
    fn read(columns: &mut Columns<'_>) -> Result<Self, sqlx::Error>;
}

macro_rules! tuple_rows {
    ($($t:ident),+) => {
        impl<$($t: Column + Send + 'static),+> ReadRow for ($($t,)+) {
            fn read(columns: &mut Columns<'_>) -> Result<Self, sqlx::Error> {
                Ok(($(columns.next::<$t>()?,)+))
            }
        }
    };
}
tuple_rows!(A);
tuple_rows!(A, B);
tuple_rows!(A, B, C);
tuple_rows!(A, B, C, D);
tuple_rows!(A, B, C, D, E);
tuple_rows!(A, B, C, D, E, F);
tuple_rows!(A, B, C, D, E, F, G);
tuple_rows!(A, B, C, D, E, F, G, H);

fn sqlite_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("sqlite read: {e}"))
}

/// Plain SQLite connections kept for reuse (at most `max` idle).
pub(crate) struct SqliteConns {
    path: String,
    setup: String,
    idle: Mutex<Vec<rusqlite::Connection>>,
    max: usize,
    /// One permit per connection that may exist: reads beyond `max` wait here instead of
    /// opening more connections (each holds its own page and statement caches).
    permits: tokio::sync::Semaphore,
}

/// Statements each SQLite connection keeps compiled.
const CACHED_STATEMENTS: usize = 128;

impl SqliteConns {
    fn take(&self) -> rusqlite::Result<rusqlite::Connection> {
        if let Some(conn) = self.idle.lock().pop() {
            return Ok(conn);
        }
        let conn = rusqlite::Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.execute_batch(&self.setup)?;
        conn.set_prepared_statement_cache_capacity(CACHED_STATEMENTS);
        Ok(conn)
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        let mut idle = self.idle.lock();
        if idle.len() < self.max {
            idle.push(conn);
        }
    }

    /// Runs one statement on a pooled connection (a blocking call).
    fn fetch_all<T: ReadRow>(&self, sql: &str, params: &[Param]) -> Result<Vec<T>, sqlx::Error> {
        let conn = self.take().map_err(sqlite_error)?;
        let out = read_sqlite(&conn, sql, params);
        // A connection that failed mid-read is dropped rather than reused.
        if out.is_ok() {
            self.give_back(conn);
        }
        out
    }
}

fn read_sqlite<T: ReadRow>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
) -> Result<Vec<T>, sqlx::Error> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_error)?;
    // `$n` names its value (as sqlx binds it), whatever order the placeholders appear in.
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(i);
        let value = params.get(n - 1).ok_or_else(|| {
            sqlx::Error::Protocol(format!("sqlite read: no value for placeholder ${n}"))
        })?;
        match value {
            Param::Text(s) => stmt.raw_bind_parameter(i, s.as_str()),
            Param::Int(v) => stmt.raw_bind_parameter(i, *v),
        }
        .map_err(sqlite_error)?;
    }
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_error)? {
        let mut columns = Columns {
            row: RowRef::Sqlite(row),
            next: 0,
        };
        out.push(T::read(&mut columns)?);
    }
    Ok(out)
}

/// The backend's own connections, beside the `Any` pool.
#[derive(Clone)]
pub(crate) enum Reader {
    Sqlite(Arc<SqliteConns>),
    Postgres(PgPool),
}

impl Reader {
    /// Connections for `url` (already prepared by `Db::connect`), each set up by `setup` (the
    /// same session statements as the `Any` pool's); none is opened before the first read.
    pub(crate) fn new(
        backend: Backend,
        url: &str,
        setup: String,
        max_connections: u32,
    ) -> anyhow::Result<Reader> {
        Ok(match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path).to_string();
                anyhow::ensure!(
                    path != ":memory:" && !path.is_empty(),
                    "DATABASE_URL: SQLite needs a database file (every connection of an \
                     in-memory database would be a different, empty database)"
                );
                Reader::Sqlite(Arc::new(SqliteConns {
                    path,
                    setup,
                    idle: Mutex::new(Vec::new()),
                    max: max_connections as usize,
                    permits: tokio::sync::Semaphore::new(max_connections as usize),
                }))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(url).context("DATABASE_URL is malformed")?;
                Reader::Postgres(
                    PgPoolOptions::new()
                        .max_connections(max_connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_connect(move |conn, _| {
                            let setup = setup.clone();
                            Box::pin(async move {
                                conn.execute(setup.as_str()).await?;
                                Ok(())
                            })
                        })
                        .connect_lazy_with(options),
                )
            }
        })
    }

    pub(crate) async fn fetch_all<T: ReadRow>(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            Reader::Sqlite(conns) => {
                let _permit = conns
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| sqlx::Error::Protocol(format!("sqlite read: {e}")))?;
                let conns = conns.clone();
                let (sql, params) = (sql.to_string(), params.to_vec());
                tokio::task::spawn_blocking(move || conns.fetch_all(&sql, &params))
                    .await
                    .map_err(|e| sqlx::Error::Protocol(format!("sqlite read: {e}")))?
            }
            Reader::Postgres(pool) => {
                let mut query = sqlx::query(sql);
                for p in params {
                    query = match p {
                        Param::Text(s) => query.bind(s.as_str()),
                        Param::Int(i) => query.bind(*i),
                    };
                }
                let rows = query.fetch_all(pool).await?;
                rows.iter()
                    .map(|row| {
                        T::read(&mut Columns {
                            row: RowRef::Postgres(row),
                            next: 0,
                        })
                    })
                    .collect()
            }
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            Reader::Sqlite(conns) => conns.idle.lock().clear(),
            Reader::Postgres(pool) => pool.close().await,
        }
    }
}
