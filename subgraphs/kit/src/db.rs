//! The database handle: one sqlx `Any` pool over SQLite (embedded) or PostgreSQL (production),
//! so domain code writes one SQL dialect (`$1` placeholders, portable types) for both.
//!
//! Every statement a subgraph issues goes through [`Db::pool`], [`Db::fetch_all`] or
//! [`Tx::conn`], which count it; `/metrics` exposes the count so tests can prove that a batch
//! costs one query. Hot read paths use [`Db::fetch_all`] (`read`): typed rows on the backend's
//! own driver instead of `Any`.

mod read;

pub use read::{Column, Columns, Param, ReadRow};

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// The same database through the backend's own driver, for typed reads.
    reader: read::Reader,
    backend: Backend,
    statements: Arc<AtomicU64>,
    /// Woken after a commit that wrote outbox rows, so the relay publishes at once.
    outbox_wake: Arc<Notify>,
}

impl Db {
    /// Connects, creating the SQLite file (and its directory) or the PostgreSQL schema if needed.
    pub async fn connect(url: &str, schema: &str, max_connections: u32) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:");
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => {
                create_pg_schema(url, schema).await?;
                url.to_string()
            }
        };
        let options = AnyConnectOptions::from_str(&url).context("DATABASE_URL is malformed")?;
        let setup = match backend {
            Backend::Sqlite => "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;"
                .to_string(),
            Backend::Postgres => format!("SET search_path TO \"{schema}\""),
        };
        let max_connections = match backend {
            // SQLite serialises writers anyway; a few readers are plenty.
            Backend::Sqlite => max_connections.min(8),
            Backend::Postgres => max_connections,
        };
        let any_setup = setup.clone();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                let setup = any_setup.clone();
                Box::pin(async move {
                    conn.execute(setup.as_str()).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .context("cannot connect to the database")?;
        let reader = read::Reader::new(backend, &url, setup, max_connections)?;
        Ok(Db {
            pool,
            reader,
            backend,
            statements: Arc::default(),
            outbox_wake: Arc::default(),
        })
    }

    /// Applies `migrator`'s migrations. Several migrators (the kit's and the domain's) share
    /// one migrations table, so each ignores the versions that belong to the others.
    pub async fn migrate(&self, migrator: &Migrator) -> anyhow::Result<()> {
        let mut migrator = Migrator {
            ignore_missing: true,
            ..clone_migrator(migrator)
        };
        migrator.set_locking(self.backend == Backend::Postgres);
        migrator
            .run(&self.pool)
            .await
            .context("migrations failed")?;
        Ok(())
    }

    /// The pool, counting one statement. Use it for exactly one query.
    pub fn pool(&self) -> &AnyPool {
        self.statements.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }

    /// The pool without counting: for the kit's own bookkeeping (outbox relay, metrics), so the
    /// statement count reflects only work done for requests and consumers.
    pub fn background(&self) -> &AnyPool {
        &self.pool
    }

    /// Every row of one read statement (`$n` placeholders bound to `params` in order), decoded
    /// into `T` by the backend's own driver (see `read`); counts one statement.
    pub async fn fetch_all<T: ReadRow>(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<T>, sqlx::Error> {
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.reader.fetch_all(sql, params).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// concurrent writers queue on the busy timeout instead of failing on lock upgrade.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            statements: self.statements.clone(),
            outbox_wake: self.outbox_wake.clone(),
            emitted: false,
        })
    }

    pub fn outbox_wake(&self) -> Arc<Notify> {
        self.outbox_wake.clone()
    }

    /// Statements issued so far through this handle.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.pool.close().await;
    }
}

pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    statements: Arc<AtomicU64>,
    outbox_wake: Arc<Notify>,
    emitted: bool,
}

impl Tx {
    /// The transaction's connection, counting one statement.
    pub fn conn(&mut self) -> &mut AnyConnection {
        self.statements.fetch_add(1, Ordering::Relaxed);
        &mut self.inner
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await?;
        if self.emitted {
            self.outbox_wake.notify_one();
        }
        Ok(())
    }

    pub(crate) fn mark_emitted(&mut self) {
        self.emitted = true;
    }
}

/// `$from, $from+1, ...` for `n` bind parameters, e.g. for an `IN (...)` list.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn clone_migrator(m: &Migrator) -> Migrator {
    Migrator {
        migrations: m.migrations.clone(),
        ignore_missing: m.ignore_missing,
        locking: m.locking,
        no_tx: m.no_tx,
    }
}

/// Ensures the SQLite file's directory exists and asks sqlx to create the file.
fn prepare_sqlite_url(url: &str) -> anyhow::Result<String> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path != ":memory:" {
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        }
    }
    Ok(if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    })
}

async fn create_pg_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !schema.is_empty()
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "DATABASE_SCHEMA must be letters, digits and underscores"
    );
    let mut conn = AnyConnection::connect(url)
        .await
        .context("cannot connect to PostgreSQL")?;
    conn.execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}
