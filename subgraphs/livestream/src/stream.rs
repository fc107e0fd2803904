//! The `Livestream` entity: its database row, its GraphQL shape (public fields for viewers,
//! the stream key and ingest details for staff only), batched lookups by id and the row lock
//! every change takes.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::pagination::{Cursor, Total};
use kit::{AppError, Db, Tx};

use crate::analytics::LivestreamAnalytics;
use crate::chat::{self, ChatMessage};
use crate::pins::Pin;
use crate::products::Product;
use crate::settings::Settings;
use crate::status::LivestreamStatus;

/// The columns every stream query selects, in [`Row`] order.
pub const COLUMNS: &str = "id, title, description, status, scheduled_start, cover_image_url, \
                           playback_id, stream_key, seq, started_at, ended_at, created_at, updated_at";

pub type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

#[derive(Debug, Clone)]
pub struct Livestream {
    pub id: String,
    pub title: String,
    pub description: String,
    pub status: LivestreamStatus,
    pub scheduled_start: i64,
    pub cover_image_url: Option<String>,
    pub playback_id: String,
    pub stream_key: String,
    /// Number of the stream's latest event.
    pub seq: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Livestream {
    pub fn from_row(r: Row) -> Livestream {
        Livestream {
            id: r.0,
            title: r.1,
            description: r.2,
            status: LivestreamStatus::parse(&r.3),
            scheduled_start: r.4,
            cover_image_url: r.5,
            playback_id: r.6,
            stream_key: r.7,
            seq: r.8,
            started_at: r.9,
            ended_at: r.10,
            created_at: r.11,
            updated_at: r.12,
        }
    }
}

#[Object]
impl Livestream {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn title(&self) -> &str {
        &self.title
    }

    async fn description(&self) -> &str {
        &self.description
    }

    async fn status(&self) -> LivestreamStatus {
        self.status
    }

    /// When the host plans to go live.
    async fn scheduled_start(&self) -> DateTime<Utc> {
        from_millis(self.scheduled_start)
    }

    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.started_at.map(from_millis)
    }

    /// When it ended or was cancelled.
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.ended_at.map(from_millis)
    }

    async fn cover_image_url(&self) -> Option<&str> {
        self.cover_image_url.as_deref()
    }

    /// The products the stream features, in the host's order.
    async fn featured_products(&self, ctx: &Context<'_>) -> Result<Vec<Product>> {
        let ids = ctx
            .data_unchecked::<DataLoader<FeaturedByStream>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default();
        Ok(ids.into_iter().map(|id| Product { id: ID(id) }).collect())
    }

    /// The public name of the stream's video (never the secret key).
    async fn playback_id(&self) -> &str {
        &self.playback_id
    }

    /// HLS playback URL (from `LIVESTREAM_HLS_URL_TEMPLATE`).
    async fn hls_url(&self, ctx: &Context<'_>) -> String {
        ctx.data_unchecked::<Settings>().hls_url(&self.playback_id)
    }

    /// WebRTC (WHEP) playback URL, when `LIVESTREAM_WHEP_URL_TEMPLATE` is set.
    async fn whep_url(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.data_unchecked::<Settings>().whep_url(&self.playback_id)
    }

    /// The publisher's secret. Staff only (null with a FORBIDDEN error for anyone else).
    #[graphql(requires_scopes = "staff")]
    async fn stream_key(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        require_role(ctx, Role::Staff)?;
        Ok(Some(&self.stream_key))
    }

    /// The RTMP server URL an encoder (OBS, ffmpeg) publishes to. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn ingest_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        require_role(ctx, Role::Staff)?;
        Ok(Some(ctx.data_unchecked::<Settings>().rtmp_url.clone()))
    }

    /// What the encoder publishes as its stream name ("stream key" in OBS):
    /// `<playbackId>?key=<streamKey>`. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn ingest_stream_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        require_role(ctx, Role::Staff)?;
        Ok(Some(format!(
            "{}?key={}",
            self.playback_id, self.stream_key
        )))
    }

    /// The products pinned now, oldest pin first, with their live deals.
    async fn pinned_products(&self, ctx: &Context<'_>) -> Result<Vec<Pin>> {
        Ok(crate::pins::current(&kit::schema::service(ctx).db, &self.id).await?)
    }

    /// Viewers, chat and sales figures, current at each read. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn analytics(&self, ctx: &Context<'_>) -> Result<Option<LivestreamAnalytics>> {
        require_role(ctx, Role::Staff)?;
        let heartbeat = ctx.data_unchecked::<Settings>().viewer_heartbeat;
        Ok(Some(
            crate::analytics::load(&kit::schema::service(ctx).db, &self.id, heartbeat).await?,
        ))
    }

    /// Chat history, newest first (deleted messages left out).
    async fn chat(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<Cursor, ChatMessage, Total>> {
        Ok(chat::history(ctx, &self.id, first, after).await?)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

/// Loads streams by id in one `IN (…)` query per batch.
pub struct StreamsById {
    pub db: Db,
}

impl Loader<String> for StreamsById {
    type Value = Livestream;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Livestream>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM livestreams WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.0.clone(), Livestream::from_row(r)))
            .collect())
    }
}

/// Loads each stream's featured product ids, in order, in one query per batch.
pub struct FeaturedByStream {
    pub db: Db,
}

impl Loader<String> for FeaturedByStream {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Vec<String>>, AppError> {
        let sql = format!(
            "SELECT stream_id, product_id FROM livestream_products WHERE stream_id IN ({}) \
             ORDER BY stream_id, position",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (stream, product) in query.fetch_all(self.db.pool()).await? {
            out.entry(stream).or_default().push(product);
        }
        Ok(out)
    }
}

/// The stream with this id, through the batching loader.
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Livestream>, AppError> {
    ctx.data_unchecked::<DataLoader<StreamsById>>()
        .load_one(id.to_string())
        .await
}

/// Reads one stream outside the loaders (after a change committed).
pub async fn by_id(db: &Db, id: &str) -> Result<Option<Livestream>, AppError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM livestreams WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(Livestream::from_row))
}

/// Reads a stream inside `tx`, locks its row until commit and takes the next event number:
/// an UPDATE takes PostgreSQL's row lock (portable, unlike `SELECT … FOR UPDATE`; SQLite's
/// `BEGIN IMMEDIATE` already serialises writers), so changes to one stream, and the numbers
/// of their events, follow commit order.
pub async fn lock_next(tx: &mut Tx, id: &str) -> Result<Option<Livestream>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "UPDATE livestreams SET seq = seq + 1 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Livestream::from_row))
}

/// [`lock_next`], `NOT_FOUND` when there is no such stream.
pub async fn lock_existing(tx: &mut Tx, id: &str) -> Result<Livestream, AppError> {
    lock_next(tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no livestream {id}")))
}
