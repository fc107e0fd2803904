//! The HTTP callbacks media servers make when a publisher connects or disconnects.
//!
//! The encoder publishes to `<RTMP URL>/<playbackId>?key=<streamKey>`: the public playback id
//! is the stream's name on the media server (so HLS files and playback URLs carry only it) and
//! the secret key rides in the query, which the servers hand to these callbacks.
//!
//! - nginx-rtmp `on_publish` / `on_publish_done` (form POST: `name`, `app`, `addr`, … plus
//!   the publish URL's query arguments, here `key`): 2xx accepts, 403 refuses (nginx then drops
//!   the publisher).
//! - MediaMTX external HTTP authentication (`authHTTPAddress`, JSON POST with `action`, `path`,
//!   `query`, …): `publish` is checked like `on_publish`; viewing actions (`read`, `playback`)
//!   are public; anything else is refused. MediaMTX reports a disconnect only through its
//!   `runOnUnpublish` hook, which can POST `{path, query}` to `/ingest/mediamtx/unpublish`.
//!
//! A valid key on a SCHEDULED stream takes it LIVE; on a LIVE one (an encoder reconnecting) it
//! is accepted as is; anything else is refused. A disconnect ends a LIVE stream at once:
//! there is no "paused" grace state, so an encoder that drops out ends the show (the host
//! schedules a new stream). The simplest behaviour that is always correct; a grace period
//! would need a timer that survives restarts.

use std::collections::HashMap;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use kit::{AppError, Service};
use serde::Deserialize;

use crate::secret;
use crate::settings::Settings;
use crate::status::LivestreamStatus;
use crate::stream::Livestream;
use crate::transition::{self, Cause};

#[derive(Clone)]
pub struct Ingest {
    pub svc: Service,
    pub settings: Settings,
}

pub fn routes(ingest: Ingest) -> Router {
    Router::new()
        .route("/ingest/nginx/on_publish", post(nginx_publish))
        .route("/ingest/nginx/on_publish_done", post(nginx_publish_done))
        .route("/ingest/mediamtx/auth", post(mediamtx_auth))
        .route("/ingest/mediamtx/unpublish", post(mediamtx_unpublish))
        .with_state(ingest)
}

async fn nginx_publish(
    State(ingest): State<Ingest>,
    Form(form): Form<HashMap<String, String>>,
) -> StatusCode {
    let name = form.get("name").map(String::as_str).unwrap_or_default();
    let key = form.get("key").map(String::as_str).unwrap_or_default();
    ingest.publish(name, key).await
}

async fn nginx_publish_done(
    State(ingest): State<Ingest>,
    Form(form): Form<HashMap<String, String>>,
) -> StatusCode {
    let name = form.get("name").map(String::as_str).unwrap_or_default();
    let key = form.get("key").map(String::as_str).unwrap_or_default();
    ingest.unpublish(name, key).await
}

/// MediaMTX's authentication request (fields this service reads).
#[derive(Debug, Deserialize)]
struct MediaMtxAuth {
    action: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    query: String,
}

async fn mediamtx_auth(State(ingest): State<Ingest>, Json(req): Json<MediaMtxAuth>) -> StatusCode {
    match req.action.as_str() {
        "publish" => {
            let (name, key) = path_and_key(&req.path, &req.query);
            ingest.publish(&name, &key).await
        }
        "read" | "playback" => StatusCode::OK,
        _ => StatusCode::FORBIDDEN,
    }
}

#[derive(Debug, Deserialize)]
struct MediaMtxUnpublish {
    path: String,
    #[serde(default)]
    query: String,
}

async fn mediamtx_unpublish(
    State(ingest): State<Ingest>,
    Json(req): Json<MediaMtxUnpublish>,
) -> StatusCode {
    let (name, key) = path_and_key(&req.path, &req.query);
    ingest.unpublish(&name, &key).await
}

/// The stream name (last path segment) and the `key` query argument.
fn path_and_key(path: &str, query: &str) -> (String, String) {
    let name = path.rsplit('/').next().unwrap_or_default().to_string();
    let key = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "key")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    (name, key)
}

impl Ingest {
    /// The stream whose playback id is `name`, if `key` is its stream key.
    async fn authorised(&self, name: &str, key: &str) -> Result<Option<Livestream>, AppError> {
        if name.is_empty() || key.is_empty() {
            return Ok(None);
        }
        let row: Option<crate::stream::Row> = sqlx::query_as(&format!(
            "SELECT {} FROM livestreams WHERE playback_id = $1",
            crate::stream::COLUMNS
        ))
        .bind(name)
        .fetch_optional(self.svc.db.pool())
        .await?;
        Ok(row
            .map(Livestream::from_row)
            .filter(|s| secret::same(&s.stream_key, key)))
    }

    async fn publish(&self, name: &str, key: &str) -> StatusCode {
        let stream = match self.authorised(name, key).await {
            Ok(Some(stream)) => stream,
            Ok(None) => {
                tracing::warn!(%name, "publish refused: unknown stream or wrong key");
                return StatusCode::FORBIDDEN;
            }
            Err(err) => return failed(err),
        };
        match stream.status {
            LivestreamStatus::Live => StatusCode::OK,
            LivestreamStatus::Scheduled => {
                let to = LivestreamStatus::Live;
                match transition::apply(&self.svc, &self.settings, &stream.id, to, Cause::Publisher)
                    .await
                {
                    Ok(_) => StatusCode::OK,
                    // Went live meanwhile (staff, or a concurrent callback): accept.
                    Err(AppError::Conflict(_)) => self.still_live(&stream.id).await,
                    Err(err) => failed(err),
                }
            }
            LivestreamStatus::Ended | LivestreamStatus::Cancelled => {
                tracing::warn!(stream = %stream.id, status = stream.status.as_str(), "publish refused: stream is over");
                StatusCode::FORBIDDEN
            }
        }
    }

    async fn still_live(&self, id: &str) -> StatusCode {
        match crate::stream::by_id(&self.svc.db, id).await {
            Ok(Some(s)) if s.status == LivestreamStatus::Live => StatusCode::OK,
            Ok(_) => StatusCode::FORBIDDEN,
            Err(err) => failed(err),
        }
    }

    async fn unpublish(&self, name: &str, key: &str) -> StatusCode {
        let stream = match self.authorised(name, key).await {
            Ok(Some(stream)) => stream,
            Ok(None) => return StatusCode::FORBIDDEN,
            Err(err) => return failed(err),
        };
        if stream.status != LivestreamStatus::Live {
            return StatusCode::OK;
        }
        let to = LivestreamStatus::Ended;
        match transition::apply(&self.svc, &self.settings, &stream.id, to, Cause::Publisher).await {
            // Ended meanwhile (staff): nothing left to do.
            Ok(_) | Err(AppError::Conflict(_)) => StatusCode::OK,
            Err(err) => failed(err),
        }
    }
}

fn failed(err: AppError) -> StatusCode {
    tracing::error!(error = %err.message(), "ingest callback failed");
    if let AppError::Internal(source) = &err {
        tracing::error!(error = ?source, "ingest callback: internal error");
    }
    StatusCode::INTERNAL_SERVER_ERROR
}
