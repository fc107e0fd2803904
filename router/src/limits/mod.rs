//! Operation limits, checked before planning: tokens and nesting (a lexer pass before the parser
//! runs), depth, aliases, root fields and directives (one walk of the parsed operation), and a
//! demand-control cost from the supergraph (`cost`). Each refusal is a GraphQL error whose
//! message names the limit and the value and whose `extensions.code` says which limit; the HTTP
//! layer answers them with 400. The request body size limit is applied by the server.

pub mod cost;
pub mod lexer;
pub mod shape;

use serde::Deserialize;

use crate::response::{GraphQLError, Response};

/// `[limits]` in the config file; `ROUTER_LIMIT_*` in the environment. Defaults are generous
/// enough for every demo and test operation (GraphiQL's introspection included).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// `ROUTER_LIMITS` (`on`/`off`): all operation limits at once (body size excepted).
    pub enabled: bool,
    /// `ROUTER_LIMIT_MAX_DEPTH`: deepest field nesting, fragments followed.
    pub max_depth: usize,
    /// `ROUTER_LIMIT_MAX_ALIASES`: aliased fields in the operation, fragments followed.
    pub max_aliases: usize,
    /// `ROUTER_LIMIT_MAX_ROOT_FIELDS`: fields selected on the root type.
    pub max_root_fields: usize,
    /// `ROUTER_LIMIT_MAX_DIRECTIVES`: directive uses in the operation, fragments followed.
    pub max_directives: usize,
    /// `ROUTER_LIMIT_MAX_TOKENS`: lexical tokens in the document (checked before parsing).
    pub max_tokens: usize,
    /// `ROUTER_LIMIT_MAX_RECURSION`: `{`/`(`/`[` nesting in the document (before parsing).
    pub max_recursion: usize,
    /// `ROUTER_LIMIT_MAX_COST`: demand-control cost (see `cost`); 0 turns the cost check off.
    pub max_cost: u64,
    /// `ROUTER_LIMIT_LIST_SIZE`: size assumed for a list without `first`/`last`/`@listSize`.
    pub default_list_size: u64,
    /// `ROUTER_LIMIT_MAX_BODY_BYTES`: request body size; larger bodies get 413.
    pub max_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            enabled: true,
            max_depth: 25,
            max_aliases: 50,
            max_root_fields: 30,
            max_directives: 50,
            max_tokens: 15_000,
            max_recursion: 100,
            max_cost: 20_000,
            default_list_size: 10,
            max_body_bytes: 2 * 1024 * 1024,
        }
    }
}

impl LimitsConfig {
    /// Applies `ROUTER_LIMIT*` overrides.
    pub fn apply_vars(&mut self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = env("ROUTER_LIMITS") {
            self.enabled = crate::limits::parse_switch("ROUTER_LIMITS", &v)?;
        }
        let num = |name: &str| -> anyhow::Result<Option<u64>> {
            env(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|e| anyhow::anyhow!("{name}={v:?}: {e}"))
                })
                .transpose()
        };
        let set = |name: &str, slot: &mut usize| -> anyhow::Result<()> {
            if let Some(n) = num(name)? {
                *slot = n as usize;
            }
            Ok(())
        };
        set("ROUTER_LIMIT_MAX_DEPTH", &mut self.max_depth)?;
        set("ROUTER_LIMIT_MAX_ALIASES", &mut self.max_aliases)?;
        set("ROUTER_LIMIT_MAX_ROOT_FIELDS", &mut self.max_root_fields)?;
        set("ROUTER_LIMIT_MAX_DIRECTIVES", &mut self.max_directives)?;
        set("ROUTER_LIMIT_MAX_TOKENS", &mut self.max_tokens)?;
        set("ROUTER_LIMIT_MAX_RECURSION", &mut self.max_recursion)?;
        set("ROUTER_LIMIT_MAX_BODY_BYTES", &mut self.max_body_bytes)?;
        if let Some(n) = num("ROUTER_LIMIT_MAX_COST")? {
            self.max_cost = n;
        }
        if let Some(n) = num("ROUTER_LIMIT_LIST_SIZE")? {
            self.default_list_size = n;
        }
        Ok(())
    }
}

/// `on`/`off` style switches in the environment.
pub fn parse_switch(name: &str, v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "true" | "yes" => Ok(true),
        "0" | "off" | "false" | "no" => Ok(false),
        _ => anyhow::bail!("{name}={v:?}: expected on or off"),
    }
}

/// Every code a limit refusal carries; the HTTP layer maps them to 400.
pub const CODES: &[&str] = &[
    "MAX_TOKENS_EXCEEDED",
    "MAX_RECURSION_EXCEEDED",
    "MAX_DEPTH_EXCEEDED",
    "MAX_ALIASES_EXCEEDED",
    "MAX_ROOT_FIELDS_EXCEEDED",
    "MAX_DIRECTIVES_EXCEEDED",
    "COST_LIMIT_EXCEEDED",
    "PAYLOAD_TOO_LARGE",
];

/// A refusal naming the limit, the operation's value and the configured maximum.
pub fn refusal(
    code: &str,
    what: &str,
    value: impl std::fmt::Display,
    max: impl std::fmt::Display,
) -> GraphQLError {
    GraphQLError::new(format!(
        "Operation refused: {what} is {value}, over the limit of {max}."
    ))
    .code(code)
}

/// The limits of one loaded supergraph: the configuration and the schema's cost directives.
pub struct Limits {
    pub config: LimitsConfig,
    pub costs: cost::CostSchema,
}

impl Limits {
    pub fn new(
        config: &LimitsConfig,
        supergraph: &graphql_tools::static_graphql::schema::Document,
    ) -> Self {
        Limits {
            config: config.clone(),
            costs: cost::CostSchema::new(supergraph),
        }
    }

    /// Refuses an operation whose cost with these variables is over `max_cost`.
    pub fn check_cost(
        &self,
        api: &crate::schema::SchemaIndex,
        prepared: &crate::pipeline::plan::Prepared,
        vars: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), Vec<GraphQLError>> {
        if !self.config.enabled || self.config.max_cost == 0 {
            return Ok(());
        }
        let cost = cost::cost(
            api,
            &self.costs,
            prepared,
            vars,
            self.config.default_list_size,
        );
        if cost > self.config.max_cost {
            return Err(vec![refusal(
                "COST_LIMIT_EXCEEDED",
                "the estimated cost",
                cost,
                self.config.max_cost,
            )]);
        }
        Ok(())
    }
}

/// Runs before the parser: tokens and nesting.
pub fn check_text(config: &LimitsConfig, query: &str) -> Result<(), Vec<GraphQLError>> {
    if !config.enabled {
        return Ok(());
    }
    lexer::scan(query, config.max_tokens, config.max_recursion).map_err(|hit| {
        vec![match hit {
            lexer::LexLimit::Tokens(n) => refusal(
                "MAX_TOKENS_EXCEEDED",
                "the token count",
                format_args!("over {}", n - 1),
                config.max_tokens,
            ),
            lexer::LexLimit::Nesting(n) => refusal(
                "MAX_RECURSION_EXCEEDED",
                "the nesting depth",
                n,
                config.max_recursion,
            ),
        }]
    })
}

/// Does this response carry a limit refusal (answered with HTTP 400 whatever the Accept)?
pub fn is_refusal(response: &Response) -> bool {
    response.data.is_none()
        && response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(|c| c.as_str())
                .is_some_and(|c| CODES.contains(&c))
        })
}

/// The answer to a body the server would not read (over `max_body_bytes`: 413), as a GraphQL
/// error rather than axum's plain-text rejection.
pub fn body_refusal(
    headers: &axum::http::HeaderMap,
    rejection: axum::extract::rejection::BytesRejection,
    max_body_bytes: usize,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let status = rejection.status();
    let error = if status == StatusCode::PAYLOAD_TOO_LARGE {
        GraphQLError::new(format!(
            "Request body is too large: over the limit of {max_body_bytes} bytes (max_body_bytes)."
        ))
        .code("PAYLOAD_TOO_LARGE")
    } else {
        GraphQLError::new(format!(
            "Cannot read the request body: {}",
            rejection.body_text()
        ))
        .code("BAD_REQUEST")
    };
    crate::executors::http::reply(headers, Response::request_error(vec![error]), status)
}
