//! Shared steps for the media black-box tests: start the real accounts subgraph (for tokens and
//! its JWKS) and the real media subgraph pointed at it with a private data directory, sign in
//! over HTTP, make images, upload them through pre-signed URLs and fetch what is served.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
pub use kit::testing::expect_code as code;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

pub use kit::testing::PASSWORD;
/// The default public origin of `url` fields (the tests' servers listen elsewhere).
pub const PUBLIC: &str = "http://localhost:4005";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
    /// The media data directory (objects live under `media/`).
    pub data_dir: PathBuf,
}

pub async fn start() -> Env {
    start_with(&[]).await
}

/// Starts accounts with a first admin and media (with `overrides` such as
/// `("MEDIA_MAX_BYTES", "1000")`) verifying tokens against accounts, and signs the admin in.
pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (config, email) = testing::accounts_with_admin();
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let data_dir = testing::temp_dir();
    let app = spawn_media(&accounts, &data_dir, overrides, None).await;
    let staff = login(&accounts, &email).await;
    Env {
        accounts,
        app,
        staff,
        data_dir,
    }
}

/// A media instance; `share` reuses another instance's database (a second replica).
pub async fn spawn_media(
    accounts: &TestApp,
    data_dir: &Path,
    overrides: &[(&str, &str)],
    share: Option<&kit::Config>,
) -> TestApp {
    let mut config = testing::config_trusting("media", accounts, overrides);
    if let Some(other) = share {
        config.database_url = other.database_url.clone();
        config.database_schema = other.database_schema.clone();
    }
    config
        .overrides
        .insert("DATA_DIR".into(), data_dir.display().to_string());
    testing::spawn::<media::Media>(config).await
}

pub async fn login(accounts: &TestApp, email: &str) -> String {
    accounts.login(email, PASSWORD).await
}

/// A served response: status, headers and body.
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.bytes)))
    }
}

impl Env {
    /// Registers and signs in a fresh customer; returns their token.
    pub async fn customer(&self) -> String {
        self.accounts.register_customer().await.1
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    /// `createMediaUpload` as staff; the whole response.
    pub async fn create_upload_raw(&self, product: &str, filename: &str, alt: &str) -> Value {
        self.staff_gql(
            "mutation($i:CreateMediaUploadInput!){ createMediaUpload(input:$i){ uploadId uploadUrl expiresAt } }",
            json!({ "i": { "productId": product, "filename": filename, "alt": alt } }),
        )
        .await
    }

    /// A pending upload: (upload id, upload URL on the test server).
    pub async fn create_upload(
        &self,
        product: &str,
        filename: &str,
        alt: &str,
    ) -> (String, String) {
        let body = self.create_upload_raw(product, filename, alt).await;
        let upload = &body["data"]["createMediaUpload"];
        let url = upload["uploadUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("createMediaUpload failed: {body}"));
        assert!(url.starts_with(&format!("{PUBLIC}/uploads/")), "{url}");
        (
            upload["uploadId"].as_str().unwrap().to_string(),
            self.local(url),
        )
    }

    /// A public URL rewritten to this test's server.
    pub fn local(&self, url: &str) -> String {
        let path = url
            .strip_prefix(PUBLIC)
            .unwrap_or_else(|| panic!("{url} does not start with {PUBLIC}"));
        format!("{}{path}", self.app.url)
    }

    /// `PUT`s `bytes` to an upload URL with the given Content-Type.
    pub async fn put(&self, url: &str, bytes: Vec<u8>, content_type: &str) -> Fetched {
        let resp = self
            .app
            .http
            .put(url)
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request sent");
        fetched(resp).await
    }

    /// Uploads `bytes` for `product`; returns the new asset as the upload response gives it.
    pub async fn upload(&self, product: &str, bytes: Vec<u8>, content_type: &str) -> Value {
        let (id, url) = self.create_upload(product, "photo", "A photo").await;
        let got = self.put(&url, bytes, content_type).await;
        assert_eq!(
            got.status,
            201,
            "upload failed: {}",
            String::from_utf8_lossy(&got.bytes)
        );
        let asset = got.json()["asset"].clone();
        assert_eq!(asset["id"], json!(id));
        asset
    }

    /// `GET` (or `HEAD`) a public URL on this test's server, with optional `If-None-Match`.
    pub async fn fetch(&self, url: &str, head: bool, if_none_match: Option<&str>) -> Fetched {
        let url = self.local(url);
        let mut req = if head {
            self.app.http.head(url)
        } else {
            self.app.http.get(url)
        };
        if let Some(tag) = if_none_match {
            req = req.header("if-none-match", tag);
        }
        fetched(req.send().await.expect("request sent")).await
    }

    /// A product's gallery through `_entities` (as the router asks for it).
    pub async fn gallery(&self, product: &str) -> Value {
        let body = self
            .app
            .gql(
                "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { id thumbnail media { id url alt position width height contentType byteSize small: thumbnail medium: thumbnail(size: MEDIUM) } } } }",
                json!({ "r": [{ "__typename": "Product", "id": product }] }),
                None,
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["_entities"][0].clone()
    }

    /// Assets stored in the database.
    pub async fn asset_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM assets")
            .fetch_one(self.app.svc().db.background())
            .await
            .unwrap()
    }

    /// Events of `kind` in the outbox.
    pub async fn events(&self, kind: &str) -> Vec<Value> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id")
                .bind(kind)
                .fetch_all(self.app.svc().db.background())
                .await
                .unwrap();
        rows.iter()
            .map(|p| serde_json::from_str(p).unwrap())
            .collect()
    }

    /// Files in the object store directory.
    pub fn stored_files(&self) -> usize {
        fn count(dir: &Path) -> usize {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| {
                            let p = e.path();
                            if p.is_dir() {
                                count(&p)
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        count(&self.data_dir.join("media"))
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

async fn fetched(resp: reqwest::Response) -> Fetched {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body").to_vec();
    Fetched {
        status,
        headers,
        bytes,
    }
}

pub fn product() -> String {
    kit::ids::new_id()
}

pub fn field(body: &Value) -> String {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A noisy (so not trivially compressible) picture, different for each `seed`.
pub fn picture(width: u32, height: u32, seed: u32) -> RgbaImage {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    RgbaImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state & 0x3f) as u8;
        image::Rgba([
            (x * 255 / width) as u8 ^ n,
            (y * 255 / height) as u8,
            (seed as u8).wrapping_add(n),
            255,
        ])
    })
}

pub fn png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgba8(picture(width, height, seed)),
        ImageFormat::Png,
    )
}

pub fn jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let rgb: RgbImage = DynamicImage::ImageRgba8(picture(width, height, seed)).to_rgb8();
    encode(DynamicImage::ImageRgb8(rgb), ImageFormat::Jpeg)
}

/// The picture in any format the image crate writes (GIF, WebP, ...).
pub fn image_as(width: u32, height: u32, seed: u32, format: ImageFormat) -> Vec<u8> {
    encode(
        DynamicImage::ImageRgba8(picture(width, height, seed)),
        format,
    )
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A valid PNG signature and header chunk declaring `width`×`height`, with a tiny body: what a
/// decompression bomb looks like to a decoder before it allocates.
pub fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(b"IHDR");
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    // An IDAT chunk with a few compressed bytes, then IEND.
    let idat = b"IDAT\x78\x9c\x63\x00\x00\x00\x01\x00\x01";
    out.extend_from_slice(&((idat.len() - 4) as u32).to_be_bytes());
    out.extend_from_slice(idat);
    out.extend_from_slice(&crc32(idat).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"IEND");
    out.extend_from_slice(&crc32(b"IEND").to_be_bytes());
    out
}

/// CRC-32 (IEEE), as PNG chunks carry.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Decodes served bytes and returns the image's (width, height).
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("served bytes decode as an image");
    (img.width(), img.height())
}

pub use kit::testing::eventually;
