//! The hash chain: appends from two instances on one database, fed concurrently, still form
//! one linear chain that verifies; a row edited directly in the database is reported at exactly
//! that entry; a deleted row is reported at the entry after the gap, deleted newest rows at the
//! head; verification over a time range checks only that stretch.

use futures_util::future::join_all;
use kit::testing;
use serde_json::json;

use crate::common::{self, event, publish_to, wait_for};

/// Entry ids in chain order.
async fn chain_ids(env: &common::Env) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM audit_entries ORDER BY seq")
        .fetch_all(env.app.svc().db.background())
        .await
        .unwrap()
}

#[tokio::test]
async fn two_instances_append_one_chain_and_tampering_is_found_where_it_happened() {
    let env = common::start(&[]).await;
    // A second instance on the same database (same file or schema), with its own transport.
    let mut config = common::audit_config(&env.accounts, &[]);
    config.database_url = env.app.svc().config.database_url.clone();
    config.database_schema = env.app.svc().config.database_schema.clone();
    let second = testing::spawn::<audit::Audit>(config).await;

    let batches: Vec<Vec<_>> = (0..8)
        .map(|b| {
            (0..15)
                .map(|i| {
                    let subject = format!("order-{b}-{i}");
                    event("orders", "order.paid", Some(&subject), Some("system"))
                })
                .collect()
        })
        .collect();
    join_all(batches.iter().enumerate().map(|(b, events)| {
        let target = if b % 2 == 0 { &env.app } else { &second };
        publish_to(target, events)
    }))
    .await;
    wait_for(&env.app, 120).await;
    // Positions are exactly 1..=120: no fork, no gap.
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM audit_entries ORDER BY seq")
        .fetch_all(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(seqs, (1..=120).collect::<Vec<i64>>());
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["checked"], 120);
    assert!(verdict["firstBrokenEntryId"].is_null());
    second.stop().await;

    // Edit one entry's data in place: reported at exactly that entry.
    let ids = chain_ids(&env).await;
    let victim = &ids[41];
    sqlx::query("UPDATE audit_entries SET data = $1 WHERE id = $2")
        .bind(json!({ "n": 2 }).to_string())
        .bind(victim)
        .execute(env.app.svc().db.background())
        .await
        .unwrap();
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["firstBrokenEntryId"], json!(victim), "{verdict}");
    assert_eq!(verdict["checked"], 42);
    assert!(
        verdict["reason"].as_str().unwrap().contains("hash"),
        "{verdict}"
    );

    // Verifying only what was recorded after the edited entry is still clean.
    let after: i64 = sqlx::query_scalar("SELECT recorded_at + 1 FROM audit_entries WHERE id = $1")
        .bind(victim)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    let from = chrono::DateTime::from_timestamp_millis(after).unwrap();
    let body = env
        .admin_gql(
            "query($f:DateTime){ verifyAuditLog(from:$f){ ok checked } }",
            json!({ "f": from.to_rfc3339() }),
        )
        .await;
    let ranged = &body["data"]["verifyAuditLog"];
    assert_eq!(ranged["ok"], true, "{body}");
    assert!(ranged["checked"].as_i64().unwrap() <= 120 - 42, "{body}");

    env.stop().await;
}

#[tokio::test]
async fn deleted_entries_are_reported() {
    let env = common::start(&[]).await;
    let events: Vec<_> = (0..10)
        .map(|i| event("cart", "cart.updated", Some(&format!("c{i}")), None))
        .collect();
    env.publish(&events).await;
    env.wait_for(10).await;
    let ids = chain_ids(&env).await;
    let db = env.app.svc().db.background().clone();

    // The newest entry removed: the chain stops short of its head.
    sqlx::query("DELETE FROM audit_entries WHERE id = $1")
        .bind(&ids[9])
        .execute(&db)
        .await
        .unwrap();
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert!(
        verdict["reason"].as_str().unwrap().contains("head"),
        "{verdict}"
    );

    // One from the middle: reported at the entry after the gap.
    sqlx::query("DELETE FROM audit_entries WHERE id = $1")
        .bind(&ids[4])
        .execute(&db)
        .await
        .unwrap();
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["firstBrokenEntryId"], json!(ids[5]), "{verdict}");
    assert!(
        verdict["reason"].as_str().unwrap().contains("missing"),
        "{verdict}"
    );
    env.stop().await;
}
