//! Demand-control cost: a static estimate of the work an operation asks for, computed from the
//! supergraph before anything runs. Objects, interfaces and unions cost 1, scalars and enums 0;
//! `@cost(weight:)` on a field or type replaces that. A list multiplies its item's cost (and its
//! selection's) by its size: the `first`/`last` argument (or the `@listSize(slicingArguments:)`
//! the subgraph declared), else `@listSize(assumedSize:)`, else the configured default. A
//! non-list field sliced by `first`/`last` (a Relay connection) hands its size to the lists
//! under it (`edges`, `nodes`, or the `@listSize(sizedFields:)` it names).

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{Selection, SelectionSet, Value as QValue};
use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document as SchemaDocument, Type, TypeDefinition, Value as SValue,
};
use serde_json::{Map, Value};

use crate::pipeline::plan::Prepared;
use crate::schema::{named, SchemaIndex, TypeKind};

/// `@listSize` as declared on a field.
#[derive(Debug, Clone, Default)]
pub struct ListSize {
    pub assumed_size: Option<u64>,
    pub slicing_arguments: Vec<String>,
    pub sized_fields: Vec<String>,
}

/// The cost directives of a supergraph, by type and by (type, field).
#[derive(Debug, Default)]
pub struct CostSchema {
    type_weights: HashMap<String, u64>,
    field_weights: HashMap<(String, String), u64>,
    list_sizes: HashMap<(String, String), ListSize>,
}

fn int_arg(d: &Directive, name: &str) -> Option<u64> {
    d.arguments
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| match v {
            SValue::Int(n) => n.as_i64().and_then(|n| u64::try_from(n).ok()),
            SValue::String(s) => s.parse().ok(),
            _ => None,
        })
}

fn strings_arg(d: &Directive, name: &str) -> Vec<String> {
    match d.arguments.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
        Some(SValue::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                SValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Some(SValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

impl CostSchema {
    /// Reads `@cost` and `@listSize` from the supergraph document (the composer keeps them).
    pub fn new(doc: &SchemaDocument) -> Self {
        let mut out = CostSchema::default();
        for def in &doc.definitions {
            let Definition::TypeDefinition(td) = def else {
                continue;
            };
            let (name, directives, fields) = match td {
                TypeDefinition::Object(t) => (&t.name, &t.directives, Some(&t.fields)),
                TypeDefinition::Interface(t) => (&t.name, &t.directives, Some(&t.fields)),
                TypeDefinition::Scalar(t) => (&t.name, &t.directives, None),
                TypeDefinition::Enum(t) => (&t.name, &t.directives, None),
                _ => continue,
            };
            if let Some(w) = directives
                .iter()
                .find(|d| d.name == "cost")
                .and_then(|d| int_arg(d, "weight"))
            {
                out.type_weights.insert(name.clone(), w);
            }
            for f in fields.into_iter().flatten() {
                let key = (name.clone(), f.name.clone());
                for d in &f.directives {
                    match d.name.as_str() {
                        "cost" => {
                            if let Some(w) = int_arg(d, "weight") {
                                out.field_weights.insert(key.clone(), w);
                            }
                        }
                        "listSize" => {
                            out.list_sizes.insert(
                                key.clone(),
                                ListSize {
                                    assumed_size: int_arg(d, "assumedSize"),
                                    slicing_arguments: strings_arg(d, "slicingArguments"),
                                    sized_fields: strings_arg(d, "sizedFields"),
                                },
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
        out
    }
}

fn is_list(ty: &Type) -> bool {
    match ty {
        Type::NamedType(_) => false,
        Type::ListType(_) => true,
        Type::NonNullType(inner) => is_list(inner),
    }
}

const DEFAULT_SLICING: [&str; 2] = ["first", "last"];
const DEFAULT_SIZED: [&str; 2] = ["edges", "nodes"];

struct Walker<'a> {
    api: &'a SchemaIndex,
    costs: &'a CostSchema,
    prepared: &'a Prepared,
    vars: &'a Map<String, Value>,
    default_list_size: u64,
    /// Cost of each (fragment, size handed down), computed once.
    memo: HashMap<(&'a str, Option<u64>, &'a [String]), u64>,
}

impl<'a> Walker<'a> {
    fn arg_size(&self, args: &[(String, QValue)], names: &[&str]) -> Option<u64> {
        args.iter()
            .filter(|(n, _)| names.contains(&n.as_str()))
            .filter_map(|(_, v)| match v {
                QValue::Int(n) => n.as_i64().and_then(|n| u64::try_from(n).ok()),
                QValue::Variable(var) => self.vars.get(var).and_then(Value::as_u64),
                _ => None,
            })
            .max()
    }

    /// Cost of `set` on `parent`; `handed` is a connection's size for its `sized` list fields.
    fn set(
        &mut self,
        parent: &'a str,
        set: &'a SelectionSet,
        handed: Option<u64>,
        sized: &'a [String],
    ) -> u64 {
        let mut total = 0u64;
        for item in &set.items {
            let cost = match item {
                Selection::Field(f) => self.field(parent, f, handed, sized),
                Selection::InlineFragment(i) => {
                    let on = match &i.type_condition {
                        Some(graphql_tools::static_graphql::query::TypeCondition::On(t)) => {
                            t.as_str()
                        }
                        None => parent,
                    };
                    self.set(on, &i.selection_set, handed, sized)
                }
                Selection::FragmentSpread(s) => self.fragment(&s.fragment_name, handed, sized),
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn fragment(&mut self, name: &'a str, handed: Option<u64>, sized: &'a [String]) -> u64 {
        let key = (name, handed, sized);
        if let Some(c) = self.memo.get(&key) {
            return *c;
        }
        // Validation has refused cycles already; the placeholder also stops a cycle here.
        self.memo.insert(key, 0);
        let Some(def) = self.prepared.fragments.get(name) else {
            return 0;
        };
        let graphql_tools::static_graphql::query::TypeCondition::On(on) = &def.type_condition;
        let cost = self.set(on, &def.selection_set, handed, sized);
        self.memo.insert(key, cost);
        cost
    }

    fn field(
        &mut self,
        parent: &'a str,
        f: &'a graphql_tools::static_graphql::query::Field,
        handed: Option<u64>,
        sized: &'a [String],
    ) -> u64 {
        if f.name.starts_with("__") {
            return 0;
        }
        let Some(ty) = self.api.field_type(parent, &f.name) else {
            return 0;
        };
        let item = named(ty);
        let key = (parent.to_string(), f.name.clone());
        let list_size = self.costs.list_sizes.get(&key);
        let weight = self
            .costs
            .field_weights
            .get(&key)
            .or_else(|| self.costs.type_weights.get(item))
            .copied()
            .unwrap_or(match self.api.kind(item) {
                Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union) => 1,
                _ => 0,
            });
        let slicing: Vec<&str> = match list_size {
            Some(ls) if !ls.slicing_arguments.is_empty() => {
                ls.slicing_arguments.iter().map(String::as_str).collect()
            }
            _ => DEFAULT_SLICING.to_vec(),
        };
        let sliced = self.arg_size(&f.arguments, &slicing);
        let (size, pass_down, pass_fields): (u64, Option<u64>, &'a [String]) = if is_list(ty) {
            let inherited = handed.filter(|_| {
                if sized.is_empty() {
                    DEFAULT_SIZED.contains(&f.name.as_str())
                } else {
                    sized.iter().any(|s| s == &f.name)
                }
            });
            let size = sliced
                .or(inherited)
                .or(list_size.and_then(|l| l.assumed_size))
                .unwrap_or(self.default_list_size);
            (size, None, &[])
        } else {
            let fields = list_size.map(|l| l.sized_fields.as_slice()).unwrap_or(&[]);
            (1, sliced, fields)
        };
        let children = if f.selection_set.items.is_empty() {
            0
        } else {
            self.set(item, &f.selection_set, pass_down, pass_fields)
        };
        size.saturating_mul(weight.saturating_add(children))
    }
}

/// The cost of a prepared operation with these variable values.
pub fn cost(
    api: &SchemaIndex,
    costs: &CostSchema,
    prepared: &Prepared,
    vars: &Map<String, Value>,
    default_list_size: u64,
) -> u64 {
    let mut walker = Walker {
        api,
        costs,
        prepared,
        vars,
        default_list_size,
        memo: HashMap::new(),
    };
    walker.set(&prepared.root_type, prepared.selection_set(), None, &[])
}
