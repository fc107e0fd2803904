//! `createMediaUpload`: staff ask to add an image to a product and get a pre-signed, expiring,
//! single-use URL to `PUT` the bytes to (see `upload_http`), so images never pass through the
//! router. The pending upload row remembers the product and alt text until the bytes arrive.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::AppError;

use crate::state::MediaState;
use crate::text::{parse_alt, parse_filename};

#[derive(InputObject)]
pub struct CreateMediaUploadInput {
    pub product_id: ID,
    /// The client's file name, kept for reference; the type is detected from the bytes.
    pub filename: String,
    /// Alternative text (at most 300 characters, one line).
    #[graphql(default)]
    pub alt: String,
}

/// Where and until when to send the image.
#[derive(SimpleObject)]
pub struct MediaUpload {
    /// Also the id of the asset the upload becomes.
    pub upload_id: ID,
    /// `PUT` the raw image bytes here (JPEG, PNG, WebP or GIF); usable once.
    pub upload_url: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct UploadMutation;

#[Object]
impl UploadMutation {
    /// Starts an image upload for a product. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn create_media_upload(
        &self,
        ctx: &Context<'_>,
        input: CreateMediaUploadInput,
    ) -> Result<MediaUpload> {
        Ok(create(ctx, input).await?)
    }
}

async fn create(ctx: &Context<'_>, input: CreateMediaUploadInput) -> Result<MediaUpload, AppError> {
    let caller = require_role(ctx, Role::Staff)?;
    let product_id = parse_id("input.productId", &input.product_id)?;
    let filename = parse_filename("input.filename", &input.filename)?;
    let alt = parse_alt("input.alt", &input.alt)?;
    let state = MediaState::of(ctx);
    let id = new_id();
    let now = now_millis();
    let expires_at = now + state.settings.upload_ttl.as_millis() as i64;
    // Expired uploads can never be used again (the token's own expiry is checked first), so
    // each new upload clears them away; the minute of grace covers clock skew between instances.
    sqlx::query("DELETE FROM uploads WHERE expires_at < $1")
        .bind(now - 60_000)
        .execute(state.svc.db.pool())
        .await?;
    sqlx::query(
        "INSERT INTO uploads (id, product_id, filename, alt, status, created_by, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7)",
    )
    .bind(&id)
    .bind(&product_id)
    .bind(&filename)
    .bind(&alt)
    .bind(&caller.user_id)
    .bind(expires_at)
    .bind(now)
    .execute(state.svc.db.pool())
    .await?;
    let token = state.signer.sign(&id, expires_at);
    Ok(MediaUpload {
        upload_id: ID(id),
        upload_url: format!("{}/uploads/{token}", state.settings.public_url),
        expires_at: from_millis(expires_at),
    })
}
