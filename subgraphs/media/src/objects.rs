//! Reference counts of stored objects (`media_objects`): how many asset slots (original, small
//! and medium thumbnail) point at each content-addressed object. Several assets share objects
//! (identical uploads, the demo seed), so an object may be removed only when its count is zero.
//!
//! Every change takes the count row's lock (PostgreSQL row lock; SQLite's single writer), which
//! is what makes removal safe against a concurrent upload of the same bytes: the remover deletes
//! the zero-count row and the object while holding that lock, and whoever adds a reference to a
//! row that was absent or at zero re-checks that the object is stored.

use std::collections::{BTreeMap, HashSet};

use kit::db::placeholders;
use kit::{Db, Tx};

use crate::store::MediaStore;

/// Each distinct key with how often it occurs, in key order (so concurrent transactions lock
/// rows in the same order).
fn counted<'a>(keys: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, i64> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Adds one reference per occurrence of each key, in one statement. Returns the keys that had
/// no references before: a removal may just have taken their object away, so the caller must
/// make sure those are stored before committing.
pub async fn add_refs<'a>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, sqlx::Error> {
    let counts = counted(keys);
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<String> = (0..counts.len())
        .map(|i| format!("({})", placeholders(i * 2 + 1, 2)))
        .collect();
    let sql = format!(
        "INSERT INTO media_objects (object_key, refs) VALUES {} \
         ON CONFLICT (object_key) DO UPDATE SET refs = media_objects.refs + excluded.refs \
         RETURNING object_key, refs",
        values.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
    for (key, n) in &counts {
        query = query.bind(*key).bind(*n);
    }
    let rows = query.fetch_all(tx.conn()).await?;
    // A count equal to what was just added means there was none before.
    Ok(rows
        .into_iter()
        .filter(|(key, refs)| counts.get(key.as_str()) == Some(refs))
        .map(|(key, _)| key)
        .collect())
}

/// Removes one reference per occurrence of each key. Returns the keys left without any: the
/// caller removes them with [`remove_unreferenced`] after committing.
pub async fn release_refs<'a>(
    tx: &mut Tx,
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut orphaned = Vec::new();
    for (key, n) in counted(keys) {
        let left: Option<i64> = sqlx::query_scalar(
            "UPDATE media_objects SET refs = refs - $1 WHERE object_key = $2 RETURNING refs",
        )
        .bind(n)
        .bind(key)
        .fetch_optional(tx.conn())
        .await?;
        // No row: an object this table never counted (e.g. seeded before counting) is kept.
        if left.is_some_and(|refs| refs <= 0) {
            orphaned.push(key.to_string());
        }
    }
    Ok(orphaned)
}

/// Removes each object whose count is still zero, one transaction per object so the count
/// row stays locked while the object goes. An object that gained a reference meanwhile is kept;
/// one whose removal fails stays counted at zero (invisible, and reused by the next upload of
/// the same bytes).
pub async fn remove_unreferenced(db: &Db, store: &MediaStore, keys: &[String]) -> usize {
    let mut removed = 0;
    for key in keys {
        match remove_one(db, store, key).await {
            Ok(true) => removed += 1,
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(%key, error = %err, "media: could not remove an unreferenced object")
            }
        }
    }
    removed
}

async fn remove_one(db: &Db, store: &MediaStore, key: &str) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query("DELETE FROM media_objects WHERE object_key = $1 AND refs <= 0")
        .bind(key)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if claimed == 1 {
        store.delete(key).await?;
    }
    tx.commit().await?;
    Ok(claimed == 1)
}

/// Removes a stored object that has no count row at all (its upload stored it, then failed to
/// record it or lost a race). The zero-count row inserted first holds the same lock an upload
/// of the same bytes takes in [`add_refs`], so that upload either finds the object gone and
/// stores it again, or has counted it and it is kept. Returns whether it was removed.
pub async fn remove_uncounted(db: &Db, store: &MediaStore, key: &str) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let locked = sqlx::query(
        "INSERT INTO media_objects (object_key, refs) VALUES ($1, 0) \
         ON CONFLICT (object_key) DO NOTHING",
    )
    .bind(key)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if locked == 1 {
        store.delete(key).await?;
        sqlx::query("DELETE FROM media_objects WHERE object_key = $1")
            .bind(key)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await?;
    Ok(locked == 1)
}

/// Keys with a count row at zero: their removal after the last release failed.
pub async fn zero_counted(db: &Db, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT object_key FROM media_objects WHERE refs <= 0 LIMIT $1")
        .bind(limit)
        .fetch_all(db.background())
        .await
}

/// Which of `keys` have a count row.
pub async fn counted_keys(db: &Db, keys: &[String]) -> Result<HashSet<String>, sqlx::Error> {
    let sql = format!(
        "SELECT object_key FROM media_objects WHERE object_key IN ({})",
        placeholders(1, keys.len())
    );
    let mut query = sqlx::query_scalar(&sql);
    for key in keys {
        query = query.bind(key);
    }
    Ok(query
        .fetch_all(db.background())
        .await?
        .into_iter()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn keys_are_counted_in_order() {
        let counts: Vec<(&str, i64)> = counted(["b", "a", "b"]).into_iter().collect();
        assert_eq!(counts, vec![("a", 1), ("b", 2)]);
    }
}
