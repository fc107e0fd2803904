//! Plan executor: walks the query plan (Fetch, BatchFetch, Flatten, Sequence, Parallel,
//! Condition, Defer) on tokio, merging subgraph results into one data tree. Entity fetches send
//! one `_entities` call per node with de-duplicated representations; subgraph errors are
//! re-pathed to client paths; a failed subgraph leaves its fields null and adds an error.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet as PlanSelectionSet;
use hive_router_query_planner::planner::plan_nodes::{
    BatchFetchNode, FetchNode, FetchNodePathSegment, FetchRewrite, FlattenNodePathSegment, PlanNode,
};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::response::{GraphQLError, PathSeg};
use crate::schema::{FastMap, SchemaIndex};
use crate::subgraph_client::{SubgraphClient, SubgraphResponse};
use crate::supergraph::Supergraph;

type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The trace span of one plan node (see `telemetry`; disabled, and free, without an exporter).
fn plan_node_span(node: &PlanNode) -> tracing::Span {
    let (kind, subgraph) = match node {
        PlanNode::Fetch(f) => ("Fetch", f.service_name.as_str()),
        PlanNode::Subscription(s) => ("Subscription", s.primary.service_name.as_str()),
        PlanNode::BatchFetch(_) => ("BatchFetch", ""),
        PlanNode::Flatten(fl) => match fl.node.as_ref() {
            PlanNode::Fetch(f) => ("Flatten", f.service_name.as_str()),
            _ => ("Flatten", ""),
        },
        PlanNode::Sequence(_) => ("Sequence", ""),
        PlanNode::Parallel(_) => ("Parallel", ""),
        PlanNode::Condition(_) => ("Condition", ""),
        PlanNode::Defer(_) => ("Defer", ""),
    };
    tracing::info_span!(
        target: "otel",
        "plan node",
        otel.name = %if subgraph.is_empty() { kind.to_string() } else { format!("{kind} {subgraph}") },
        plan.node = kind,
        subgraph = subgraph,
    )
}

/// Visitor for entity objects found along a flatten path (object, list indices taken).
type OnEntity<'f> = dyn FnMut(&Map<String, Value>, &[u32]) + 'f;

/// Chooses the fetch nodes a run performs (incremental delivery runs one plan in phases).
pub type FetchFilter<'a> = Box<dyn Fn(&PlanNode) -> bool + Send + Sync + 'a>;
/// Told about every fetch node a run has finished (performed or found with nothing to fetch).
pub type FetchDone<'a> = Box<dyn Fn(&PlanNode) + Send + Sync + 'a>;
/// Chooses, per fetch node, the list items an entity fetch collects from: called with the
/// flatten path before a list and an item's position (`@stream` resolves later items later).
pub type ItemFilter<'a> =
    Box<dyn Fn(&PlanNode, &[FlattenNodePathSegment], usize) -> bool + Send + Sync + 'a>;
/// An item filter for one fetch node.
type Keep<'k> = &'k (dyn Fn(&[FlattenNodePathSegment], usize) -> bool + Send + Sync);

pub struct Execution<'a> {
    pub supergraph: &'a Supergraph,
    pub client: &'a SubgraphClient,
    pub vars: &'a Map<String, Value>,
    pub headers: &'a [(String, String)],
    pub data: Mutex<Value>,
    pub errors: Mutex<Vec<GraphQLError>>,
    /// `None`: every fetch node runs.
    pub only: Option<FetchFilter<'a>>,
    pub on_done: Option<FetchDone<'a>>,
    /// `None`: entity fetches collect from every list item.
    pub items: Option<ItemFilter<'a>>,
}

#[derive(Serialize)]
struct SubgraphRequest<'b> {
    query: &'b str,
    #[serde(skip_serializing_if = "Map::is_empty")]
    variables: Map<String, Value>,
}

/// Entities collected for one `_entities` selection: representations and where they came from.
#[derive(Default)]
struct EntitySet<'p> {
    /// Representations as values, when the response cache reads them; empty otherwise.
    reps: Vec<Value>,
    /// Otherwise: the representations as comma-separated JSON text, written
    /// straight from the data tree and spliced into the request body (no `Value` per entity).
    raw: Vec<u8>,
    /// For each representation, every place in the data that produced it.
    paths: Vec<Vec<Loc<'p>>>,
}

impl EntitySet<'_> {
    fn len(&self) -> usize {
        self.paths.len()
    }

    /// The representations variable's value: a JSON array.
    fn into_value(self) -> Value {
        if self.raw.is_empty() {
            return Value::Array(self.reps);
        }
        let mut text = Vec::with_capacity(self.raw.len() + 2);
        text.push(b'[');
        text.extend_from_slice(&self.raw);
        text.push(b']');
        serde_json::from_slice(&text).unwrap_or(Value::Array(Vec::new()))
    }
}

/// Subgraph request body with representations spliced in as JSON text:
/// `{"query": …, "variables": {<name>: [<raw>], …, <other variables>}}`.
fn request_body(
    query: &str,
    reps: &[(&str, &[u8])],
    variables: &Map<String, Value>,
) -> serde_json::Result<Vec<u8>> {
    let size = query.len() + reps.iter().map(|(_, r)| r.len() + 32).sum::<usize>() + 64;
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(b"{\"query\":");
    serde_json::to_writer(&mut body, query)?;
    body.extend_from_slice(b",\"variables\":{");
    let mut first = true;
    for (name, raw) in reps {
        if !std::mem::take(&mut first) {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, name)?;
        body.extend_from_slice(b":[");
        body.extend_from_slice(raw);
        body.push(b']');
    }
    for (name, value) in variables {
        if !std::mem::take(&mut first) {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, name)?;
        body.push(b':');
        serde_json::to_writer(&mut body, value)?;
    }
    body.extend_from_slice(b"}}");
    Ok(body)
}

/// Where an entity sits in the data: a flatten path plus the list indices taken along it.
/// Cheaper than a full path of owned keys, which matters for large entity batches.
#[derive(Clone)]
struct Loc<'p> {
    segs: &'p [FlattenNodePathSegment],
    indices: Vec<u32>,
}

impl Loc<'_> {
    fn to_path(&self) -> Vec<PathSeg> {
        let mut out = Vec::with_capacity(self.segs.len() + 1);
        let mut idx = self.indices.iter();
        for seg in self.segs {
            match seg {
                FlattenNodePathSegment::Field(k) => out.push(PathSeg::Key(k.clone())),
                FlattenNodePathSegment::List => {
                    if let Some(i) = idx.next() {
                        out.push(PathSeg::Index(*i as usize));
                    }
                }
                FlattenNodePathSegment::TypeCondition(_) => {}
            }
        }
        out.extend(idx.map(|i| PathSeg::Index(*i as usize)));
        out
    }
}

impl<'a> Execution<'a> {
    pub fn new(
        supergraph: &'a Supergraph,
        client: &'a SubgraphClient,
        vars: &'a Map<String, Value>,
        headers: &'a [(String, String)],
        initial: Value,
    ) -> Self {
        Execution {
            supergraph,
            client,
            vars,
            headers,
            data: Mutex::new(initial),
            errors: Mutex::new(Vec::new()),
            only: None,
            on_done: None,
            items: None,
        }
    }

    /// Runs one fetch node (`Fetch`, `BatchFetch`, or `Flatten` over a fetch) if the filter
    /// lets it, and reports it done.
    async fn fetch_node(&self, node: &PlanNode) {
        if self.only.as_ref().is_some_and(|only| !only(node)) {
            return;
        }
        let keep = self
            .items
            .as_ref()
            .map(|items| move |prefix: &[FlattenNodePathSegment], i: usize| items(node, prefix, i));
        let keep: Option<Keep<'_>> = keep.as_ref().map(|k| k as Keep<'_>);
        match node {
            PlanNode::Fetch(f) => self.root_fetch(f).await,
            PlanNode::BatchFetch(b) => self.batch_fetch(b, keep).await,
            PlanNode::Flatten(fl) => {
                if let PlanNode::Fetch(f) = fl.node.as_ref() {
                    self.entity_fetch(fl.path.as_slice(), f, keep).await
                }
            }
            _ => {}
        }
        if let Some(done) = &self.on_done {
            done(node);
        }
    }

    pub fn run<'b>(&'b self, node: &'b PlanNode) -> BoxFuture<'b> {
        let span = plan_node_span(node);
        Box::pin(tracing::Instrument::instrument(self.run_node(node), span))
    }

    fn run_node<'b>(&'b self, node: &'b PlanNode) -> BoxFuture<'b> {
        Box::pin(async move {
            match node {
                PlanNode::Fetch(_) | PlanNode::BatchFetch(_) => self.fetch_node(node).await,
                PlanNode::Subscription(s) => self.root_fetch(&s.primary).await,
                PlanNode::Flatten(fl) => match fl.node.as_ref() {
                    PlanNode::Fetch(_) => self.fetch_node(node).await,
                    other => self.run(other).await,
                },
                PlanNode::Sequence(s) => {
                    for n in &s.nodes {
                        self.run(n).await;
                    }
                }
                PlanNode::Parallel(p) => {
                    futures_util::future::join_all(p.nodes.iter().map(|n| self.run(n))).await;
                }
                PlanNode::Condition(c) => {
                    let on = self
                        .vars
                        .get(&c.condition)
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    let branch = if on { &c.if_clause } else { &c.else_clause };
                    if let Some(n) = branch {
                        self.run(n).await;
                    }
                }
                // The planner emits no Defer nodes (`incremental` splits plans itself); should
                // one appear, its parts run inline.
                PlanNode::Defer(d) => {
                    if let Some(n) = &d.primary.node {
                        self.run(n).await;
                    }
                    for dn in &d.deferred {
                        if let Some(n) = &dn.node {
                            self.run(n).await;
                        }
                    }
                }
            }
        })
    }

    fn used_variables(
        &self,
        usages: &Option<std::collections::BTreeSet<String>>,
    ) -> Map<String, Value> {
        let mut vars = Map::new();
        if let Some(usages) = usages {
            for name in usages {
                if let Some(v) = self.vars.get(name) {
                    vars.insert(name.clone(), v.clone());
                }
            }
        }
        vars
    }

    async fn send(
        &self,
        service: &str,
        query: &str,
        variables: Map<String, Value>,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError> {
        match &self.supergraph.response_cache {
            Some(cache) => {
                let send = |vars| self.send_uncached(service, query, vars);
                cache
                    .fetch(service, query, variables, self.headers, send)
                    .await
            }
            None => self.send_uncached(service, query, variables).await,
        }
    }

    /// Sends an entity fetch: representations as values through `send` when they were
    /// collected for the response cache (`cached`), else as the text they were written as.
    async fn send_entities(
        &self,
        service: &str,
        query: &str,
        cached: bool,
        mut variables: Map<String, Value>,
        sets: Vec<(&str, EntitySet<'_>)>,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError> {
        if cached {
            for (name, set) in sets {
                variables.insert(name.to_string(), set.into_value());
            }
            return self.send(service, query, variables).await;
        }
        let reps: Vec<(&str, &[u8])> = sets
            .iter()
            .map(|(name, set)| (*name, set.raw.as_slice()))
            .collect();
        let body =
            request_body(query, &reps, &variables).map_err(|e| GraphQLError::new(e.to_string()))?;
        self.send_body(service, query, body).await
    }

    /// Does the response cache take part in this fetch (so representations must be values)?
    fn cache_consults(&self, query: &str) -> bool {
        self.supergraph
            .response_cache
            .as_ref()
            .is_some_and(|cache| cache.consults(query))
    }

    async fn send_uncached(
        &self,
        service: &str,
        query: &str,
        variables: Map<String, Value>,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError> {
        let body = serde_json::to_vec(&SubgraphRequest { query, variables })
            .map_err(|e| GraphQLError::new(e.to_string()))?;
        self.send_body(service, query, body).await
    }

    async fn send_body(
        &self,
        service: &str,
        query: &str,
        body: Vec<u8>,
    ) -> Result<Arc<SubgraphResponse>, GraphQLError> {
        let Some(url) = self.supergraph.endpoint(service) else {
            return Err(
                GraphQLError::new(format!("No URL known for subgraph '{service}'"))
                    .code("SUBGRAPH_REQUEST_FAILED"),
            );
        };
        let mutation = crate::dedup::is_mutation(query);
        self.client
            .fetch_shared(service, url, body, self.headers, mutation)
            .await
            .map_err(|reason| {
                GraphQLError::new(format!(
                    "Failed to fetch from subgraph '{service}': {reason}"
                ))
                .code(crate::breaker::error_code(&reason))
            })
    }

    async fn root_fetch(&self, f: &FetchNode) {
        let vars = self.used_variables(&f.variable_usages);
        match self
            .send(&f.service_name, &f.operation.document_str, vars)
            .await
        {
            Ok(resp) => {
                // Root fields of this fetch that came back null: where a subgraph error without
                // a path belongs (the client path of a root field is its response key).
                let null_roots: Vec<&str> = if resp.errors.is_empty() {
                    Vec::new()
                } else {
                    root_keys(f)
                        .filter(|k| {
                            resp.data
                                .as_ref()
                                .and_then(|d| d.get(*k))
                                .is_none_or(Value::is_null)
                        })
                        .collect()
                };
                let mut got = Got::new(resp);
                let (data, resp_errors) = got.parts();
                if let Some(mut data) = data {
                    if let Some(rws) = &f.output_rewrites {
                        for rw in rws {
                            apply_rewrite(&self.supergraph.api, data.to_mut(), rw);
                        }
                    }
                    merge_cow(&mut self.data.lock(), data);
                }
                let mut errors = self.errors.lock();
                for e in resp_errors {
                    let mut err = subgraph_error(e, &f.service_name);
                    err.path = e
                        .get("path")
                        .and_then(Value::as_array)
                        .map(|p| p.iter().filter_map(PathSeg::from_json).collect())
                        .filter(|p: &Vec<PathSeg>| !p.is_empty());
                    if err.path.is_none() && !null_roots.is_empty() {
                        for key in &null_roots {
                            errors.push(err.clone().at(vec![PathSeg::Key(key.to_string())]));
                        }
                        continue;
                    }
                    errors.push(err);
                }
            }
            Err(e) => self.errors.lock().push(e),
        }
    }

    async fn entity_fetch(
        &self,
        path: &[FlattenNodePathSegment],
        f: &FetchNode,
        keep: Option<Keep<'_>>,
    ) {
        let Some(requires) = &f.requires else {
            // A nested fetch without requires is not something the planner emits; treat as root.
            self.root_fetch(f).await;
            return;
        };
        let cached = self.cache_consults(&f.operation.document_str);
        let mut set = {
            let data = self.data.lock();
            let mut set = EntitySet::default();
            let mut index = FastMap::default();
            self.collect_entities(
                cached,
                &data,
                path,
                requires,
                f.input_rewrites.as_deref(),
                &mut set,
                &mut index,
                keep,
            );
            set
        };
        if set.len() == 0 {
            return;
        }
        let vars = self.used_variables(&f.variable_usages);
        let reps_count = set.len();
        let paths = std::mem::take(&mut set.paths);
        match self
            .send_entities(
                &f.service_name,
                &f.operation.document_str,
                cached,
                vars,
                vec![("representations", set)],
            )
            .await
        {
            Ok(resp) => {
                let mut got = Got::new(resp);
                let (data, errors) = got.parts();
                let entities = fields(data, ["_entities"]).pop().flatten();
                self.push_entity_errors(
                    errors,
                    "_entities",
                    &paths,
                    &f.service_name,
                    entities.as_deref(),
                );
                self.merge_entities(entities, &paths, reps_count, f.output_rewrites.as_deref());
            }
            Err(e) => self.errors.lock().push(e.at(first_path(&paths))),
        }
    }

    async fn batch_fetch(&self, b: &BatchFetchNode, keep: Option<Keep<'_>>) {
        let mut sets = Vec::with_capacity(b.entity_batch.aliases.len());
        let cached = self.cache_consults(&b.operation.document_str);
        {
            let data = self.data.lock();
            for alias in &b.entity_batch.aliases {
                let mut set = EntitySet::default();
                let mut index = FastMap::default();
                for p in &alias.merge_paths {
                    self.collect_entities(
                        cached,
                        &data,
                        p.as_slice(),
                        &alias.requires,
                        alias.input_rewrites.as_deref(),
                        &mut set,
                        &mut index,
                        keep,
                    );
                }
                sets.push(set);
            }
        }
        if sets.iter().all(|s| s.len() == 0) {
            return;
        }
        let vars = self.used_variables(&b.variable_usages);
        let mut paths = Vec::with_capacity(sets.len());
        let mut named = Vec::with_capacity(sets.len());
        for (alias, mut set) in b.entity_batch.aliases.iter().zip(sets) {
            paths.push(std::mem::take(&mut set.paths));
            named.push((alias.representations_variable_name.as_str(), set));
        }
        match self
            .send_entities(
                &b.service_name,
                &b.operation.document_str,
                cached,
                vars,
                named,
            )
            .await
        {
            Ok(resp) => {
                let mut got = Got::new(resp);
                let (data, errors) = got.parts();
                let entities = fields(
                    data,
                    b.entity_batch.aliases.iter().map(|a| a.alias.as_str()),
                );
                for e in errors {
                    let key = e
                        .get("path")
                        .and_then(|p| p.get(0))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    let target = key.and_then(|k| {
                        b.entity_batch
                            .aliases
                            .iter()
                            .position(|a| a.alias == k)
                            .map(|i| (k, i))
                    });
                    match target {
                        Some((k, i)) => self.push_entity_errors(
                            std::slice::from_ref(e),
                            &k,
                            &paths[i],
                            &b.service_name,
                            entities[i].as_deref(),
                        ),
                        None => self.errors.lock().push(subgraph_error(e, &b.service_name)),
                    }
                }
                for ((alias, alias_paths), entities) in
                    b.entity_batch.aliases.iter().zip(&paths).zip(entities)
                {
                    self.merge_entities(
                        entities,
                        alias_paths,
                        alias_paths.len(),
                        alias.output_rewrites.as_deref(),
                    );
                }
            }
            Err(e) => {
                let first = paths
                    .iter()
                    .find(|p| !p.is_empty())
                    .map(|p| first_path(p))
                    .unwrap_or_default();
                self.errors.lock().push(e.at(first));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn collect_entities<'p>(
        &self,
        cached: bool,
        data: &Value,
        flatten: &'p [FlattenNodePathSegment],
        requires: &PlanSelectionSet,
        input_rewrites: Option<&[FetchRewrite]>,
        set: &mut EntitySet<'p>,
        index: &mut FastMap<u128, usize>,
        keep: Option<Keep<'_>>,
    ) {
        let mut indices = Vec::new();
        let keep = keep.map(|k| (flatten, k));
        // Unless the response cache reads them, write the representations as text.
        let as_text = !cached;
        self.walk_flatten(data, flatten, keep, &mut indices, &mut |obj, indices| {
            // An object missing what the fetch requires (an earlier fetch returned it null, or
            // it came without its key) is not an entity this fetch can resolve: leave it out.
            if !self.has_required(obj, requires) {
                return;
            }
            // De-duplicate by a 128-bit hash, no serialization and no key-by-key comparison (a
            // collision, at odds of ~2^-100 per request, is not a practical concern). Without
            // input rewrites the hash covers what the representation would read from the
            // object, so a duplicate is recognised before its representation is built.
            let (key, rep) = match input_rewrites {
                None => {
                    let Some(key) = self.hash_representation(obj, requires) else {
                        return;
                    };
                    if let Some(&i) = index.get(&key) {
                        set.paths[i].push(Loc {
                            segs: flatten,
                            indices: indices.to_vec(),
                        });
                        return;
                    }
                    if as_text {
                        if self.write_representation(obj, requires, &mut set.raw) {
                            index.insert(key, set.paths.len());
                            set.paths.push(vec![Loc {
                                segs: flatten,
                                indices: indices.to_vec(),
                            }]);
                        }
                        return;
                    }
                    let Some(rep) = self.representation(obj, requires) else {
                        return;
                    };
                    (key, rep)
                }
                Some(rws) => {
                    let Some(mut rep) = self.representation(obj, requires) else {
                        return;
                    };
                    for rw in rws {
                        apply_rewrite(&self.supergraph.api, &mut rep, rw);
                    }
                    (hash_value(&rep), rep)
                }
            };
            let loc = Loc {
                segs: flatten,
                indices: indices.to_vec(),
            };
            match index.get(&key) {
                Some(&i) => set.paths[i].push(loc),
                None => {
                    index.insert(key, set.paths.len());
                    if as_text {
                        push_text(&mut set.raw, &rep);
                    } else {
                        set.reps.push(rep);
                    }
                    set.paths.push(vec![loc]);
                }
            }
        });
    }

    /// Calls `found` for every object the flatten path reaches, with the list indices taken.
    /// `keep`: the whole flatten path and the item filter (see `ItemFilter`).
    fn walk_flatten(
        &self,
        value: &Value,
        segs: &[FlattenNodePathSegment],
        keep: Option<(&[FlattenNodePathSegment], Keep<'_>)>,
        indices: &mut Vec<u32>,
        found: &mut OnEntity<'_>,
    ) {
        // The path walked so far, for the item filter.
        let skip = |i: usize| keep.is_some_and(|(full, k)| !k(&full[..full.len() - segs.len()], i));
        let Some((first, rest)) = segs.split_first() else {
            match value {
                Value::Object(m) => found(m, indices),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if skip(i) {
                            continue;
                        }
                        indices.push(i as u32);
                        self.walk_flatten(item, segs, keep, indices, found);
                        indices.pop();
                    }
                }
                _ => {}
            }
            return;
        };
        match (first, value) {
            (FlattenNodePathSegment::Field(k), Value::Object(m)) => {
                if let Some(v) = lookup(m, k) {
                    self.walk_flatten(v, rest, keep, indices, found);
                }
            }
            (FlattenNodePathSegment::List, Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if skip(i) {
                        continue;
                    }
                    indices.push(i as u32);
                    self.walk_flatten(item, rest, keep, indices, found);
                    indices.pop();
                }
            }
            (FlattenNodePathSegment::TypeCondition(types), Value::Object(m)) => {
                let typename = lookup(m, "__typename")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if types
                    .iter()
                    .any(|t| self.supergraph.api.applies(t, typename))
                {
                    self.walk_flatten(value, rest, keep, indices, found);
                }
            }
            _ => {}
        }
    }

    /// Does `obj` carry every field the representation needs (key and `@requires` fields)?
    /// Absent means an earlier fetch did not deliver it; `null` is only accepted where the
    /// API schema allows it (a key is never null).
    fn has_required(&self, obj: &Map<String, Value>, requires: &PlanSelectionSet) -> bool {
        let Some(typename) = lookup(obj, "__typename").and_then(Value::as_str) else {
            return false;
        };
        let mut applicable = false;
        for item in &requires.items {
            if let SelectionItem::InlineFragment(frag) = item {
                if self.supergraph.api.applies(&frag.type_condition, typename)
                    || frag.type_condition == typename
                {
                    applicable = true;
                    if !self.fields_present(obj, Some(typename), &frag.selections) {
                        return false;
                    }
                }
            }
        }
        applicable
    }

    fn fields_present(
        &self,
        obj: &Map<String, Value>,
        typename: Option<&str>,
        sel: &PlanSelectionSet,
    ) -> bool {
        let typename = lookup(obj, "__typename")
            .and_then(Value::as_str)
            .or(typename);
        sel.items.iter().all(|item| match item {
            SelectionItem::Field(f) => match lookup(obj, &f.name) {
                None => false,
                Some(Value::Null) => !typename
                    .and_then(|t| self.supergraph.api.field_type(t, &f.name))
                    .is_some_and(|ty| {
                        matches!(
                            ty,
                            graphql_tools::static_graphql::schema::Type::NonNullType(_)
                        )
                    }),
                Some(_) if f.selections.is_empty() => true,
                Some(v) => self.value_present(v, &f.selections),
            },
            SelectionItem::InlineFragment(frag) => {
                let applies = typename.is_none_or(|t| {
                    self.supergraph.api.applies(&frag.type_condition, t) || frag.type_condition == t
                });
                !applies || self.fields_present(obj, typename, &frag.selections)
            }
            SelectionItem::FragmentSpread(_) => true,
        })
    }

    fn value_present(&self, v: &Value, sel: &PlanSelectionSet) -> bool {
        match v {
            Value::Object(m) => self.fields_present(m, None, sel),
            Value::Array(items) => items.iter().all(|i| self.value_present(i, sel)),
            _ => true,
        }
    }

    /// A hash of everything `representation` reads from `obj` (same walk, nothing built);
    /// `None` exactly when `representation` would return `None`.
    fn hash_representation(
        &self,
        obj: &Map<String, Value>,
        requires: &PlanSelectionSet,
    ) -> Option<u128> {
        let typename = lookup(obj, "__typename").and_then(Value::as_str)?;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        let mut found = false;
        for item in &requires.items {
            if let SelectionItem::InlineFragment(frag) = item {
                if self.supergraph.api.applies(&frag.type_condition, typename)
                    || frag.type_condition == typename
                {
                    found |= self.hash_select(obj, &frag.selections, &mut h);
                }
            }
        }
        found.then(|| h.digest128())
    }

    /// Mirrors `select_into`; returns whether any field was present.
    fn hash_select(
        &self,
        obj: &Map<String, Value>,
        sel: &PlanSelectionSet,
        h: &mut xxhash_rust::xxh3::Xxh3,
    ) -> bool {
        let mut found = false;
        for item in &sel.items {
            match item {
                SelectionItem::Field(f) => {
                    let Some(v) = lookup(obj, &f.name) else {
                        continue;
                    };
                    found = true;
                    let key = f.alias.as_ref().unwrap_or(&f.name);
                    h.update(&[7]);
                    h.update(&(key.len() as u64).to_le_bytes());
                    h.update(key.as_bytes());
                    if f.selections.is_empty() {
                        feed_value(h, v);
                    } else {
                        self.hash_select_value(v, &f.selections, h);
                    }
                }
                SelectionItem::InlineFragment(frag) => {
                    let typename = lookup(obj, "__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if typename.is_empty()
                        || self.supergraph.api.applies(&frag.type_condition, typename)
                    {
                        found |= self.hash_select(obj, &frag.selections, h);
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        found
    }

    /// Mirrors `select_value`.
    fn hash_select_value(
        &self,
        v: &Value,
        sel: &PlanSelectionSet,
        h: &mut xxhash_rust::xxh3::Xxh3,
    ) {
        match v {
            Value::Object(m) => {
                h.update(&[8]);
                self.hash_select(m, sel, h);
                h.update(&[9]);
            }
            Value::Array(items) => {
                h.update(&[4]);
                h.update(&(items.len() as u64).to_le_bytes());
                for i in items {
                    self.hash_select_value(i, sel, h);
                }
            }
            other => feed_value(h, other),
        }
    }

    /// Writes one representation as JSON text after the ones in `out` (what `representation`
    /// builds, without building it). Returns false, writing nothing, exactly when
    /// `representation` returns `None`.
    fn write_representation(
        &self,
        obj: &Map<String, Value>,
        requires: &PlanSelectionSet,
        out: &mut Vec<u8>,
    ) -> bool {
        let Some(typename) = lookup(obj, "__typename").and_then(Value::as_str) else {
            return false;
        };
        let start = out.len();
        if start > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let mut keys = Vec::new();
        let mut unique = true;
        for item in &requires.items {
            if let SelectionItem::InlineFragment(frag) = item {
                if self.supergraph.api.applies(&frag.type_condition, typename)
                    || frag.type_condition == typename
                {
                    unique &= self.write_select(obj, &frag.selections, out, &mut keys);
                }
            }
        }
        if unique && !keys.is_empty() {
            out.push(b'}');
            return true;
        }
        out.truncate(start);
        // A key selected twice (overlapping fragments) is merged by the value builder.
        match self.representation(obj, requires) {
            Some(rep) if !keys.is_empty() => {
                push_text(out, &rep);
                true
            }
            _ => false,
        }
    }

    /// Mirrors `select_into`, writing `"key":value` pairs; false when a key repeats.
    fn write_select<'s>(
        &self,
        obj: &Map<String, Value>,
        sel: &'s PlanSelectionSet,
        out: &mut Vec<u8>,
        keys: &mut Vec<&'s str>,
    ) -> bool {
        for item in &sel.items {
            match item {
                SelectionItem::Field(f) => {
                    let Some(v) = lookup(obj, &f.name) else {
                        continue;
                    };
                    let key = f.alias.as_deref().unwrap_or(&f.name);
                    if keys.contains(&key) {
                        return false;
                    }
                    if !keys.is_empty() {
                        out.push(b',');
                    }
                    keys.push(key);
                    if serde_json::to_writer(&mut *out, key).is_err() {
                        return false;
                    }
                    out.push(b':');
                    let written = if f.selections.is_empty() {
                        serde_json::to_writer(&mut *out, v).is_ok()
                    } else {
                        self.write_value(v, &f.selections, out)
                    };
                    if !written {
                        return false;
                    }
                }
                SelectionItem::InlineFragment(frag) => {
                    let typename = lookup(obj, "__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if (typename.is_empty()
                        || self.supergraph.api.applies(&frag.type_condition, typename))
                        && !self.write_select(obj, &frag.selections, out, keys)
                    {
                        return false;
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
        true
    }

    /// Mirrors `select_value`.
    fn write_value(&self, v: &Value, sel: &PlanSelectionSet, out: &mut Vec<u8>) -> bool {
        match v {
            Value::Object(m) => {
                out.push(b'{');
                let ok = self.write_select(m, sel, out, &mut Vec::new());
                out.push(b'}');
                ok
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if !self.write_value(item, sel, out) {
                        return false;
                    }
                }
                out.push(b']');
                true
            }
            other => serde_json::to_writer(&mut *out, other).is_ok(),
        }
    }

    /// Builds one representation from the entity object using the fetch's `requires`.
    fn representation(
        &self,
        obj: &Map<String, Value>,
        requires: &PlanSelectionSet,
    ) -> Option<Value> {
        let typename = lookup(obj, "__typename").and_then(Value::as_str)?;
        let mut rep = Map::new();
        for item in &requires.items {
            if let SelectionItem::InlineFragment(frag) = item {
                if self.supergraph.api.applies(&frag.type_condition, typename)
                    || frag.type_condition == typename
                {
                    self.select_into(obj, &frag.selections, &mut rep);
                }
            }
        }
        (!rep.is_empty()).then_some(Value::Object(rep))
    }

    fn select_into(
        &self,
        obj: &Map<String, Value>,
        sel: &PlanSelectionSet,
        out: &mut Map<String, Value>,
    ) {
        for item in &sel.items {
            match item {
                SelectionItem::Field(f) => {
                    // `alias: name` in requires means: read data key `name`, send it as `alias`.
                    let Some(v) = lookup(obj, &f.name) else {
                        continue;
                    };
                    let key = f.alias.as_ref().unwrap_or(&f.name).clone();
                    let projected = if f.selections.is_empty() {
                        v.clone()
                    } else {
                        self.select_value(v, &f.selections)
                    };
                    match out.entry(key) {
                        serde_json::map::Entry::Occupied(mut o) => {
                            deep_merge(o.get_mut(), projected)
                        }
                        serde_json::map::Entry::Vacant(slot) => {
                            slot.insert(projected);
                        }
                    }
                }
                SelectionItem::InlineFragment(frag) => {
                    let typename = lookup(obj, "__typename")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if typename.is_empty()
                        || self.supergraph.api.applies(&frag.type_condition, typename)
                    {
                        self.select_into(obj, &frag.selections, out);
                    }
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }

    fn select_value(&self, v: &Value, sel: &PlanSelectionSet) -> Value {
        match v {
            Value::Object(m) => {
                let mut out = Map::new();
                self.select_into(m, sel, &mut out);
                Value::Object(out)
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.select_value(i, sel)).collect())
            }
            other => other.clone(),
        }
    }

    fn merge_entities(
        &self,
        entities: Option<Cow<'_, Value>>,
        paths: &[Vec<Loc<'_>>],
        expected: usize,
        output_rewrites: Option<&[FetchRewrite]>,
    ) {
        let mut entities: Cow<'_, [Value]> = match entities {
            Some(Cow::Owned(Value::Array(list))) => Cow::Owned(list),
            Some(Cow::Borrowed(Value::Array(list))) => Cow::Borrowed(list),
            _ => return,
        };
        if entities.len() != expected {
            self.errors.lock().push(
                GraphQLError::new(
                    "Subgraph returned a different number of entities than requested",
                )
                .code("SUBGRAPH_INVALID_RESPONSE"),
            );
            return;
        }
        if let Some(rws) = output_rewrites {
            for e in entities.to_mut().iter_mut() {
                for rw in rws {
                    apply_rewrite(&self.supergraph.api, e, rw);
                }
            }
        }
        let mut data = self.data.lock();
        match entities {
            Cow::Owned(mut entities) => {
                // An entity's last place takes it by value; earlier ones (duplicates) get copies.
                let mut uses: Vec<usize> = paths.iter().map(Vec::len).collect();
                merge_at_places(&mut data, paths, |slot, i| {
                    let entity = &mut entities[i];
                    if entity.is_null() {
                        return;
                    }
                    uses[i] -= 1;
                    if uses[i] == 0 {
                        deep_merge(slot, std::mem::take(entity));
                    } else {
                        deep_merge(slot, entity.clone());
                    }
                });
            }
            // Shared with other requests: copy into place only what is merged.
            Cow::Borrowed(entities) => merge_at_places(&mut data, paths, |slot, i| {
                if !entities[i].is_null() {
                    deep_merge_ref(slot, &entities[i]);
                }
            }),
        }
    }

    fn push_entity_errors(
        &self,
        errors: &[Value],
        root_key: &str,
        paths: &[Vec<Loc<'_>>],
        service: &str,
        entities: Option<&Value>,
    ) {
        if errors.is_empty() {
            return;
        }
        let mut out = self.errors.lock();
        for e in errors {
            let mut err = subgraph_error(e, service);
            let sub: Vec<PathSeg> = e
                .get("path")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(PathSeg::from_json).collect())
                .unwrap_or_default();
            if let [PathSeg::Key(k), PathSeg::Index(i), rest @ ..] = sub.as_slice() {
                if k == root_key {
                    if let Some(targets) = paths.get(*i) {
                        for t in targets {
                            let mut p = t.to_path();
                            p.extend(rest.iter().cloned());
                            let mut e2 = err.clone();
                            e2.path = Some(p);
                            out.push(e2);
                        }
                        continue;
                    }
                }
            }
            // Some subgraphs (async-graphql) omit the entity index: blame every entity whose
            // value at the error's sub-path came back null.
            if let [PathSeg::Key(k), rest @ ..] = sub.as_slice() {
                if k == root_key && !rest.is_empty() {
                    let items = entities.and_then(Value::as_array);
                    let mut matched = false;
                    for (i, targets) in paths.iter().enumerate() {
                        let value = items
                            .and_then(|it| it.get(i))
                            .and_then(|v| get_path(v, rest));
                        if value.is_none_or(Value::is_null) {
                            for t in targets {
                                let mut p = t.to_path();
                                p.extend(rest.iter().cloned());
                                let mut e2 = err.clone();
                                e2.path = Some(p);
                                out.push(e2);
                                matched = true;
                            }
                        }
                    }
                    if matched {
                        continue;
                    }
                }
            }
            err.path = None;
            out.push(err);
        }
    }
}

/// Objects with at most this many keys are searched by a linear scan.
const SCAN_UP_TO: usize = 16;

/// A key's value in an object. Subgraph objects have few keys, and comparing a few short keys
/// costs less than hashing the key with the standard (SipHash) hasher serde_json's map uses.
pub(crate) fn lookup<'m>(m: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    if m.len() <= SCAN_UP_TO {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// `lookup` for changing the value.
pub(crate) fn lookup_mut<'m>(m: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Value> {
    if m.len() <= SCAN_UP_TO {
        m.iter_mut()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v)
    } else {
        m.get_mut(key)
    }
}

/// Appends a representation to comma-separated JSON text.
fn push_text(out: &mut Vec<u8>, rep: &Value) {
    if !out.is_empty() {
        out.push(b',');
    }
    // Writing a `Value` into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, rep);
}

/// A 128-bit structural hash of a JSON value (object keys in order, as representations are
/// built).
fn hash_value(v: &Value) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    feed_value(&mut h, v);
    h.digest128()
}

/// Feeds a JSON value into a hash, unambiguously (type tags and lengths).
fn feed_value(h: &mut xxhash_rust::xxh3::Xxh3, v: &Value) {
    match v {
        Value::Null => h.update(&[0]),
        Value::Bool(b) => h.update(&[1, *b as u8]),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                h.update(&[2]);
                h.update(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                h.update(&[10]);
                h.update(&u.to_le_bytes());
            } else if let Some(f) = n.as_f64() {
                h.update(&[11]);
                h.update(&f.to_bits().to_le_bytes());
            }
        }
        Value::String(s) => {
            h.update(&[3]);
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        Value::Array(items) => {
            h.update(&[4]);
            h.update(&(items.len() as u64).to_le_bytes());
            for i in items {
                feed_value(h, i);
            }
        }
        Value::Object(m) => {
            h.update(&[5]);
            h.update(&(m.len() as u64).to_le_bytes());
            for (k, v) in m {
                h.update(&(k.len() as u64).to_le_bytes());
                h.update(k.as_bytes());
                feed_value(h, v);
            }
        }
    }
}

/// The response keys of a root fetch's top-level fields.
fn root_keys(f: &FetchNode) -> impl Iterator<Item = &str> {
    f.operation
        .document
        .operation
        .selection_set
        .items
        .iter()
        .filter_map(|item| match item {
            SelectionItem::Field(field) if field.name != "__typename" => {
                Some(field.alias.as_deref().unwrap_or(&field.name))
            }
            _ => None,
        })
}

fn first_path(paths: &[Vec<Loc<'_>>]) -> Vec<PathSeg> {
    paths
        .first()
        .and_then(|p| p.first())
        .map(Loc::to_path)
        .unwrap_or_default()
}

/// A subgraph error re-shaped for the client: its message and extensions, no subgraph locations.
fn subgraph_error(e: &Value, service: &str) -> GraphQLError {
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Unknown subgraph error")
        .to_string();
    let mut ext = match e.get("extensions") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    ext.insert("serviceName".into(), Value::String(service.to_string()));
    GraphQLError {
        message,
        locations: None,
        path: None,
        extensions: Some(Value::Object(ext)),
    }
}

pub fn get_path<'v>(mut v: &'v Value, path: &[PathSeg]) -> Option<&'v Value> {
    for seg in path {
        v = match seg {
            PathSeg::Key(k) => v.get(k)?,
            PathSeg::Index(i) => v.get(*i)?,
        };
    }
    Some(v)
}

/// Merges `src` into `dst`: objects key by key, same-length lists element by element.
pub fn deep_merge(dst: &mut Value, src: Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            // One hash per key: most merged keys are new to the destination object.
            for (k, v) in s {
                match lookup_mut(d, &k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        d.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(s)) if d.len() == s.len() => {
            for (dv, sv) in d.iter_mut().zip(s) {
                deep_merge(dv, sv);
            }
        }
        (dst, src) => *dst = src,
    }
}

/// Calls `merge(slot, i)` for every place of every entity `i`, walking down the data once per
/// flatten path for all places together instead of once from the root per place (large entity
/// batches have hundreds of places under the same few lists).
fn merge_at_places(
    data: &mut Value,
    paths: &[Vec<Loc<'_>>],
    mut merge: impl FnMut(&mut Value, usize),
) {
    let mut places: Vec<(&Loc<'_>, usize)> = paths
        .iter()
        .enumerate()
        .flat_map(|(i, locs)| locs.iter().map(move |loc| (loc, i)))
        .collect();
    // Grouped by flatten path, then in list-index order (collection order, except duplicates).
    let path_of = |loc: &Loc<'_>| (loc.segs.as_ptr() as usize, loc.segs.len());
    let order = |a: &(&Loc<'_>, usize), b: &(&Loc<'_>, usize)| {
        path_of(a.0)
            .cmp(&path_of(b.0))
            .then_with(|| a.0.indices.cmp(&b.0.indices))
    };
    if !places.is_sorted_by(|a, b| order(a, b).is_le()) {
        places.sort_by(order);
    }
    for group in places.chunk_by(|a, b| path_of(a.0) == path_of(b.0)) {
        descend(data, group[0].0.segs, 0, group, &mut merge);
    }
}

/// `merge_at_places` below `v`, where `segs` remain and `depth` list indices have been taken.
fn descend(
    v: &mut Value,
    segs: &[FlattenNodePathSegment],
    depth: usize,
    places: &[(&Loc<'_>, usize)],
    merge: &mut impl FnMut(&mut Value, usize),
) {
    match segs.split_first() {
        Some((FlattenNodePathSegment::Field(k), rest)) => {
            if let Some(child) = v.as_object_mut().and_then(|m| lookup_mut(m, k)) {
                descend(child, rest, depth, places, merge);
            }
        }
        Some((FlattenNodePathSegment::TypeCondition(_), rest)) => {
            descend(v, rest, depth, places, merge)
        }
        Some((FlattenNodePathSegment::List, rest)) => {
            let Value::Array(items) = v else {
                return;
            };
            for group in places.chunk_by(|a, b| a.0.indices.get(depth) == b.0.indices.get(depth)) {
                let Some(&i) = group[0].0.indices.get(depth) else {
                    continue;
                };
                if let Some(item) = items.get_mut(i as usize) {
                    descend(item, rest, depth + 1, group, merge);
                }
            }
        }
        None => {
            for (loc, i) in places {
                // Lists after the last segment (a flatten path that ends on a list field).
                let mut slot = Some(&mut *v);
                for idx in loc.indices.get(depth..).unwrap_or_default() {
                    slot = slot.and_then(|s| s.get_mut(*idx as usize));
                }
                if let Some(slot) = slot {
                    merge(slot, *i);
                }
            }
        }
    }
}

/// `deep_merge` from a value this request does not own (a response shared with identical
/// fetches of other requests): what is new to `dst` is copied, nothing else.
pub fn deep_merge_ref(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match lookup_mut(d, k) {
                    Some(slot) => deep_merge_ref(slot, v),
                    None => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(d), Value::Array(s)) if d.len() == s.len() => {
            for (dv, sv) in d.iter_mut().zip(s) {
                deep_merge_ref(dv, sv);
            }
        }
        (dst, src) => *dst = src.clone(),
    }
}

/// Merges a value that is owned (moved in) or shared (copied in).
fn merge_cow(dst: &mut Value, src: Cow<'_, Value>) {
    match src {
        Cow::Owned(v) => deep_merge(dst, v),
        Cow::Borrowed(v) => deep_merge_ref(dst, v),
    }
}

/// A subgraph response this request owns, or shares with identical in-flight fetches of other
/// requests (`dedup`): a shared one is read where it is, never copied whole.
enum Got {
    Own(SubgraphResponse),
    Shared(Arc<SubgraphResponse>),
}

impl Got {
    fn new(resp: Arc<SubgraphResponse>) -> Self {
        match Arc::try_unwrap(resp) {
            Ok(own) => Got::Own(own),
            Err(shared) => Got::Shared(shared),
        }
    }

    /// The data (taken when owned, borrowed when shared) and the errors.
    fn parts(&mut self) -> (Option<Cow<'_, Value>>, &[Value]) {
        match self {
            Got::Own(r) => (r.data.take().map(Cow::Owned), &r.errors),
            Got::Shared(r) => (r.data.as_ref().map(Cow::Borrowed), &r.errors),
        }
    }
}

/// The values of `keys` in an object: moved out when owned, borrowed when shared.
fn fields<'v, 'k>(
    data: Option<Cow<'v, Value>>,
    keys: impl IntoIterator<Item = &'k str>,
) -> Vec<Option<Cow<'v, Value>>> {
    match data {
        Some(Cow::Owned(mut v)) => keys
            .into_iter()
            .map(|k| v.get_mut(k).map(Value::take).map(Cow::Owned))
            .collect(),
        Some(Cow::Borrowed(v)) => keys
            .into_iter()
            .map(|k| v.get(k).map(Cow::Borrowed))
            .collect(),
        None => keys.into_iter().map(|_| None).collect(),
    }
}

enum RewriteAction<'r> {
    Set(&'r str),
    Rename(&'r str),
}

/// Applies a planner input/output rewrite (set a value, rename a key) at its path.
pub fn apply_rewrite(schema: &SchemaIndex, value: &mut Value, rw: &FetchRewrite) {
    let (path, action) = match rw {
        FetchRewrite::ValueSetter(s) => (&s.path, RewriteAction::Set(&s.set_value_to)),
        FetchRewrite::KeyRenamer(r) => (&r.path, RewriteAction::Rename(&r.rename_key_to)),
    };
    rewrite_at(schema, value, path, &action);
}

fn rewrite_at(
    schema: &SchemaIndex,
    value: &mut Value,
    path: &[FetchNodePathSegment],
    action: &RewriteAction<'_>,
) {
    if let Value::Array(items) = value {
        for item in items {
            rewrite_at(schema, item, path, action);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        if let RewriteAction::Set(v) = action {
            *value = Value::String((*v).to_string());
        }
        return;
    };
    let Value::Object(m) = value else { return };
    match first {
        FetchNodePathSegment::TypenameEquals(types) => {
            let matches = m
                .get("__typename")
                .and_then(Value::as_str)
                .is_some_and(|t| types.iter().any(|cond| schema.applies(cond, t)));
            if matches {
                rewrite_at(schema, value, rest, action);
            }
        }
        FetchNodePathSegment::Key(k) => {
            if rest.is_empty() {
                match action {
                    RewriteAction::Set(v) => {
                        m.insert(k.clone(), Value::String((*v).to_string()));
                    }
                    RewriteAction::Rename(to) => {
                        if let Some(v) = m.remove(k) {
                            m.insert((*to).to_string(), v);
                        }
                    }
                }
            } else if let Some(child) = m.get_mut(k) {
                rewrite_at(schema, child, rest, action);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router_query_planner::planner::plan_nodes::{KeyRenamer, ValueSetter};
    use serde_json::json;

    fn schema() -> SchemaIndex {
        let doc = graphql_tools::parser::parse_schema::<String>(
            "interface Media { id: ID } type Book implements Media { id: ID } type Query { m: Media }",
        )
        .unwrap()
        .into_static();
        SchemaIndex::new(&doc)
    }

    #[test]
    fn value_setter_matches_implementations_of_an_interface() {
        let rw = FetchRewrite::ValueSetter(ValueSetter {
            path: vec![
                FetchNodePathSegment::TypenameEquals(["Media".to_string()].into()),
                FetchNodePathSegment::Key("__typename".into()),
            ],
            set_value_to: "Media".into(),
        });
        let mut rep = json!({"__typename": "Book", "id": "1"});
        apply_rewrite(&schema(), &mut rep, &rw);
        assert_eq!(rep, json!({"__typename": "Media", "id": "1"}));
    }

    #[test]
    fn key_renamer_renames_in_lists() {
        let rw = FetchRewrite::KeyRenamer(KeyRenamer {
            path: vec![FetchNodePathSegment::Key("a".into())],
            rename_key_to: "b".into(),
        });
        let mut v = json!([{"a": 1}, {"a": 2, "c": 3}]);
        apply_rewrite(&schema(), &mut v, &rw);
        assert_eq!(v, json!([{"b": 1}, {"b": 2, "c": 3}]));
    }

    #[test]
    fn value_hash_tells_apart_values_that_serialize_alike_in_parts() {
        let distinct = [
            json!(-1),
            json!(u64::MAX),
            json!(1.5),
            json!("1"),
            json!({"ab": "c"}),
            json!({"a": "bc"}),
            json!(["a", "b"]),
            json!(["ab"]),
            json!(null),
            json!(false),
        ];
        let hashes: std::collections::HashSet<u128> = distinct.iter().map(hash_value).collect();
        assert_eq!(hashes.len(), distinct.len());
        assert_eq!(
            hash_value(&json!({"id": "1", "n": [1, 2]})),
            hash_value(&json!({"id": "1", "n": [1, 2]}))
        );
    }

    #[test]
    fn request_body_splices_representation_text_next_to_other_variables() {
        let mut vars = Map::new();
        vars.insert("first".into(), json!(3));
        let body = request_body(
            "query($representations: [_Any!]!) { _entities { id } }",
            &[
                (
                    "representations",
                    br#"{"__typename":"A","id":"1"},{"__typename":"A","id":"2"}"#,
                ),
                ("r2", b""),
            ],
            &vars,
        )
        .unwrap();
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            parsed,
            json!({
                "query": "query($representations: [_Any!]!) { _entities { id } }",
                "variables": {
                    "representations": [{"__typename": "A", "id": "1"}, {"__typename": "A", "id": "2"}],
                    "r2": [],
                    "first": 3
                }
            })
        );
    }

    #[test]
    fn lookups_find_keys_in_small_and_large_objects() {
        let small = json!({"__typename": "A", "id": "1"});
        let large: Value = (0..40)
            .map(|i| (format!("k{i}"), json!(i)))
            .collect::<Map<_, _>>()
            .into();
        assert_eq!(lookup(small.as_object().unwrap(), "id"), Some(&json!("1")));
        assert_eq!(lookup(small.as_object().unwrap(), "nope"), None);
        assert_eq!(lookup(large.as_object().unwrap(), "k33"), Some(&json!(33)));
        let mut large = large;
        *lookup_mut(large.as_object_mut().unwrap(), "k7").unwrap() = json!("x");
        assert_eq!(large["k7"], json!("x"));
    }

    #[test]
    fn deep_merge_combines_objects_and_lists() {
        let mut dst = json!({"a": [{"x": 1}, {"x": 2}], "b": {"c": 1}});
        deep_merge(&mut dst, json!({"a": [{"y": 1}, {"y": 2}], "b": {"d": 2}}));
        assert_eq!(
            dst,
            json!({"a": [{"x": 1, "y": 1}, {"x": 2, "y": 2}], "b": {"c": 1, "d": 2}})
        );
    }
}
