//! Every media mutation is for staff: a customer gets `FORBIDDEN`, an anonymous caller
//! `UNAUTHENTICATED`, and neither changes anything. Reading images needs no sign-in.

use crate::common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn mutations_are_for_staff_only() {
    let env = start().await;
    let p = product();
    let asset = env.upload(&p, png(64, 48, 1), "image/png").await;
    let id = asset["id"].as_str().unwrap().to_string();
    let customer = env.customer().await;

    let calls: Vec<(&str, Value)> = vec![
        (
            "mutation($p:ID!){ createMediaUpload(input:{productId:$p, filename:\"a.png\", alt:\"x\"}){ uploadId } }",
            json!({ "p": p }),
        ),
        (
            "mutation($id:ID!){ updateMediaAlt(id:$id, alt:\"changed\"){ id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($p:ID!,$ids:[ID!]!){ reorderProductMedia(productId:$p, assetIds:$ids){ id } }",
            json!({ "p": p, "ids": [id] }),
        ),
        ("mutation($id:ID!){ deleteMedia(id:$id) }", json!({ "id": id })),
    ];
    for (query, vars) in &calls {
        let body = env.app.gql(query, vars.clone(), Some(&customer)).await;
        assert_eq!(code(&body), "FORBIDDEN", "customer: {query}");
        let body = env.app.gql(query, vars.clone(), None).await;
        assert_eq!(code(&body), "UNAUTHENTICATED", "anonymous: {query}");
    }
    let uploads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(uploads, 1, "only staff's upload was created");
    let gallery = env.gallery(&p).await;
    assert_eq!(gallery["media"][0]["alt"], "A photo", "unchanged");

    // Staff may do each of them.
    for (query, vars) in &calls {
        let body = env.staff_gql(query, vars.clone()).await;
        assert!(body["errors"].is_null(), "staff: {query}: {body}");
    }

    // Anyone may read.
    let body = env
        .app
        .gql(
            "query($id:ID!){ asset(id:$id){ id } }",
            json!({ "id": id }),
            None,
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    env.stop().await;
}
