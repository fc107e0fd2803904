//! Index of the API schema: type kinds, field types and possible types, built once per
//! supergraph so that response shaping never walks the SDL at request time.

use std::collections::{HashMap, HashSet};

/// Maps on the request path hash with foldhash: far cheaper than SipHash on short keys, and the
/// keys (schema names) do not come from clients.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

use graphql_tools::static_graphql::schema::{Definition, Document, Type, TypeDefinition};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

#[derive(Debug)]
pub struct TypeInfo {
    pub kind: TypeKind,
    pub fields: FastMap<String, Type>,
    /// Concrete object types for interfaces and unions.
    pub possible: FastSet<String>,
    /// Values of an enum (the API schema's: `@inaccessible` ones are not here).
    pub values: FastSet<String>,
}

#[derive(Debug)]
pub struct SchemaIndex {
    pub types: FastMap<String, TypeInfo>,
    pub query: String,
    pub mutation: Option<String>,
    pub subscription: Option<String>,
}

impl SchemaIndex {
    pub fn new(doc: &Document) -> Self {
        let mut types: FastMap<String, TypeInfo> = FastMap::default();
        let mut query = None;
        let mut mutation = None;
        let mut subscription = None;
        let mut implementations: Vec<(String, String)> = Vec::new();
        for def in &doc.definitions {
            match def {
                Definition::SchemaDefinition(s) => {
                    query = s.query.clone();
                    mutation = s.mutation.clone();
                    subscription = s.subscription.clone();
                }
                Definition::TypeDefinition(td) => {
                    let (name, info) = match td {
                        TypeDefinition::Scalar(t) => (t.name.clone(), info(TypeKind::Scalar)),
                        TypeDefinition::Enum(t) => {
                            let mut i = info(TypeKind::Enum);
                            i.values = t.values.iter().map(|v| v.name.clone()).collect();
                            (t.name.clone(), i)
                        }
                        TypeDefinition::InputObject(t) => {
                            (t.name.clone(), info(TypeKind::InputObject))
                        }
                        TypeDefinition::Object(t) => {
                            let mut i = info(TypeKind::Object);
                            for f in &t.fields {
                                i.fields.insert(f.name.clone(), f.field_type.clone());
                            }
                            for iface in &t.implements_interfaces {
                                implementations.push((iface.clone(), t.name.clone()));
                            }
                            (t.name.clone(), i)
                        }
                        TypeDefinition::Interface(t) => {
                            let mut i = info(TypeKind::Interface);
                            for f in &t.fields {
                                i.fields.insert(f.name.clone(), f.field_type.clone());
                            }
                            (t.name.clone(), i)
                        }
                        TypeDefinition::Union(t) => {
                            let mut i = info(TypeKind::Union);
                            i.possible = t.types.iter().cloned().collect();
                            (t.name.clone(), i)
                        }
                    };
                    // The consumer schema may define a root type twice (extension); merge fields.
                    match types.get_mut(&name) {
                        Some(existing) => {
                            existing.fields.extend(info.fields);
                            existing.possible.extend(info.possible);
                            existing.values.extend(info.values);
                        }
                        None => {
                            types.insert(name, info);
                        }
                    }
                }
                _ => {}
            }
        }
        for (iface, object) in implementations {
            if let Some(t) = types.get_mut(&iface) {
                t.possible.insert(object);
            }
        }
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] {
            types
                .entry(builtin.to_string())
                .or_insert_with(|| info(TypeKind::Scalar));
        }
        let pick = |explicit: Option<String>, default: &str| {
            explicit.or_else(|| types.contains_key(default).then(|| default.to_string()))
        };
        let query = pick(query, "Query").unwrap_or_else(|| "Query".to_string());
        let mutation = pick(mutation, "Mutation");
        let subscription = pick(subscription, "Subscription");
        SchemaIndex {
            types,
            query,
            mutation,
            subscription,
        }
    }

    pub fn field_type(&self, parent: &str, field: &str) -> Option<&Type> {
        self.types.get(parent)?.fields.get(field)
    }

    pub fn kind(&self, name: &str) -> Option<TypeKind> {
        self.types.get(name).map(|t| t.kind)
    }

    /// Does a fragment with type condition `cond` apply to an object of type `concrete`?
    pub fn applies(&self, cond: &str, concrete: &str) -> bool {
        cond == concrete
            || self
                .types
                .get(cond)
                .is_some_and(|t| t.possible.contains(concrete))
    }
}

fn info(kind: TypeKind) -> TypeInfo {
    TypeInfo {
        kind,
        fields: FastMap::default(),
        possible: FastSet::default(),
        values: FastSet::default(),
    }
}

/// The named type at the bottom of list/non-null wrappers.
pub fn named(ty: &Type) -> &str {
    match ty {
        Type::NamedType(n) => n,
        Type::ListType(inner) | Type::NonNullType(inner) => named(inner),
    }
}
