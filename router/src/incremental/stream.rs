//! `@stream` on list fields: its declaration in the API schema (next to `@defer`), the request
//! checks (only on list fields, `initialCount` not negative), and cutting a streamed list after
//! its first `initialCount` items for the first payload (the rest goes in a later payload).

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Directive, FragmentDefinition, Selection, SelectionSet, TypeCondition, Value as QValue,
};
use graphql_tools::static_graphql::schema::{Definition, Document, Type};
use serde_json::{Map, Value};

use crate::pipeline::plan::Prepared;
use crate::response::{GraphQLError, Out, PathSeg};
use crate::schema::SchemaIndex;

const DEFER: &str = "\"Delivers this fragment's fields in a later payload when the client accepts \
multipart/mixed or text/event-stream; inline otherwise.\"\n\
directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT";

const STREAM: &str = "\"Delivers the list's first initialCount items with the rest of the \
response and the other items in a later payload when the client accepts multipart/mixed or \
text/event-stream; the whole list otherwise.\"\n\
directive @stream(label: String, initialCount: Int! = 0, if: Boolean! = true) on FIELD";

/// Declares `@defer` and `@stream` in the API schema, so operations using them validate and
/// introspection shows them.
pub fn declare(doc: &mut Document) {
    for (name, sdl) in [("defer", DEFER), ("stream", STREAM)] {
        let declared = doc
            .definitions
            .iter()
            .any(|d| matches!(d, Definition::DirectiveDefinition(d) if d.name == name));
        if declared {
            continue;
        }
        let parsed = graphql_tools::parser::parse_schema::<String>(sdl)
            .expect("the directive declaration parses")
            .into_static();
        doc.definitions.extend(parsed.definitions);
    }
}

/// An active `@stream`: its label and `initialCount` (unchecked), `None` when absent or `if`
/// is false.
pub fn stream_args(
    directives: &[Directive],
    vars: &Map<String, Value>,
) -> Option<(Option<String>, i64)> {
    let (d, label) = super::active(directives, "stream", vars)?;
    let count = match super::argument(d, "initialCount") {
        None => 0,
        Some(QValue::Int(n)) => n.as_i64().unwrap_or(-1),
        Some(QValue::Variable(v)) => vars.get(v).and_then(Value::as_i64).unwrap_or(0),
        Some(_) => 0,
    };
    Some((label, count))
}

/// Refuses `@stream` on a field that is not a list, and a negative `initialCount` (also when it
/// comes from a variable), naming the field and the argument. Cheap when the text has no
/// `@stream` (field names such as `livestreams` do not count): nothing is walked.
pub fn check(
    api: &SchemaIndex,
    prepared: &Prepared,
    query: &str,
    vars: &Map<String, Value>,
) -> Result<(), Vec<GraphQLError>> {
    if !mentions_stream(query) {
        return Ok(());
    }
    let mut check = Check {
        api,
        fragments: &prepared.fragments,
        vars,
        errors: Vec::new(),
    };
    check.walk(&prepared.root_type, prepared.selection_set(), 0);
    if check.errors.is_empty() {
        Ok(())
    } else {
        Err(check.errors)
    }
}

/// Does the text hold `@stream` (GraphQL allows blanks between `@` and the name)?
fn mentions_stream(query: &str) -> bool {
    query.match_indices("stream").any(|(at, _)| {
        query[..at]
            .trim_end_matches([' ', '\t', '\n', '\r', ','])
            .ends_with('@')
    })
}

/// Fragment nesting the walk follows at most (validation already refuses cycles).
const MAX_DEPTH: usize = 64;

struct Check<'c> {
    api: &'c SchemaIndex,
    fragments: &'c HashMap<String, FragmentDefinition>,
    vars: &'c Map<String, Value>,
    errors: Vec<GraphQLError>,
}

impl Check<'_> {
    fn walk(&mut self, parent: &str, set: &SelectionSet, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let api: &SchemaIndex = self.api;
                    let Some(ty) = api.field_type(parent, &f.name) else {
                        continue;
                    };
                    if f.directives.iter().any(|d| d.name == "stream") {
                        self.stream(parent, &f.name, &f.directives, ty);
                    }
                    self.walk(crate::schema::named(ty), &f.selection_set, depth + 1);
                }
                Selection::InlineFragment(i) => {
                    let on = match &i.type_condition {
                        Some(TypeCondition::On(t)) => t.clone(),
                        None => parent.to_string(),
                    };
                    self.walk(&on, &i.selection_set, depth + 1);
                }
                Selection::FragmentSpread(s) => {
                    let fragments: &HashMap<String, FragmentDefinition> = self.fragments;
                    if let Some(frag) = fragments.get(&s.fragment_name) {
                        let TypeCondition::On(on) = &frag.type_condition;
                        self.walk(on, &frag.selection_set, depth + 1);
                    }
                }
            }
        }
    }

    fn stream(&mut self, parent: &str, field: &str, directives: &[Directive], ty: &Type) {
        let inner = match ty {
            Type::NonNullType(t) => t.as_ref(),
            t => t,
        };
        if !matches!(inner, Type::ListType(_)) {
            self.errors.push(
                GraphQLError::new(format!(
                    "@stream can only be used on list fields; \"{parent}.{field}\" is of type {ty}."
                ))
                .code("GRAPHQL_VALIDATION_FAILED"),
            );
            return;
        }
        // Checked whether or not `if` is on, so a variable flip never turns an error on.
        let d = directives.iter().find(|d| d.name == "stream");
        let count = d.and_then(|d| d.arguments.iter().find(|(n, _)| n == "initialCount"));
        let value = match count.map(|(_, v)| v) {
            Some(QValue::Int(n)) => n.as_i64(),
            Some(QValue::Variable(v)) => self.vars.get(v).and_then(Value::as_i64),
            _ => None,
        };
        if let Some(n) = value.filter(|n| *n < 0) {
            let mut err = GraphQLError::new(format!(
                "@stream(initialCount:) on \"{parent}.{field}\" must not be negative; got {n}."
            ))
            .code("BAD_USER_INPUT");
            if let Some(Value::Object(ext)) = &mut err.extensions {
                ext.insert("argument".into(), Value::String("initialCount".into()));
            }
            self.errors.push(err);
        }
    }
}

/// A streamed list field outside any deferred fragment or other streamed list.
#[derive(Debug, Clone, PartialEq)]
pub struct Streamed {
    pub label: Option<String>,
    /// Response keys from the root to the list field, its own key last.
    pub path: Vec<String>,
    pub initial: usize,
}

/// The items of one streamed list beyond its `initialCount`, for a later payload.
pub struct Tail {
    pub stream: usize,
    /// The list's path and the position of the first item sent later.
    pub path: Vec<PathSeg>,
    pub items: Vec<Out>,
    pub errors: Vec<GraphQLError>,
}

/// Cuts every streamed list in `data` after its first `initial` items and returns the cut-off
/// items; errors about them move with them.
pub fn cut(data: &mut Out, errors: &mut Vec<GraphQLError>, streams: &[Streamed]) -> Vec<Tail> {
    let mut tails = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let mut found = Vec::new();
        lists(data, &s.path, &mut Vec::new(), &mut |path, items| {
            if items.len() > s.initial {
                let rest = items.split_off(s.initial);
                let mut at = path.to_vec();
                at.push(PathSeg::Index(s.initial));
                found.push((at, rest));
            }
        });
        for (path, items) in found {
            let list = &path[..path.len() - 1];
            let (moved, kept): (Vec<_>, Vec<_>) =
                std::mem::take(errors).into_iter().partition(|e| {
                    e.path.as_deref().is_some_and(|p| {
                        p.len() > list.len()
                            && p[..list.len()] == *list
                            && matches!(p[list.len()], PathSeg::Index(n) if n >= s.initial)
                    })
                });
            *errors = kept;
            tails.push(Tail {
                stream: i,
                path,
                items,
                errors: moved,
            });
        }
    }
    tails
}

/// Drops every streamed list's items beyond its `initialCount` from (a copy of) the data, so the
/// first payload is projected without them (their entity fields are not fetched yet); whether
/// any list was longer.
pub fn truncate(data: &mut Value, streams: &[Streamed]) -> bool {
    let mut cut = false;
    for s in streams {
        value_lists(data, &s.path, &mut |items| {
            if items.len() > s.initial {
                items.truncate(s.initial);
                cut = true;
            }
        });
    }
    cut
}

fn value_lists(v: &mut Value, keys: &[String], found: &mut dyn FnMut(&mut Vec<Value>)) {
    match (v, keys.split_first()) {
        (Value::Array(items), None) => found(items),
        (Value::Array(items), Some(_)) => {
            for item in items {
                value_lists(item, keys, found);
            }
        }
        (Value::Object(fields), Some((key, rest))) => {
            if let Some(child) = crate::pipeline::execute::lookup_mut(fields, key) {
                value_lists(child, rest, found);
            }
        }
        _ => {}
    }
}

/// Calls `found` with every list at `keys` below `v` and its path (lists above expanded).
fn lists(
    v: &mut Out,
    keys: &[String],
    path: &mut Vec<PathSeg>,
    found: &mut dyn FnMut(&[PathSeg], &mut Vec<Out>),
) {
    match (v, keys.split_first()) {
        (Out::List(items), None) => found(path, items),
        (Out::List(items), Some(_)) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(PathSeg::Index(i));
                lists(item, keys, path, found);
                path.pop();
            }
        }
        (Out::Object(fields), Some((key, rest))) => {
            if let Some((k, child)) = fields.iter_mut().find(|(k, _)| **k == **key) {
                path.push(PathSeg::Key(k.to_string()));
                lists(child, rest, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(n: i64) -> Out {
        Out::Leaf(Value::from(n))
    }

    #[test]
    fn only_the_directive_makes_a_text_worth_checking() {
        assert!(mentions_stream("{ a @stream { b } }"));
        assert!(mentions_stream("{ a @ stream(initialCount: 1) { b } }"));
        assert!(!mentions_stream("{ livestreams { id } stream }"));
    }

    #[test]
    fn a_streamed_list_is_cut_after_its_initial_items_with_their_errors() {
        let mut data = Out::Object(vec![(
            "a".into(),
            Out::List(vec![
                Out::Object(vec![(
                    "l".into(),
                    Out::List(vec![leaf(1), leaf(2), leaf(3)]),
                )]),
                Out::Object(vec![("l".into(), Out::List(vec![leaf(4)]))]),
            ]),
        )]);
        let at = |i: usize, j: usize| {
            GraphQLError::new("e").at(vec![
                PathSeg::Key("a".into()),
                PathSeg::Index(i),
                PathSeg::Key("l".into()),
                PathSeg::Index(j),
            ])
        };
        let mut errors = vec![at(0, 0), at(0, 2)];
        let s = Streamed {
            label: None,
            path: vec!["a".into(), "l".into()],
            initial: 1,
        };
        let tails = cut(&mut data, &mut errors, &[s]);
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            serde_json::json!({"a": [{"l": [1]}, {"l": [4]}]})
        );
        assert_eq!(tails.len(), 1);
        assert_eq!(
            serde_json::to_value(&tails[0].path).unwrap(),
            serde_json::json!(["a", 0, "l", 1])
        );
        assert_eq!(
            serde_json::to_value(&tails[0].items).unwrap(),
            serde_json::json!([2, 3])
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(tails[0].errors.len(), 1);
    }
}
