//! `@defer` and `@stream` delivered incrementally, in the incremental-delivery format Apollo
//! Client and graphql-js read (`deferSpec=20220824`: the first payload with `hasNext: true`, then
//! `{incremental: [{data | items, path, label, errors}], hasNext}`), over `multipart/mixed` and
//! SSE.
//!
//! The planner resolves deferred fragments inline, so the router runs the plan of the whole
//! operation in two phases (`partition` says which fetch serves which part): first every fetch
//! the non-deferred selection needs (below a streamed list, for its first `initialCount` items
//! only), after which the first payload is projected and sent; then the fetches only deferred
//! fragments need and the streamed lists' later items' entity fetches, each deferred fragment's
//! payload sent as soon as its own fetches (and what it is nested in) are done. Every subgraph
//! fetch happens once (a streamed list's entity fetches once per phase); deferred fields a
//! first-phase fetch brought along are held back for their payload. Mutations are never split;
//! they are answered in one part.

mod partition;
pub mod stream;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition, Directive, Document, FragmentDefinition, OperationDefinition, Selection,
    SelectionSet, TypeCondition, Value as QValue,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::pipeline::execute::Execution;
use crate::pipeline::plan::{fragments_by_name, OpKind, Prepared};
use crate::pipeline::project::Projector;
use crate::pipeline::Context;
use crate::response::{GraphQLError, Out, PathSeg, Response};
use crate::schema::TypeKind;
use crate::supergraph::Supergraph;
use partition::{Partition, Selected};
use stream::Streamed;

/// One deferred fragment of the operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub label: Option<String>,
    /// Response keys from the root to the objects the fragment applies to (list positions are
    /// expanded when the data is known).
    pub path: Vec<String>,
    /// The field names along `path`, to find the objects' type.
    fields: Vec<String>,
    /// The fragment's type condition.
    on: Option<String>,
    /// The deferred fragment this one is nested in (its payload goes first).
    pub parent: Option<usize>,
    /// `{ <the fragment> }`, its own nested deferred fragments removed.
    selection: SelectionSet,
}

/// An operation split for incremental delivery.
pub struct Split {
    /// The operation document without its deferred fragments (named fragments stripped alike).
    doc: Document,
    op_index: usize,
    fragments: HashMap<String, FragmentDefinition>,
    pub deferred: Vec<Deferred>,
    pub streams: Vec<Streamed>,
    primary: Selected,
    /// Each deferred fragment's own selection, by response path.
    selected: Vec<Selected>,
}

impl Split {
    fn primary_set(&self) -> &SelectionSet {
        match &self.doc.definitions[self.op_index] {
            Definition::Operation(op) => op_set(op),
            Definition::Fragment(f) => &f.selection_set,
        }
    }
}

fn op_set(op: &OperationDefinition) -> &SelectionSet {
    match op {
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Query(q) => &q.selection_set,
        OperationDefinition::Mutation(m) => &m.selection_set,
        OperationDefinition::Subscription(s) => &s.selection_set,
    }
}

/// `Some(label)` when the directives hold an active `@defer` (`if` absent, true, or a variable
/// that is not false).
fn defer_label(directives: &[Directive], vars: &Map<String, Value>) -> Option<Option<String>> {
    active(directives, "defer", vars).map(|(_, label)| label)
}

/// The directive `name` and its `label` when it is present and on: `if` absent, true, or a
/// variable that is not false (how `@defer` and `@stream` are both switched).
pub(crate) fn active<'d>(
    directives: &'d [Directive],
    name: &str,
    vars: &Map<String, Value>,
) -> Option<(&'d Directive, Option<String>)> {
    let d = directives.iter().find(|d| d.name == name)?;
    let on = match argument(d, "if") {
        None => true,
        Some(QValue::Boolean(b)) => *b,
        Some(QValue::Variable(v)) => vars.get(v).and_then(Value::as_bool).unwrap_or(true),
        Some(_) => true,
    };
    if !on {
        return None;
    }
    let label = match argument(d, "label") {
        Some(QValue::String(s)) => Some(s.clone()),
        Some(QValue::Variable(v)) => vars.get(v).and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    Some((d, label))
}

pub(crate) fn argument<'d>(d: &'d Directive, name: &str) -> Option<&'d QValue> {
    d.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// Splits a query for incremental delivery; `None` when nothing is deferred (or it is not a
/// query), so the caller runs it as usual.
pub fn split(prepared: &Prepared, vars: &Map<String, Value>) -> Option<Split> {
    if prepared.kind != OpKind::Query {
        return None;
    }
    let mut deferred = Vec::new();
    let mut streams = Vec::new();
    let mut walk = Walk {
        fragments: &prepared.fragments,
        vars,
        path: Vec::new(),
        fields: Vec::new(),
        out: &mut deferred,
        streams: &mut streams,
        in_stream: false,
    };
    walk.collect(prepared.selection_set(), None, 0);
    if deferred.is_empty() && streams.is_empty() {
        return None;
    }
    let mut doc = prepared.doc.clone();
    for def in &mut doc.definitions {
        let set = match def {
            Definition::Operation(OperationDefinition::SelectionSet(s)) => s,
            Definition::Operation(OperationDefinition::Query(q)) => &mut q.selection_set,
            Definition::Operation(OperationDefinition::Mutation(m)) => &mut m.selection_set,
            Definition::Operation(OperationDefinition::Subscription(s)) => &mut s.selection_set,
            Definition::Fragment(f) => &mut f.selection_set,
        };
        remove_deferred(set, vars);
    }
    let fragments = fragments_by_name(&doc);
    let op_index = prepared.op_index();
    let primary = match &doc.definitions[op_index] {
        Definition::Operation(op) => Selected::of(op_set(op), &[], &fragments),
        Definition::Fragment(_) => Selected::default(),
    };
    let selected = deferred
        .iter()
        .map(|d| Selected::of(&d.selection, &d.path, &fragments))
        .collect();
    Some(Split {
        doc,
        op_index,
        fragments,
        deferred,
        streams,
        primary,
        selected,
    })
}

/// Fragment nesting the walk follows at most (validation already refuses cycles).
const MAX_DEPTH: usize = 64;

/// Finds the active deferred fragments, outer ones before the ones nested in them, and the
/// streamed lists outside them.
struct Walk<'w> {
    fragments: &'w HashMap<String, FragmentDefinition>,
    vars: &'w Map<String, Value>,
    path: Vec<String>,
    fields: Vec<String>,
    out: &'w mut Vec<Deferred>,
    streams: &'w mut Vec<Streamed>,
    /// Inside a streamed list: a list streamed in it arrives whole with its item.
    in_stream: bool,
}

impl Walk<'_> {
    fn collect(&mut self, set: &SelectionSet, parent: Option<usize>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    self.path
                        .push(f.alias.clone().unwrap_or_else(|| f.name.clone()));
                    self.fields.push(f.name.clone());
                    // A list streamed inside a deferred fragment arrives whole in its payload.
                    let streamed = match stream::stream_args(&f.directives, self.vars) {
                        Some((label, initial)) if parent.is_none() && !self.in_stream => {
                            self.streams.push(Streamed {
                                label,
                                path: self.path.clone(),
                                initial: initial.max(0) as usize,
                            });
                            true
                        }
                        _ => false,
                    };
                    let was = self.in_stream;
                    self.in_stream = was || streamed;
                    self.collect(&f.selection_set, parent, depth + 1);
                    self.in_stream = was;
                    self.path.pop();
                    self.fields.pop();
                }
                Selection::InlineFragment(i) => match defer_label(&i.directives, self.vars) {
                    Some(label) => {
                        let mut own = i.clone();
                        remove_deferred(&mut own.selection_set, self.vars);
                        let on = i
                            .type_condition
                            .as_ref()
                            .map(|TypeCondition::On(t)| t.clone());
                        let at = self.push(label, on, Selection::InlineFragment(own), parent);
                        self.collect(&i.selection_set, Some(at), depth + 1);
                    }
                    None => self.collect(&i.selection_set, parent, depth + 1),
                },
                Selection::FragmentSpread(s) => {
                    let Some(frag) = self.fragments.get(&s.fragment_name) else {
                        continue;
                    };
                    match defer_label(&s.directives, self.vars) {
                        Some(label) => {
                            let TypeCondition::On(on) = &frag.type_condition;
                            let at = self.push(
                                label,
                                Some(on.clone()),
                                Selection::FragmentSpread(s.clone()),
                                parent,
                            );
                            self.collect(&frag.selection_set, Some(at), depth + 1);
                        }
                        None => self.collect(&frag.selection_set, parent, depth + 1),
                    }
                }
            }
        }
    }

    fn push(
        &mut self,
        label: Option<String>,
        on: Option<String>,
        selection: Selection,
        parent: Option<usize>,
    ) -> usize {
        let span = match &selection {
            Selection::InlineFragment(i) => i.selection_set.span,
            Selection::FragmentSpread(s) => (s.position, s.position),
            Selection::Field(f) => f.selection_set.span,
        };
        self.out.push(Deferred {
            label,
            path: self.path.clone(),
            fields: self.fields.clone(),
            on,
            parent,
            selection: SelectionSet {
                span,
                items: vec![selection],
            },
        });
        self.out.len() - 1
    }
}

/// Drops the active deferred fragments from a selection (a selection left empty projects as
/// `{}`, which is what the first payload shows for an object whose fields all come later).
fn remove_deferred(set: &mut SelectionSet, vars: &Map<String, Value>) {
    set.items.retain_mut(|sel| match sel {
        Selection::Field(f) => {
            remove_deferred(&mut f.selection_set, vars);
            true
        }
        Selection::InlineFragment(i) => {
            if defer_label(&i.directives, vars).is_some() {
                return false;
            }
            remove_deferred(&mut i.selection_set, vars);
            true
        }
        Selection::FragmentSpread(s) => defer_label(&s.directives, vars).is_none(),
    });
}

/// A complete response as the only payload (`hasNext: false`).
pub fn only_payload(response: &Response) -> String {
    with_has_next(
        serde_json::to_string(response).unwrap_or_else(|_| "{}".into()),
        false,
    )
}

fn with_has_next(mut json: String, has_next: bool) -> String {
    // `Response` serializes as an object; the field goes last to keep `data` first.
    json.pop();
    if json.len() > 1 {
        json.push(',');
    }
    json.push_str(if has_next {
        "\"hasNext\":true}"
    } else {
        "\"hasNext\":false}"
    });
    json
}

/// A deferred fragment's `data`, or a streamed list's further `items`, at `path`.
#[derive(Serialize)]
struct Item<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Out>,
    #[serde(skip_serializing_if = "Option::is_none")]
    items: Option<Vec<Out>>,
    path: Vec<PathSeg>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<GraphQLError>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Subsequent<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    incremental: Vec<Item<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<GraphQLError>,
    has_next: bool,
}

impl Subsequent<'_> {
    fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"hasNext\":false}".into())
    }
}

/// Runs a split query: the first item is the primary payload, sent once the fetches it needs
/// are done (for a streamed list, those of its first `initialCount` items); then the rest of
/// each streamed list once the entity fetches for its later items are done, and one payload per
/// deferred fragment, an enclosing fragment (or a streamed list) before what is nested in it.
/// `limit` bounds the whole (zero: none).
pub fn payloads<'a>(
    ctx: &'a Context<'a>,
    prepared: Arc<Prepared>,
    split: Split,
    operation_name: Option<String>,
    vars: Map<String, Value>,
    limit: std::time::Duration,
) -> impl futures_util::Stream<Item = String> + 'a {
    async_stream::stream! {
        let deadline = (!limit.is_zero()).then(|| tokio::time::Instant::now() + limit);
        let sleep = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        // Fields the caller may not see are removed before planning, as on the ordinary path.
        let restricted = match crate::authz::restrict(
            ctx.supergraph,
            &prepared,
            operation_name.as_deref(),
            ctx.principal,
        ) {
            Ok(r) => r,
            Err(errors) => {
                yield only_payload(&Response::request_error(errors));
                return;
            }
        };
        let (plan, authz_errors) = match restricted {
            Some(r) => (r.prepared.plan.clone(), r.errors),
            None => (prepared.plan.clone(), Vec::new()),
        };
        let node = plan.as_deref().and_then(|p| p.node.as_ref());
        let stream_paths: Vec<Vec<String>> = split.streams.iter().map(|s| s.path.clone()).collect();
        let partition = node
            .map(|n| Partition::new(n, &split.primary, &split.selected, &stream_paths))
            .unwrap_or_default();
        let second_phase = AtomicBool::new(false);
        // A finished second-phase fetch: the deferred fragments it served, or `None` for the
        // later items of a streamed list.
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Option<Vec<usize>>>();
        let initial = crate::pipeline::router_owned_fields(ctx.supergraph, &prepared, &vars);
        let mut exec = Execution::new(ctx.supergraph, ctx.client, &vars, ctx.headers, initial);
        *exec.errors.get_mut() = authz_errors;
        let (part, phase, streams) = (&partition, &second_phase, &split.streams);
        exec.only = Some(Box::new(move |n| {
            if phase.load(Ordering::SeqCst) {
                part.owners(n).is_some() || part.is_split(n)
            } else {
                part.owners(n).is_none()
            }
        }));
        exec.items = Some(Box::new(move |n, prefix, i| {
            if !part.is_split(n) {
                return true;
            }
            match streams.iter().find(|s| partition::same_keys(prefix, &s.path)) {
                Some(s) => (i < s.initial) != phase.load(Ordering::SeqCst),
                None => true,
            }
        }));
        exec.on_done = Some(Box::new(move |n| {
            if let Some(owners) = part.owners(n) {
                let _ = done_tx.send(Some(owners.to_vec()));
            } else if part.is_split(n) && phase.load(Ordering::SeqCst) {
                let _ = done_tx.send(None);
            }
        }));
        let exec = exec;

        let first = async {
            if let Some(n) = node {
                exec.run(n).await;
            }
        };
        let in_time = tokio::select! {
            _ = first => true,
            _ = &mut sleep => false,
        };
        if !in_time {
            yield only_payload(&Response::request_error(vec![timeout_error(limit)]));
            return;
        }
        let mut sent = Vec::new();
        // Whether any list is longer than its `initialCount` is known now: the lists came with
        // the first phase; only their later items' entity fetches are left.
        let (first, cut) = first_response(ctx.supergraph, &prepared, &split, &vars, &exec, &mut sent);
        let mut tails_sent = !cut;
        let n = split.deferred.len();
        let json = serde_json::to_string(&first).unwrap_or_else(|_| "{}".into());
        yield with_has_next(json, n > 0 || !tails_sent);
        if n == 0 && tails_sent {
            return;
        }

        second_phase.store(true, Ordering::SeqCst);
        let mut waiting = partition.counts(n);
        let mut split_waiting = partition.split_count();
        let mut emitted = vec![false; n];
        let second = async {
            if let Some(n) = node {
                exec.run(n).await;
            }
        };
        tokio::pin!(second);
        let mut all_run = false;
        let mut last_has_next = true;
        loop {
            if !tails_sent && (all_run || split_waiting == 0) {
                tails_sent = true;
                let tails = stream_tails(ctx.supergraph, &prepared, &split, &vars, &exec, &mut sent);
                // Every list's later items resolved together: one payload, an entry per list.
                if !tails.is_empty() {
                    last_has_next = emitted.iter().any(|e| !e);
                    let incremental = tails
                        .into_iter()
                        .map(|tail| Item {
                            data: None,
                            items: Some(tail.items),
                            path: tail.path,
                            label: split.streams[tail.stream].label.as_deref(),
                            errors: tail.errors,
                        })
                        .collect();
                    let errors = if last_has_next {
                        Vec::new()
                    } else {
                        unreported(&exec, &mut sent)
                    };
                    let payload = Subsequent {
                        incremental,
                        errors,
                        has_next: last_has_next,
                    };
                    yield payload.text();
                }
            }
            while let Some(i) = (0..n).find(|&i| {
                let d = &split.deferred[i];
                !emitted[i]
                    && (all_run || waiting[i] == 0)
                    && d.parent.is_none_or(|p| emitted[p])
                    && (tails_sent || !stream_paths.iter().any(|s| d.path.starts_with(s)))
            }) {
                emitted[i] = true;
                last_has_next = !tails_sent || emitted.iter().any(|e| !e);
                yield fragment_payload(ctx.supergraph, &split, i, &vars, &exec, &mut sent, last_has_next);
            }
            if tails_sent && emitted.iter().all(|e| *e) {
                break;
            }
            tokio::select! {
                Some(done) = done_rx.recv() => match done {
                    Some(owners) => {
                        for o in owners {
                            if let Some(w) = waiting.get_mut(o) {
                                *w = w.saturating_sub(1);
                            }
                        }
                    }
                    None => split_waiting = split_waiting.saturating_sub(1),
                },
                _ = &mut second, if !all_run => all_run = true,
                _ = &mut sleep => {
                    let last = Subsequent {
                        incremental: Vec::new(),
                        errors: vec![timeout_error(limit)],
                        has_next: false,
                    };
                    yield last.text();
                    return;
                }
            }
        }
        // A streamed list whose later items all resolved to nothing still ends the stream.
        if last_has_next {
            let last = Subsequent {
                incremental: Vec::new(),
                errors: unreported(&exec, &mut sent),
                has_next: false,
            };
            yield last.text();
        }
    }
}

/// Which part reports an error at `path`: the first selection (primary before deferred) that
/// asks for the field it is about; `None` is the primary one.
fn error_owner(split: &Split, path: &[PathSeg]) -> Option<usize> {
    let keys: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            PathSeg::Key(k) => Some(k.clone()),
            PathSeg::Index(_) => None,
        })
        .collect();
    for end in (1..=keys.len()).rev() {
        let (at, key) = (&keys[..end - 1], &keys[end - 1]);
        if split.primary.has(at, key) {
            return None;
        }
        if let Some(i) = split.selected.iter().position(|s| s.has(at, key)) {
            return Some(i);
        }
    }
    None
}

/// The execution's errors not sent yet whose path (if any) `take` accepts, marked sent.
fn claim(
    exec: &Execution<'_>,
    sent: &mut Vec<bool>,
    take: impl Fn(Option<&[PathSeg]>) -> bool,
) -> Vec<GraphQLError> {
    let all = exec.errors.lock();
    sent.resize(all.len(), false);
    let mut errors = Vec::new();
    for (e, sent) in all.iter().zip(sent.iter_mut()) {
        if !*sent && take(e.path.as_deref()) {
            *sent = true;
            errors.push(e.clone());
        }
    }
    errors
}

/// `selection` of `type_name` projected over `data` for a payload, its errors added to `errors`.
fn project<'a>(
    supergraph: &'a Supergraph,
    split: &'a Split,
    vars: &'a Map<String, Value>,
    errors: &'a mut Vec<GraphQLError>,
    type_name: &'a str,
    selection: &'a SelectionSet,
    data: &mut Value,
) -> Out {
    Projector::new(
        &supergraph.api,
        &split.fragments,
        vars,
        errors,
        Some(&supergraph.introspection.types),
    )
    .project_root(type_name, selection, data)
}

/// The first payload's response: the primary selection projected over a copy of the data
/// (streamed lists cut after their first items), with the errors that are not about deferred
/// fields or later items; and whether a list was cut.
fn first_response(
    supergraph: &Supergraph,
    prepared: &Prepared,
    split: &Split,
    vars: &Map<String, Value>,
    exec: &Execution<'_>,
    sent: &mut Vec<bool>,
) -> (Response, bool) {
    let mut data = exec.data.lock().clone();
    let cut = stream::truncate(&mut data, &split.streams);
    let mut errors = claim(exec, sent, |p| {
        let deferred = p.and_then(|p| error_owner(split, p));
        let later = p.is_some_and(|p| in_tail(split, p));
        deferred.is_none() && !later
    });
    let out = project(
        supergraph,
        split,
        vars,
        &mut errors,
        &prepared.root_type,
        split.primary_set(),
        &mut data,
    );
    let response = Response {
        data: Some(out),
        errors,
    };
    (response, cut)
}

/// Is `path` inside an item of a streamed list beyond its `initialCount`?
fn in_tail(split: &Split, path: &[PathSeg]) -> bool {
    split.streams.iter().any(|s| {
        let mut keys = s.path.iter();
        let mut want = keys.next();
        for seg in path {
            match (seg, want) {
                (PathSeg::Key(k), Some(w)) if k == w => want = keys.next(),
                (PathSeg::Key(_), Some(_)) => return false,
                (PathSeg::Index(_), Some(_)) => {}
                (PathSeg::Index(i), None) => return *i >= s.initial,
                (PathSeg::Key(_), None) => return false,
            }
        }
        false
    })
}

/// The later items of every streamed list, projected once their entity fetches are done (the
/// primary selection projected again over the data; only the cut-off items are kept), with the
/// errors about them.
fn stream_tails(
    supergraph: &Supergraph,
    prepared: &Prepared,
    split: &Split,
    vars: &Map<String, Value>,
    exec: &Execution<'_>,
    sent: &mut Vec<bool>,
) -> Vec<stream::Tail> {
    let mut data = exec.data.lock().clone();
    let mut errors = claim(exec, sent, |p| {
        p.is_some_and(|p| in_tail(split, p) && error_owner(split, p).is_none())
    });
    let mut out = project(
        supergraph,
        split,
        vars,
        &mut errors,
        &prepared.root_type,
        split.primary_set(),
        &mut data,
    );
    // Errors left outside the tails are about the first items, already reported.
    stream::cut(&mut out, &mut errors, &split.streams)
}

/// One deferred fragment's payload: its fields at every object it applies to, each with the
/// errors about them; the last payload also carries any error no part has reported.
fn fragment_payload(
    supergraph: &Supergraph,
    split: &Split,
    index: usize,
    vars: &Map<String, Value>,
    exec: &Execution<'_>,
    sent: &mut Vec<bool>,
    has_next: bool,
) -> String {
    let d = &split.deferred[index];
    let data = exec.data.lock();
    let all = exec.errors.lock();
    sent.resize(all.len(), false);
    let mut found = Vec::new();
    locate(&data, &d.path, &mut Vec::new(), &mut found);
    let api = &supergraph.api;
    let static_type = static_type(supergraph, &d.fields);
    let mut incremental = Vec::new();
    for (path, obj) in found {
        let typename = obj
            .get("__typename")
            .and_then(Value::as_str)
            .filter(|t| api.kind(t) == Some(TypeKind::Object));
        let Some(type_name) = typename.or(static_type.as_deref()).or(d.on.as_deref()) else {
            continue;
        };
        // A fragment on another type of an abstract field applies to none of its fields here.
        if d.on
            .as_deref()
            .is_some_and(|on| !api.applies(on, type_name))
        {
            continue;
        }
        let mut errors = Vec::new();
        for (e, sent) in all.iter().zip(sent.iter_mut()) {
            let Some(p) = e.path.as_deref() else { continue };
            if !*sent && p.starts_with(&path) && error_owner(split, p) == Some(index) {
                *sent = true;
                let mut rel = e.clone();
                rel.path = Some(p[path.len()..].to_vec());
                errors.push(rel);
            }
        }
        let mut value = Value::Object(obj.clone());
        let out = project(
            supergraph,
            split,
            vars,
            &mut errors,
            type_name,
            &d.selection,
            &mut value,
        );
        for e in &mut errors {
            let mut full = path.clone();
            full.extend(e.path.take().unwrap_or_default());
            e.path = Some(full);
        }
        incremental.push(Item {
            data: Some(out),
            items: None,
            path,
            label: d.label.as_deref(),
            errors,
        });
    }
    drop(all);
    drop(data);
    let errors = if has_next {
        Vec::new()
    } else {
        unreported(exec, sent)
    };
    Subsequent {
        incremental,
        errors,
        has_next,
    }
    .text()
}

/// Errors no payload has carried yet, for the last one.
fn unreported(exec: &Execution<'_>, sent: &mut Vec<bool>) -> Vec<GraphQLError> {
    let all = exec.errors.lock();
    sent.resize(all.len(), false);
    let mut out = Vec::new();
    for (e, sent) in all.iter().zip(sent.iter_mut()) {
        if !std::mem::replace(sent, true) {
            out.push(e.clone());
        }
    }
    out
}

/// The schema type of the objects at a path of field names from the query root.
fn static_type(supergraph: &Supergraph, fields: &[String]) -> Option<String> {
    let api = &supergraph.api;
    let mut ty = api.query.as_str();
    for f in fields {
        ty = crate::schema::named(api.field_type(ty, f)?);
    }
    (api.kind(ty) == Some(TypeKind::Object)).then(|| ty.to_string())
}

/// Every object at `keys` below `v` with its response path (lists expanded, nulls skipped).
fn locate<'v>(
    v: &'v Value,
    keys: &[String],
    path: &mut Vec<PathSeg>,
    found: &mut Vec<(Vec<PathSeg>, &'v Map<String, Value>)>,
) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                locate(item, keys, path, found);
                path.pop();
            }
        }
        Value::Object(fields) => match keys.split_first() {
            None => found.push((path.clone(), fields)),
            Some((key, rest)) => {
                if let Some(child) = crate::pipeline::execute::lookup(fields, key) {
                    path.push(PathSeg::Key(key.clone()));
                    locate(child, rest, path, found);
                    path.pop();
                }
            }
        },
        _ => {}
    }
}

fn timeout_error(limit: std::time::Duration) -> GraphQLError {
    GraphQLError::new(format!(
        "The operation did not finish within the router's operation timeout of {} ms.",
        limit.as_millis()
    ))
    .code("TIMEOUT")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deferred fragment as (label, path, parent, its own selection as text).
    type Found = (Option<String>, Vec<String>, Option<usize>, String);

    fn deferred_of(query: &str) -> Vec<Found> {
        let doc = graphql_tools::parser::parse_query::<String>(query)
            .unwrap()
            .into_static();
        let mut fragments = HashMap::new();
        let mut set = None;
        for d in doc.definitions {
            match d {
                Definition::Fragment(f) => {
                    fragments.insert(f.name.clone(), f);
                }
                Definition::Operation(OperationDefinition::Query(q)) => set = Some(q.selection_set),
                Definition::Operation(OperationDefinition::SelectionSet(s)) => set = Some(s),
                _ => {}
            }
        }
        let mut out = Vec::new();
        let mut streams = Vec::new();
        let vars: Map<String, Value> = [("no".to_string(), Value::Bool(false))]
            .into_iter()
            .collect();
        let mut walk = Walk {
            fragments: &fragments,
            vars: &vars,
            path: Vec::new(),
            fields: Vec::new(),
            out: &mut out,
            streams: &mut streams,
            in_stream: false,
        };
        walk.collect(&set.unwrap(), None, 0);
        out.into_iter()
            .map(|d| {
                let text = d.selection.to_string();
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let inner = text.strip_prefix("{ ").unwrap().strip_suffix(" }").unwrap();
                (d.label, d.path, d.parent, inner.to_string())
            })
            .collect()
    }

    #[test]
    fn deferred_fragments_are_found_with_their_paths_and_parents() {
        let d = deferred_of(
            r#"{ a: top { id ... @defer(label: "slow") { reviews { body ... @defer { late } } n: name } }
                 me { ...Late @defer  ... @defer(if: $no) { off } } }
               fragment Late on User { ... on User { email } }"#,
        );
        assert_eq!(
            d,
            vec![
                (
                    Some("slow".into()),
                    vec!["a".into()],
                    None,
                    r#"... @defer(label: "slow") { reviews { body } n: name }"#.into()
                ),
                (
                    None,
                    vec!["a".into(), "reviews".into()],
                    Some(0),
                    "... @defer { late }".into()
                ),
                (None, vec!["me".into()], None, "...Late @defer".into()),
            ]
        );
    }

    #[test]
    fn payloads_carry_has_next() {
        let r = Response {
            data: Some(Out::Object(vec![("a".into(), Out::Leaf(Value::from(1)))])),
            errors: Vec::new(),
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            with_has_next(json, true),
            r#"{"data":{"a":1},"hasNext":true}"#
        );
        assert_eq!(only_payload(&Response::default()), r#"{"hasNext":false}"#);
    }
}
