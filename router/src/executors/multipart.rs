//! GraphQL over `multipart/mixed`, the plain-HTTP streaming protocol Apollo Client and Relay
//! speak: subscriptions (`subscriptionSpec="1.0"`: each event a part `{"payload": ...}`, a `{}`
//! heartbeat part at the start and every `ROUTER_MULTIPART_HEARTBEAT_MS`), `@defer` and
//! `@stream` (`deferSpec=20220824`: the first result, then each deferred fragment and each
//! streamed list's later items; see `incremental`).
//!
//! Every part is followed by the boundary at once, so a client can hand a part on as soon as
//! it arrives instead of waiting for the next one.

use std::convert::Infallible;
use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::pipeline::plan::OpKind;
use crate::pipeline::{self, Context, GraphQLRequest};
use crate::response::Response;
use crate::server::SharedState;
use crate::subscription;

/// Opens the body; every part ends with the next delimiter.
const START: &str = "\r\n--graphql";
const PART_HEADERS: &str = "\r\ncontent-type: application/json; charset=utf-8\r\n\r\n";
/// Closes the body after the last part's delimiter.
const END: &str = "--\r\n";
const HEARTBEAT: &str = "{}";

fn part(json: &str) -> Bytes {
    let mut b = String::with_capacity(PART_HEADERS.len() + json.len() + START.len());
    b.push_str(PART_HEADERS);
    b.push_str(json);
    b.push_str(START);
    Bytes::from(b)
}

fn streaming(
    spec: &'static str,
    body: impl futures_util::Stream<Item = Bytes> + Send + 'static,
) -> HttpResponse {
    let body = futures_util::stream::once(async { Bytes::from_static(START.as_bytes()) })
        .chain(body)
        .chain(futures_util::stream::once(async {
            Bytes::from_static(END.as_bytes())
        }))
        .map(Ok::<_, Infallible>);
    let mut resp = (StatusCode::OK, Body::from_stream(body)).into_response();
    let content_type = format!("multipart/mixed;boundary=\"graphql\";{spec}");
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).expect("a static content type"),
    );
    // Proxies must pass parts on as they come.
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

pub async fn respond(
    state: SharedState,
    headers: HeaderMap,
    req: GraphQLRequest,
    is_get: bool,
) -> HttpResponse {
    let supergraph = state.current();
    let principal = match state.auth.authenticate(&supergraph, &headers).await {
        Ok(p) => p,
        Err(rejection) => return rejection.into_response(req.operation_name.clone()),
    };
    let (prepared, vars) = match pipeline::prepare_request(&supergraph, &req) {
        Ok(p) => p,
        Err(errors) => {
            return super::http::reply(
                &headers,
                Response::request_error(errors),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let forwarded = state.client.forwarded(&headers);
    if prepared.kind == OpKind::Subscription {
        return subscribe(state, req, forwarded, principal.as_deref());
    }
    if prepared.kind == OpKind::Mutation && is_get {
        // The ordinary path answers 405 with its explanation.
        return super::http::execute(state, headers, req, is_get).await;
    }
    let Some(split) = crate::incremental::split(&prepared, &vars) else {
        // Nothing deferred: one part (a client that also takes JSON gets plain JSON).
        if super::http::accepts(&headers, "application/json")
            || super::http::accepts(&headers, "application/graphql-response+json")
        {
            return super::http::execute(state, headers, req, is_get).await;
        }
        let body = async_stream::stream! {
            let ctx = Context {
                supergraph: &supergraph,
                client: &state.client,
                headers: &forwarded,
                principal: principal.as_deref(),
            };
            let (response, _) = crate::timeout::run(
                state.config.operation_timeout,
                pipeline::execute(&ctx, &req, is_get),
            )
            .await;
            yield part(&crate::incremental::only_payload(&response));
        };
        return streaming("deferSpec=20220824", body);
    };
    let body = async_stream::stream! {
        let ctx = Context {
            supergraph: &supergraph,
            client: &state.client,
            headers: &forwarded,
            principal: principal.as_deref(),
        };
        let payloads = crate::incremental::payloads(
            &ctx,
            prepared,
            split,
            req.operation_name.clone(),
            vars,
            state.config.operation_timeout,
        );
        futures_util::pin_mut!(payloads);
        while let Some(p) = payloads.next().await {
            yield part(&p);
        }
    };
    streaming("deferSpec=20220824", body)
}

/// A subscription as multipart parts: `{}` at once (the client knows it is established), each
/// event as `{"payload": <response>}`, heartbeats while idle, and a transport-level
/// `{"payload": null, "errors": [...]}` when the router ends it (slow client).
fn subscribe(
    state: SharedState,
    req: GraphQLRequest,
    forwarded: Vec<(String, String)>,
    principal: Option<&crate::auth::Principal>,
) -> HttpResponse {
    // Subgraphs read a subscriber's credentials from `connection_init`, as over SSE.
    let mut init = Map::new();
    if let Some((_, auth)) = forwarded.iter().find(|(k, _)| k == "authorization") {
        init.insert("Authorization".into(), Value::String(auth.clone()));
    }
    let heartbeat = state.config.multipart_heartbeat;
    let mut sub = match subscription::start(state, &req, forwarded, Value::Object(init), principal)
    {
        Ok(Some(sub)) => sub,
        other => {
            let errors = match other {
                Err(errors) => errors,
                // Planned as a subscription a moment ago; a supergraph reload can change that.
                _ => vec![crate::response::GraphQLError::new(
                    "The operation is no longer a subscription; send it again.",
                )
                .code("BAD_REQUEST")],
            };
            let body = futures_util::stream::once(async move {
                let r = serde_json::json!({ "payload": null, "errors": errors });
                part(&r.to_string())
            });
            return streaming("subscriptionSpec=\"1.0\"", body);
        }
    };
    let body = async_stream::stream! {
        yield part(HEARTBEAT);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        loop {
            tokio::select! {
                event = sub.events.recv() => match event {
                    Some(r) => yield part(&format!("{{\"payload\":{r}}}")),
                    None => break,
                },
                _ = ticks.tick() => yield part(HEARTBEAT),
            }
        }
        if sub.overflowed.load(Ordering::SeqCst) {
            let r = serde_json::json!({ "payload": null, "errors": [subscription::overflow_error()] });
            yield part(&r.to_string());
        }
    };
    streaming("subscriptionSpec=\"1.0\"", body)
}
