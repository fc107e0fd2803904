//! The host's mutations (staff): schedule, edit, start, end and cancel a stream, and rotate its
//! stream key. Every change locks the stream's row and emits its event in the same transaction.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{new_id, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Tx};

use crate::settings::Settings;
use crate::status::LivestreamStatus;
use crate::stream::{self, Livestream};
use crate::transition::{self, Cause};
use crate::{events, secret};

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 5_000;
const MAX_URL: usize = 2_000;
const MAX_FEATURED: usize = 50;
/// How far in the past a new stream's start may lie (clock skew, "starting now").
const PAST_GRACE_MS: i64 = 5 * 60 * 1000;

#[derive(InputObject)]
pub struct ScheduleLivestreamInput {
    pub title: String,
    pub description: Option<String>,
    pub scheduled_start: DateTime<Utc>,
    pub cover_image_url: Option<String>,
    /// Catalog product ids, in the order the stream presents them.
    pub featured_product_ids: Option<Vec<ID>>,
}

/// Only the fields given change.
#[derive(InputObject)]
pub struct UpdateLivestreamInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub scheduled_start: Option<DateTime<Utc>>,
    pub cover_image_url: Option<String>,
    pub featured_product_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct HostingMutation;

#[Object]
impl HostingMutation {
    /// Announces a stream (SCHEDULED) with a fresh playback id and stream key. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn schedule_livestream(
        &self,
        ctx: &Context<'_>,
        input: ScheduleLivestreamInput,
    ) -> Result<Livestream> {
        let caller = require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let title = kit::validate::text("input.title", &input.title, MAX_TITLE)?;
        let description = description("input.description", input.description.as_deref())?;
        let start = input.scheduled_start.timestamp_millis();
        if start < now_millis() - PAST_GRACE_MS {
            return Err(
                AppError::bad_input("input.scheduledStart", "must not be in the past").into(),
            );
        }
        let cover = cover_url(input.cover_image_url.as_deref())?;
        let featured = featured(input.featured_product_ids.as_deref())?.unwrap_or_default();

        let id = new_id();
        let now = now_millis();
        let mut tx = svc.db.begin().await?;
        sqlx::query(
            "INSERT INTO livestreams (id, title, description, status, scheduled_start, \
             cover_image_url, playback_id, stream_key, seq, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'SCHEDULED', $4, $5, $6, $7, 0, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&title)
        .bind(&description)
        .bind(start)
        .bind(&cover)
        .bind(secret::playback_id())
        .bind(secret::stream_key())
        .bind(&caller.user_id)
        .bind(now)
        .execute(tx.conn())
        .await?;
        write_featured(&mut tx, &id, &featured).await?;
        let created = stream::lock_existing(&mut tx, &id).await?;
        let data = events::summary(&created, settings);
        events::emit(svc, &mut tx, "livestream.scheduled", &created, data).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Edits a stream that has not ended. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_livestream(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateLivestreamInput,
    ) -> Result<Livestream> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let id = parse_id("id", &id)?;
        let title = input
            .title
            .as_deref()
            .map(|t| kit::validate::text("input.title", t, MAX_TITLE))
            .transpose()?;
        let description = input
            .description
            .as_deref()
            .map(|d| description("input.description", Some(d)))
            .transpose()?;
        let start = input.scheduled_start.map(|s| s.timestamp_millis());
        let cover = match input.cover_image_url.as_deref() {
            Some(raw) => Some(cover_url(Some(raw))?),
            None => None,
        };
        let featured = featured(input.featured_product_ids.as_deref())?;

        let mut tx = svc.db.begin().await?;
        let mut current = stream::lock_existing(&mut tx, &id).await?;
        if !current.status.is_open() {
            return Err(AppError::conflict(format!(
                "a {} livestream cannot be edited",
                current.status.as_str()
            ))
            .into());
        }
        if let Some(start) = start {
            if current.status != LivestreamStatus::Scheduled {
                return Err(AppError::bad_input(
                    "input.scheduledStart",
                    "can only change before the stream goes live",
                )
                .into());
            }
            current.scheduled_start = start;
        }
        if let Some(title) = title {
            current.title = title;
        }
        if let Some(description) = description {
            current.description = description;
        }
        if let Some(cover) = cover {
            current.cover_image_url = cover;
        }
        current.updated_at = now_millis();
        sqlx::query(
            "UPDATE livestreams SET title = $1, description = $2, scheduled_start = $3, \
             cover_image_url = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&current.title)
        .bind(&current.description)
        .bind(current.scheduled_start)
        .bind(&current.cover_image_url)
        .bind(current.updated_at)
        .bind(&id)
        .execute(tx.conn())
        .await?;
        if let Some(featured) = &featured {
            sqlx::query("DELETE FROM livestream_products WHERE stream_id = $1")
                .bind(&id)
                .execute(tx.conn())
                .await?;
            write_featured(&mut tx, &id, featured).await?;
        }
        let data = events::summary(&current, settings);
        events::emit(svc, &mut tx, "livestream.updated", &current, data).await?;
        tx.commit().await?;
        Ok(current)
    }

    /// SCHEDULED → LIVE (the publisher connecting does the same). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn start_livestream(&self, ctx: &Context<'_>, id: ID) -> Result<Livestream> {
        move_to(ctx, &id, LivestreamStatus::Live).await
    }

    /// LIVE → ENDED. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn end_livestream(&self, ctx: &Context<'_>, id: ID) -> Result<Livestream> {
        move_to(ctx, &id, LivestreamStatus::Ended).await
    }

    /// SCHEDULED → CANCELLED. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn cancel_livestream(&self, ctx: &Context<'_>, id: ID) -> Result<Livestream> {
        move_to(ctx, &id, LivestreamStatus::Cancelled).await
    }

    /// Replaces the stream key (the old one stops working for new connections). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn rotate_stream_key(&self, ctx: &Context<'_>, id: ID) -> Result<Livestream> {
        require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let id = parse_id("id", &id)?;
        let mut tx = svc.db.begin().await?;
        let mut current = stream::lock_existing(&mut tx, &id).await?;
        if !current.status.is_open() {
            return Err(AppError::conflict(format!(
                "a {} livestream takes no publisher",
                current.status.as_str()
            ))
            .into());
        }
        current.stream_key = secret::stream_key();
        current.updated_at = now_millis();
        sqlx::query("UPDATE livestreams SET stream_key = $1, updated_at = $2 WHERE id = $3")
            .bind(&current.stream_key)
            .bind(current.updated_at)
            .bind(&id)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(current)
    }
}

async fn move_to(ctx: &Context<'_>, id: &ID, to: LivestreamStatus) -> Result<Livestream> {
    require_role(ctx, Role::Staff)?;
    let id = parse_id("id", id)?;
    let settings = ctx.data_unchecked::<Settings>();
    Ok(transition::apply(service(ctx), settings, &id, to, Cause::Host).await?)
}

fn description(field: &str, raw: Option<&str>) -> Result<String, AppError> {
    Ok(kit::validate::optional(field, raw, MAX_DESCRIPTION)?.unwrap_or_default())
}

/// An http(s) URL or nothing (blank clears it).
fn cover_url(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let field = "input.coverImageUrl";
    let url = kit::validate::optional(field, raw, MAX_URL)?;
    if let Some(url) = &url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            return Err(AppError::bad_input(field, "must be an http(s) URL"));
        }
    }
    Ok(url)
}

/// Parsed, de-duplicated product ids in the given order.
fn featured(raw: Option<&[ID]>) -> Result<Option<Vec<String>>, AppError> {
    let Some(raw) = raw else { return Ok(None) };
    let field = "input.featuredProductIds";
    if raw.len() > MAX_FEATURED {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_FEATURED} products"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for id in raw {
        let id = parse_id(field, id)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(Some(out))
}

async fn write_featured(tx: &mut Tx, stream_id: &str, products: &[String]) -> Result<(), AppError> {
    for (position, product) in products.iter().enumerate() {
        sqlx::query(
            "INSERT INTO livestream_products (stream_id, product_id, position) VALUES ($1, $2, $3)",
        )
        .bind(stream_id)
        .bind(product)
        .bind(position as i64)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
