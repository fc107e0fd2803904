//! `verifyAuditLog`: walks the chain over a range of recording time, recomputing each entry's
//! hash from its predecessor's, and reports the first entry that does not match (an edited
//! row), a gap in the positions (deleted rows), or a chain that stops short of its head
//! (deleted newest rows). It reads one snapshot, so concurrent appends and archival do not
//! show up as breaks. Where earlier entries were archived, the chain restarts from the anchor:
//! the hash of the last archived entry.

use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::db::Backend;
use kit::schema::service;
use kit::{AppError, Db};
use sqlx::Executor;

use crate::entry::{Entry, Row, COLUMNS};

const BATCH: i64 = 1000;

/// The outcome of a verification.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditVerification {
    /// True when every entry checked matches the chain.
    pub ok: bool,
    /// Entries checked (up to and including the first broken one).
    pub checked: i64,
    /// The first entry that does not match the chain, if any.
    pub first_broken_entry_id: Option<ID>,
    /// Why the chain is broken there.
    pub reason: Option<String>,
}

impl AuditVerification {
    fn broken(checked: i64, entry: Option<&Entry>, reason: String) -> Self {
        AuditVerification {
            ok: false,
            checked,
            first_broken_entry_id: entry.map(|e| ID(e.id.clone())),
            reason: Some(reason),
        }
    }
}

#[derive(Default)]
pub struct VerifyQuery;

#[Object]
impl VerifyQuery {
    /// Verifies the hash chain of the entries recorded in `[from, to)` (the whole log when
    /// omitted). Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn verify_audit_log(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<AuditVerification> {
        require_role(ctx, Role::Admin)?;
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                return Err(AppError::bad_input("to", "must be after from").into());
            }
        }
        let from = from.map(|t| t.timestamp_millis()).unwrap_or(i64::MIN);
        let to = to.map(|t| t.timestamp_millis());
        Ok(verify(&service(ctx).db, from, to).await?)
    }
}

/// Verifies the entries recorded in `[from, to)` (`to` `None`: up to the chain head).
pub async fn verify(db: &Db, from: i64, to: Option<i64>) -> Result<AuditVerification, AppError> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        // One snapshot for the whole walk (SQLite's read transaction is one already).
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
    }
    let (last_seq, last_hash, anchor_seq, anchor_hash): (i64, String, i64, String) =
        sqlx::query_as(
            "SELECT last_seq, last_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1",
        )
        .fetch_one(&mut *tx)
        .await?;
    let until = to.unwrap_or(i64::MAX);
    let start: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM audit_entries WHERE recorded_at >= $1 AND recorded_at < $2 \
         AND seq <= $3 ORDER BY recorded_at, seq LIMIT 1",
    )
    .bind(from)
    .bind(until)
    .bind(last_seq)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(start) = start else {
        // Nothing recorded in the range; with no upper bound the head must agree.
        if to.is_none() && from == i64::MIN && last_seq != anchor_seq {
            return Ok(AuditVerification::broken(
                0,
                None,
                format!(
                    "the chain head records {} entries after the anchor, none are present",
                    last_seq - anchor_seq
                ),
            ));
        }
        return Ok(ok(0));
    };
    // The hash the first entry chains to: the anchor, or its stored predecessor.
    let mut previous = if start - 1 == anchor_seq {
        Some(anchor_hash)
    } else {
        sqlx::query_scalar("SELECT hash FROM audit_entries WHERE seq = $1")
            .bind(start - 1)
            .fetch_optional(&mut *tx)
            .await?
    };
    // With no lower bound the walk must begin right after the anchor.
    if from == i64::MIN && start - 1 != anchor_seq {
        previous = None;
    }
    let mut expected_seq = start;
    let mut checked = 0i64;
    let mut last: Option<Entry> = None;
    loop {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM audit_entries WHERE seq >= $1 AND seq <= $2 \
             AND recorded_at < $3 ORDER BY seq LIMIT $4"
        ))
        .bind(expected_seq)
        .bind(last_seq)
        .bind(until)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let n = rows.len() as i64;
        for row in rows {
            let entry = Entry::from_row(row)?;
            checked += 1;
            if entry.seq != expected_seq {
                return Ok(AuditVerification::broken(
                    checked,
                    Some(&entry),
                    format!(
                        "{} entries before this one are missing",
                        entry.seq - expected_seq
                    ),
                ));
            }
            let Some(prev) = previous.as_deref() else {
                return Ok(AuditVerification::broken(
                    checked,
                    Some(&entry),
                    "the entry before this one is missing".into(),
                ));
            };
            if entry.chained_hash(prev) != entry.hash {
                return Ok(AuditVerification::broken(
                    checked,
                    Some(&entry),
                    "the entry's hash does not match its content and the previous entry's hash"
                        .into(),
                ));
            }
            expected_seq = entry.seq + 1;
            previous = Some(entry.hash.clone());
            last = Some(entry);
        }
        if n < BATCH {
            break;
        }
    }
    if to.is_none() {
        if let Some(last) = &last {
            if last.seq != last_seq || last.hash != last_hash {
                return Ok(AuditVerification::broken(
                    checked,
                    None,
                    format!(
                        "the chain ends at entry {} but its head records {} entries",
                        last.id,
                        last_seq - anchor_seq
                    ),
                ));
            }
        }
    }
    Ok(ok(checked))
}

fn ok(checked: i64) -> AuditVerification {
    AuditVerification {
        ok: true,
        checked,
        first_broken_entry_id: None,
        reason: None,
    }
}
