//! The GraphQL endpoint. POST decodes the body itself so that oversized, non-UTF-8 or
//! malformed requests get a GraphQL error with `BAD_USER_INPUT` instead of a bare HTTP error;
//! an invalid bearer token fails the request with `UNAUTHENTICATED`. GET upgrades to a
//! graphql-transport-ws WebSocket (token in `connection_init`'s `Authorization`; a router's
//! audience counts in `ping`, see `audience`) or serves GraphiQL.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::{BatchRequest, BatchResponse, Data, Executor};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::audience;
use super::request::{bearer, RequestMeta};
use crate::auth::Caller;
use crate::error::{AppError, Code};
use crate::service::Service;

#[derive(Clone)]
pub struct GraphqlState<E> {
    pub schema: E,
    pub svc: Service,
}

pub async fn post<E: Executor>(
    State(state): State<GraphqlState<E>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let svc = &state.svc;
    svc.http_stats.requests.fetch_add(1, Ordering::Relaxed);
    let max = svc.config.max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, max).await else {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            &format!("request body exceeds {max} bytes"),
        );
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "request body is not valid UTF-8",
        );
    };
    let batch: BatchRequest = match serde_json::from_str(text) {
        Ok(batch) => batch,
        Err(err) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                &format!("request body is not a GraphQL request: {err}"),
            )
        }
    };
    let caller = match authenticate(svc, &headers).await {
        Ok(caller) => caller,
        Err(err) => return error_response(StatusCode::OK, err.code(), &err.message()),
    };
    let meta = RequestMeta::from_parts(&headers, peer, svc.config.trust_forwarded_for);
    let mut batch = batch.data(meta);
    if let Some(caller) = caller {
        batch = batch.data(caller);
    }
    let mut response = state.schema.execute_batch(batch).await;
    let responses = match &mut response {
        BatchResponse::Single(r) => std::slice::from_mut(r),
        BatchResponse::Batch(rs) => rs.as_mut_slice(),
    };
    let mut errors = 0;
    for r in responses {
        errors += r.errors.len();
        tag_request_errors(&mut r.errors);
    }
    svc.http_stats
        .graphql_errors
        .fetch_add(errors as u64, Ordering::Relaxed);
    json_response(StatusCode::OK, &response, wants_graphql_response(&headers))
}

/// Read buffer per WebSocket connection (see `get`).
const WS_READ_BUFFER: usize = 4 * 1024;

pub async fn get<E: Executor>(
    State(state): State<GraphqlState<E>>,
    protocol: Result<GraphQLProtocol, axum::http::StatusCode>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    let svc = state.svc.clone();
    let schema = state.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // tungstenite zero-fills its whole read buffer on every read, so the 128 KiB default
        // is 128 KiB resident per socket; a router opens one per signed-in subscriber.
        // Client messages are small, and a larger frame still grows the buffer as it needs.
        .read_buffer_size(WS_READ_BUFFER)
        .on_upgrade(move |socket| async move {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let mut data = Data::default();
                    audience::connection_data(&mut data);
                    let token = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|v| v.as_str())
                        .and_then(bearer)
                        .map(str::to_string);
                    if let Some(token) = token {
                        let caller = svc.verifier.verify(&token).await?;
                        data.insert(caller);
                    }
                    Ok(data)
                })
                .on_ping(audience::on_ping)
                .serve()
                .await
        })
        .into_response()
}

/// Parse and validation errors (no path: the request itself is wrong) come from async-graphql
/// without a code; they are the client's input errors.
fn tag_request_errors(errors: &mut [async_graphql::ServerError]) {
    for err in errors.iter_mut().filter(|e| e.path.is_empty()) {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", Code::BadUserInput.as_str());
        }
    }
}

async fn authenticate(svc: &Service, headers: &HeaderMap) -> Result<Option<Caller>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(bearer)
        .ok_or_else(|| AppError::unauthenticated("Authorization must be `Bearer <token>`"))?;
    svc.verifier.verify(token).await.map(Some)
}

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/graphql-response+json"))
}

fn json_response(status: StatusCode, body: &impl serde::Serialize, graphql_type: bool) -> Response {
    let content_type = if graphql_type {
        "application/graphql-response+json"
    } else {
        "application/json"
    };
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A request-level failure in the GraphQL response shape.
pub fn error_response(status: StatusCode, code: Code, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
    });
    json_response(status, &body, false)
}
