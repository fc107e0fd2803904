//! Retention: entries recorded longer ago than `AUDIT_RETENTION_DAYS` are written as JSON lines
//! to a file under the archive directory, and only then deleted, in a periodic job. Recording
//! order is chain order, so what expires is always the oldest stretch of the chain: the hash of
//! its last entry becomes the anchor verification restarts from, and the archived lines keep
//! every field the hash covers, so the archive can be verified on its own.
//!
//! Also `exportAuditLog` (admin): the same JSON lines for a range of recording time.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::now_millis;
use kit::schema::service;
use kit::{AppError, Db};

use crate::entry::{Entry, Row, COLUMNS};
use crate::settings::Settings;

/// Entries archived per transaction.
const BATCH: i64 = 1000;
/// Largest export one request returns.
pub const MAX_EXPORT: i64 = 10_000;

/// Archives and deletes every entry recorded before `now - retention`. Returns how many.
pub async fn run(db: &Db, settings: &Settings) -> anyhow::Result<usize> {
    let Some(retention) = settings.retention else {
        return Ok(0);
    };
    let cutoff = now_millis() - retention.as_millis() as i64;
    let mut archived = 0;
    loop {
        let n = archive_batch(db, &settings.archive_dir, cutoff).await?;
        archived += n;
        if n < BATCH as usize {
            return Ok(archived);
        }
    }
}

/// One batch: lock the chain head (so archivers on several instances take turns), write the
/// oldest expired entries to their file, delete them, move the anchor.
async fn archive_batch(db: &Db, dir: &Path, cutoff: i64) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let (anchor_seq,): (i64,) = sqlx::query_as(
        "UPDATE audit_chain SET anchor_seq = anchor_seq WHERE id = 1 RETURNING anchor_seq",
    )
    .fetch_one(tx.conn())
    .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_entries WHERE seq > $1 AND recorded_at < $2 \
         ORDER BY seq LIMIT $3"
    ))
    .bind(anchor_seq)
    .bind(cutoff)
    .bind(BATCH)
    .fetch_all(tx.conn())
    .await?;
    let entries = rows
        .into_iter()
        .map(Entry::from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::into_anyhow)?;
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return Ok(0);
    };
    if first.seq != anchor_seq + 1 {
        tracing::warn!(
            anchor_seq,
            first_seq = first.seq,
            "audit archive: entries after the anchor are missing"
        );
    }
    // The file is complete and on disk before the rows go. A batch whose commit failed left a
    // file starting at the same position; it is replaced, so no entry is archived twice.
    let prefix = format!("audit-{:020}-", first.seq);
    remove_files_starting(dir, &prefix)?;
    let path = dir.join(format!("{prefix}{:020}.jsonl", last.seq));
    write_lines(&path, &entries)?;
    sqlx::query("DELETE FROM audit_entries WHERE seq > $1 AND seq <= $2")
        .bind(anchor_seq)
        .bind(last.seq)
        .execute(tx.conn())
        .await?;
    sqlx::query("UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    tracing::info!(file = %path.display(), entries = entries.len(), "audit entries archived");
    Ok(entries.len())
}

/// One JSON object per line, in chain order.
pub fn json_lines(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&serde_json::to_string(e).expect("entries serialise"));
        out.push('\n');
    }
    out
}

/// Removes the archive files in `dir` whose names start with `prefix`.
fn remove_files_starting(dir: &Path, prefix: &str) -> anyhow::Result<()> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Ok(()); // no directory yet
    };
    for entry in listing {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes `entries` to `path` atomically (a temporary file, synced, then renamed).
fn write_lines(path: &Path, entries: &[Entry]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let tmp: PathBuf = path.with_extension("jsonl.tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(json_lines(entries).as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// The entries recorded in `[from, to)` as JSON lines in chain order (the archive's format:
    /// every field the hash covers, `data` as its stored JSON text). At most 10000 entries.
    /// Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn export_audit_log(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<String> {
        require_role(ctx, Role::Admin)?;
        if to <= from {
            return Err(AppError::bad_input("to", "must be after from").into());
        }
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_entries WHERE recorded_at >= $1 AND recorded_at < $2 \
             ORDER BY recorded_at, seq LIMIT $3"
        ))
        .bind(from.timestamp_millis())
        .bind(to.timestamp_millis())
        .bind(MAX_EXPORT + 1)
        .fetch_all(service(ctx).db.pool())
        .await
        .map_err(AppError::from)?;
        if rows.len() as i64 > MAX_EXPORT {
            return Err(AppError::bad_input(
                "to",
                format!("the range holds more than {MAX_EXPORT} entries; narrow it"),
            )
            .into());
        }
        let entries = rows
            .into_iter()
            .map(Entry::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json_lines(&entries))
    }
}
