//! The demo seed the launcher calls: every product gets 1–4 images drawn from a shared library
//! of 24 pictures (72 objects with thumbnails, however many products), the choice is stable,
//! rerunning changes nothing except giving new products their images, deleting a seeded image
//! keeps the objects other products share, and an object lost from the store is restored by
//! the next run.

use std::collections::{BTreeMap, HashSet};

use crate::common::*;

/// (product id → asset ids in position order) for every asset.
async fn assignments(env: &Env) -> BTreeMap<String, Vec<(String, String, String)>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT product_id, id, object_key, alt FROM assets ORDER BY product_id, position",
    )
    .fetch_all(env.app.svc().db.background())
    .await
    .unwrap();
    let mut out: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for (product, id, key, alt) in rows {
        out.entry(product).or_default().push((id, key, alt));
    }
    out
}

#[tokio::test]
async fn seeding_is_idempotent_and_shares_objects() {
    let env = start().await;
    let products: Vec<String> = (0..10_000).map(|_| product()).collect();
    let started = std::time::Instant::now();
    media::seed::run(env.app.svc(), &products)
        .await
        .expect("seeded");
    println!("seeded 10000 products in {:?}", started.elapsed());

    let first = assignments(&env).await;
    assert_eq!(first.len(), products.len(), "every product has images");
    let mut keys = HashSet::new();
    for images in first.values() {
        assert!((1..=4).contains(&images.len()));
        let distinct: HashSet<&String> = images.iter().map(|(_, k, _)| k).collect();
        assert_eq!(
            distinct.len(),
            images.len(),
            "no picture twice for one product"
        );
        for (_, key, alt) in images {
            assert!(!alt.is_empty());
            keys.insert(key.clone());
        }
    }
    assert_eq!(
        keys.len(),
        media::seed::LIBRARY_SIZE,
        "the whole library is used, and only it"
    );
    assert_eq!(
        env.stored_files(),
        3 * media::seed::LIBRARY_SIZE,
        "original + 2 thumbnails each"
    );

    // Seeded images are real: served and decodable, thumbnails at their widths.
    let gallery = env.gallery(&products[0]).await;
    let image = &gallery["media"][0];
    let original = env.fetch(image["url"].as_str().unwrap(), false, None).await;
    assert_eq!(original.status, 200);
    assert_eq!(dimensions(&original.bytes), (600, 450));
    let small = env
        .fetch(gallery["thumbnail"].as_str().unwrap(), false, None)
        .await;
    assert_eq!(dimensions(&small.bytes), (160, 120));
    let medium = env
        .fetch(image["medium"].as_str().unwrap(), false, None)
        .await;
    assert_eq!(dimensions(&medium.bytes), (480, 360));

    // Again: nothing changes.
    let started = std::time::Instant::now();
    media::seed::run(env.app.svc(), &products)
        .await
        .expect("seeded again");
    println!(
        "reran over 10000 seeded products in {:?}",
        started.elapsed()
    );
    assert_eq!(assignments(&env).await, first);
    assert_eq!(env.stored_files(), 3 * media::seed::LIBRARY_SIZE);

    // New products are topped up; existing ones keep theirs.
    let mut more = products.clone();
    let fresh: Vec<String> = (0..5).map(|_| product()).collect();
    more.extend(fresh.iter().cloned());
    media::seed::run(env.app.svc(), &more)
        .await
        .expect("topped up");
    let after = assignments(&env).await;
    assert_eq!(after.len(), products.len() + fresh.len());
    for (product, images) in &first {
        assert_eq!(&after[product], images);
    }

    // Seeded images are counted references: deleting one product's image keeps the shared
    // objects every other product still shows.
    let (id, key, _) = &first[&products[0]][0];
    let body = env
        .staff_gql(
            "mutation($id:ID!){ deleteMedia(id:$id) }",
            serde_json::json!({ "id": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(env.stored_files(), 3 * media::seed::LIBRARY_SIZE);
    let served = env
        .fetch(&format!("{PUBLIC}/media/{key}"), true, None)
        .await;
    assert_eq!(served.status, 200);

    // An object lost from the store is drawn and stored again by the next run.
    let lost = env.data_dir.join("media").join(&key[..2]).join(key);
    std::fs::remove_file(&lost).expect("the object is a file in the local store");
    media::seed::run(env.app.svc(), &more)
        .await
        .expect("seeded after a loss");
    assert!(lost.exists(), "restored");
    assert_eq!(env.stored_files(), 3 * media::seed::LIBRARY_SIZE);
    env.stop().await;
}
