//! The subgraphs' authorization marks, enforced by the router of the launcher: an anonymous
//! caller's signed-in-only fields and a customer's staff-only fields are answered `null` with
//! `UNAUTHORIZED_FIELD_OR_TYPE` at the edge while the public fields of the same query resolve,
//! and staff get them; an anonymous subscriber to a signed-in-only subscription gets that error
//! on its stream.

use serde_json::{json, Value};

use crate::launcher::{Shop, ADMIN, CUSTOMER, CUSTOMER_PASSWORD};
use crate::subscribers;

const DENIED: &str = "UNAUTHORIZED_FIELD_OR_TYPE";

/// The `(path, code)` of every error, sorted by path.
fn errors(body: &Value) -> Vec<(Value, String)> {
    let mut out: Vec<(Value, String)> = body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["path"].clone(),
                e["extensions"]["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort_by_key(|(p, _)| p.to_string());
    out
}

fn denied_at(paths: &[Value]) -> Vec<(Value, String)> {
    paths
        .iter()
        .map(|p| (p.clone(), DENIED.to_string()))
        .collect()
}

#[tokio::test]
async fn signed_in_only_and_staff_only_fields_are_refused_at_the_edge_while_the_rest_resolves() {
    let shop = Shop::start(20).await;

    // Anonymous: a signed-in-only field is null with the edge's error; the public field of
    // the same query resolves.
    let q = "{ myCart { id } rootCategories { id } }";
    let body = shop.gql(None, q, json!({})).await;
    assert_eq!(body["data"]["myCart"], Value::Null, "{body}");
    assert!(
        !body["data"]["rootCategories"]
            .as_array()
            .expect("public categories")
            .is_empty(),
        "{body}"
    );
    assert_eq!(errors(&body), denied_at(&[json!(["myCart"])]), "{body}");
    // `me: User!` and `myOrders: OrderConnection!` are non-null: the null reaches `data`.
    let body = shop
        .gql(
            None,
            "{ me { id } myOrders(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(
        errors(&body),
        denied_at(&[json!(["me"]), json!(["myOrders"])]),
        "{body}"
    );
    // A customer reads their own.
    let customer = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let mine = shop
        .data(
            Some(&customer),
            "{ me { email } myOrders(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(mine["me"]["email"], CUSTOMER, "{mine}");

    // A customer on staff fields (livestream secrets and analytics, an audit entry, a webhook
    // endpoint): null and one error each; the stream titles still resolve.
    let q = r#"{ livestreams(first: 20) { edges { node { title streamKey analytics { chatMessages } } } }
                auditEntry(id: "0190a1b2-0000-7000-8000-000000000000") { id }
                webhookEndpoint(id: "0190a1b2-0000-7000-8000-000000000000") { id } }"#;
    let body = shop.gql(Some(&customer), q, json!({})).await;
    let streams = body["data"]["livestreams"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("livestreams resolve: {body}"))
        .clone();
    assert!(!streams.is_empty(), "{body}");
    for s in &streams {
        assert!(s["node"]["title"].is_string(), "{body}");
        assert_eq!(s["node"]["streamKey"], Value::Null, "{body}");
        assert_eq!(s["node"]["analytics"], Value::Null, "{body}");
    }
    assert_eq!(body["data"]["auditEntry"], Value::Null, "{body}");
    assert_eq!(body["data"]["webhookEndpoint"], Value::Null, "{body}");
    assert_eq!(
        errors(&body),
        denied_at(&[
            json!(["auditEntry"]),
            json!(["livestreams", "edges", "@", "node", "analytics"]),
            json!(["livestreams", "edges", "@", "node", "streamKey"]),
            json!(["webhookEndpoint"]),
        ]),
        "{body}"
    );

    // Staff (the admin) get them: stream keys and analytics, and no edge errors (the unknown
    // audit entry and endpoint are simply not found).
    let admin = shop.login(ADMIN.0, ADMIN.1).await;
    let body = shop.gql(Some(&admin), q, json!({})).await;
    assert!(
        errors(&body).iter().all(|(_, code)| code != DENIED),
        "{body}"
    );
    let streams = body["data"]["livestreams"]["edges"].as_array().unwrap();
    assert!(
        streams.iter().all(|s| s["node"]["streamKey"].is_string()),
        "{body}"
    );
    assert!(
        streams
            .iter()
            .any(|s| s["node"]["analytics"]["chatMessages"].is_number()),
        "{body}"
    );
}

#[tokio::test]
async fn an_anonymous_subscriber_to_a_signed_in_only_subscription_is_refused_on_the_stream() {
    let shop = Shop::start(20).await;
    for query in [
        "subscription { myOrderUpdates { orderId status } }",
        "subscription { notificationReceived { id } }",
    ] {
        let mut ws = subscribers::websocket(&shop, None, query, json!({})).await;
        let mut sse = subscribers::sse(&shop, None, query, json!({})).await;
        for (how, rx) in [("websocket", &mut ws), ("sse", &mut sse)] {
            let first = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
                .await
                .unwrap_or_else(|_| panic!("{how}: nothing on the stream for {query}"))
                .unwrap_or_else(|| panic!("{how}: the stream ended empty for {query}"));
            // Both fields are non-null: the null reaches `data`.
            assert_eq!(first["data"], Value::Null, "{how}: {first}");
            let field = query
                .split_whitespace()
                .nth(2)
                .expect("the subscription field");
            assert_eq!(
                errors(&first),
                denied_at(&[json!([field])]),
                "{how}: {first}"
            );
        }
    }
}
