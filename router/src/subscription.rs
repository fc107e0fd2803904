//! Subscription orchestration: joins the shared upstream subscription on the owning subgraph
//! (`subscription_hub`) and, for every event, runs the rest of the plan to fill fields owned by
//! other subgraphs and shapes the result — once for all of the share's clients with the same
//! operation and variables, not once per client. Events flow through a bounded channel; a full
//! channel (slow client) ends the subscription with an error.
//!
//! The authorization directives apply as for queries (`authz`): a subscription field the
//! caller may not select is refused with one result carrying `UNAUTHORIZED_FIELD_OR_TYPE` on
//! the stream (then the stream completes); fields inside the event the caller may not see are
//! left out of the upstream operation and answered `null` with that error in every event.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hive_router_query_planner::planner::plan_nodes::{FetchNode, PlanNode};
use serde_json::{Map, Value};
use tokio::sync::{broadcast, mpsc};

use crate::auth::Principal;
use crate::pipeline::execute::Execution;
use crate::pipeline::plan::OpKind;
use crate::pipeline::{self, GraphQLRequest};
use crate::response::{GraphQLError, PathSeg, Response};
use crate::server::SharedState;
use crate::subgraph_client::SubgraphResponse;
use crate::subgraph_ws::UpstreamEvent;
use crate::subscription_hub::Payload;
use crate::supergraph::Supergraph;

pub struct SubscriptionStream {
    /// Serialized GraphQL responses, one per event (shared between clients where possible).
    pub events: mpsc::Receiver<Payload>,
    /// Set when the client could not keep up and events were dropped.
    pub overflowed: Arc<AtomicBool>,
}

fn serialize(r: &Response) -> Payload {
    Arc::from(serde_json::to_string(r).unwrap_or_else(|_| "{}".into()))
}

/// Identifies what a client's shaping of an event depends on: the supergraph, the operation,
/// its variables and the fields authorization removed. Clients with equal keys can share one
/// shaped payload.
fn shape_key(
    supergraph: &Supergraph,
    req: &GraphQLRequest,
    vars: &Map<String, Value>,
    denied: &[GraphQLError],
) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&(supergraph as *const Supergraph as usize).to_le_bytes());
    for e in denied {
        h.update(
            serde_json::to_string(&e.path)
                .unwrap_or_default()
                .as_bytes(),
        );
    }
    for part in [
        req.query.as_deref().unwrap_or_default(),
        req.operation_name.as_deref().unwrap_or_default(),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update(Value::Object(vars.clone()).to_string().as_bytes());
    h.digest128()
}

/// Returns `Ok(None)` when the operation is not a subscription (caller executes it normally).
/// `principal` is the verified caller, for the authorization directives.
pub fn start(
    state: SharedState,
    req: &GraphQLRequest,
    headers: Vec<(String, String)>,
    init_payload: Value,
    principal: Option<&Principal>,
) -> Result<Option<SubscriptionStream>, Vec<GraphQLError>> {
    let supergraph = state.current();
    let (prepared, vars) = pipeline::prepare_request(&supergraph, req)?;
    if prepared.kind != OpKind::Subscription {
        return Ok(None);
    }
    // The subscription field itself denied: nothing to subscribe to. The client gets the
    // refusal as the stream's one result, as a query's denied root field is answered.
    let refused = crate::authz::denied(&supergraph, &prepared, principal);
    if refused
        .iter()
        .any(|e| e.path.as_ref().is_some_and(|p| p.len() == 1))
    {
        crate::metrics::unauthorized_fields(refused.len());
        let refusal = pipeline::shape(
            &supergraph,
            &prepared,
            &vars,
            Value::Object(Map::new()),
            refused,
        );
        let (tx, rx) = mpsc::channel(1);
        let _ = tx.try_send(serialize(&refusal));
        return Ok(Some(SubscriptionStream {
            events: rx,
            overflowed: Arc::new(AtomicBool::new(false)),
        }));
    }
    let (planned, denied) = match crate::authz::restrict(
        &supergraph,
        &prepared,
        req.operation_name.as_deref(),
        principal,
    )? {
        None => (prepared.clone(), Vec::new()),
        Some(r) => (r.prepared, r.errors),
    };
    let (primary, rest) = split_plan(planned.plan.as_ref().and_then(|p| p.node.as_ref()))
        .ok_or_else(|| vec![GraphQLError::new("Subscription could not be planned")])?;
    let primary = primary.clone();
    let rest: Vec<PlanNode> = rest.to_vec();
    // A share's clients all send the same headers, so clients asking the same operation with
    // the same variables get the same result: each event is resolved and shaped once for them.
    let shared_shape = shape_key(&supergraph, req, &vars, &denied);
    let (tx, rx) = mpsc::channel(state.config.subscription_buffer.max(1));
    let overflowed = Arc::new(AtomicBool::new(false));
    let overflow_flag = overflowed.clone();
    tokio::spawn(async move {
        let Some(url) = supergraph.endpoint(&primary.service_name) else {
            return;
        };
        let used: Map<String, Value> = primary
            .variable_usages
            .iter()
            .flatten()
            .filter_map(|n| vars.get(n).map(|v| (n.clone(), v.clone())))
            .collect();
        let mut sub = state.subscriptions.subscribe(
            url,
            &headers,
            &init_payload,
            &primary.operation.document_str,
            used,
        );
        loop {
            let event = tokio::select! {
                _ = tx.closed() => break,
                e = sub.events.recv() => e,
            };
            let event = match event {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    overflow_flag.store(true, Ordering::SeqCst);
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let payload = match &event.event {
                UpstreamEvent::Complete => break,
                UpstreamEvent::Error(reason) => {
                    let _ = tx.try_send(serialize(&Response::request_error(vec![
                        GraphQLError::new(reason.clone()),
                    ])));
                    break;
                }
                UpstreamEvent::Failed(reason) => {
                    let err = GraphQLError::new(format!(
                        "Failed to subscribe to subgraph '{}': {reason}",
                        primary.service_name
                    ))
                    .code("SUBGRAPH_REQUEST_FAILED");
                    let _ = tx.try_send(serialize(&Response::request_error(vec![err])));
                    break;
                }
                UpstreamEvent::Next(ev) => {
                    event
                        .shaped(shared_shape, || async {
                            let data = ev.data.clone().unwrap_or(Value::Object(Map::new()));
                            // Authorization errors first, so the projector's non-null
                            // propagation sees them and adds no second error (as `authz::run`).
                            let mut errors = denied.clone();
                            errors.extend(event_errors(ev));
                            let data = if rest.is_empty() {
                                data
                            } else {
                                let exec = Execution::new(
                                    &supergraph,
                                    &state.client,
                                    &vars,
                                    &headers,
                                    data,
                                );
                                for node in &rest {
                                    exec.run(node).await;
                                }
                                errors.extend(exec.errors.into_inner());
                                exec.data.into_inner()
                            };
                            serialize(&pipeline::shape(
                                &supergraph,
                                &prepared,
                                &vars,
                                data,
                                errors,
                            ))
                        })
                        .await
                }
            };
            match tx.try_send(payload) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    overflow_flag.store(true, Ordering::SeqCst);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
        // Dropping `sub` leaves the share; the last one out ends the upstream operation.
    });
    Ok(Some(SubscriptionStream {
        events: rx,
        overflowed,
    }))
}

/// The subgraph's errors on an event, as client errors.
fn event_errors(ev: &SubgraphResponse) -> Vec<GraphQLError> {
    ev.errors
        .iter()
        .map(|e| {
            let mut g =
                GraphQLError::new(e.get("message").and_then(Value::as_str).unwrap_or("error"));
            g.path = e
                .get("path")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(PathSeg::from_json).collect());
            g.extensions = e.get("extensions").cloned();
            g
        })
        .collect()
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
