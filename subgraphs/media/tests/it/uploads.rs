//! Uploads end to end over HTTP: a staff member creates an upload, PUTs the bytes to the
//! pre-signed URL, and the asset appears in the product's gallery with thumbnails that are
//! served and decode at the right widths. The format comes from the bytes, never from the
//! client's Content-Type or file name; anything that is not a decodable JPEG, PNG, WebP or GIF
//! is refused and leaves nothing behind.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn png_and_jpeg_uploads_become_assets_with_thumbnails() {
    let env = start().await;
    let p = product();
    let png_bytes = png(960, 640, 1);
    let first = env.upload(&p, png_bytes.clone(), "image/png").await;
    let second = env.upload(&p, jpeg(800, 1000, 2), "image/jpeg").await;
    assert_eq!(first["contentType"], "image/png");
    assert_eq!(
        (first["width"].as_i64(), first["height"].as_i64()),
        (Some(960), Some(640))
    );
    assert_eq!(first["byteSize"], json!(png_bytes.len()));
    assert_eq!(second["contentType"], "image/jpeg");
    assert_eq!(second["position"], 1);

    let gallery = env.gallery(&p).await;
    let media = gallery["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(media[0]["id"], first["id"]);
    assert_eq!(media[0]["alt"], "A photo");
    assert_eq!(media[1]["id"], second["id"]);
    assert_eq!(gallery["thumbnail"], media[0]["small"]);

    // Original, small and medium thumbnails are served and decode at the expected sizes.
    let original = env
        .fetch(media[0]["url"].as_str().unwrap(), false, None)
        .await;
    assert_eq!(original.status, 200);
    assert_eq!(
        original.bytes, png_bytes,
        "the original is served byte for byte"
    );
    for (asset, small, medium) in [
        (&media[0], (160, 107), (480, 320)),
        (&media[1], (160, 200), (480, 600)),
    ] {
        let got = env
            .fetch(asset["small"].as_str().unwrap(), false, None)
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.header("content-type"), "image/jpeg");
        assert_eq!(dimensions(&got.bytes), small);
        let got = env
            .fetch(asset["medium"].as_str().unwrap(), false, None)
            .await;
        assert_eq!(dimensions(&got.bytes), medium);
    }

    // Each upload emitted media.uploaded with the product as subject.
    let events = env.events("media.uploaded").await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["subject"], json!(p));
    assert_eq!(events[0]["data"]["id"], first["id"]);
    assert_eq!(events[1]["data"]["contentType"], "image/jpeg");
    env.stop().await;
}

#[tokio::test]
async fn gif_webp_and_multi_megabyte_images_are_accepted() {
    let env = start().await;
    let p = product();
    for (format, content_type, ext) in [
        (image::ImageFormat::Gif, "image/gif", ".gif"),
        (image::ImageFormat::WebP, "image/webp", ".webp"),
    ] {
        let bytes = image_as(120, 90, 8, format);
        let asset = env
            .upload(&p, bytes.clone(), "application/octet-stream")
            .await;
        assert_eq!(asset["contentType"], content_type);
        let url = asset["url"].as_str().unwrap();
        assert!(url.ends_with(ext), "{url}");
        let served = env.fetch(url, false, None).await;
        assert_eq!(served.header("content-type"), content_type);
        assert_eq!(served.bytes, bytes);
        let small = env
            .fetch(asset["thumbnails"]["small"].as_str().unwrap(), false, None)
            .await;
        assert_eq!(dimensions(&small.bytes), (120, 90), "never upscaled");
    }

    // Several MiB (past the 2 MiB that buffered request extractors allow by default) stream in
    // under the 10 MiB default limit.
    let big = png(1400, 1400, 9);
    assert!(big.len() > 3 * 1024 * 1024, "{} bytes", big.len());
    let asset = env.upload(&p, big.clone(), "image/png").await;
    assert_eq!(asset["byteSize"], json!(big.len()));
    let medium = env
        .fetch(asset["thumbnails"]["medium"].as_str().unwrap(), false, None)
        .await;
    assert_eq!(dimensions(&medium.bytes), (480, 480));
    env.stop().await;
}

#[tokio::test]
async fn a_png_labelled_as_jpeg_is_stored_as_png() {
    let env = start().await;
    let p = product();
    let (_, url) = env.create_upload(&p, "holiday.jpg", "Beach").await;
    let got = env.put(&url, png(200, 100, 3), "image/jpeg").await;
    assert_eq!(got.status, 201);
    let asset = got.json()["asset"].clone();
    assert_eq!(asset["contentType"], "image/png");
    let url = asset["url"].as_str().unwrap();
    assert!(url.ends_with(".png"), "{url}");
    let served = env.fetch(url, false, None).await;
    assert_eq!(served.header("content-type"), "image/png");
    assert_eq!(dimensions(&served.bytes), (200, 100));
    env.stop().await;
}

#[tokio::test]
async fn non_images_and_broken_images_are_refused_and_leave_nothing() {
    let env = start().await;
    let p = product();
    let (_, url) = env.create_upload(&p, "evil.png", "").await;
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend_from_slice(&[0u8; 64]);
    let mut truncated = png(300, 300, 4);
    truncated.truncate(truncated.len() / 2);
    let cases: Vec<(&str, Vec<u8>, &str, u16)> = vec![
        (
            "html",
            b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec(),
            "image/png",
            415,
        ),
        (
            "svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec(),
            "image/svg+xml",
            415,
        ),
        ("zip renamed .png", zip, "image/png", 415),
        ("truncated png", truncated, "image/png", 400),
        ("empty", Vec::new(), "image/png", 400),
    ];
    for (what, bytes, content_type, status) in cases {
        let got = env.put(&url, bytes, content_type).await;
        assert_eq!(got.status, status, "{what}");
        let body = got.json();
        assert_eq!(code(&body), "BAD_USER_INPUT", "{what}: {body}");
        assert_eq!(field(&body), "body", "{what}");
    }
    assert_eq!(env.asset_count().await, 0);
    assert_eq!(env.stored_files(), 0, "nothing reached the store");
    assert!(env.gallery(&p).await["media"]
        .as_array()
        .unwrap()
        .is_empty());

    // A refused attempt does not use the upload up: the right file still goes through.
    let got = env.put(&url, png(64, 64, 5), "image/png").await;
    assert_eq!(got.status, 201);
    env.stop().await;
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_anything_is_stored() {
    let env = start_with(&[("MEDIA_MAX_BYTES", "50000")]).await;
    let p = product();
    let big = png(400, 400, 6);
    assert!(big.len() > 50_000);
    let (_, url) = env.create_upload(&p, "big.png", "").await;
    let got = env.put(&url, big, "image/png").await;
    assert_eq!(got.status, 413);
    let body = got.json();
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(field(&body), "body");

    // Streamed without a declared length, the limit still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(vec![0x89u8; 4096])).collect();
    let resp = env
        .app
        .http
        .put(&url)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(env.asset_count().await, 0);
    assert_eq!(env.stored_files(), 0);
    env.stop().await;
}

#[tokio::test]
async fn a_png_declaring_gigantic_dimensions_is_refused() {
    let env = start().await;
    let p = product();
    let (_, url) = env.create_upload(&p, "bomb.png", "").await;
    let got = env
        .put(&url, png_header_claiming(100_000, 100_000), "image/png")
        .await;
    assert_eq!(got.status, 400);
    let body = got.json();
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{body}"
    );
    assert_eq!(env.asset_count().await, 0);
    assert_eq!(env.stored_files(), 0);
    env.stop().await;
}
