//! Demo streams for the launcher's demo data: one LIVE now (featuring demo products, one pinned
//! with a live deal), one SCHEDULED for tomorrow, one ENDED yesterday with its chat, viewers
//! and sales on record so its analytics show numbers. Written straight to the tables (seeded
//! rows publish no events); idempotent by the streams' fixed playback ids, so a restart only
//! fills gaps. The live stream's chat is kept busy by [`chat_lines`] (see the launcher).

use kit::ids::{new_id, now_millis};
use kit::Service;

use crate::secret;

/// A demo product a stream can feature: its first variant and that variant's price.
#[derive(Debug, Clone)]
pub struct DemoProduct {
    pub product_id: String,
    pub variant_id: String,
    pub price_minor: i64,
    pub currency: String,
}

const LIVE: &str = "demo-live";
const SCHEDULED: &str = "demo-scheduled";
const ENDED: &str = "demo-ended";
const HOUR: i64 = 3_600_000;

/// What the demo chat generator says, in turn.
pub fn chat_lines() -> &'static [&'static str] {
    &[
        "Hi from Lisbon! 👋",
        "Does it come in blue?",
        "Just grabbed the deal, thanks!",
        "How long is the battery life?",
        "Love this one",
        "Is shipping free over 50?",
        "Can you show the back?",
        "Ordered two, one is a gift 🎁",
    ]
}

async fn stream_id(svc: &Service, playback_id: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM livestreams WHERE playback_id = $1")
            .bind(playback_id)
            .fetch_optional(svc.db.background())
            .await?,
    )
}

#[allow(clippy::too_many_arguments)]
async fn insert_stream(
    svc: &Service,
    playback_id: &str,
    title: &str,
    description: &str,
    status: &str,
    scheduled_start: i64,
    started_at: Option<i64>,
    ended_at: Option<i64>,
    host: &str,
    featured: &[DemoProduct],
) -> anyhow::Result<String> {
    let id = new_id();
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    sqlx::query(
        "INSERT INTO livestreams (id, title, description, status, scheduled_start, playback_id, \
         stream_key, started_at, ended_at, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&id)
    .bind(title)
    .bind(description)
    .bind(status)
    .bind(scheduled_start)
    .bind(playback_id)
    .bind(secret::stream_key())
    .bind(started_at)
    .bind(ended_at)
    .bind(host)
    .bind(now)
    .execute(tx.conn())
    .await?;
    for (position, p) in featured.iter().enumerate() {
        sqlx::query(
            "INSERT INTO livestream_products (stream_id, product_id, position) VALUES ($1, $2, $3)",
        )
        .bind(&id)
        .bind(&p.product_id)
        .bind(position as i64)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Seeds the three demo streams (hosted by `host`, chatted in by `viewers`) featuring
/// `products`; returns the LIVE one's id.
pub async fn demo(
    svc: &Service,
    host: &str,
    viewers: &[String],
    products: &[DemoProduct],
) -> anyhow::Result<Option<String>> {
    let Some(first) = products.first() else {
        return Ok(None);
    };
    let now = now_millis();
    let featured = &products[..products.len().min(4)];

    let live = match stream_id(svc, LIVE).await? {
        Some(id) => id,
        None => {
            let id = insert_stream(
                svc,
                LIVE,
                "Spring drop — live now",
                "Our host walks through the new arrivals; pinned deals while we are on air.",
                "LIVE",
                now - HOUR / 4,
                Some(now - HOUR / 4),
                None,
                host,
                featured,
            )
            .await?;
            // A live deal on the first featured product: a fifth off, 20 units, for a day.
            sqlx::query(
                "INSERT INTO livestream_pins (id, stream_id, product_id, variant_id, price_minor, \
                 currency, quantity_cap, remaining, ends_at, pinned_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 20, 20, $7, $8)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(&first.product_id)
            .bind(&first.variant_id)
            .bind((first.price_minor * 4 / 5).max(1))
            .bind(&first.currency)
            .bind(now + 24 * HOUR)
            .bind(now)
            .execute(svc.db.background())
            .await?;
            id
        }
    };

    if stream_id(svc, SCHEDULED).await?.is_none() {
        insert_stream(
            svc,
            SCHEDULED,
            "Tomorrow: kitchen essentials",
            "Knives, pans and a live Q&A. Set a reminder!",
            "SCHEDULED",
            now + 24 * HOUR,
            None,
            None,
            host,
            featured,
        )
        .await?;
    }

    if stream_id(svc, ENDED).await?.is_none() {
        let start = now - 26 * HOUR;
        let end = now - 25 * HOUR;
        let id = insert_stream(
            svc,
            ENDED,
            "Yesterday's flash sale",
            "An hour of deals; the replay is coming soon.",
            "ENDED",
            start,
            Some(start),
            Some(end),
            host,
            featured,
        )
        .await?;
        let mut tx = svc.db.begin().await?;
        sqlx::query("UPDATE livestreams SET peak_viewers = $1 WHERE id = $2")
            .bind(viewers.len().max(1) as i64 * 3)
            .bind(&id)
            .execute(tx.conn())
            .await?;
        for (i, viewer) in viewers.iter().enumerate() {
            sqlx::query(
                "INSERT INTO livestream_viewers (stream_id, viewer, first_seen) VALUES ($1, $2, $3)",
            )
            .bind(&id)
            .bind(viewer)
            .bind(start + i as i64 * 60_000)
            .execute(tx.conn())
            .await?;
            let text = chat_lines()[i % chat_lines().len()];
            sqlx::query(
                "INSERT INTO chat_messages (id, stream_id, author_id, text, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(viewer)
            .bind(text)
            .bind(start + i as i64 * 90_000)
            .execute(tx.conn())
            .await?;
        }
        // Two demo orders bought from the stream (ids of their own: the sales record only).
        for (units, at) in [(1_i64, start + 600_000), (2, start + 1_800_000)] {
            sqlx::query(
                "INSERT INTO livestream_sales (order_id, stream_id, units, revenue_minor, \
                 currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(&id)
            .bind(units)
            .bind(first.price_minor * 4 / 5 * units)
            .bind(&first.currency)
            .bind(at)
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
    }
    Ok(Some(live))
}
