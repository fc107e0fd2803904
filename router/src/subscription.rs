//! Subscription orchestration: opens the primary subscription on the owning subgraph and, for
//! every event, runs the rest of the plan to fill fields owned by other subgraphs. Events flow
//! through a bounded channel; a full channel (slow client) ends the subscription with an error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hive_router_query_planner::planner::plan_nodes::{FetchNode, PlanNode};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::pipeline::execute::Execution;
use crate::pipeline::plan::OpKind;
use crate::pipeline::{self, GraphQLRequest};
use crate::response::{GraphQLError, PathSeg, Response};
use crate::server::SharedState;
use crate::subgraph_ws::Upstream;

pub struct SubscriptionStream {
    pub events: mpsc::Receiver<Response>,
    /// Set when the client could not keep up and events were dropped.
    pub overflowed: Arc<AtomicBool>,
}

/// Returns `Ok(None)` when the operation is not a subscription (caller executes it normally).
pub fn start(
    state: SharedState,
    req: &GraphQLRequest,
    headers: Vec<(String, String)>,
    init_payload: Value,
) -> Result<Option<SubscriptionStream>, Vec<GraphQLError>> {
    let supergraph = state.current();
    let (prepared, vars) = pipeline::prepare_request(&supergraph, req)?;
    if prepared.kind != OpKind::Subscription {
        return Ok(None);
    }
    let (primary, rest) = split_plan(prepared.plan.as_ref().and_then(|p| p.node.as_ref()))
        .ok_or_else(|| vec![GraphQLError::new("Subscription could not be planned")])?;
    let primary = primary.clone();
    let rest: Vec<PlanNode> = rest.to_vec();
    let (tx, rx) = mpsc::channel(state.config.subscription_buffer.max(1));
    let overflowed = Arc::new(AtomicBool::new(false));
    let overflow_flag = overflowed.clone();
    tokio::spawn(async move {
        let Some(url) = supergraph
            .endpoint(&primary.service_name)
            .map(str::to_string)
        else {
            return;
        };
        let used: Map<String, Value> = primary
            .variable_usages
            .iter()
            .flatten()
            .filter_map(|n| vars.get(n).map(|v| (n.clone(), v.clone())))
            .collect();
        let mut upstream = match Upstream::subscribe(
            &url,
            &primary.operation.document_str,
            used,
            init_payload,
            &headers,
        )
        .await
        {
            Ok(u) => u,
            Err(reason) => {
                let err = GraphQLError::new(format!(
                    "Failed to subscribe to subgraph '{}': {reason}",
                    primary.service_name
                ))
                .code("SUBGRAPH_REQUEST_FAILED");
                let _ = tx.send(Response::request_error(vec![err])).await;
                return;
            }
        };
        loop {
            let event = tokio::select! {
                _ = tx.closed() => break,
                e = upstream.next() => e,
            };
            let response = match event {
                None => break,
                Some(Err(reason)) => {
                    let _ = tx.try_send(Response::request_error(vec![GraphQLError::new(reason)]));
                    break;
                }
                Some(Ok(ev)) => {
                    let ctx = pipeline::Context {
                        supergraph: &supergraph,
                        client: &state.client,
                        headers: &headers,
                    };
                    let exec = Execution::new(
                        &supergraph,
                        &state.client,
                        &vars,
                        &headers,
                        ev.data.unwrap_or(Value::Object(Map::new())),
                    );
                    for node in &rest {
                        exec.run(node).await;
                    }
                    let mut errors: Vec<GraphQLError> = ev
                        .errors
                        .iter()
                        .map(|e| {
                            let mut g = GraphQLError::new(
                                e.get("message").and_then(Value::as_str).unwrap_or("error"),
                            );
                            g.path = e
                                .get("path")
                                .and_then(Value::as_array)
                                .map(|p| p.iter().filter_map(PathSeg::from_json).collect());
                            g.extensions = e.get("extensions").cloned();
                            g
                        })
                        .collect();
                    errors.extend(exec.errors.into_inner());
                    pipeline::shape(
                        ctx.supergraph,
                        &prepared,
                        &vars,
                        exec.data.into_inner(),
                        errors,
                    )
                }
            };
            match tx.try_send(response) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    overflow_flag.store(true, Ordering::SeqCst);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
        upstream.close().await;
    });
    Ok(Some(SubscriptionStream {
        events: rx,
        overflowed,
    }))
}

fn split_plan(node: Option<&PlanNode>) -> Option<(&FetchNode, &[PlanNode])> {
    match node? {
        PlanNode::Subscription(s) => Some((&s.primary, &[])),
        PlanNode::Sequence(seq) => match seq.nodes.split_first()? {
            (PlanNode::Subscription(s), rest) => Some((&s.primary, rest)),
            _ => None,
        },
        _ => None,
    }
}

/// The error sent when a slow client is cut off.
pub fn overflow_error() -> GraphQLError {
    GraphQLError::new("Client too slow: subscription buffer overflowed")
        .code("SUBSCRIPTION_BUFFER_OVERFLOW")
}
