//! Retention: entries past `AUDIT_RETENTION_DAYS` are written as JSON lines under the archive
//! directory and then deleted, by the periodic job; the archive holds every field the hash
//! covers, so it verifies on its own from the genesis hash; the log still verifies afterwards,
//! restarting from the anchor, and tampering after archival is still found. Two archivers at
//! once archive each entry once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use audit::entry::{Entry, GENESIS};
use audit::settings::Settings;
use serde_json::json;

use crate::common::{self, event, eventually};

/// Every archived entry, in chain order.
fn archived(dir: &Path) -> Vec<Entry> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Entry>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The archived entries chain from the genesis hash.
fn assert_chains(entries: &[Entry]) {
    let mut previous = GENESIS.to_string();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1);
        assert_eq!(e.chained_hash(&previous), e.hash, "archived entry {i}");
        previous = e.hash.clone();
    }
}

fn dir_of(env: &common::Env) -> PathBuf {
    Settings::from_config(&env.app.svc().config)
        .unwrap()
        .archive_dir
}

#[tokio::test]
async fn the_periodic_job_archives_expired_entries_and_the_log_still_verifies() {
    // About 0.09 s of retention, checked every 100 ms.
    let env = common::start(&[
        ("RETENTION_DAYS", "0.000001"),
        ("ARCHIVE_INTERVAL_MS", "100"),
    ])
    .await;
    let dir = dir_of(&env);
    let first: Vec<_> = (0..5)
        .map(|i| event("orders", "order.created", Some(&format!("o{i}")), None))
        .collect();
    env.publish(&first).await;
    // The file is written before the rows are deleted: wait for both.
    eventually("five entries archived and deleted", || {
        let dir = dir.clone();
        let app = &env.app;
        async move { archived(&dir).len() == 5 && common::count_in(app).await == 0 }
    })
    .await;
    let lines = archived(&dir);
    assert_eq!(
        lines.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>(),
        first.iter().map(|e| e.id.clone()).collect::<Vec<_>>()
    );
    assert_chains(&lines);

    // New entries chain on from the anchor, whether or not the job has taken them yet.
    let more: Vec<_> = (0..3)
        .map(|i| event("orders", "order.paid", Some(&format!("o{i}")), None))
        .collect();
    env.publish(&more).await;
    eventually("the new entries recorded", || {
        let dir = dir.clone();
        let app = &env.app;
        async move { archived(&dir).len() + common::count_in(app).await as usize == 8 }
    })
    .await;
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], true, "{verdict}");
    eventually("all eight archived", || {
        let dir = dir.clone();
        async move { archived(&dir).len() == 8 }
    })
    .await;
    assert_chains(&archived(&dir));
    assert_eq!(env.verify().await["ok"], true);
    env.stop().await;
}

#[tokio::test]
async fn verification_restarts_from_the_anchor_and_still_finds_tampering() {
    let env = common::start(&[]).await;
    let dir = dir_of(&env);
    let old: Vec<_> = (0..6)
        .map(|i| event("inventory", "inventory.low", Some(&format!("v{i}")), None))
        .collect();
    env.publish(&old).await;
    env.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let settings = Settings {
        retention: Some(Duration::from_millis(10)),
        ..Settings::from_config(&env.app.svc().config).unwrap()
    };
    // Two archivers at once (as on two instances): each entry is archived by exactly one.
    let db = &env.app.svc().db;
    let (a, b) = tokio::join!(
        audit::archive::run(db, &settings),
        audit::archive::run(db, &settings)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 6);
    assert_eq!(env.count().await, 0);
    let lines = archived(&dir);
    assert_eq!(lines.len(), 6);
    assert_chains(&lines);
    // Nothing more to archive: a second run is a no-op.
    assert_eq!(
        audit::archive::run(&env.app.svc().db, &settings)
            .await
            .unwrap(),
        0
    );

    let new: Vec<_> = (0..4)
        .map(|i| {
            event(
                "inventory",
                "inventory.reserved",
                Some(&format!("v{i}")),
                None,
            )
        })
        .collect();
    env.publish(&new).await;
    env.wait_for(4).await;
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["checked"], 4);

    let first_new: String = sqlx::query_scalar("SELECT id FROM audit_entries ORDER BY seq LIMIT 1")
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_entries SET data = $1 WHERE id = $2")
        .bind(json!({ "forged": true }).to_string())
        .bind(&first_new)
        .execute(env.app.svc().db.background())
        .await
        .unwrap();
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["firstBrokenEntryId"], json!(first_new));
    assert_eq!(verdict["checked"], 1);
    env.stop().await;
}
