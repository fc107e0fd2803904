//! Real events from another subgraph's outbox become entries, once each: customers registered
//! through accounts appear as `user.registered` entries with their subject, actor and data;
//! delivering every event again (and concurrently) adds nothing; an event type no subgraph
//! published before is recorded too (the queue is bound with `#`).

use serde_json::json;

use crate::common::{self, event, log_ids};

#[tokio::test]
async fn accounts_events_are_recorded_exactly_once() {
    let env = common::start(&[]).await;
    let mut users = Vec::new();
    for _ in 0..3 {
        users.push(env.customer().await.0);
    }
    let sent = env.forward_accounts_events(false).await;
    assert!(sent.len() >= 3, "accounts emitted {} events", sent.len());
    env.wait_for(sent.len() as i64).await;

    let (_, body) = log_ids(
        &env,
        ", first: 100",
        json!({ "f": { "typePrefix": "user.registered" } }),
    )
    .await;
    let nodes: Vec<_> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    for user in &users {
        let node = nodes
            .iter()
            .find(|n| n["subject"] == json!(user))
            .unwrap_or_else(|| panic!("no entry for {user}: {body}"));
        assert_eq!(node["type"], "user.registered");
        assert_eq!(node["source"], "/subgraphs/accounts");
        assert_eq!(node["actor"], json!(user), "the registering user acted");
        assert_eq!(node["data"]["userId"], json!(user));
        let sent_event = sent
            .iter()
            .find(|e| e.subject.as_deref() == Some(user.as_str()))
            .unwrap();
        assert_eq!(node["eventId"], json!(sent_event.id));
        assert_eq!(node["data"], sent_event.data);
        assert_eq!(node["hash"].as_str().unwrap().len(), 64);
    }

    // Redelivery: everything again, twice at once; nothing new is recorded.
    let total = env.count().await;
    let (a, b) = tokio::join!(
        env.forward_accounts_events(true),
        env.forward_accounts_events(true)
    );
    assert_eq!(a.len(), sent.len());
    assert_eq!(b.len(), sent.len());
    // A marker published after the duplicates: once it is in, the duplicates were consumed.
    let marker = event("livestream", "livestream.started", Some("s-1"), None);
    env.publish(std::slice::from_ref(&marker)).await;
    env.wait_for(total + 1).await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT event_id FROM audit_entries")
        .fetch_all(env.app.svc().db.background())
        .await
        .unwrap();
    assert!(ids.contains(&marker.id), "the new event type is recorded");
    assert_eq!(env.count().await, total + 1);
    let verdict = env.verify().await;
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["checked"], total + 1);
    env.stop().await;
}
