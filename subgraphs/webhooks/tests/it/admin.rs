//! Endpoint management over HTTP: create, look up, list with keyset pages, update, delete;
//! every bad input named; customers FORBIDDEN, anonymous callers UNAUTHENTICATED.

use serde_json::{json, Value};

use crate::common::{error_code, field, start, ENDPOINT_FIELDS};

#[tokio::test]
async fn admins_create_update_list_and_delete_endpoints() {
    let env = start().await;
    let body = env
        .create_raw(json!({
            "url": "http://127.0.0.1:9/a",
            "eventTypes": ["Order.*", "user.registered", "order.*"],
            "description": "  ERP sync  ",
        }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let e = &body["data"]["createWebhookEndpoint"]["endpoint"];
    assert_eq!(e["eventTypes"], json!(["order.*", "user.registered"]));
    assert_eq!(e["description"], "ERP sync");
    assert_eq!(e["enabled"], true);
    assert_eq!(e["createdBy"], env.admin_id);
    assert_eq!(e["consecutiveFailures"], 0);
    let id = e["id"].as_str().unwrap().to_string();

    // The secret is never readable afterwards.
    let schema = env
        .admin_gql(
            "{ __type(name:\"WebhookEndpoint\"){ fields { name } } }",
            json!({}),
        )
        .await;
    assert!(!schema.to_string().contains("\"secret\""), "{schema}");

    let updated = env
        .admin_gql(
            &format!("mutation($id:ID!){{ updateWebhookEndpoint(id:$id, input:{{eventTypes:[\"*\"], description:null, enabled:false}}){{ {ENDPOINT_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert!(updated["errors"].is_null(), "{updated}");
    let u = &updated["data"]["updateWebhookEndpoint"];
    assert_eq!(u["eventTypes"], json!(["*"]));
    assert_eq!(u["description"], Value::Null);
    assert_eq!(u["enabled"], false);
    assert_eq!(u["disabledReason"], "disabled by an admin");
    assert_eq!(u["url"], "http://127.0.0.1:9/a", "omitted fields stay");

    // Keyset pages, newest first, and the enabled filter.
    let mut ids = vec![id.clone()];
    for i in 0..4 {
        ids.push(
            env.register(&format!("http://127.0.0.1:9/{i}"), &["*"])
                .await
                .id,
        );
    }
    ids.reverse();
    let page = |after: Value| {
        let env = &env;
        async move {
            env.admin_gql(
                "query($a:String){ webhookEndpoints(first:2, after:$a){ totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }",
                json!({ "a": after }),
            )
            .await
        }
    };
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = page(after).await;
        let conn = &body["data"]["webhookEndpoints"];
        assert_eq!(conn["totalCount"], 5, "{body}");
        for edge in conn["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_string());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ids);
    let body = env
        .admin_gql(
            "{ webhookEndpoints(enabled:false){ totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["webhookEndpoints"]["totalCount"], 1);

    let deleted = env
        .admin_gql(
            "mutation($id:ID!){ deleteWebhookEndpoint(id:$id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["data"]["deleteWebhookEndpoint"], id.as_str());
    let gone = env
        .admin_gql(
            "query($id:ID!){ webhookEndpoint(id:$id){ id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(gone["data"]["webhookEndpoint"], Value::Null);
    let again = env
        .admin_gql(
            "mutation($id:ID!){ deleteWebhookEndpoint(id:$id) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn bad_input_is_named() {
    let env = start().await;
    let cases = [
        (
            json!({ "url": "http://127.0.0.1:9/", "eventTypes": [] }),
            "input.eventTypes",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "eventTypes": ["order.paid", "order.*.x"] }),
            "input.eventTypes[1]",
        ),
        (json!({ "url": "", "eventTypes": ["*"] }), "input.url"),
        (
            json!({ "url": "http://127.0.0.1:9/", "eventTypes": ["*"], "description": "x".repeat(501) }),
            "input.description",
        ),
        (
            json!({ "url": "http://no-such-host.invalid/", "eventTypes": ["*"] }),
            "input.url",
        ),
    ];
    for (input, expected) in cases {
        let body = env.create_raw(input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), expected, "{input}");
    }
    let body = env
        .admin_gql(
            "mutation{ updateWebhookEndpoint(id:\"nope\", input:{enabled:true}){ id } }",
            json!({}),
        )
        .await;
    assert_eq!(field(&body), "id");
    let body = env
        .admin_gql(
            "query($id:ID!){ webhookDeliveries(endpointId:$id){ totalCount } }",
            json!({ "id": "x" }),
        )
        .await;
    assert_eq!(field(&body), "endpointId");
    env.stop().await;
}

#[tokio::test]
async fn customers_are_forbidden_and_anonymous_callers_unauthenticated() {
    let env = start().await;
    let ep = env.register("http://127.0.0.1:9/", &["*"]).await;
    let (_, customer) = env.customer().await;
    let operations = [
        "{ webhookEndpoints { totalCount } }".to_string(),
        format!("{{ webhookEndpoint(id:\"{}\"){{ id }} }}", ep.id),
        "{ webhookDeliveries { totalCount } }".to_string(),
        "mutation{ createWebhookEndpoint(input:{url:\"http://127.0.0.1:9/\", eventTypes:[\"*\"]}){ secret } }".to_string(),
        format!("mutation{{ updateWebhookEndpoint(id:\"{}\", input:{{enabled:false}}){{ id }} }}", ep.id),
        format!("mutation{{ deleteWebhookEndpoint(id:\"{}\") }}", ep.id),
        format!("mutation{{ rotateWebhookSecret(id:\"{}\"){{ secret }} }}", ep.id),
        format!("mutation{{ pingWebhookEndpoint(id:\"{}\"){{ id }} }}", ep.id),
        format!("mutation{{ redeliverWebhook(deliveryId:\"{}\"){{ id }} }}", kit::ids::new_id()),
        format!("{{ _entities(representations:[{{__typename:\"WebhookEndpoint\", id:\"{}\"}}]){{ ... on WebhookEndpoint {{ url }} }} }}", ep.id),
    ];
    for op in &operations {
        let body = env.app.gql(op, json!({}), Some(&customer)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{op}: {body}");
        let body = env.app.gql(op, json!({}), None).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{op}: {body}");
    }
    // The endpoint is untouched.
    let e = env.endpoint(&ep.id).await;
    assert_eq!(e["enabled"], true);
    env.stop().await;
}
