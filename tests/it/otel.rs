//! OpenTelemetry across the platform: with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a small
//! OTLP/HTTP receiver (protobuf decoded with `opentelemetry-proto`), one client request through
//! the router is one connected trace: the router's request span (a child of the client's own
//! `traceparent`), its plan-node and subgraph-fetch spans, and the request spans of the two
//! subgraphs the query needs (catalog and reviews), each a child of the router's fetch span.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;

use crate::launcher::*;

/// Every span the receiver has been sent.
type Received = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP receiver: `POST /v1/traces` with a protobuf `ExportTraceServiceRequest`.
async fn receiver() -> (String, Received) {
    let spans: Received = Arc::default();
    let store = spans.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                let mut store = store.lock().unwrap();
                for rs in req.resource_spans {
                    for ss in rs.scope_spans {
                        store.extend(ss.spans);
                    }
                }
                // An empty ExportTraceServiceResponse.
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), spans)
}

/// What a span is, from its kind and attributes (names are for people: `router POST /graphql`,
/// `Fetch catalog`, `fetch reviews`, `reviews POST /graphql`).
#[derive(Debug, PartialEq)]
enum Role {
    RouterRequest,
    PlanNode,
    Fetch(String),
    SubgraphRequest(String),
    Other,
}

fn role(span: &Span) -> Role {
    let subgraph = attr(span, "subgraph");
    if attr(span, "plan.node").is_some() {
        Role::PlanNode
    } else if span.kind == SpanKind::Client as i32 {
        Role::Fetch(subgraph.unwrap_or_default())
    } else if span.kind == SpanKind::Server as i32 {
        match subgraph {
            Some(s) => Role::SubgraphRequest(s),
            None => Role::RouterRequest,
        }
    } else {
        Role::Other
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| match &v.value {
            Some(AnyValue::StringValue(s)) => Some(s.clone()),
            _ => None,
        })
}

#[tokio::test]
async fn one_request_is_one_connected_trace_across_router_and_subgraphs() {
    let (endpoint, received) = receiver().await;
    let shop = Shop::start_with(
        5,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ],
    )
    .await;

    // The client starts the trace; the router continues it.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let resp = shop
        .http()
        .post(&shop.router)
        .header("traceparent", format!("00-{trace_id}-{client_span}-01"))
        .json(&json!({
            "query": "{ products(first: 2) { edges { node { id title reviews(first: 3) { totalCount } } } } }"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");

    let want = hex(trace_id);
    let spans = eventually("the trace's spans at the receiver", || {
        let received = received.clone();
        let want = want.clone();
        async move {
            let spans: Vec<Span> = received
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.trace_id == want)
                .cloned()
                .collect();
            let roles: Vec<Role> = spans.iter().map(role).collect();
            // The router's request span ends last, after every span under it.
            (roles.contains(&Role::RouterRequest)
                && roles.contains(&Role::SubgraphRequest("catalog".into()))
                && roles.contains(&Role::SubgraphRequest("reviews".into())))
            .then_some(spans)
        }
    })
    .await;

    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (&s.span_id[..], s)).collect();
    let role_of = |id: &[u8]| by_id.get(id).map(|s| role(s));
    // The router's request span is the client's child; every other span has its parent in
    // the trace, so the trace is connected.
    let roots: Vec<&Span> = spans
        .iter()
        .filter(|s| role(s) == Role::RouterRequest)
        .collect();
    assert_eq!(roots.len(), 1, "{:#?}", names(&spans));
    assert_eq!(roots[0].parent_span_id, hex(client_span));
    for s in &spans {
        if role(s) != Role::RouterRequest {
            assert!(
                by_id.contains_key(&s.parent_span_id[..]),
                "{} has a parent outside the trace: {:#?}",
                s.name,
                names(&spans)
            );
        }
    }
    // Plan nodes and fetches sit under the request; each subgraph's request span is the child
    // of the router's fetch span for that subgraph.
    assert!(
        spans.iter().any(|s| role(s) == Role::PlanNode),
        "{:#?}",
        names(&spans)
    );
    for subgraph in ["catalog", "reviews"] {
        let served = spans
            .iter()
            .find(|s| role(s) == Role::SubgraphRequest(subgraph.into()))
            .unwrap();
        let fetch = by_id[&served.parent_span_id[..]];
        assert_eq!(
            role(fetch),
            Role::Fetch(subgraph.into()),
            "{:#?}",
            names(&spans)
        );
        assert_eq!(
            role_of(&fetch.parent_span_id),
            Some(Role::PlanNode),
            "{:#?}",
            names(&spans)
        );
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn names(spans: &[Span]) -> Vec<(String, Role)> {
    spans.iter().map(|s| (s.name.clone(), role(s))).collect()
}
