//! Serving objects: immutable caching headers, the content hash as ETag, `304` for a client
//! that already has it, `HEAD` without the body, and `404` for unknown or malformed keys.
//! Browsers on any origin may upload to a pre-signed URL and read objects (CORS).

use crate::common::*;

#[tokio::test]
async fn objects_are_served_with_immutable_caching_and_etags() {
    let env = start().await;
    let bytes = jpeg(320, 240, 7);
    let asset = env.upload(&product(), bytes.clone(), "image/jpeg").await;
    let url = asset["url"].as_str().unwrap();
    let key = url.rsplit('/').next().unwrap();
    let hash = key.split('.').next().unwrap();

    let got = env.fetch(url, false, None).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, bytes);
    assert_eq!(got.header("content-type"), "image/jpeg");
    assert_eq!(
        got.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(got.header("content-length"), bytes.len().to_string());
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    let etag = got.header("etag");
    assert_eq!(etag, format!("\"{hash}\""));

    let head = env.fetch(url, true, None).await;
    assert_eq!(head.status, 200);
    assert!(head.bytes.is_empty());
    assert_eq!(head.header("etag"), etag);
    assert_eq!(head.header("content-type"), "image/jpeg");

    let cached = env.fetch(url, false, Some(&etag)).await;
    assert_eq!(cached.status, 304);
    assert!(cached.bytes.is_empty());
    assert_eq!(cached.header("etag"), etag);
    let listed = env
        .fetch(url, false, Some(&format!("\"other\", W/{etag}")))
        .await;
    assert_eq!(listed.status, 304);
    let stale = env.fetch(url, false, Some("\"something-else\"")).await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.bytes, bytes);

    // Unknown and malformed keys.
    let unknown = url.replace(hash, &"0".repeat(64));
    let missing = env.fetch(&unknown, false, None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(code(&missing.json()), "NOT_FOUND");
    for bad in ["%2e%2e%2fmedia.db", "abc.png", "x.svg"] {
        let got = env
            .fetch(&format!("{PUBLIC}/media/{bad}"), false, None)
            .await;
        assert_eq!(got.status, 404, "{bad}");
    }
    env.stop().await;
}

#[tokio::test]
async fn browsers_on_any_origin_may_upload_and_read() {
    let env = start().await;
    let (_, url) = env.create_upload(&product(), "a.png", "").await;
    let preflight = env
        .app
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://admin.example.com")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("PUT"), "{methods}");
    let allowed = h["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("content-type"), "{allowed}");

    let resp = env
        .app
        .http
        .put(&url)
        .header("origin", "https://admin.example.com")
        .body(png(20, 20, 1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let body: serde_json::Value = resp.json().await.unwrap();
    let got = env
        .app
        .http
        .get(env.local(body["asset"]["url"].as_str().unwrap()))
        .header("origin", "https://shop.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(got.headers()["access-control-allow-origin"], "*");
    assert_eq!(got.headers()["access-control-expose-headers"], "etag");
    env.stop().await;
}
