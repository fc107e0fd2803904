//! `PUT /uploads/{token}`: receives the raw bytes of a pre-signed upload. The token is checked
//! first (forged → 403, expired → 401, already used → 409); the body is streamed up to
//! `MEDIA_MAX_BYTES` (413 past it, before anything is stored); the format is sniffed from the
//! magic bytes (415 unless JPEG, PNG, WebP or GIF); the image is decoded under limits (400 for
//! corrupt data or bomb-sized dimensions) and thumbnailed; objects are stored; then, in one
//! transaction, the upload is marked used, the asset row is created at the end of the product's
//! gallery and `media.uploaded` goes to the outbox.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::BytesMut;
use futures_util::StreamExt;
use kit::error::Code;
use kit::ids::now_millis;
use serde_json::json;

use crate::assets::{Asset, Row, COLUMNS};
use crate::events;
use crate::http_error::HttpError;
use crate::imaging::{self, DecodeLimits, Processed, Refusal, Rendition};
use crate::objects;
use crate::state::MediaState;
use crate::token::TokenError;

/// A pending upload as stored.
struct Upload {
    product_id: String,
    alt: String,
    status: String,
    expires_at: i64,
}

pub async fn put(
    State(state): State<MediaState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match receive(&state, &token, &headers, body).await {
        Ok(asset) => (
            StatusCode::CREATED,
            Json(json!({ "asset": describe(&state, &asset) })),
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}

async fn receive(
    state: &MediaState,
    token: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Asset, HttpError> {
    let now = now_millis();
    let id = state.signer.verify(token, now).map_err(|err| match err {
        TokenError::Forged => HttpError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "invalid upload token",
        )
        .on("token"),
        TokenError::Expired => HttpError::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "upload token expired; create a new upload",
        )
        .on("token"),
    })?;
    let upload = pending_upload(state, &id, now).await?;
    let bytes = read_limited(headers, body, state.settings.max_bytes).await?;
    let limits = DecodeLimits {
        max_dimension: state.settings.max_dimension,
        max_alloc: state.settings.max_decode_bytes,
    };
    let processed = tokio::task::spawn_blocking(move || imaging::process(bytes, limits))
        .await
        .map_err(HttpError::internal)?
        .map_err(refusal)?;
    for rendition in [&processed.original, &processed.small, &processed.medium] {
        state
            .store
            .put(&rendition.key, rendition.bytes.clone())
            .await
            .map_err(HttpError::internal)?;
    }
    record(state, &id, &upload, &processed).await
}

/// The upload `id` if it can still be used.
async fn pending_upload(state: &MediaState, id: &str, now: i64) -> Result<Upload, HttpError> {
    let row: Option<(String, String, String, i64)> =
        sqlx::query_as("SELECT product_id, alt, status, expires_at FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(state.svc.db.pool())
            .await?;
    let (product_id, alt, status, expires_at) = row.ok_or_else(|| {
        // Correctly signed but unknown: issued by another deployment sharing the secret.
        HttpError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "invalid upload token",
        )
        .on("token")
    })?;
    let upload = Upload {
        product_id,
        alt,
        status,
        expires_at,
    };
    if upload.status != "pending" {
        return Err(used());
    }
    if upload.expires_at <= now {
        return Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            Code::Unauthenticated,
            "upload token expired; create a new upload",
        )
        .on("token"));
    }
    Ok(upload)
}

fn used() -> HttpError {
    HttpError::new(
        StatusCode::CONFLICT,
        Code::Conflict,
        "this upload URL has already been used",
    )
    .on("token")
}

fn too_large(max: usize) -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        Code::BadUserInput,
        format!("the image exceeds {max} bytes"),
    )
    .on("body")
}

/// The whole body, refusing it as soon as it is known to exceed `max` bytes.
async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    max: usize,
) -> Result<bytes::Bytes, HttpError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let mut buffer = BytesMut::with_capacity(declared.unwrap_or(0).min(max as u64) as usize);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "the upload was interrupted",
            )
            .on("body")
        })?;
        if buffer.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        buffer.extend_from_slice(&chunk);
    }
    if buffer.is_empty() {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "the body is empty; send the image bytes",
        )
        .on("body"));
    }
    Ok(buffer.freeze())
}

fn refusal(refused: Refusal) -> HttpError {
    let (status, message) = match refused {
        Refusal::Unsupported => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "only JPEG, PNG, WebP and GIF images are accepted".to_string(),
        ),
        Refusal::Invalid => (
            StatusCode::BAD_REQUEST,
            "the image is corrupt or truncated".to_string(),
        ),
        Refusal::TooLarge { max_dimension } => (
            StatusCode::BAD_REQUEST,
            format!(
                "the image is too large to process (at most {max_dimension}×{max_dimension} pixels)"
            ),
        ),
    };
    HttpError::new(status, Code::BadUserInput, message).on("body")
}

/// Marks the upload used and creates its asset, with the event, in one transaction. A
/// concurrent request that used the token first makes this one a 409 and changes nothing.
async fn record(
    state: &MediaState,
    id: &str,
    upload: &Upload,
    processed: &Processed,
) -> Result<Asset, HttpError> {
    let mut tx = state.svc.db.begin().await?;
    let claimed =
        sqlx::query("UPDATE uploads SET status = 'done' WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .execute(tx.conn())
            .await?
            .rows_affected();
    if claimed != 1 {
        return Err(used());
    }
    let original = &processed.original;
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO assets ({COLUMNS}) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE(MAX(position) + 1, 0), $11 \
         FROM assets WHERE product_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(&upload.product_id)
    .bind(&original.key)
    .bind(processed.kind.content_type())
    .bind(original.bytes.len() as i64)
    .bind(i64::from(original.width))
    .bind(i64::from(original.height))
    .bind(&processed.small.key)
    .bind(&processed.medium.key)
    .bind(&upload.alt)
    .bind(now_millis())
    .fetch_one(tx.conn())
    .await?;
    let asset = Asset::from_row(row);
    let fresh = objects::add_refs(&mut tx, asset.keys()).await?;
    // Stored above, but a delete may have removed an object nothing referenced in between.
    for rendition in [&processed.original, &processed.small, &processed.medium] {
        if fresh.contains(&rendition.key) {
            ensure_stored(state, rendition).await?;
        }
    }
    events::uploaded(state, &mut tx, &asset).await?;
    tx.commit().await?;
    Ok(asset)
}

/// Stores `rendition` again if it is missing from the store.
async fn ensure_stored(state: &MediaState, rendition: &Rendition) -> Result<(), HttpError> {
    let present = state
        .store
        .size(&rendition.key)
        .await
        .map_err(HttpError::internal)?;
    if present.is_none() {
        state
            .store
            .put(&rendition.key, rendition.bytes.clone())
            .await
            .map_err(HttpError::internal)?;
    }
    Ok(())
}

/// The upload response: the new asset as a client needs it.
fn describe(state: &MediaState, asset: &Asset) -> serde_json::Value {
    let s = &state.settings;
    json!({
        "id": asset.id,
        "productId": asset.product_id,
        "url": s.object_url(&asset.object_key),
        "contentType": asset.content_type,
        "width": asset.width,
        "height": asset.height,
        "byteSize": asset.byte_size,
        "alt": asset.alt,
        "position": asset.position,
        "thumbnails": {
            "small": s.object_url(&asset.small_key),
            "medium": s.object_url(&asset.medium_key),
        },
    })
}
