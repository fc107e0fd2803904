//! Response shaping: walks the client's own operation over the merged subgraph data and emits
//! exactly the client's selection, in the client's order, applying API-schema nullability
//! (a null in a non-null position nulls the nearest nullable parent).

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Directive, Field, FragmentDefinition, Selection, SelectionSet, TypeCondition, Value as QValue,
};
use graphql_tools::static_graphql::schema::Type;
use serde_json::{Map, Value};

use crate::response::{GraphQLError, Out, PathSeg};
use crate::schema::{named, SchemaIndex, TypeKind};

pub struct Projector<'a> {
    pub schema: &'a SchemaIndex,
    pub fragments: &'a HashMap<String, FragmentDefinition>,
    pub vars: &'a Map<String, Value>,
    /// Errors already reported (subgraph errors); new ones are appended.
    pub errors: &'a mut Vec<GraphQLError>,
}

/// A null reached a non-null position and must null the parent.
struct Bubble;

impl<'a> Projector<'a> {
    /// Projects the root selection set; returns `Out::Null` if a root non-null field was null.
    pub fn project_root(
        &mut self,
        root_type: &str,
        selection: &'a SelectionSet,
        data: &Value,
    ) -> Out {
        let empty = Map::new();
        let obj = data.as_object().unwrap_or(&empty);
        let mut path = Vec::new();
        match self.object(root_type, &[selection], obj, &mut path) {
            Ok(out) => out,
            Err(Bubble) => Out::Null,
        }
    }

    fn object(
        &mut self,
        type_name: &str,
        sets: &[&'a SelectionSet],
        obj: &Map<String, Value>,
        path: &mut Vec<PathSeg>,
    ) -> Result<Out, Bubble> {
        let mut grouped: Vec<(&'a str, Vec<&'a Field>)> = Vec::new();
        for set in sets {
            self.collect(type_name, set, &mut grouped);
        }
        let mut out = Vec::with_capacity(grouped.len());
        for (key, fields) in grouped {
            let field = fields[0];
            if field.name == "__typename" {
                out.push((key.to_string(), Out::Str(type_name.to_string())));
                continue;
            }
            let Some(ty) = self.schema.field_type(type_name, &field.name) else {
                continue;
            };
            path.push(PathSeg::Key(key.to_string()));
            let value = obj.get(key);
            let result = self.complete(ty, value, &fields, path);
            path.pop();
            out.push((key.to_string(), result?));
        }
        Ok(Out::Object(out))
    }

    fn complete(
        &mut self,
        ty: &Type,
        value: Option<&Value>,
        fields: &[&'a Field],
        path: &mut Vec<PathSeg>,
    ) -> Result<Out, Bubble> {
        match ty {
            Type::NonNullType(inner) => {
                let out = self.complete(inner, value, fields, path)?;
                if out.is_null() {
                    // Only the first null in a chain reports; bubbled nulls already did.
                    if matches!(value, None | Some(Value::Null)) && !self.has_error_near(path) {
                        self.errors.push(
                            GraphQLError::new(format!(
                                "Cannot return null for non-nullable field {}.",
                                fields[0].name
                            ))
                            .at(path.clone()),
                        );
                    }
                    return Err(Bubble);
                }
                Ok(out)
            }
            Type::ListType(inner) => match value {
                Some(Value::Array(items)) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        path.push(PathSeg::Index(i));
                        let r = self.complete(inner, Some(item), fields, path);
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
                Some(v) => match self.schema.kind(name) {
                    Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union) => {
                        let Value::Object(obj) = v else {
                            return Ok(Out::Null);
                        };
                        let concrete = obj
                            .get("__typename")
                            .and_then(Value::as_str)
                            .filter(|t| self.schema.kind(t) == Some(TypeKind::Object))
                            .unwrap_or(name.as_str());
                        let concrete = concrete.to_string();
                        let sets: Vec<&'a SelectionSet> =
                            fields.iter().map(|f| &f.selection_set).collect();
                        match self.object(&concrete, &sets, obj, path) {
                            Ok(o) => Ok(o),
                            Err(Bubble) => Ok(Out::Null),
                        }
                    }
                    _ => Ok(Out::Leaf(v.clone())),
                },
            },
        }
    }

    fn has_error_near(&self, path: &[PathSeg]) -> bool {
        self.errors.iter().any(|e| match &e.path {
            Some(p) => p.starts_with(path) || path.starts_with(p),
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

/// Is `name` the named type of an abstract (interface/union) type in the schema?
pub fn is_abstract(schema: &SchemaIndex, ty: &Type) -> bool {
    matches!(
        schema.kind(named(ty)),
        Some(TypeKind::Interface | TypeKind::Union)
    )
}
