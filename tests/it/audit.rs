//! The audit log through the launcher: a customer signs up through the router, and the admin
//! finds exactly one `user.registered` entry about them (actor: the new user) through the
//! router, the whole log (demo seed included) verifies, and a customer is refused it at the
//! router (`@requiresScopes`).

use serde_json::{json, Value};

use crate::launcher::{Shop, ADMIN};

#[tokio::test]
async fn a_sign_up_is_recorded_once_and_the_log_verifies() {
    let shop = Shop::start(20).await;
    let admin = shop.login(ADMIN.0, ADMIN.1).await;
    let email = format!("audited.{}@example.com", std::process::id());
    let user = shop
        .data(
            None,
            "mutation($e: String!) { register(email: $e, password: \"a-long-password-2026\", name: \"Audited\") { id } }",
            json!({ "e": email }),
        )
        .await;
    let user_id = user["register"]["id"].as_str().unwrap().to_string();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let entries: Vec<Value> = loop {
        let page = shop
            .data(
                Some(&admin),
                "query($s: String!) { auditLog(filter: { subject: $s }, first: 50) { edges { node { type actor source data } } } }",
                json!({ "s": user_id }),
            )
            .await;
        let edges = page["auditLog"]["edges"].as_array().unwrap().clone();
        if !edges.is_empty() {
            break edges.into_iter().map(|e| e["node"].clone()).collect();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no audit entry for {user_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let registered: Vec<&Value> = entries
        .iter()
        .filter(|e| e["type"] == "user.registered")
        .collect();
    assert_eq!(registered.len(), 1, "exactly once: {entries:?}");
    assert_eq!(registered[0]["actor"], json!(user_id));
    assert_eq!(registered[0]["source"], "/subgraphs/accounts");
    assert_eq!(registered[0]["data"]["email"], json!(email));

    let verdict = shop
        .data(
            Some(&admin),
            "{ verifyAuditLog { ok checked reason } }",
            json!({}),
        )
        .await;
    assert_eq!(verdict["verifyAuditLog"]["ok"], true, "{verdict}");
    assert!(verdict["verifyAuditLog"]["checked"].as_i64().unwrap() >= 1);

    let customer = shop.login(&email, "a-long-password-2026").await;
    let body = shop
        .gql(
            Some(&customer),
            "{ auditLog(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHORIZED_FIELD_OR_TYPE",
        "{body}"
    );
}
