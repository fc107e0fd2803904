//! Stage 3: choose the operation, plan it with hive-router-query-planner, and cache the result.
//! Two bounded LRU caches: prepared operations by (query text, operation name) hash, and plans by
//! the planner's normalized-operation hash (so differently formatted texts share a plan).
//! `@skip`/`@include` become Condition nodes, so a plan never depends on variable values.
//! Progressive `@override(label: "percent(N)")`: each request draws a number in [0, 100); the
//! labels' percentages cut that range into buckets that plan alike, and both caches are keyed
//! by the bucket as well, so a request is routed to the overriding subgraph with probability N%.
//! Each bucket plans with its own planner over the supergraph with the labels settled (an active
//! one becomes a plain `@override`, an inactive one loses the overriding `@join__field`), since
//! the planner crate finds no path to a labelled field reached through an entity call.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    VariableDefinition,
};
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
use hive_router_query_planner::utils::cancellation::CancellationToken;
use lru::LruCache;
use parking_lot::Mutex;

use crate::response::GraphQLError;
use crate::supergraph::Supergraph;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
    Subscription,
}

/// Everything request-independent about one operation.
pub struct Prepared {
    pub doc: Document,
    op_index: usize,
    pub fragments: HashMap<String, FragmentDefinition>,
    pub kind: OpKind,
    pub root_type: String,
    /// `None` when the operation only touches introspection / root `__typename`.
    pub plan: Option<Arc<QueryPlan>>,
}

impl Prepared {
    pub fn selection_set(&self) -> &SelectionSet {
        op_parts(self.op()).1
    }

    /// Where the chosen operation sits in `doc.definitions`.
    pub fn op_index(&self) -> usize {
        self.op_index
    }

    pub fn variable_definitions(&self) -> &[VariableDefinition] {
        match self.op() {
            OperationDefinition::SelectionSet(_) => &[],
            OperationDefinition::Query(q) => &q.variable_definitions,
            OperationDefinition::Mutation(m) => &m.variable_definitions,
            OperationDefinition::Subscription(s) => &s.variable_definitions,
        }
    }

    fn op(&self) -> &OperationDefinition {
        match &self.doc.definitions[self.op_index] {
            Definition::Operation(op) => op,
            Definition::Fragment(_) => unreachable!("op_index always points at an operation"),
        }
    }
}

fn op_parts(op: &OperationDefinition) -> (OpKind, &SelectionSet) {
    match op {
        OperationDefinition::SelectionSet(s) => (OpKind::Query, s),
        OperationDefinition::Query(q) => (OpKind::Query, &q.selection_set),
        OperationDefinition::Mutation(m) => (OpKind::Mutation, &m.selection_set),
        OperationDefinition::Subscription(s) => (OpKind::Subscription, &s.selection_set),
    }
}

fn op_name(op: &OperationDefinition) -> Option<&str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

pub struct PlanCache {
    prepared: Mutex<LruCache<u64, Arc<Prepared>>>,
    plans: Mutex<LruCache<u64, Arc<QueryPlan>>>,
    /// The distinct `percent(N)` override percentages of the supergraph, ascending (read from
    /// its SDL on first use).
    percentages: OnceLock<Vec<f64>>,
    /// One planner per override bucket, built on first use.
    planners: Mutex<HashMap<u64, Arc<Planner>>>,
}

impl PlanCache {
    pub fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity.max(1)).expect("capacity is at least one");
        PlanCache {
            prepared: Mutex::new(LruCache::new(cap)),
            plans: Mutex::new(LruCache::new(cap)),
            percentages: OnceLock::new(),
            planners: Mutex::new(HashMap::new()),
        }
    }

    /// The planner for a bucket: the supergraph's own when it has no percentage labels.
    fn planner_for(
        &self,
        supergraph: &Supergraph,
        (bucket, lower): (u64, f64),
    ) -> Result<Option<Arc<Planner>>, String> {
        if self.percentages.get().is_none_or(Vec::is_empty) {
            return Ok(None);
        }
        if let Some(p) = self.planners.lock().get(&bucket) {
            return Ok(Some(p.clone()));
        }
        let sdl = settle_override_labels(&supergraph.sdl, lower);
        let doc = graphql_tools::parser::parse_schema::<String>(&sdl)
            .map_err(|e| e.to_string())?
            .into_static();
        let planner = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Planner::new_from_supergraph(&doc, QueryPlannerOptions::default())
        }))
        .map_err(|_| "internal planner error".to_string())?
        .map_err(|e| e.to_string())?;
        let planner = Arc::new(planner);
        self.planners.lock().insert(bucket, planner.clone());
        Ok(Some(planner))
    }

    /// Draws this request's override bucket: `(bucket, percentage to plan with)`. Bucket `b`
    /// holds draws in `[p[b-1], p[b])`; every draw in it enables the same labels, so planning
    /// with its lower bound gives the plan of any draw in it. Without labels: always bucket 0.
    fn override_bucket(&self, sdl: &str) -> (u64, f64) {
        let percentages = self.percentages.get_or_init(|| override_percentages(sdl));
        if percentages.is_empty() {
            return (0, 0.0);
        }
        let draw = random_unit() * 100.0;
        let bucket = percentages.iter().take_while(|p| **p <= draw).count();
        let lower = if bucket == 0 {
            0.0
        } else {
            percentages[bucket - 1]
        };
        (bucket as u64, lower)
    }
}

/// The percentages of every `overrideLabel: "percent(N)"` in a supergraph SDL, ascending and
/// distinct. Parsed from the same text the planner parses, so a bucket's lower bound scales to
/// exactly the planner's value for that label.
fn override_percentages(sdl: &str) -> Vec<f64> {
    let mut out: Vec<f64> = sdl
        .match_indices("percent(")
        .filter(|(at, _)| sdl[..*at].trim_end().ends_with(['"']))
        .filter_map(|(at, m)| {
            let rest = &sdl[at + m.len()..];
            rest[..rest.find(')')?].trim().parse::<f64>().ok()
        })
        .filter(|p| (0.0..=100.0).contains(p))
        .collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// The supergraph SDL as planned for draws from `lower` up to the next percentage: a label
/// `percent(N)` with `lower < N` is active (plain `@override`), the others are not (the
/// overriding subgraph's `@join__field` goes, so the field stays where it was).
fn settle_override_labels(sdl: &str, lower: f64) -> String {
    const DIRECTIVE: &str = "@join__field(";
    let mut out = String::with_capacity(sdl.len());
    let mut rest = sdl;
    while let Some(at) = rest.find(DIRECTIVE) {
        let args_from = at + DIRECTIVE.len();
        let Some(len) = closing_paren(&rest[args_from..]) else {
            break;
        };
        let end = args_from + len + 1;
        let directive = &rest[at..end];
        out.push_str(&rest[..at]);
        match label_percentage(directive) {
            Some((pct, label)) if lower < pct => out.push_str(&directive.replace(label, "")),
            Some(_) => {}
            None => out.push_str(directive),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The `, overrideLabel: "percent(N)"` argument of a `@join__field` and its N.
fn label_percentage(directive: &str) -> Option<(f64, &str)> {
    let start = directive.find("overrideLabel:")?;
    let open = start + directive[start..].find('"')? + 1;
    let close = open + directive[open..].find('"')?;
    let pct = directive[open..close]
        .strip_prefix("percent(")?
        .strip_suffix(')')?
        .trim()
        .parse::<f64>()
        .ok()?;
    let arg_start = directive[..start]
        .trim_end()
        .strip_suffix(',')
        .map_or(start, str::len);
    Some((pct, &directive[arg_start..=close]))
}

/// The byte offset of the `)` closing an argument list, skipping string contents.
fn closing_paren(args: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in args.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// A uniform draw in [0, 1): splitmix64 over a process-wide counter seeded from the clock
/// (traffic splitting needs an even spread, not unpredictability).
fn random_unit() -> f64 {
    static STATE: OnceLock<AtomicU64> = OnceLock::new();
    let state = STATE.get_or_init(|| {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x853C_49E6_748F_EA9B);
        AtomicU64::new(seed)
    });
    let mut z = state
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn text_key(query: &str, operation_name: Option<&str>, bucket: u64) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(query.as_bytes());
    h.update(&[0]);
    h.update(operation_name.unwrap_or("").as_bytes());
    h.update(&[0]);
    h.update(&bucket.to_le_bytes());
    h.digest()
}

/// The document's fragment definitions by name, as projection looks them up.
pub fn fragments_by_name(doc: &Document) -> HashMap<String, FragmentDefinition> {
    doc.definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.clone(), f.clone())),
            _ => None,
        })
        .collect()
}

/// Parses, validates and plans (or returns the cached preparation of) an operation.
pub fn prepare(
    supergraph: &Supergraph,
    query: &str,
    operation_name: Option<&str>,
) -> Result<Arc<Prepared>, Vec<GraphQLError>> {
    let bucket = supergraph.cache.override_bucket(&supergraph.sdl);
    let key = text_key(query, operation_name, bucket.0);
    if let Some(p) = supergraph.cache.prepared.lock().get(&key) {
        crate::metrics::plan_cache(true);
        return Ok(p.clone());
    }
    crate::metrics::plan_cache(false);
    crate::limits::check_text(&supergraph.limits.config, query)?;
    let doc = super::parse::parse(query)?;
    crate::limits::shape::check(&supergraph.limits.config, &doc, operation_name)?;
    let errors = super::validate::validate(supergraph, &doc);
    if !errors.is_empty() {
        return Err(errors);
    }
    let op_index = select_operation(&doc, operation_name)?;
    let Definition::Operation(op) = &doc.definitions[op_index] else {
        unreachable!("select_operation returns operations only");
    };
    let (kind, _) = op_parts(op);
    let api = &supergraph.api;
    let root_type = match kind {
        OpKind::Query => Some(api.query.clone()),
        OpKind::Mutation => api.mutation.clone(),
        OpKind::Subscription => api.subscription.clone(),
    }
    .ok_or_else(|| {
        vec![GraphQLError::new(
            "Schema does not support this operation type",
        )]
    })?;
    let name = op_name(op).map(str::to_string);
    let plan = plan_operation(supergraph, &doc, op_index, name.as_deref(), bucket)?;
    let fragments = fragments_by_name(&doc);
    let prepared = Arc::new(Prepared {
        doc,
        op_index,
        fragments,
        kind,
        root_type,
        plan,
    });
    supergraph.cache.prepared.lock().put(key, prepared.clone());
    Ok(prepared)
}

fn select_operation(doc: &Document, name: Option<&str>) -> Result<usize, Vec<GraphQLError>> {
    let ops: Vec<(usize, &OperationDefinition)> = doc
        .definitions
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match d {
            Definition::Operation(op) => Some((i, op)),
            _ => None,
        })
        .collect();
    let found = match name {
        Some(n) => ops.iter().find(|(_, op)| op_name(op) == Some(n)),
        None if ops.len() == 1 => ops.first(),
        None => {
            return Err(vec![GraphQLError::new(
                "Must provide operation name if query contains multiple operations.",
            )
            .code("BAD_REQUEST")])
        }
    };
    found.map(|(i, _)| *i).ok_or_else(|| {
        vec![GraphQLError::new(format!(
            "Unknown operation named \"{}\".",
            name.unwrap_or_default()
        ))
        .code("BAD_REQUEST")]
    })
}

/// Root `__schema`, `__type` and `__typename` are answered by the router, not by subgraphs.
fn strip_router_fields(set: &mut SelectionSet) {
    set.items.retain(|s| match s {
        Selection::Field(f) => !f.name.starts_with("__"),
        _ => true,
    });
}

fn plan_operation(
    supergraph: &Supergraph,
    doc: &Document,
    op_index: usize,
    name: Option<&str>,
    bucket: (u64, f64),
) -> Result<Option<Arc<QueryPlan>>, Vec<GraphQLError>> {
    let mut doc = doc.clone();
    let Definition::Operation(op) = &mut doc.definitions[op_index] else {
        unreachable!("op_index always points at an operation");
    };
    let set = match op {
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Query(q) => &mut q.selection_set,
        OperationDefinition::Mutation(m) => &mut m.selection_set,
        OperationDefinition::Subscription(s) => &mut s.selection_set,
    };
    strip_router_fields(set);
    if set.items.is_empty() {
        return Ok(None);
    }
    // Keep only the chosen operation so the planner never sees a sibling.
    let chosen = doc.definitions[op_index].clone();
    doc.definitions
        .retain(|d| matches!(d, Definition::Fragment(_)));
    doc.definitions.insert(0, chosen);
    let plan_err = |msg: String| vec![GraphQLError::new(msg).code("QUERY_PLANNING_FAILED")];
    // The planner crate still has internal panics on unusual input; never let one take down a
    // request task.
    let guard = |what: &str| {
        plan_err(format!(
            "Failed to {what} operation: internal planner error"
        ))
    };
    let bucket_planner = supergraph
        .cache
        .planner_for(supergraph, bucket)
        .map_err(|e| plan_err(format!("Failed to plan operation: {e}")))?;
    let planner = bucket_planner.as_deref().unwrap_or(&supergraph.planner);
    let normalized = std::panic::catch_unwind(AssertUnwindSafe(|| {
        normalize_operation(&planner.supergraph, &doc, name)
    }))
    .map_err(|_| guard("normalize"))?
    .map_err(|e| plan_err(format!("Failed to normalize operation: {e}")))?;
    let operation = normalized.executable_operation();
    let hash = operation.hash() ^ bucket.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    if let Some(plan) = supergraph.cache.plans.lock().get(&hash) {
        return Ok(Some(plan.clone()));
    }
    let token = CancellationToken::with_timeout(Duration::from_secs(10));
    let plan = std::panic::catch_unwind(AssertUnwindSafe(|| {
        planner.plan_from_normalized_operation(operation, PlannerOverrideContext::default(), &token)
    }))
    .map_err(|_| guard("plan"))?
    .map_err(|e| plan_err(format!("Failed to plan operation: {e}")))?;
    let plan = Arc::new(plan);
    supergraph.cache.plans.lock().put(hash, plan.clone());
    Ok(Some(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RouterConfig;

    const SUPERGRAPH: &str = r#"
schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) { query: Query }
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
type Query @join__type(graph: A) { hello(name: String): String @join__field(graph: A) }
"#;

    fn supergraph(cache: usize) -> Supergraph {
        let mut config = RouterConfig::with_supergraph_sdl(SUPERGRAPH);
        config.plan_cache_size = cache;
        Supergraph::from_sdl(SUPERGRAPH, &config).unwrap()
    }

    #[test]
    fn prepared_operations_and_plans_are_cached() {
        let sg = supergraph(8);
        let a = prepare(&sg, "{ hello }", None).unwrap();
        let b = prepare(&sg, "{ hello }", None).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // Different text, same normalized operation: a new preparation but the same plan.
        let c = prepare(&sg, "query   { hello }", None).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(Arc::ptr_eq(
            a.plan.as_ref().unwrap(),
            c.plan.as_ref().unwrap()
        ));
    }

    #[test]
    fn cache_is_bounded() {
        let sg = supergraph(2);
        for name in ["a", "b", "c"] {
            prepare(&sg, &format!("{{ hello(name: \"{name}\") }}"), None).unwrap();
        }
        assert_eq!(sg.cache.prepared.lock().len(), 2);
        assert_eq!(sg.cache.plans.lock().len(), 2);
    }

    #[test]
    fn override_percentages_are_read_from_labels_only() {
        let sdl = r#"a @join__field(graph: A, override: "b", overrideLabel: "percent(25)")
            b @join__field(graph: A, override: "b", overrideLabel: "percent(12.5)")
            c @join__field(graph: A, override: "b", overrideLabel: "percent(25)")
            d @join__field(graph: A, override: "b", overrideLabel: "beta")
            "text about percent(99) in a description" "#;
        assert_eq!(override_percentages(sdl), vec![12.5, 25.0]);
    }

    #[test]
    fn settled_labels_become_plain_overrides_or_go() {
        let sdl = r#"price: Int @join__field(graph: OLD) @join__field(graph: NEW, override: "old", overrideLabel: "percent(50)")
  tax: Int @join__field(graph: NEW, requires: "x(a: \")\")", override: "old", overrideLabel: "percent(10)")"#;
        assert_eq!(
            settle_override_labels(sdl, 0.0),
            r#"price: Int @join__field(graph: OLD) @join__field(graph: NEW, override: "old")
  tax: Int @join__field(graph: NEW, requires: "x(a: \")\")", override: "old")"#
        );
        assert_eq!(
            settle_override_labels(sdl, 10.0),
            r#"price: Int @join__field(graph: OLD) @join__field(graph: NEW, override: "old")
  tax: Int "#
        );
    }

    #[test]
    fn draws_are_spread_over_the_unit_interval() {
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let d = random_unit();
            assert!((0.0..1.0).contains(&d));
            buckets[(d * 10.0) as usize] += 1;
        }
        assert!(buckets.iter().all(|&n| n > 800), "{buckets:?}");
    }

    #[test]
    fn introspection_only_operations_need_no_plan() {
        let sg = supergraph(8);
        assert!(prepare(&sg, "{ __typename }", None).unwrap().plan.is_none());
    }

    #[test]
    fn multiple_operations_need_a_name() {
        let sg = supergraph(8);
        let doc = "query A { hello } query B { __typename }";
        assert!(prepare(&sg, doc, None).is_err());
        assert!(prepare(&sg, doc, Some("B")).unwrap().plan.is_none());
        assert!(prepare(&sg, doc, Some("C")).is_err());
    }
}
