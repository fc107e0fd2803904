//! The request path as named stages: parse → validate → plan (cached) → execute → project.

pub mod execute;
pub mod parse;
pub mod plan;
pub mod project;
pub mod validate;

use graphql_tools::static_graphql::query::{Selection, Type as QType, Value as QValue};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::response::{GraphQLError, Response};
use crate::subgraph_client::SubgraphClient;
use crate::supergraph::Supergraph;
use execute::Execution;
use plan::{OpKind, Prepared};
use project::Projector;

/// A GraphQL-over-HTTP request body (or GET parameters after decoding).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct GraphQLRequest {
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub operation_name: Option<String>,
    #[serde(default)]
    pub variables: Option<Value>,
    #[serde(default)]
    pub extensions: Option<Value>,
}

/// How the HTTP layer should report the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Execution happened (data present, possibly with errors).
    Executed,
    /// The request failed before execution (parse, validation, variables, planning).
    RequestError,
    /// Mutation over GET.
    MethodNotAllowed,
}

/// A planned operation plus its coerced variables.
pub type PreparedRequest = (std::sync::Arc<Prepared>, Map<String, Value>);

pub struct Context<'a> {
    pub supergraph: &'a Supergraph,
    pub client: &'a SubgraphClient,
    pub headers: &'a [(String, String)],
    /// The verified caller (`None`: anonymous), for the authorization directives.
    pub principal: Option<&'a crate::auth::Principal>,
}

/// Parses, validates and plans, and coerces variables; shared by HTTP, WebSocket and SSE.
pub fn prepare_request(
    supergraph: &Supergraph,
    req: &GraphQLRequest,
) -> Result<PreparedRequest, Vec<GraphQLError>> {
    let Some(query) = req.query.as_deref().filter(|q| !q.trim().is_empty()) else {
        return Err(vec![
            GraphQLError::new("Must provide query string.").code("BAD_REQUEST")
        ]);
    };
    let prepared = plan::prepare(supergraph, query, req.operation_name.as_deref())?;
    let vars = coerce_variables(&prepared, req.variables.as_ref())?;
    crate::incremental::stream::check(&supergraph.api, &prepared, query, &vars)?;
    supergraph
        .limits
        .check_cost(&supergraph.api, &prepared, &vars)?;
    Ok((prepared, vars))
}

/// Runs one query or mutation end to end.
pub async fn execute(ctx: &Context<'_>, req: &GraphQLRequest, is_get: bool) -> (Response, Outcome) {
    let prepared = prepare_request(ctx.supergraph, req);
    execute_prepared(ctx, prepared, req.operation_name.as_deref(), is_get).await
}

/// `execute` for a request already prepared (or refused while preparing).
pub async fn execute_prepared(
    ctx: &Context<'_>,
    prepared: Result<PreparedRequest, Vec<GraphQLError>>,
    operation_name: Option<&str>,
    is_get: bool,
) -> (Response, Outcome) {
    let (prepared, vars) = match prepared {
        Ok(p) => p,
        Err(errors) => return (Response::request_error(errors), Outcome::RequestError),
    };
    match prepared.kind {
        OpKind::Mutation if is_get => {
            return (
                Response::request_error(vec![GraphQLError::new(
                    "Mutations are not allowed over GET; use POST.",
                )
                .code("METHOD_NOT_ALLOWED")]),
                Outcome::MethodNotAllowed,
            )
        }
        OpKind::Subscription => {
            return (
                Response::request_error(vec![GraphQLError::new(
                    "Subscriptions need a WebSocket (graphql-transport-ws) or Accept: text/event-stream.",
                )
                .code("BAD_REQUEST")]),
                Outcome::RequestError,
            )
        }
        _ => {}
    }
    match run_prepared(ctx, &prepared, operation_name, &vars).await {
        Ok(response) => (response, Outcome::Executed),
        Err(errors) => (Response::request_error(errors), Outcome::RequestError),
    }
}

/// Runs a prepared query or mutation: router-owned fields, the authorization directives
/// (`authz`), then the plan. `Err` when the operation left after authorization does not plan.
pub async fn run_prepared(
    ctx: &Context<'_>,
    prepared: &Prepared,
    operation_name: Option<&str>,
    vars: &Map<String, Value>,
) -> Result<Response, Vec<GraphQLError>> {
    let initial = router_owned_fields(ctx.supergraph, prepared, vars);
    let restricted =
        crate::authz::restrict(ctx.supergraph, prepared, operation_name, ctx.principal)?;
    Ok(match restricted {
        Some(r) => crate::authz::run(ctx, prepared, r, vars, initial).await,
        None => run_plan(ctx, prepared, vars, initial).await,
    })
}

/// Executes the prepared plan starting from `initial` data and shapes the response.
pub async fn run_plan(
    ctx: &Context<'_>,
    prepared: &Prepared,
    vars: &Map<String, Value>,
    initial: Value,
) -> Response {
    let exec = Execution::new(ctx.supergraph, ctx.client, vars, ctx.headers, initial);
    if let Some(node) = prepared.plan.as_ref().and_then(|p| p.node.as_ref()) {
        exec.run(node).await;
    }
    shape(
        ctx.supergraph,
        prepared,
        vars,
        exec.data.into_inner(),
        exec.errors.into_inner(),
    )
}

/// Projects merged data to the client's selection.
pub fn shape(
    supergraph: &Supergraph,
    prepared: &Prepared,
    vars: &Map<String, Value>,
    mut data: Value,
    mut errors: Vec<GraphQLError>,
) -> Response {
    let mut projector = Projector::new(
        &supergraph.api,
        &prepared.fragments,
        vars,
        &mut errors,
        Some(&supergraph.introspection.types),
    );
    let out = projector.project_root(&prepared.root_type, prepared.selection_set(), &mut data);
    Response {
        data: Some(out),
        errors,
    }
}

/// Values for root fields the router answers itself: `__schema` and `__type(name:)`.
pub fn router_owned_fields(
    supergraph: &Supergraph,
    prepared: &Prepared,
    vars: &Map<String, Value>,
) -> Value {
    let mut data = Map::new();
    for sel in &prepared.selection_set().items {
        let Selection::Field(f) = sel else { continue };
        let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
        match f.name.as_str() {
            "__schema" => {
                data.insert(key, supergraph.introspection.schema.clone());
            }
            "__type" => {
                let name =
                    f.arguments
                        .iter()
                        .find(|(n, _)| n == "name")
                        .and_then(|(_, v)| match v {
                            QValue::String(s) => Some(s.clone()),
                            QValue::Variable(var) => {
                                vars.get(var).and_then(Value::as_str).map(str::to_string)
                            }
                            _ => None,
                        });
                let value = name
                    .and_then(|n| supergraph.introspection.types.get(&n).cloned())
                    .unwrap_or(Value::Null);
                data.insert(key, value);
            }
            _ => {}
        }
    }
    Value::Object(data)
}

/// Applies defaults and checks that required variables are present.
fn coerce_variables(
    prepared: &Prepared,
    provided: Option<&Value>,
) -> Result<Map<String, Value>, Vec<GraphQLError>> {
    let mut vars = match provided {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(vec![
                GraphQLError::new("Variables must be an object.").code("BAD_REQUEST")
            ])
        }
    };
    let mut errors = Vec::new();
    for def in prepared.variable_definitions() {
        if vars.contains_key(&def.name) {
            if vars[&def.name].is_null() && matches!(def.var_type, QType::NonNullType(_)) {
                errors.push(
                    GraphQLError::new(format!(
                        "Variable \"${}\" of non-null type \"{}\" must not be null.",
                        def.name, def.var_type
                    ))
                    .code("BAD_USER_INPUT"),
                );
            }
            continue;
        }
        if let Some(default) = &def.default_value {
            vars.insert(def.name.clone(), to_json(default));
        } else if matches!(def.var_type, QType::NonNullType(_)) {
            errors.push(
                GraphQLError::new(format!(
                    "Variable \"${}\" of required type \"{}\" was not provided.",
                    def.name, def.var_type
                ))
                .code("BAD_USER_INPUT"),
            );
        }
    }
    if errors.is_empty() {
        Ok(vars)
    } else {
        Err(errors)
    }
}

fn to_json(v: &QValue) -> Value {
    match v {
        QValue::Variable(_) | QValue::Null => Value::Null,
        QValue::Int(n) => n.as_i64().map(Value::from).unwrap_or(Value::Null),
        QValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        QValue::String(s) => Value::String(s.clone()),
        QValue::Boolean(b) => Value::Bool(*b),
        QValue::Enum(e) => Value::String(e.clone()),
        QValue::List(l) => Value::Array(l.iter().map(to_json).collect()),
        QValue::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
