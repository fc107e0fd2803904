//! Who may read what: anonymous callers get `UNAUTHENTICATED`, customers `FORBIDDEN`; staff read
//! the log and single entries (also through `_entities`) but may not verify or export; admins
//! may do everything.

use serde_json::json;

use crate::common::{self, code, event, ENTRY_FIELDS};

const LOG: &str = "{ auditLog(first: 5) { totalCount edges { node { id } } } }";
const VERIFY: &str = "{ verifyAuditLog { ok checked } }";
const EXPORT: &str = "query($f:DateTime!,$t:DateTime!){ exportAuditLog(from:$f, to:$t) }";

#[tokio::test]
async fn roles_decide_what_can_be_read() {
    let env = common::start(&[]).await;
    let e = event("orders", "order.created", Some("o1"), Some("u1"));
    env.publish(std::slice::from_ref(&e)).await;
    env.wait_for(1).await;
    let id: String = sqlx::query_scalar("SELECT id FROM audit_entries")
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    let (_, customer) = env.customer().await;
    let (_, staff) = env.staff().await;
    let range = json!({
        "f": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "t": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
    });
    let entry = format!("query($id:ID!){{ auditEntry(id:$id){{ {ENTRY_FIELDS} }} }}");
    let entity =
        "query($r:[_Any!]!){ _entities(representations:$r){ ... on AuditEntry { id type } } }";
    let entity_vars = json!({ "r": [{ "__typename": "AuditEntry", "id": id }] });

    for (query, vars) in [
        (LOG, json!({})),
        (VERIFY, json!({})),
        (EXPORT, range.clone()),
        (entry.as_str(), json!({ "id": id })),
        (entity, entity_vars.clone()),
    ] {
        assert_eq!(
            code(&env.gql(query, vars.clone(), None).await),
            "UNAUTHENTICATED",
            "{query}"
        );
        assert_eq!(
            code(&env.gql(query, vars.clone(), Some(&customer)).await),
            "FORBIDDEN",
            "{query}"
        );
    }
    for (query, vars) in [(VERIFY, json!({})), (EXPORT, range.clone())] {
        assert_eq!(
            code(&env.gql(query, vars, Some(&staff)).await),
            "FORBIDDEN",
            "{query}"
        );
    }

    let body = env.gql(LOG, json!({}), Some(&staff)).await;
    assert_eq!(body["data"]["auditLog"]["totalCount"], 1, "{body}");
    let body = env.gql(&entry, json!({ "id": id }), Some(&staff)).await;
    assert_eq!(body["data"]["auditEntry"]["eventId"], json!(e.id), "{body}");
    assert_eq!(body["data"]["auditEntry"]["actor"], "u1", "{body}");
    let body = env.gql(entity, entity_vars, Some(&staff)).await;
    assert_eq!(
        body["data"]["_entities"][0]["type"], "order.created",
        "{body}"
    );

    let body = env.admin_gql(VERIFY, json!({})).await;
    assert_eq!(body["data"]["verifyAuditLog"]["ok"], true, "{body}");
    let body = env.admin_gql(EXPORT, range).await;
    let lines = body["data"]["exportAuditLog"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(lines.lines().count(), 1);
    let line: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    assert_eq!(line["eventId"], json!(e.id));
    env.stop().await;
}
