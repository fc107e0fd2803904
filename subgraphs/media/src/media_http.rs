//! `GET /media/{key}` and `HEAD`: objects straight from the store. Keys are content hashes, so
//! a response never changes: it is cacheable for a year (`immutable`), its ETag is the hash,
//! and a client that already holds it (`If-None-Match`) gets `304` without the body.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use kit::error::Code;

use crate::http_error::HttpError;
use crate::sniff::ImageKind;
use crate::state::MediaState;
use crate::store::is_key;

const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub async fn get(
    State(state): State<MediaState>,
    Path(key): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match serve(&state, &key, &method, &headers).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn not_found() -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, Code::NotFound, "no such media").on("key")
}

async fn serve(
    state: &MediaState,
    key: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, HttpError> {
    if !is_key(key) {
        return Err(not_found());
    }
    let (hash, ext) = key.split_once('.').expect("checked by is_key");
    let kind = ImageKind::from_extension(ext).expect("checked by is_key");
    let etag = format!("\"{hash}\"");

    // HEAD and 304 need only to know the object exists; GET needs its bytes.
    let (status, body, length) = if *method == Method::HEAD || matches_etag(headers, &etag) {
        let size = state
            .store
            .size(key)
            .await
            .map_err(HttpError::internal)?
            .ok_or_else(not_found)?;
        let status = if matches_etag(headers, &etag) {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        };
        (status, Body::empty(), size)
    } else {
        let bytes = state
            .store
            .get(key)
            .await
            .map_err(HttpError::internal)?
            .ok_or_else(not_found)?;
        let length = bytes.len() as u64;
        (StatusCode::OK, Body::from(bytes), length)
    };

    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if status == StatusCode::OK {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(kind.content_type()),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        // Never let a browser second-guess the type we detected.
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    Ok(response)
}

/// True when `If-None-Match` lists `etag` (weak or strong) or `*`.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

#[cfg(test)]
mod tests {
    use super::matches_etag;
    use axum::http::{header, HeaderMap, HeaderValue};

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        assert!(!matches_etag(&h, "\"abc\""));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(matches_etag(&h, "\"abc\""));
        assert!(!matches_etag(&h, "\"abd\""));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&h, "\"abd\""));
    }
}
