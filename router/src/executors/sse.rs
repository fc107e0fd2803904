//! GraphQL over Server-Sent Events (distinct connections mode): one subscription per request,
//! `next` events then `complete`; queries and mutations yield a single `next`, or with `@defer`
//! or `@stream` one per incremental payload (see `incremental`).

use std::convert::Infallible;
use std::sync::atomic::Ordering;

use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde_json::{Map, Value};

use crate::pipeline::{self, Context, GraphQLRequest, Outcome};
use crate::response::Response;
use crate::server::SharedState;
use crate::subscription;

fn next_event(r: &Response) -> Event {
    Event::default()
        .event("next")
        .data(serde_json::to_string(r).unwrap_or_default())
}

fn complete_event() -> Event {
    Event::default().event("complete").data("")
}

pub async fn respond(state: SharedState, headers: HeaderMap, req: GraphQLRequest) -> HttpResponse {
    let principal = match state.auth.authenticate(&state.current(), &headers).await {
        Ok(p) => p,
        Err(rejection) => return rejection.into_response(req.operation_name.clone()),
    };
    let forwarded = state.client.forwarded(&headers);
    // Subgraphs read a subscriber's credentials from `connection_init` (as a WebSocket client
    // sends them), so the SSE request's Authorization travels there too.
    let mut init = Map::new();
    if let Some((_, auth)) = forwarded.iter().find(|(k, _)| k == "authorization") {
        init.insert("Authorization".into(), Value::String(auth.clone()));
    }
    match subscription::start(
        state.clone(),
        &req,
        forwarded.clone(),
        Value::Object(init),
        principal.as_deref(),
    ) {
        Err(errors) => super::http::reply(
            &headers,
            Response::request_error(errors),
            StatusCode::BAD_REQUEST,
        ),
        Ok(Some(mut sub)) => {
            let stream = async_stream::stream! {
                while let Some(r) = sub.events.recv().await {
                    yield Ok::<_, Infallible>(Event::default().event("next").data(&*r));
                }
                if sub.overflowed.load(Ordering::SeqCst) {
                    yield Ok(next_event(&Response::request_error(vec![subscription::overflow_error()])));
                }
                yield Ok(complete_event());
            };
            Sse::new(stream)
                .keep_alive(KeepAlive::default())
                .into_response()
        }
        Ok(None) => {
            let supergraph = state.current();
            // `@defer` / `@stream`: one `next` per incremental payload (see `incremental`).
            let split =
                pipeline::prepare_request(&supergraph, &req)
                    .ok()
                    .and_then(|(prepared, vars)| {
                        crate::incremental::split(&prepared, &vars).map(|s| (prepared, vars, s))
                    });
            if let Some((prepared, vars, split)) = split {
                let stream = async_stream::stream! {
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
                    while let Some(p) = futures_util::StreamExt::next(&mut payloads).await {
                        yield Ok::<_, Infallible>(Event::default().event("next").data(p));
                    }
                    yield Ok(complete_event());
                };
                return Sse::new(stream).into_response();
            }
            let ctx = Context {
                supergraph: &supergraph,
                client: &state.client,
                headers: &forwarded,
                principal: principal.as_deref(),
            };
            let (response, outcome) = pipeline::execute(&ctx, &req, false).await;
            if outcome != Outcome::Executed {
                return super::http::reply(&headers, response, StatusCode::BAD_REQUEST);
            }
            let events = vec![
                Ok::<_, Infallible>(next_event(&response)),
                Ok(complete_event()),
            ];
            Sse::new(futures_util::stream::iter(events)).into_response()
        }
    }
}
