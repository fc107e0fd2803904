//! GraphQL over HTTP: `POST /graphql`, `GET /graphql` (queries only, GraphiQL for browsers,
//! WebSocket upgrade for subscriptions), media types and status codes per GraphQL-over-HTTP.
//! Identical queries in flight share one execution (see `dedup`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response as HttpResponse};

use crate::pipeline::plan::OpKind;
use crate::pipeline::{self, Context, GraphQLRequest, Outcome, PreparedRequest};
use crate::response::{GraphQLError, Response};
use crate::server::SharedState;
use crate::supergraph::Supergraph;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// Size of the last serialized response: the next buffer starts there, so a typical response is
/// written without growing (and copying) the buffer several times.
static LAST_RESPONSE_LEN: AtomicUsize = AtomicUsize::new(0);

fn response_capacity() -> usize {
    let last = LAST_RESPONSE_LEN.load(Ordering::Relaxed);
    (last + last / 8).clamp(1024, 1 << 20)
}

pub async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"UP"}"#,
    )
}

pub(crate) fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(media))
}

pub async fn post_graphql(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> HttpResponse {
    if let Some(refused) = crate::csrf::refusal(&state.config.csrf, &headers) {
        return refused;
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return crate::limits::body_refusal(&headers, e, state.config.limits.max_body_bytes)
        }
    };
    let mut req: GraphQLRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return reply(
                &headers,
                Response::request_error(vec![
                    GraphQLError::new(format!("Invalid JSON body: {e}")).code("BAD_REQUEST")
                ]),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    if let Err(refused) = persisted(&state, &headers, &mut req, &body).await {
        return refused;
    }
    if accepts(&headers, "text/event-stream") {
        return super::sse::respond(state, headers, req).await;
    }
    if accepts(&headers, "multipart/mixed") {
        return super::multipart::respond(state, headers, req, false).await;
    }
    execute(state, headers, req, false).await
}

pub async fn get_graphql(
    State(state): State<SharedState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> HttpResponse {
    if let Ok(ws) = ws {
        return super::websocket::upgrade(state, ws, headers);
    }
    if !params.contains_key("query") && accepts(&headers, "text/html") {
        return Html(crate::graphiql::page()).into_response();
    }
    if let Some(refused) = crate::csrf::refusal(&state.config.csrf, &headers) {
        return refused;
    }
    let variables = match params.get("variables").map(|v| serde_json::from_str(v)) {
        Some(Err(_)) => {
            return reply(
                &headers,
                Response::request_error(vec![
                    GraphQLError::new("Variables are invalid JSON.").code("BAD_REQUEST")
                ]),
                StatusCode::BAD_REQUEST,
            )
        }
        Some(Ok(v)) => Some(v),
        None => None,
    };
    let mut req = GraphQLRequest {
        query: params.get("query").cloned(),
        operation_name: params
            .get("operationName")
            .cloned()
            .filter(|s| !s.is_empty()),
        variables,
        extensions: params
            .get("extensions")
            .and_then(|e| serde_json::from_str(e).ok()),
    };
    let document_id = params.get("documentId").map(String::as_str);
    if let Err(e) = state.persisted.resolve(&mut req, document_id).await {
        let status = crate::persisted::status(&e);
        return reply(&headers, Response::request_error(vec![e]), status);
    }
    if accepts(&headers, "text/event-stream") {
        return super::sse::respond(state, headers, req).await;
    }
    if accepts(&headers, "multipart/mixed") {
        return super::multipart::respond(state, headers, req, true).await;
    }
    execute(state, headers, req, true).await
}

pub(crate) async fn execute(
    state: SharedState,
    headers: HeaderMap,
    req: GraphQLRequest,
    is_get: bool,
) -> HttpResponse {
    let supergraph = state.current();
    let principal = match state.auth.authenticate(&supergraph, &headers).await {
        Ok(p) => p,
        Err(rejection) => {
            let summary = crate::access_log::Summary::new(
                req.operation_name.as_deref(),
                req.query.as_deref(),
                "unauthenticated",
                &[],
            );
            return rejection.into_response(summary.operation);
        }
    };
    let forwarded = state.client.forwarded(&headers);
    let prepared = pipeline::prepare_request(&supergraph, &req);
    let run = Run {
        state: state.clone(),
        supergraph,
        forwarded,
        principal,
        operation_name: req.operation_name.clone(),
        is_get,
    };
    let executed = match (&state.operations, prepared) {
        // Identical queries in flight share one execution and its serialized response.
        (Some(operations), Ok((prepared, vars))) if prepared.kind == OpKind::Query => {
            let key = operation_key(&run, &req, &vars, headers.get(header::AUTHORIZATION));
            operations
                .join("operation_inflight", key, move || async move {
                    Arc::new(run.execute(Ok((prepared, vars))).await)
                })
                .await
        }
        (_, prepared) => Arc::new(run.execute(prepared).await),
    };
    let Executed {
        response,
        outcome,
        verdict,
        body,
    } = &*executed;
    let caching = crate::cache::headers::decide(&headers, *verdict, response);
    let summary = crate::access_log::Summary::new(
        req.operation_name.as_deref(),
        req.query.as_deref(),
        match outcome {
            Outcome::Executed => "ok",
            _ => "request_error",
        },
        &response.errors,
    );
    let strict = accepts(&headers, GRAPHQL_RESPONSE);
    let status = match outcome {
        Outcome::Executed => StatusCode::OK,
        Outcome::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        // Legacy application/json clients get 200 for well-formed requests that fail validation.
        Outcome::RequestError if crate::timeout::is_timeout(response) => {
            StatusCode::GATEWAY_TIMEOUT
        }
        Outcome::RequestError if strict || crate::limits::is_refusal(response) => {
            StatusCode::BAD_REQUEST
        }
        Outcome::RequestError => StatusCode::OK,
    };
    let mut resp = caching.apply(reply_serialized(&headers, body.clone(), status));
    resp.extensions_mut().insert(summary);
    if *outcome == Outcome::MethodNotAllowed {
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    resp
}

/// One operation's execution, as every request that shares it reads it.
pub struct Executed {
    response: Response,
    outcome: Outcome,
    /// What the response cache learned of the data's cacheability (`cache::headers`).
    verdict: crate::cache::headers::Verdict,
    body: Bytes,
}

/// What executing an operation needs.
struct Run {
    state: SharedState,
    supergraph: Arc<Supergraph>,
    forwarded: Vec<(String, String)>,
    principal: Option<Arc<crate::auth::Principal>>,
    operation_name: Option<String>,
    is_get: bool,
}

impl Run {
    async fn execute(self, prepared: Result<PreparedRequest, Vec<GraphQLError>>) -> Executed {
        let ctx = Context {
            supergraph: &self.supergraph,
            client: &self.state.client,
            headers: &self.forwarded,
            principal: self.principal.as_deref(),
        };
        let ((response, outcome), verdict) = crate::cache::headers::collect(crate::timeout::run(
            self.state.config.operation_timeout,
            pipeline::execute_prepared(&ctx, prepared, self.operation_name.as_deref(), self.is_get),
        ))
        .await;
        let body = serialize(&response).into();
        Executed {
            response,
            outcome,
            verdict,
            body,
        }
    }
}

/// Everything a query's response depends on: the supergraph, the operation and its variables,
/// what the subgraphs are sent (forwarded headers) and who asks (the Authorization header the
/// authorization directives read).
fn operation_key(
    run: &Run,
    req: &GraphQLRequest,
    vars: &serde_json::Map<String, serde_json::Value>,
    authorization: Option<&HeaderValue>,
) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    // JSON values end unambiguously: serialized straight into the hash, no length needed.
    let _ = serde_json::to_writer(HashWriter(&mut h), vars);
    let _ = serde_json::to_writer(HashWriter(&mut h), &req.extensions);
    let mut part = |b: &[u8]| {
        h.update(&(b.len() as u64).to_le_bytes());
        h.update(b);
    };
    part(&(Arc::as_ptr(&run.supergraph) as usize).to_le_bytes());
    part(req.query.as_deref().unwrap_or_default().as_bytes());
    part(req.operation_name.as_deref().unwrap_or_default().as_bytes());
    part(authorization.map_or(&b""[..], HeaderValue::as_bytes));
    for (k, v) in &run.forwarded {
        part(k.as_bytes());
        part(v.as_bytes());
    }
    h.digest128()
}

/// Feeds serialized bytes into a hash without collecting them first.
struct HashWriter<'a>(&'a mut xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Resolves persisted operations (see `persisted`); a POST's `documentId` is read from the body
/// only when there is no query text.
async fn persisted(
    state: &SharedState,
    headers: &HeaderMap,
    req: &mut GraphQLRequest,
    body: &[u8],
) -> Result<(), HttpResponse> {
    #[derive(serde::Deserialize)]
    struct DocumentId {
        #[serde(rename = "documentId")]
        document_id: Option<String>,
    }
    let document_id = match req.query {
        None => serde_json::from_slice::<DocumentId>(body)
            .ok()
            .and_then(|d| d.document_id),
        Some(_) => None,
    };
    state
        .persisted
        .resolve(req, document_id.as_deref())
        .await
        .map_err(|e| {
            let status = crate::persisted::status(&e);
            reply(headers, Response::request_error(vec![e]), status)
        })
}

/// Serializes a response in the media type the client prefers.
pub fn reply(headers: &HeaderMap, response: Response, status: StatusCode) -> HttpResponse {
    reply_serialized(headers, serialize(&response).into(), status)
}

/// A response already serialized, in the media type the client prefers.
fn reply_serialized(headers: &HeaderMap, body: Bytes, status: StatusCode) -> HttpResponse {
    let media = if accepts(headers, GRAPHQL_RESPONSE) {
        GRAPHQL_RESPONSE
    } else {
        "application/json"
    };
    (status, [(header::CONTENT_TYPE, media)], body).into_response()
}

fn serialize(response: &Response) -> Vec<u8> {
    let mut body = Vec::with_capacity(response_capacity());
    if sonic_rs::to_writer(&mut body, response).is_err() {
        body = b"{}".to_vec();
    }
    LAST_RESPONSE_LEN.store(body.len(), Ordering::Relaxed);
    body
}
