//! Media reacts to catalog's `product.archived` (published on the transport: the in-process
//! bus, or RabbitMQ in the real-server run): the product's images disappear from
//! `Product.media` but are kept, and a redelivered event is applied once. Publishing the
//! product again (`product.updated` with status `published`) brings them back, and an older
//! event delivered late does not undo a newer one.

use crate::common::*;
use kit::events::Event;
use serde_json::json;

fn updated(product: &str, status: &str) -> Event {
    Event::new(
        "catalog",
        "product.updated",
        Some(product.to_string()),
        json!({ "id": product, "status": status, "previousStatus": "archived", "changed": ["status"] }),
    )
}

fn archived(product: &str) -> Event {
    Event::new(
        "catalog",
        "product.archived",
        Some(product.to_string()),
        json!({ "id": product, "status": "archived", "name": "Old thing" }),
    )
}

async fn publish(env: &Env, event: &Event) {
    env.app
        .svc()
        .transport
        .publish_batch(std::slice::from_ref(event))
        .await
        .expect("published");
}

#[tokio::test]
async fn archived_products_hide_their_media_once() {
    let env = start().await;
    let (gone, kept) = (product(), product());
    let asset = env.upload(&gone, png(50, 50, 1), "image/png").await;
    env.upload(&kept, png(50, 50, 2), "image/png").await;

    let event = archived(&gone);
    publish(&env, &event).await;
    eventually("the archived product's media to be hidden", || async {
        env.gallery(&gone).await["media"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let gallery = env.gallery(&gone).await;
    assert!(gallery["thumbnail"].is_null());
    assert_eq!(
        env.gallery(&kept).await["media"].as_array().unwrap().len(),
        1
    );
    // Kept, not deleted: the asset still resolves and its object is still served.
    let body = env
        .app
        .gql(
            "query($id:ID!){ asset(id:$id){ id url } }",
            json!({ "id": asset["id"] }),
            None,
        )
        .await;
    assert_eq!(body["data"]["asset"]["id"], asset["id"]);
    assert_eq!(
        env.fetch(asset["url"].as_str().unwrap(), false, None)
            .await
            .status,
        200
    );
    assert_eq!(env.asset_count().await, 2);

    // Redelivery: then a later event on the same queue, so once that has landed the duplicate
    // has been handled too.
    publish(&env, &event).await;
    let marker = product();
    env.upload(&marker, png(50, 50, 3), "image/png").await;
    publish(&env, &archived(&marker)).await;
    eventually("the marker product to be hidden", || async {
        env.gallery(&marker).await["media"]
            .as_array()
            .unwrap()
            .is_empty()
    })
    .await;
    let db = env.app.svc().db.background();
    let claimed: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM processed_events WHERE consumer = 'media' AND event_id = $1",
    )
    .bind(&event.id)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(claimed, 1, "the duplicate was recognised");
    let archived_rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM product_status WHERE archived = 1")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(archived_rows, 2);
    env.stop().await;
}

async fn visible(env: &Env, product: &str) -> usize {
    env.gallery(product).await["media"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn republished_products_show_their_media_again_and_late_events_do_not_undo_newer_ones() {
    let env = start().await;
    let p = product();
    env.upload(&p, png(50, 50, 4), "image/png").await;
    let old_archive = archived(&p);
    publish(&env, &old_archive).await;
    eventually("the product's media to be hidden", || async {
        visible(&env, &p).await == 0
    })
    .await;

    // Event times are compared in milliseconds: give the publication a time clearly after the
    // first archive, so the late event below is older than it however fast the test runs.
    let mut republished = updated(&p, "published");
    republished.time = old_archive.time + chrono::Duration::seconds(1);
    publish(&env, &republished).await;
    eventually("the republished product's media to show", || async {
        visible(&env, &p).await == 1
    })
    .await;

    // An archive event older than the publication, delivered late (a retry, say), is stale.
    let mut late = archived(&p);
    late.time = old_archive.time + chrono::Duration::milliseconds(1);
    publish(&env, &late).await;
    // A later event for a marker product lands after it on the same queue.
    let marker = product();
    env.upload(&marker, png(50, 50, 5), "image/png").await;
    publish(&env, &archived(&marker)).await;
    eventually("the marker product to be hidden", || async {
        visible(&env, &marker).await == 0
    })
    .await;
    assert_eq!(
        visible(&env, &p).await,
        1,
        "the stale archive event changed nothing"
    );

    // A product.updated without a status says nothing about visibility.
    publish(
        &env,
        &Event::new(
            "catalog",
            "product.updated",
            Some(marker.clone()),
            json!({ "id": marker, "changed": ["title"] }),
        ),
    )
    .await;
    let probe = product();
    env.upload(&probe, png(50, 50, 6), "image/png").await;
    publish(&env, &archived(&probe)).await;
    eventually("the probe product to be hidden", || async {
        visible(&env, &probe).await == 0
    })
    .await;
    assert_eq!(visible(&env, &marker).await, 0, "still archived");
    env.stop().await;
}
