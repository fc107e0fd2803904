//! Subscription orchestration: joins the shared upstream subscription on the owning subgraph
//! (`subscription_hub`) and, for every event, runs the rest of the plan to fill fields owned by
//! other subgraphs and shapes the result — once for all of the share's clients with the same
//! operation and variables, not once per client. A client that falls behind — its bounded
//! buffer full, or the share's ring of events lapped — is cut off with an error.
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

/// One client's subscription, driven by whoever reads it: `next` waits for the share's next
/// event and returns it resolved and shaped. A WebSocket operation reads it in its own task,
/// so an event costs a subscriber one task wake-up before its socket writer, not two.
pub struct Subscription {
    source: Source,
    overflowed: bool,
}

enum Source {
    /// A refusal (or an operation with no subgraph to run it): at most one payload.
    Once(Option<Payload>),
    Live(Box<Live>),
    Ended,
}

/// What shaping a share's events for this client needs.
struct Live {
    state: SharedState,
    supergraph: Arc<Supergraph>,
    prepared: Arc<crate::pipeline::plan::Prepared>,
    vars: Map<String, Value>,
    headers: Vec<(String, String)>,
    service: String,
    rest: Vec<PlanNode>,
    /// Fields authorization removed, answered null with this error in every event.
    denied: Vec<GraphQLError>,
    shape_key: u128,
    sub: crate::subscription_hub::Subscriber,
}

impl Subscription {
    /// The next payload; `None` once the subscription has ended (see `overflowed`).
    pub async fn next(&mut self) -> Option<Payload> {
        let live = match &mut self.source {
            Source::Once(p) => {
                let p = p.take();
                self.source = Source::Ended;
                return p;
            }
            Source::Ended => return None,
            Source::Live(live) => live,
        };
        let event = match live.sub.events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => {
                self.overflowed = true;
                self.source = Source::Ended;
                return None;
            }
            Err(broadcast::error::RecvError::Closed) => {
                self.source = Source::Ended;
                return None;
            }
        };
        let payload = match &event.event {
            UpstreamEvent::Next(ev) => {
                let live = &**live;
                return Some(event.shaped(live.shape_key, || live.shape(ev)).await);
            }
            UpstreamEvent::Complete => None,
            UpstreamEvent::Error(reason) => Some(serialize(&Response::request_error(vec![
                GraphQLError::new(reason.clone()),
            ]))),
            UpstreamEvent::Failed(reason) => {
                let err = GraphQLError::new(format!(
                    "Failed to subscribe to subgraph '{}': {reason}",
                    live.service
                ))
                .code("SUBGRAPH_REQUEST_FAILED");
                Some(serialize(&Response::request_error(vec![err])))
            }
        };
        self.source = Source::Ended;
        payload
    }

    /// Whether the subscription ended because its reader fell too far behind the share.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

impl Live {
    /// Runs the rest of the plan on one event (fields other subgraphs own) and shapes it.
    async fn shape(&self, ev: &SubgraphResponse) -> Payload {
        let data = ev.data.clone().unwrap_or(Value::Object(Map::new()));
        // Authorization errors first, so the projector's non-null propagation sees them and
        // adds no second error (as `authz::run`).
        let mut errors = self.denied.clone();
        errors.extend(event_errors(ev));
        let data = if self.rest.is_empty() {
            data
        } else {
            let exec = Execution::new(
                &self.supergraph,
                &self.state.client,
                &self.vars,
                &self.headers,
                data,
            );
            for node in &self.rest {
                exec.run(node).await;
            }
            errors.extend(exec.errors.into_inner());
            exec.data.into_inner()
        };
        serialize(&pipeline::shape(
            &self.supergraph,
            &self.prepared,
            &self.vars,
            data,
            errors,
        ))
    }
}

/// Opens a client subscription: joins (or starts) the shared upstream operation on the owning
/// subgraph. Returns `Ok(None)` when the operation is not a subscription (the caller executes
/// it normally). `principal` is the verified caller, for the authorization directives.
pub fn open(
    state: SharedState,
    req: &GraphQLRequest,
    headers: Vec<(String, String)>,
    init_payload: Value,
    principal: Option<&Principal>,
) -> Result<Option<Subscription>, Vec<GraphQLError>> {
    let supergraph = state.current();
    let (prepared, vars) = pipeline::prepare_request(&supergraph, req)?;
    if prepared.kind != OpKind::Subscription {
        return Ok(None);
    }
    let once = |p: Option<Payload>| {
        Ok(Some(Subscription {
            source: Source::Once(p),
            overflowed: false,
        }))
    };
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
        return once(Some(serialize(&refusal)));
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
    let Some(url) = supergraph.endpoint(&primary.service_name) else {
        return once(None);
    };
    let used: Map<String, Value> = primary
        .variable_usages
        .iter()
        .flatten()
        .filter_map(|n| vars.get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    let sub = state.subscriptions.subscribe(
        url,
        &headers,
        &init_payload,
        &primary.operation.document_str,
        used,
    );
    let live = Live {
        service: primary.service_name.clone(),
        rest: rest.to_vec(),
        // A share's clients all send the same headers, so clients asking the same operation
        // with the same variables get the same result: each event is resolved and shaped
        // once for them.
        shape_key: shape_key(&supergraph, req, &vars, &denied),
        denied,
        state,
        supergraph,
        prepared,
        vars,
        headers,
        sub,
    };
    Ok(Some(Subscription {
        source: Source::Live(Box::new(live)),
        overflowed: false,
    }))
}

/// As `open`, with the subscription read by a task of its own into a channel bounded by the
/// client buffer, for transports whose body is read only as fast as the client takes it
/// (SSE, multipart): a client that falls a buffer behind is cut off and its share left.
pub fn start(
    state: SharedState,
    req: &GraphQLRequest,
    headers: Vec<(String, String)>,
    init_payload: Value,
    principal: Option<&Principal>,
) -> Result<Option<SubscriptionStream>, Vec<GraphQLError>> {
    let buffer = state.config.subscription_buffer.max(1);
    let Some(mut sub) = open(state, req, headers, init_payload, principal)? else {
        return Ok(None);
    };
    let (tx, rx) = mpsc::channel(buffer);
    let overflowed = Arc::new(AtomicBool::new(false));
    let overflow_flag = overflowed.clone();
    tokio::spawn(async move {
        loop {
            let payload = tokio::select! {
                _ = tx.closed() => break,
                p = sub.next() => p,
            };
            let Some(payload) = payload else { break };
            match tx.try_send(payload) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    overflow_flag.store(true, Ordering::SeqCst);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
        if sub.overflowed() {
            overflow_flag.store(true, Ordering::SeqCst);
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
