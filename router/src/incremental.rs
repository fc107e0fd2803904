//! `@defer` delivered incrementally, in the incremental-delivery format Apollo Client and
//! graphql-js read (`hasNext`, then `incremental: [{data, path, label}]`), over
//! `multipart/mixed` and SSE.
//!
//! The planner resolves deferred fragments inline, so the router splits the operation itself:
//! a *primary* operation without the deferred fragments, and the whole operation. Both are
//! planned and run at once; the primary's result is sent as soon as it is ready
//! (`hasNext: true`), so a slow subgraph behind a deferred fragment never delays it, and when the
//! whole operation has finished each deferred fragment's fields are sent at every path where it
//! applies. The whole run repeats the primary's fetches (concurrent identical ones are shared by
//! `dedup`): subgraph work is traded for an early first part. Mutations are never split (a
//! second run would repeat their side effects); they are answered in one part.

use std::collections::HashMap;
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition, Directive, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    Value as QValue,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::pipeline::plan::{OpKind, Prepared};
use crate::pipeline::Context;
use crate::response::{GraphQLError, Out, PathSeg, Response};

/// One deferred fragment of the operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferred {
    pub label: Option<String>,
    /// Response keys from the root to the object the fragment applies to (list positions are
    /// expanded when the data is known).
    pub path: Vec<String>,
    /// The response keys the fragment selects on that object (nested fragments included).
    pub keys: Vec<String>,
}

/// An operation split for incremental delivery.
pub struct Split {
    /// The operation text without its deferred fragments.
    pub primary: String,
    pub deferred: Vec<Deferred>,
}

/// `Some(label)` when the directives hold an active `@defer` (`if` absent, true, or a variable
/// that is not false).
fn defer_label(directives: &[Directive], vars: &Map<String, Value>) -> Option<Option<String>> {
    let d = directives.iter().find(|d| d.name == "defer")?;
    let arg = |name: &str| d.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let on = match arg("if") {
        None => true,
        Some(QValue::Boolean(b)) => *b,
        Some(QValue::Variable(v)) => vars.get(v).and_then(Value::as_bool).unwrap_or(true),
        Some(_) => true,
    };
    if !on {
        return None;
    }
    let label = match arg("label") {
        Some(QValue::String(s)) => Some(s.clone()),
        Some(QValue::Variable(v)) => vars.get(v).and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    Some(label)
}

/// Splits a query for incremental delivery; `None` when nothing is deferred (or it is not a
/// query), so the caller runs it as usual.
pub fn split(prepared: &Prepared, vars: &Map<String, Value>) -> Option<Split> {
    if prepared.kind != OpKind::Query {
        return None;
    }
    let mut deferred = Vec::new();
    collect(
        prepared.selection_set(),
        &prepared.fragments,
        vars,
        &mut Vec::new(),
        &mut deferred,
        0,
    );
    if deferred.is_empty() {
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
    Some(Split {
        primary: crate::authz::reduced_text(doc, prepared),
        deferred,
    })
}

/// Fragment nesting the walk follows at most (validation already refuses cycles).
const MAX_DEPTH: usize = 64;

fn collect(
    set: &SelectionSet,
    fragments: &HashMap<String, FragmentDefinition>,
    vars: &Map<String, Value>,
    path: &mut Vec<String>,
    out: &mut Vec<Deferred>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for sel in &set.items {
        match sel {
            Selection::Field(f) => {
                path.push(f.alias.clone().unwrap_or_else(|| f.name.clone()));
                collect(&f.selection_set, fragments, vars, path, out, depth + 1);
                path.pop();
            }
            Selection::InlineFragment(i) => match defer_label(&i.directives, vars) {
                Some(label) => out.push(Deferred {
                    label,
                    path: path.clone(),
                    keys: keys(&i.selection_set, fragments, depth),
                }),
                None => collect(&i.selection_set, fragments, vars, path, out, depth + 1),
            },
            Selection::FragmentSpread(s) => {
                let Some(frag) = fragments.get(&s.fragment_name) else {
                    continue;
                };
                match defer_label(&s.directives, vars) {
                    Some(label) => out.push(Deferred {
                        label,
                        path: path.clone(),
                        keys: keys(&frag.selection_set, fragments, depth),
                    }),
                    None => collect(&frag.selection_set, fragments, vars, path, out, depth + 1),
                }
            }
        }
    }
}

/// The response keys a selection set puts on its object, through fragments.
fn keys(
    set: &SelectionSet,
    fragments: &HashMap<String, FragmentDefinition>,
    depth: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    if depth > MAX_DEPTH {
        return out;
    }
    for sel in &set.items {
        let more = match sel {
            Selection::Field(f) => vec![f.alias.clone().unwrap_or_else(|| f.name.clone())],
            Selection::InlineFragment(i) => keys(&i.selection_set, fragments, depth + 1),
            Selection::FragmentSpread(s) => fragments
                .get(&s.fragment_name)
                .map(|f| keys(&f.selection_set, fragments, depth + 1))
                .unwrap_or_default(),
        };
        for k in more {
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

fn remove_deferred(set: &mut SelectionSet, vars: &Map<String, Value>) {
    if set.items.is_empty() {
        return; // a leaf
    }
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
    crate::authz::keep_non_empty(set);
}

/// The first payload: the primary result with `hasNext: true`.
pub fn initial_payload(primary: &Response) -> String {
    with_has_next(
        serde_json::to_string(primary).unwrap_or_else(|_| "{}".into()),
        true,
    )
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

#[derive(Serialize)]
struct Item<'a> {
    data: Out,
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

/// The final payload: each deferred fragment's fields, taken from the whole operation's result,
/// at every object it applies to (none under a null), with the errors under those fields.
pub fn deferred_payload(deferred: &[Deferred], full: &Response) -> String {
    let mut incremental = Vec::new();
    if let Some(data) = &full.data {
        for d in deferred {
            let mut found = Vec::new();
            locate(data, &d.path, &mut Vec::new(), &mut found);
            for (path, obj) in found {
                let Out::Object(fields) = obj else { continue };
                let picked: Vec<_> = fields
                    .iter()
                    .filter(|(k, _)| d.keys.iter().any(|want| **want == **k))
                    .cloned()
                    .collect();
                // A fragment on another type of an abstract field selects nothing here.
                if picked.is_empty() && !d.keys.is_empty() {
                    continue;
                }
                let errors = full
                    .errors
                    .iter()
                    .filter(|e| {
                        e.path.as_ref().is_some_and(|p| {
                            p.len() > path.len()
                                && p[..path.len()] == path[..]
                                && matches!(&p[path.len()], PathSeg::Key(k) if d.keys.contains(k))
                        })
                    })
                    .cloned()
                    .collect();
                incremental.push(Item {
                    data: Out::Object(picked),
                    path,
                    label: d.label.as_deref(),
                    errors,
                });
            }
        }
    }
    let errors = if full.data.is_none() {
        full.errors.clone()
    } else {
        Vec::new()
    };
    serde_json::to_string(&Subsequent {
        incremental,
        errors,
        has_next: false,
    })
    .unwrap_or_else(|_| "{\"hasNext\":false}".into())
}

/// Every object at `keys` below `v` with its response path (lists expanded, nulls skipped).
fn locate<'v>(
    v: &'v Out,
    keys: &[String],
    path: &mut Vec<PathSeg>,
    found: &mut Vec<(Vec<PathSeg>, &'v Out)>,
) {
    match v {
        Out::List(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                locate(item, keys, path, found);
                path.pop();
            }
        }
        Out::Object(fields) => match keys.split_first() {
            None => found.push((path.clone(), v)),
            Some((key, rest)) => {
                if let Some((_, child)) = fields.iter().find(|(k, _)| **k == **key) {
                    path.push(PathSeg::Key(key.clone()));
                    locate(child, rest, path, found);
                    path.pop();
                }
            }
        },
        _ => {}
    }
}

/// Runs a split query: the first item is the primary's payload, sent as soon as it is ready;
/// the second the deferred fragments', once the whole operation has run. `limit` bounds the
/// whole (zero: none).
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
        let full = crate::pipeline::run_prepared(ctx, &prepared, operation_name.as_deref(), &vars);
        let primary = async {
            let p = crate::pipeline::plan::prepare(ctx.supergraph, &split.primary, operation_name.as_deref())?;
            crate::pipeline::run_prepared(ctx, &p, operation_name.as_deref(), &vars).await
        };
        tokio::pin!(full);
        tokio::pin!(primary);
        let mut full_done = None;
        let first = loop {
            tokio::select! {
                r = &mut primary => break Some(r),
                r = &mut full, if full_done.is_none() => full_done = Some(r),
                _ = &mut sleep => break None,
            }
        };
        let first = match first {
            Some(Ok(r)) => r,
            Some(Err(_)) => {
                // The primary operation did not plan: answer the whole operation in one part.
                let full = match full_done {
                    Some(r) => r,
                    None => full.await,
                };
                yield only_payload(&full.unwrap_or_else(Response::request_error));
                return;
            }
            None => {
                yield only_payload(&Response::request_error(vec![timeout_error(limit)]));
                return;
            }
        };
        yield initial_payload(&first);
        let full = match full_done {
            Some(r) => Some(r),
            None => tokio::select! {
                r = &mut full => Some(r),
                _ = &mut sleep => None,
            },
        };
        let full = match full {
            Some(Ok(r)) => r,
            Some(Err(errors)) => Response::request_error(errors),
            None => Response::request_error(vec![timeout_error(limit)]),
        };
        yield deferred_payload(&split.deferred, &full);
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

    fn deferred_of(query: &str) -> Vec<Deferred> {
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
        let vars: Map<String, Value> = [("no".to_string(), Value::Bool(false))]
            .into_iter()
            .collect();
        collect(
            &set.unwrap(),
            &fragments,
            &vars,
            &mut Vec::new(),
            &mut out,
            0,
        );
        out
    }

    #[test]
    fn deferred_fragments_are_found_with_their_paths_and_keys() {
        let d = deferred_of(
            r#"{ a: top { id ... @defer(label: "slow") { reviews { body } n: name } }
                 me { ...Late @defer  ... @defer(if: $no) { off } } }
               fragment Late on User { ... on User { email } }"#,
        );
        assert_eq!(
            d,
            vec![
                Deferred {
                    label: Some("slow".into()),
                    path: vec!["a".into()],
                    keys: vec!["reviews".into(), "n".into()],
                },
                Deferred {
                    label: None,
                    path: vec!["me".into()],
                    keys: vec!["email".into()],
                },
            ]
        );
    }

    #[test]
    fn payloads_carry_has_next() {
        let r = Response {
            data: Some(Out::Object(vec![("a".into(), Out::Leaf(Value::from(1)))])),
            errors: Vec::new(),
        };
        assert_eq!(initial_payload(&r), r#"{"data":{"a":1},"hasNext":true}"#);
        assert_eq!(only_payload(&Response::default()), r#"{"hasNext":false}"#);
    }

    #[test]
    fn deferred_data_is_picked_at_every_list_position() {
        let item = |id: i64| {
            Out::Object(vec![
                ("id".into(), Out::Leaf(Value::from(id))),
                ("late".into(), Out::Leaf(Value::from(id * 10))),
            ])
        };
        let full = Response {
            data: Some(Out::Object(vec![(
                "list".into(),
                Out::List(vec![item(1), Out::Null, item(3)]),
            )])),
            errors: vec![GraphQLError::new("boom").at(vec![
                PathSeg::Key("list".into()),
                PathSeg::Index(2),
                PathSeg::Key("late".into()),
            ])],
        };
        let d = Deferred {
            label: Some("l".into()),
            path: vec!["list".into()],
            keys: vec!["late".into()],
        };
        let out = deferred_payload(&[d], &full);
        assert_eq!(
            out,
            r#"{"incremental":[{"data":{"late":10},"path":["list",0],"label":"l"},{"data":{"late":30},"path":["list",2],"label":"l","errors":[{"message":"boom","path":["list",2,"late"]}]}],"hasNext":false}"#
        );
    }
}
