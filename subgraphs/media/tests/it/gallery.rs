//! Staff gallery management: alt text validated on upload and on update, reordering that must
//! name exactly the product's images, and deletion that removes only objects nothing else
//! references and emits `media.deleted` — even while the same bytes are being uploaded for
//! another product (without the upload re-storing a just-removed object, this fails).

use crate::common::*;
use serde_json::{json, Value};

async fn reorder(env: &Env, p: &str, ids: Value) -> Value {
    env.staff_gql(
        "mutation($p:ID!,$ids:[ID!]!){ reorderProductMedia(productId:$p, assetIds:$ids){ id position } }",
        json!({ "p": p, "ids": ids }),
    )
    .await
}

fn ids(gallery: &Value) -> Vec<String> {
    gallery["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn reorder_takes_exactly_a_permutation() {
    let env = start().await;
    let p = product();
    let mut uploaded = Vec::new();
    for seed in 0..3 {
        let a = env.upload(&p, png(40, 40, 10 + seed), "image/png").await;
        uploaded.push(a["id"].as_str().unwrap().to_string());
    }
    let other = env.upload(&product(), png(40, 40, 20), "image/png").await;
    let (a, b, c) = (&uploaded[0], &uploaded[1], &uploaded[2]);

    let bad = [
        json!([a, b]),                 // missing one
        json!([a, b, c, other["id"]]), // another product's image
        json!([a, b, b]),              // duplicate
        json!([a, b, product()]),      // unknown image
        json!([a, b, "not-an-id"]),    // malformed
    ];
    for ids in bad {
        let body = reorder(&env, &p, ids.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{ids}: {body}");
        assert_eq!(field(&body), "assetIds", "{ids}");
    }
    assert_eq!(ids(&env.gallery(&p).await), uploaded, "order unchanged");

    let body = reorder(&env, &p, json!([c, a, b])).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["reorderProductMedia"],
        json!([{ "id": c, "position": 0 }, { "id": a, "position": 1 }, { "id": b, "position": 2 }])
    );
    let gallery = env.gallery(&p).await;
    assert_eq!(ids(&gallery), vec![c.clone(), a.clone(), b.clone()]);
    assert_eq!(gallery["thumbnail"], gallery["media"][0]["small"]);
    env.stop().await;
}

#[tokio::test]
async fn alt_text_is_validated() {
    let env = start().await;
    let p = product();
    for (alt, why) in [
        ("x".repeat(301), "length"),
        ("two\nlines".into(), "line break"),
        ("tab\there".into(), "control"),
    ] {
        let body = env.create_upload_raw(&p, "a.png", &alt).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{why}");
        assert_eq!(field(&body), "input.alt", "{why}");
    }
    let body = env.create_upload_raw(&p, "", "fine").await;
    assert_eq!(field(&body), "input.filename");
    let body = env.create_upload_raw("not-an-id", "a.png", "fine").await;
    assert_eq!(field(&body), "input.productId");

    let asset = env.upload(&p, png(40, 40, 1), "image/png").await;
    let update = |alt: String| {
        let id = asset["id"].clone();
        let env = &env;
        async move {
            env.staff_gql(
                "mutation($id:ID!,$alt:String!){ updateMediaAlt(id:$id, alt:$alt){ id alt } }",
                json!({ "id": id, "alt": alt }),
            )
            .await
        }
    };
    for alt in ["é".repeat(301), "bell\u{7}".into(), "a\r\nb".into()] {
        let body = update(alt).await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert_eq!(field(&body), "alt");
    }
    let body = update(format!("  {}  ", "é".repeat(300))).await;
    assert_eq!(
        body["data"]["updateMediaAlt"]["alt"],
        json!("é".repeat(300)),
        "trimmed, 300 chars fit"
    );
    assert_eq!(
        env.gallery(&p).await["media"][0]["alt"],
        json!("é".repeat(300))
    );

    let body = env
        .staff_gql(
            "mutation($id:ID!){ updateMediaAlt(id:$id, alt:\"x\"){ id } }",
            json!({ "id": product() }),
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn delete_removes_only_unreferenced_objects() {
    let env = start().await;
    let (p, q) = (product(), product());
    let bytes = png(300, 200, 30);
    // The same bytes for two products share their objects.
    let shared_a = env.upload(&p, bytes.clone(), "image/png").await;
    let own = env.upload(&p, png(300, 200, 31), "image/png").await;
    let shared_b = env.upload(&q, bytes, "image/png").await;
    assert_eq!(
        shared_a["url"], shared_b["url"],
        "content-addressed: deduplicated"
    );
    assert_eq!(env.stored_files(), 6, "two originals and their thumbnails");

    let delete = |id: Value| {
        let env = &env;
        async move {
            env.staff_gql(
                "mutation($id:ID!){ deleteMedia(id:$id) }",
                json!({ "id": id }),
            )
            .await
        }
    };
    let body = delete(shared_a["id"].clone()).await;
    assert_eq!(body["data"]["deleteMedia"], shared_a["id"], "{body}");
    let gallery = env.gallery(&p).await;
    assert_eq!(ids(&gallery), vec![own["id"].as_str().unwrap().to_string()]);
    assert_eq!(gallery["media"][0]["position"], 0, "positions close up");
    // q still uses the shared objects.
    for url in [
        &shared_b["url"],
        &shared_b["thumbnails"]["small"],
        &shared_b["thumbnails"]["medium"],
    ] {
        assert_eq!(
            env.fetch(url.as_str().unwrap(), false, None).await.status,
            200
        );
    }
    assert_eq!(env.stored_files(), 6);

    let body = delete(shared_b["id"].clone()).await;
    assert!(body["errors"].is_null(), "{body}");
    for url in [
        &shared_b["url"],
        &shared_b["thumbnails"]["small"],
        &shared_b["thumbnails"]["medium"],
    ] {
        assert_eq!(
            env.fetch(url.as_str().unwrap(), false, None).await.status,
            404
        );
    }
    assert_eq!(env.stored_files(), 3);
    assert!(env.gallery(&q).await["media"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(env.gallery(&q).await["thumbnail"].is_null());

    let events = env.events("media.deleted").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["data"]["id"], shared_a["id"]);
    assert_eq!(events[0]["subject"], json!(p));

    let body = delete(shared_b["id"].clone()).await;
    assert_eq!(code(&body), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn deleting_while_the_same_bytes_are_uploaded_never_loses_an_object() {
    let env = start().await;
    // Each round: product A holds an image; the same bytes are uploaded for product B while
    // A's image is deleted, the delete starting at a different moment of the upload each round.
    for round in 0..12u32 {
        let bytes = png(200, 150, 100 + round);
        let a = env.upload(&product(), bytes.clone(), "image/png").await;
        let (_, url) = env.create_upload(&product(), "same.png", "").await;
        let delay = std::time::Duration::from_millis(u64::from(round) * 5);
        let (put, deleted) = tokio::join!(env.put(&url, bytes, "image/png"), async {
            tokio::time::sleep(delay).await;
            env.staff_gql(
                "mutation($id:ID!){ deleteMedia(id:$id) }",
                json!({ "id": a["id"] }),
            )
            .await
        });
        assert_eq!(put.status, 201, "round {round}");
        assert!(deleted["errors"].is_null(), "round {round}: {deleted}");
        let b = put.json()["asset"].clone();
        for url in [
            &b["url"],
            &b["thumbnails"]["small"],
            &b["thumbnails"]["medium"],
        ] {
            let got = env.fetch(url.as_str().unwrap(), true, None).await;
            assert_eq!(got.status, 200, "round {round}: {url} must still be stored");
        }
    }
    env.stop().await;
}
