//! Demo images for the launcher: draws a small library of distinct product-like pictures
//! (gradients with a coloured shape), stores them and their thumbnails once — content-addressed,
//! so reruns write the same objects — and gives each product 1–4 assets referencing them,
//! chosen deterministically from the product id. The library is remembered in
//! `seed_pictures`, so a rerun only checks the objects are still there instead of drawing
//! again. Products that already have images are left alone, so seeding is idempotent and tops
//! up new products. Rows go in as multi-row inserts in batches, so 10k products take seconds
//! and a million is feasible. No events are emitted: this is demo data, not a change anyone
//! must react to.

use std::collections::HashSet;
use std::io::Cursor;

use anyhow::Context;
use bytes::Bytes;
use futures_util::future::try_join_all;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage};
use kit::db::placeholders;
use kit::ids::{new_id, now_millis};
use kit::Service;

use crate::imaging::{thumbnail, MEDIUM_WIDTH, SMALL_WIDTH};
use crate::objects;
use crate::state::MediaState;
use crate::store::key_for;

/// How many distinct pictures the library holds.
pub const LIBRARY_SIZE: usize = 24;
/// Products per transaction: one lookup, then the inserts.
const BATCH: usize = 250;
/// Rows per multi-row insert (12 values each). SQLite's cost of numbered parameters grows with
/// the square of their count in one statement, so several mid-sized inserts beat one huge one.
const INSERT_ROWS: usize = 80;
const WIDTH: u32 = 600;
const HEIGHT: u32 = 450;
const SHAPES: [&str; 4] = ["circle", "square", "diamond", "ring"];
const COLOURS: [&str; 12] = [
    "red", "orange", "amber", "lime", "green", "teal", "cyan", "sky", "blue", "violet", "magenta",
    "rose",
];

/// A stored library picture.
#[derive(Debug, Clone)]
struct Picture {
    key: String,
    small_key: String,
    medium_key: String,
    byte_size: i64,
    width: i64,
    height: i64,
    label: String,
}

impl Picture {
    fn keys(&self) -> [&str; 3] {
        [&self.key, &self.small_key, &self.medium_key]
    }
}

/// A drawn picture, encoded: the original and its thumbnails as (key, bytes).
struct Drawn {
    label: String,
    objects: [(String, Bytes); 3],
}

/// Seeds images for `products` (catalog product ids).
pub async fn run(svc: &Service, products: &[String]) -> anyhow::Result<()> {
    let created = Seeder::new(svc).await?.run(products).await?;
    tracing::info!(
        products = products.len(),
        created,
        "media: demo images seeded"
    );
    Ok(())
}

/// The store and picture library, opened once for a seed that comes in many pages.
pub struct Seeder {
    state: MediaState,
    pictures: Vec<Picture>,
}

impl Seeder {
    pub async fn new(svc: &Service) -> anyhow::Result<Seeder> {
        let state = crate::state(svc).await?;
        let pictures = library(&state).await?;
        Ok(Seeder { state, pictures })
    }

    /// Seeds images for `products`; returns how many assets it created.
    pub async fn run(&self, products: &[String]) -> anyhow::Result<usize> {
        let mut created = 0usize;
        for chunk in products.chunks(BATCH) {
            created += seed_batch(&self.state, &self.pictures, chunk).await?;
        }
        Ok(created)
    }
}

/// The stored library: the remembered one when all its objects are still in the store,
/// otherwise drawn, stored and remembered now.
async fn library(state: &MediaState) -> anyhow::Result<Vec<Picture>> {
    let rows: Vec<(String, String, String, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT object_key, small_key, medium_key, byte_size, width, height, label \
         FROM seed_pictures ORDER BY idx",
    )
    .fetch_all(state.svc.db.background())
    .await?;
    let remembered: Vec<Picture> = rows
        .into_iter()
        .map(
            |(key, small_key, medium_key, byte_size, width, height, label)| Picture {
                key,
                small_key,
                medium_key,
                byte_size,
                width,
                height,
                label,
            },
        )
        .collect();
    if remembered.len() == LIBRARY_SIZE {
        let keys: Vec<&str> = remembered.iter().flat_map(Picture::keys).collect();
        if missing(state, &keys).await?.is_empty() {
            return Ok(remembered);
        }
    }
    let drawn = draw_and_store(state).await?;
    let pictures: Vec<Picture> = drawn
        .into_iter()
        .map(|d| {
            let [original, small, medium] = d.objects;
            Picture {
                byte_size: original.1.len() as i64,
                key: original.0,
                small_key: small.0,
                medium_key: medium.0,
                width: i64::from(WIDTH),
                height: i64::from(HEIGHT),
                label: d.label,
            }
        })
        .collect();
    remember(state, &pictures).await?;
    Ok(pictures)
}

/// Which of `keys` the store does not hold (checked concurrently: a cloud store answers each
/// in a round trip).
async fn missing(state: &MediaState, keys: &[&str]) -> anyhow::Result<Vec<String>> {
    let sizes = try_join_all(keys.iter().map(|key| state.store.size(key))).await?;
    Ok(keys
        .iter()
        .zip(sizes)
        .filter(|(_, size)| size.is_none())
        .map(|(key, _)| key.to_string())
        .collect())
}

/// Draws the library and stores every object.
async fn draw_and_store(state: &MediaState) -> anyhow::Result<Vec<Drawn>> {
    let drawn = tokio::task::spawn_blocking(draw_library)
        .await
        .context("drawing the demo images")?;
    let puts = drawn
        .iter()
        .flat_map(|d| d.objects.iter())
        .map(|(key, bytes)| state.store.put(key, bytes.clone()));
    try_join_all(puts).await?;
    Ok(drawn)
}

async fn remember(state: &MediaState, pictures: &[Picture]) -> anyhow::Result<()> {
    let values: Vec<String> = (0..pictures.len())
        .map(|i| format!("({})", placeholders(i * 8 + 1, 8)))
        .collect();
    let sql = format!(
        "INSERT INTO seed_pictures \
         (idx, object_key, small_key, medium_key, byte_size, width, height, label) VALUES {} \
         ON CONFLICT (idx) DO UPDATE SET object_key = excluded.object_key, \
         small_key = excluded.small_key, medium_key = excluded.medium_key, \
         byte_size = excluded.byte_size, width = excluded.width, height = excluded.height, \
         label = excluded.label",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (idx, p) in pictures.iter().enumerate() {
        query = query
            .bind(idx as i64)
            .bind(&p.key)
            .bind(&p.small_key)
            .bind(&p.medium_key)
            .bind(p.byte_size)
            .bind(p.width)
            .bind(p.height)
            .bind(&p.label);
    }
    query.execute(state.svc.db.background()).await?;
    Ok(())
}

/// Gives each product of `chunk` without images its pictures, counting the references they
/// add. Returns assets created.
async fn seed_batch(
    state: &MediaState,
    pictures: &[Picture],
    chunk: &[String],
) -> anyhow::Result<usize> {
    let mut tx = state.svc.db.begin().await?;
    let sql = format!(
        "SELECT DISTINCT product_id FROM assets WHERE product_id IN ({})",
        placeholders(1, chunk.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for id in chunk {
        query = query.bind(id);
    }
    let existing: HashSet<String> = query.fetch_all(tx.conn()).await?.into_iter().collect();
    let mut rows = Vec::new();
    for product in chunk.iter().filter(|p| !existing.contains(*p)) {
        for (position, picture) in choose(product, pictures).into_iter().enumerate() {
            rows.push((product, position, picture));
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let now = now_millis();
    for part in rows.chunks(INSERT_ROWS) {
        let values: Vec<String> = (0..part.len())
            .map(|i| format!("({})", placeholders(i * 12 + 1, 12)))
            .collect();
        let sql = format!(
            "INSERT INTO assets ({}) VALUES {}",
            crate::assets::COLUMNS,
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (product, position, picture) in part {
            query = query
                .bind(new_id())
                .bind(product.as_str())
                .bind(&picture.key)
                .bind("image/jpeg")
                .bind(picture.byte_size)
                .bind(picture.width)
                .bind(picture.height)
                .bind(&picture.small_key)
                .bind(&picture.medium_key)
                .bind(format!("{}, view {}", picture.label, position + 1))
                .bind(*position as i64)
                .bind(now);
        }
        query.execute(tx.conn()).await?;
    }
    let fresh = objects::add_refs(&mut tx, rows.iter().flat_map(|(_, _, p)| p.keys())).await?;
    if !fresh.is_empty() {
        // Checked at the start, but a delete may have removed an unreferenced object since.
        let fresh: Vec<&str> = fresh.iter().map(String::as_str).collect();
        let gone = missing(state, &fresh).await?;
        if !gone.is_empty() {
            draw_and_store(state).await?;
            let keys: Vec<&str> = gone.iter().map(String::as_str).collect();
            anyhow::ensure!(
                missing(state, &keys).await?.is_empty(),
                "demo image objects are missing and drawing them again did not restore them"
            );
        }
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// 1–4 distinct pictures for a product, the same every run.
fn choose<'a>(product: &str, pictures: &'a [Picture]) -> Vec<&'a Picture> {
    let h = fnv1a(product.as_bytes());
    let count = 1 + (h % 4) as usize;
    let start = ((h >> 8) % pictures.len() as u64) as usize;
    // 7 is coprime with the library size, so the steps never repeat a picture.
    (0..count)
        .map(|k| &pictures[(start + 7 * k) % pictures.len()])
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Draws and encodes the library, spread over the machine's cores.
fn draw_library() -> Vec<Drawn> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let indices: Vec<usize> = (0..LIBRARY_SIZE).collect();
    let per_thread = LIBRARY_SIZE.div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = indices
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(|&i| encode(i)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("drawing does not panic"))
            .collect()
    })
}

/// Picture `i` as a JPEG original plus its thumbnails.
fn encode(i: usize) -> Drawn {
    let (label, picture) = draw(i);
    let image = DynamicImage::ImageRgb8(picture);
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 85)
        .encode_image(&image)
        .expect("encoding into memory cannot fail");
    let small = thumbnail(&image, SMALL_WIDTH);
    let medium = thumbnail(&image, MEDIUM_WIDTH);
    Drawn {
        label,
        objects: [
            (key_for(&jpeg, "jpg"), Bytes::from(jpeg)),
            (small.key, small.bytes),
            (medium.key, medium.bytes),
        ],
    }
}

/// Picture `i`: a diagonal two-colour gradient behind a shape in a contrasting colour.
fn draw(i: usize) -> (String, RgbImage) {
    let hue = (i * 360 / LIBRARY_SIZE) as f32;
    let shape = i % SHAPES.len();
    let top = hsl(hue, 0.65, 0.62);
    let bottom = hsl((hue + 35.0) % 360.0, 0.55, 0.32);
    let fill = hsl((hue + 180.0) % 360.0, 0.7, 0.55);
    let (cx, cy) = (WIDTH as f32 / 2.0, HEIGHT as f32 / 2.0);
    let r = HEIGHT as f32 * (0.26 + 0.02 * (i % 3) as f32);
    let image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let t = (fx + fy) / (WIDTH + HEIGHT) as f32;
        let (dx, dy) = (fx - cx, fy - cy);
        let inside = match shape {
            0 => dx * dx + dy * dy <= r * r,
            1 => dx.abs() <= r && dy.abs() <= r,
            2 => dx.abs() + dy.abs() <= r * 1.3,
            _ => {
                let d = (dx * dx + dy * dy).sqrt();
                d <= r && d >= r * 0.55
            }
        };
        if inside {
            // A soft highlight towards the top left makes the shape look like an object.
            let shade = 1.15 - 0.35 * ((dx + dy) / (2.0 * r) + 0.5).clamp(0.0, 1.0);
            scale(fill, shade)
        } else {
            mix(top, bottom, t)
        }
    });
    let label = format!(
        "{} {} on a {} gradient",
        COLOURS[((hue + 180.0) % 360.0 / 30.0) as usize % COLOURS.len()],
        SHAPES[shape],
        COLOURS[(hue / 30.0) as usize % COLOURS.len()]
    );
    (label, image)
}

fn mix(a: Rgb<u8>, b: Rgb<u8>, t: f32) -> Rgb<u8> {
    let c = |i: usize| (f32::from(a.0[i]) * (1.0 - t) + f32::from(b.0[i]) * t).round() as u8;
    Rgb([c(0), c(1), c(2)])
}

fn scale(a: Rgb<u8>, k: f32) -> Rgb<u8> {
    let c = |i: usize| (f32::from(a.0[i]) * k).clamp(0.0, 255.0) as u8;
    Rgb([c(0), c(1), c(2)])
}

/// HSL (hue in degrees) to RGB.
fn hsl(h: f32, s: f32, l: f32) -> Rgb<u8> {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Rgb([to(r), to(g), to(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_distinct_and_choices_are_stable() {
        let keys: HashSet<String> = (0..LIBRARY_SIZE)
            .map(|i| key_for(draw(i).1.as_raw(), "raw"))
            .collect();
        assert_eq!(keys.len(), LIBRARY_SIZE, "every picture differs");
        let pictures: Vec<Picture> = (0..LIBRARY_SIZE)
            .map(|i| Picture {
                key: format!("k{i}"),
                small_key: String::new(),
                medium_key: String::new(),
                byte_size: 1,
                width: 1,
                height: 1,
                label: String::new(),
            })
            .collect();
        for product in ["a", "b", "0192f0c4-0000-7000-8000-000000000001"] {
            let first: Vec<&str> = choose(product, &pictures)
                .iter()
                .map(|p| p.key.as_str())
                .collect();
            let again: Vec<&str> = choose(product, &pictures)
                .iter()
                .map(|p| p.key.as_str())
                .collect();
            assert_eq!(first, again);
            assert!((1..=4).contains(&first.len()));
            assert_eq!(first.iter().collect::<HashSet<_>>().len(), first.len());
        }
    }
}
