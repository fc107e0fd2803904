//! Response shaping: walks the client's own operation over the merged subgraph data and emits
//! exactly the client's selection, in the client's order, applying API-schema nullability
//! (a null in a non-null position nulls the nearest nullable parent).
//!
//! Hot path: the grouped fields of a selection are computed once per (selection, concrete type)
//! and reused for every object of a list; leaves are moved out of the data tree, not cloned.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Directive, Field, FragmentDefinition, Selection, SelectionSet, TypeCondition, Value as QValue,
};
use graphql_tools::static_graphql::schema::Type;
use serde_json::{Map, Value};

use super::execute::{lookup, lookup_mut};
use crate::response::{GraphQLError, Out, PathSeg};
use crate::schema::{FastMap, SchemaIndex, TypeKind};

/// Response keys in selection order, each with the fields merged under it, the field's type in
/// the parent and the kind of its named type (looked up once per selection and type, not once
/// per object).
type Grouped<'a> = Rc<Vec<Group<'a>>>;

struct Group<'a> {
    key: Arc<str>,
    fields: Vec<&'a Field>,
    ty: Option<(&'a Type, Option<TypeKind>)>,
    /// For `__typename`: the type's name, shared by every object that answers it.
    typename: Option<Arc<str>>,
}

struct CacheEntry<'a> {
    sets: Vec<usize>,
    type_name: &'a str,
    grouped: Grouped<'a>,
}

/// A step of the current response path while projecting (cheap to push and pop: the key is
/// borrowed from the operation).
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

pub struct Projector<'a> {
    schema: &'a SchemaIndex,
    fragments: &'a HashMap<String, FragmentDefinition>,
    vars: &'a Map<String, Value>,
    /// Errors already reported (subgraph errors); new ones are appended.
    errors: &'a mut Vec<GraphQLError>,
    /// First selection set address → [(all set addresses, concrete type, grouped fields)].
    cache: FastMap<usize, Vec<CacheEntry<'a>>>,
    /// Full introspection types by name, to expand shallow `__Type` references on demand.
    introspection_types: Option<&'a HashMap<String, Value>>,
    /// Set when a value was nulled because it is not valid in the API schema (an enum value or
    /// object type it does not have): a non-null position reports such a null as its own.
    invalid: bool,
}

/// A null reached a non-null position and must null the parent.
struct Bubble;

impl<'a> Projector<'a> {
    pub fn new(
        schema: &'a SchemaIndex,
        fragments: &'a HashMap<String, FragmentDefinition>,
        vars: &'a Map<String, Value>,
        errors: &'a mut Vec<GraphQLError>,
        introspection_types: Option<&'a HashMap<String, Value>>,
    ) -> Self {
        Projector {
            schema,
            fragments,
            vars,
            errors,
            cache: FastMap::default(),
            introspection_types,
            invalid: false,
        }
    }

    /// Projects the root selection set; returns `Out::Null` if a root non-null field was null.
    pub fn project_root(
        &mut self,
        root_type: &'a str,
        selection: &'a SelectionSet,
        data: &mut Value,
    ) -> Out {
        let mut empty = Map::new();
        let obj = match data {
            Value::Object(m) => m,
            _ => &mut empty,
        };
        let mut path = Vec::new();
        match self.object(root_type, &[selection], obj, &mut path) {
            Ok(out) => out,
            Err(Bubble) => Out::Null,
        }
    }

    fn grouped(&mut self, type_name: &'a str, sets: &[&'a SelectionSet]) -> Grouped<'a> {
        let addr = |s: &&SelectionSet| *s as *const SelectionSet as usize;
        let key = addr(&sets[0]);
        if let Some(hit) = self.cache.get(&key).and_then(|entries| {
            entries.iter().find(|e| {
                e.type_name == type_name
                    && e.sets.len() == sets.len()
                    && e.sets.iter().zip(sets).all(|(a, s)| *a == addr(s))
            })
        }) {
            return hit.grouped.clone();
        }
        let mut grouped: Vec<(&'a str, Vec<&'a Field>)> = Vec::new();
        for set in sets {
            self.collect(type_name, set, &mut grouped);
        }
        let grouped: Grouped<'a> = Rc::new(
            grouped
                .into_iter()
                .map(|(k, fields)| {
                    let ty = self
                        .schema
                        .field_type(type_name, &fields[0].name)
                        .map(|ty| (ty, self.schema.kind(crate::schema::named(ty))));
                    let typename = (fields[0].name == "__typename").then(|| Arc::from(type_name));
                    Group {
                        key: Arc::<str>::from(k),
                        fields,
                        ty,
                        typename,
                    }
                })
                .collect(),
        );
        self.cache.entry(key).or_default().push(CacheEntry {
            sets: sets.iter().map(addr).collect(),
            type_name,
            grouped: grouped.clone(),
        });
        grouped
    }

    fn object(
        &mut self,
        type_name: &'a str,
        sets: &[&'a SelectionSet],
        obj: &mut Map<String, Value>,
        path: &mut Vec<Step<'a>>,
    ) -> Result<Out, Bubble> {
        let grouped = self.grouped(type_name, sets);
        if type_name == "__Type" {
            self.expand_type_ref(obj, &grouped);
        }
        let mut out = Vec::with_capacity(grouped.len());
        for group in grouped.iter() {
            if let Some(name) = &group.typename {
                out.push((group.key.clone(), Out::Str(name.clone())));
                continue;
            }
            let Some((ty, kind)) = group.ty else {
                continue;
            };
            let field = group.fields[0];
            let key = field.alias.as_deref().unwrap_or(&field.name);
            path.push(Step::Key(key));
            let value = lookup_mut(obj, key);
            let result = self.complete(ty, kind, value, &group.fields, path);
            path.pop();
            out.push((group.key.clone(), result?));
        }
        Ok(Out::Object(out))
    }

    /// `kind` is the kind of `ty`'s named type (the same through list and non-null wrappers).
    fn complete(
        &mut self,
        ty: &'a Type,
        kind: Option<TypeKind>,
        value: Option<&mut Value>,
        fields: &[&'a Field],
        path: &mut Vec<Step<'a>>,
    ) -> Result<Out, Bubble> {
        match ty {
            Type::NonNullType(inner) => {
                let was_null = matches!(value.as_deref(), None | Some(Value::Null));
                self.invalid = false;
                let out = self.complete(inner, kind, value, fields, path)?;
                let invalid = std::mem::take(&mut self.invalid);
                if out.is_null() {
                    // Only the first null in a chain reports; bubbled nulls already did.
                    if (was_null || invalid) && !self.has_error_near(path) {
                        let path = to_path(path);
                        self.errors.push(
                            GraphQLError::new(format!(
                                "Cannot return null for non-nullable field {}.",
                                fields[0].name
                            ))
                            .at(path),
                        );
                    }
                    return Err(Bubble);
                }
                Ok(out)
            }
            Type::ListType(inner) => match value {
                Some(Value::Array(items)) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter_mut().enumerate() {
                        path.push(Step::Index(i));
                        let r = self.complete(inner, kind, Some(item), fields, path);
                        path.pop();
                        match r {
                            Ok(o) => out.push(o),
                            Err(Bubble) => return Ok(Out::Null),
                        }
                    }
                    Ok(Out::List(out))
                }
                _ => Ok(Out::Null),
            },
            Type::NamedType(name) => match value {
                None | Some(Value::Null) => Ok(Out::Null),
                Some(v) => match kind {
                    Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union) => {
                        let Value::Object(obj) = v else {
                            return Ok(Out::Null);
                        };
                        // A type the API schema does not have (`@inaccessible`, or an
                        // interface name) is never shown: the object becomes null.
                        let Some(concrete) = self.concrete_type(obj, name) else {
                            self.invalid = true;
                            return Ok(Out::Null);
                        };
                        // Nearly always one field per key: no list of sets to build then.
                        let one: &'a SelectionSet = &fields[0].selection_set;
                        let many: Vec<&'a SelectionSet>;
                        let sets: &[&'a SelectionSet] = if fields.len() == 1 {
                            std::slice::from_ref(&one)
                        } else {
                            many = fields.iter().map(|f| &f.selection_set).collect();
                            &many
                        };
                        match self.object(concrete, sets, obj, path) {
                            Ok(o) => Ok(o),
                            Err(Bubble) => Ok(Out::Null),
                        }
                    }
                    Some(TypeKind::Enum) if !self.valid_enum_value(name, v) => {
                        // Never echo the value: it may be an `@inaccessible` one.
                        self.errors.push(
                            GraphQLError::new(format!(
                                "Invalid value for enum {name} in field {}.",
                                fields[0].name
                            ))
                            .at(to_path(path)),
                        );
                        self.invalid = true;
                        Ok(Out::Null)
                    }
                    _ => Ok(Out::Leaf(std::mem::take(v))),
                },
            },
        }
    }

    /// Type references inside introspection data carry only kind/name/ofType; when the client
    /// selects more of a named type (e.g. its `fields`), swap in the full type.
    fn expand_type_ref(&self, obj: &mut Map<String, Value>, grouped: &Grouped<'a>) {
        const SHALLOW: [&str; 4] = ["kind", "name", "ofType", "__typename"];
        if obj.contains_key("fields") {
            return;
        }
        let wants_more = grouped
            .iter()
            .any(|g| !SHALLOW.contains(&g.fields[0].name.as_str()));
        let full = obj
            .get("name")
            .and_then(Value::as_str)
            .and_then(|n| self.introspection_types?.get(n));
        if let (true, Some(Value::Object(full))) = (wants_more, full) {
            *obj = full.clone();
        }
    }

    /// The object's concrete type name, interned in the schema (no allocation). For an abstract
    /// field it must be an object type of the API schema that belongs to the field's type;
    /// `None` when it is not (an inaccessible type, an interface name, an unknown name).
    fn concrete_type(&self, obj: &Map<String, Value>, declared: &'a str) -> Option<&'a str> {
        let Some(declared_info) = self.schema.types.get(declared) else {
            return Some(declared);
        };
        if declared_info.kind == TypeKind::Object {
            return Some(declared);
        }
        match lookup(obj, "__typename").and_then(Value::as_str) {
            Some(t) => self
                .schema
                .types
                .get_key_value(t)
                .filter(|(name, info)| {
                    info.kind == TypeKind::Object && declared_info.possible.contains(name.as_str())
                })
                .map(|(name, _)| name.as_str()),
            // No type name: only an abstract type with a single implementation is unambiguous.
            None if declared_info.possible.len() == 1 => {
                let only = declared_info.possible.iter().next()?;
                self.schema
                    .types
                    .get_key_value(only)
                    .map(|(n, _)| n.as_str())
            }
            None => None,
        }
    }

    /// Is `v` a value of enum `name` in the API schema? Non-strings never are.
    fn valid_enum_value(&self, name: &str, v: &Value) -> bool {
        match self.schema.types.get(name) {
            Some(info) => v.as_str().is_some_and(|s| info.values.contains(s)),
            None => true,
        }
    }

    fn has_error_near(&self, path: &[Step]) -> bool {
        self.errors.iter().any(|e| match &e.path {
            Some(p) => {
                let n = p.len().min(path.len());
                p[..n].iter().zip(&path[..n]).all(|(a, b)| match (a, b) {
                    (PathSeg::Key(x), Step::Key(y)) => x.as_str() == *y,
                    (PathSeg::Index(x), Step::Index(y)) => x == y,
                    // `@` (every list position) in an authorization error's path.
                    (PathSeg::Key(x), Step::Index(_)) => x == "@",
                    _ => false,
                })
            }
            None => false,
        })
    }

    /// CollectFields from the spec: merges same response keys, keeps first-seen order.
    fn collect(
        &self,
        type_name: &str,
        set: &'a SelectionSet,
        out: &mut Vec<(&'a str, Vec<&'a Field>)>,
    ) {
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    if !included(&f.directives, self.vars) {
                        continue;
                    }
                    let key = f.alias.as_deref().unwrap_or(&f.name);
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(f),
                        None => out.push((key, vec![f])),
                    }
                }
                Selection::InlineFragment(frag) => {
                    if !included(&frag.directives, self.vars) {
                        continue;
                    }
                    if let Some(TypeCondition::On(cond)) = &frag.type_condition {
                        if !self.schema.applies(cond, type_name) {
                            continue;
                        }
                    }
                    self.collect(type_name, &frag.selection_set, out);
                }
                Selection::FragmentSpread(spread) => {
                    if !included(&spread.directives, self.vars) {
                        continue;
                    }
                    let Some(frag) = self.fragments.get(&spread.fragment_name) else {
                        continue;
                    };
                    let TypeCondition::On(cond) = &frag.type_condition;
                    if !self.schema.applies(cond, type_name) {
                        continue;
                    }
                    self.collect(type_name, &frag.selection_set, out);
                }
            }
        }
    }
}

fn to_path(steps: &[Step]) -> Vec<PathSeg> {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => PathSeg::Key(k.to_string()),
            Step::Index(i) => PathSeg::Index(*i),
        })
        .collect()
}

/// Evaluates `@skip(if:)` / `@include(if:)` against the request variables.
pub fn included(directives: &[Directive], vars: &Map<String, Value>) -> bool {
    for d in directives {
        let want = match d.name.as_str() {
            "skip" => false,
            "include" => true,
            _ => continue,
        };
        let cond = d
            .arguments
            .iter()
            .find(|(n, _)| n == "if")
            .map(|(_, v)| match v {
                QValue::Boolean(b) => *b,
                QValue::Variable(name) => vars.get(name).and_then(Value::as_bool).unwrap_or(false),
                _ => false,
            })
            .unwrap_or(false);
        if cond != want {
            return false;
        }
    }
    true
}
