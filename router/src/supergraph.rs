//! A loaded supergraph: parsed SDL, the query planner, the API-schema index, introspection data
//! and subgraph endpoints. Built once per (re)load and shared by every request via `Arc`.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;

use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::ValidationPlan;
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};

use crate::config::RouterConfig;
use crate::introspection::Introspection;
use crate::schema::SchemaIndex;

pub struct Supergraph {
    pub sdl: String,
    pub planner: Planner,
    pub api: SchemaIndex,
    /// The API schema document operations are validated against: the planner's consumer schema
    /// plus the executable directives the router accepts beyond the built-ins (`@defer`, `@stream`).
    pub api_doc: graphql_tools::static_graphql::schema::Document,
    pub introspection: Introspection,
    pub validation: ValidationPlan,
    pub cache: crate::pipeline::plan::PlanCache,
    /// Operation limits with this supergraph's `@cost`/`@listSize`.
    pub limits: crate::limits::Limits,
    /// The response cache with this supergraph's `@cacheControl` rules (`None`: nothing cached).
    pub response_cache: Option<crate::cache::Bound>,
    endpoints: HashMap<String, String>,
    /// `@authenticated` / `@requiresScopes` / `@policy` of this supergraph (see `authz`).
    pub authz: crate::authz::Authz,
}

impl Supergraph {
    /// Parses and indexes a Federation 2 supergraph SDL. `url_overrides` replace the
    /// `@join__graph(url:)` of the named subgraphs.
    pub fn from_sdl(sdl: &str, config: &RouterConfig) -> anyhow::Result<Self> {
        let url_overrides: &HashMap<String, String> = &config.url_overrides;
        let doc = graphql_tools::parser::parse_schema(sdl)
            .map_err(|e| anyhow::anyhow!("supergraph SDL does not parse: {e}"))?
            .into_static();
        // The planner panics on some malformed supergraphs; report those as load errors.
        let planner = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Planner::new_from_supergraph(&doc, QueryPlannerOptions::default())
        }))
        .map_err(|_| anyhow::anyhow!("query planner rejected the supergraph"))?
        .map_err(|e| anyhow::anyhow!("query planner rejected the supergraph: {e}"))?;
        let mut api_doc = (*planner.consumer_schema.document).clone();
        crate::incremental::stream::declare(&mut api_doc);
        let api = SchemaIndex::new(&api_doc);
        let introspection = Introspection::new(
            &api_doc,
            &api.query,
            api.mutation.as_deref(),
            api.subscription.as_deref(),
        );
        let mut endpoints = planner.supergraph.subgraph_endpoint_map.clone();
        for (name, url) in url_overrides {
            endpoints.insert(name.clone(), url.clone());
        }
        // Without edge verification every caller looks anonymous; enforcing the directives then
        // would deny staff their own fields, so the subgraphs alone decide.
        let verifying = config.auth.enabled
            && (config.auth.jwks_url.is_some() || endpoints.contains_key("accounts"));
        Ok(Supergraph {
            sdl: sdl.to_string(),
            planner,
            api,
            api_doc,
            introspection,
            validation: default_rules_validation_plan(),
            cache: crate::pipeline::plan::PlanCache::new(config.plan_cache_size),
            limits: crate::limits::Limits::new(&config.limits, &doc),
            response_cache: config.cache.bind(&doc),
            endpoints,
            authz: crate::authz::Authz::new(&doc, &config.authorization, verifying),
        })
    }

    pub fn endpoint(&self, subgraph: &str) -> Option<&str> {
        self.endpoints.get(subgraph).map(String::as_str)
    }

    /// The API schema (what clients see) as SDL.
    pub fn api_sdl(&self) -> String {
        self.api_doc.to_string()
    }
}
