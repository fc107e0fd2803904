//! Introspection of the API schema: the `__schema` tree and per-type `__type` values are built
//! once per supergraph as JSON, then shaped by the normal response projection per request.

use std::collections::HashMap;

use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document, Field, InputValue, Type, TypeDefinition,
};
use serde_json::{json, Map, Value};

pub struct Introspection {
    pub schema: Value,
    pub types: HashMap<String, Value>,
}

impl Introspection {
    pub fn new(
        doc: &Document,
        query: &str,
        mutation: Option<&str>,
        subscription: Option<&str>,
    ) -> Self {
        let kinds = kinds(doc);
        let mut types = HashMap::new();
        let mut order = Vec::new();
        let mut directives = vec![
            builtin_directive(&kinds, "skip", "Directs the executor to skip this field or fragment when the `if` argument is true."),
            builtin_directive(&kinds, "include", "Directs the executor to include this field or fragment only when the `if` argument is true."),
            json!({"__typename": "__Directive", "name": "deprecated", "description": "Marks an element of a GraphQL schema as no longer supported.",
                "locations": ["FIELD_DEFINITION", "ARGUMENT_DEFINITION", "INPUT_FIELD_DEFINITION", "ENUM_VALUE"],
                "args": [input_value_json(&kinds, "reason", None, &Type::NamedType("String".into()), Some("\"No longer supported\"".into()))],
                "isRepeatable": false}),
        ];
        for def in &doc.definitions {
            match def {
                Definition::TypeDefinition(td) => {
                    let (name, value) = type_json(&kinds, td);
                    if let Some(existing) = types.get_mut(&name) {
                        merge_fields(existing, value);
                    } else {
                        order.push(name.clone());
                        types.insert(name, value);
                    }
                }
                Definition::DirectiveDefinition(d) => {
                    if ["skip", "include", "deprecated"].contains(&d.name.as_str()) {
                        continue;
                    }
                    directives.push(json!({
                        "__typename": "__Directive",
                        "name": d.name,
                        "description": d.description,
                        "locations": d.locations.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
                        "args": d.arguments.iter().map(|v| input_value(&kinds, v)).collect::<Vec<_>>(),
                        "isRepeatable": d.repeatable,
                    }));
                }
                _ => {}
            }
        }
        for scalar in ["String", "Int", "Float", "Boolean", "ID"] {
            if !types.contains_key(scalar) {
                order.push(scalar.to_string());
                types.insert(scalar.to_string(), scalar_json(scalar, None));
            }
        }
        // Interfaces list their implementations as possibleTypes.
        let mut implementations: HashMap<String, Vec<Value>> = HashMap::new();
        for name in &order {
            if let Some(ifaces) = types[name].get("interfaces").and_then(Value::as_array) {
                for i in ifaces {
                    if let Some(iname) = i.get("name").and_then(Value::as_str) {
                        implementations
                            .entry(iname.to_string())
                            .or_default()
                            .push(named_ref(name, "OBJECT"));
                    }
                }
            }
        }
        for (iface, list) in implementations {
            if let Some(Value::Object(t)) = types.get_mut(&iface) {
                t.insert("possibleTypes".into(), Value::Array(list));
            }
        }
        let root = |n: Option<&str>| n.and_then(|n| types.get(n)).cloned().unwrap_or(Value::Null);
        let schema = json!({
            "__typename": "__Schema",
            "description": null,
            "types": order.iter().map(|n| types[n].clone()).collect::<Vec<_>>(),
            "queryType": root(Some(query)),
            "mutationType": root(mutation),
            "subscriptionType": root(subscription),
            "directives": directives,
        });
        Introspection { schema, types }
    }
}

fn merge_fields(existing: &mut Value, extra: Value) {
    if let (Some(Value::Array(a)), Some(Value::Array(b))) =
        (existing.get_mut("fields"), extra.get("fields"))
    {
        a.extend(b.iter().cloned());
    }
}

fn builtin_directive(kinds: &Kinds, name: &str, description: &str) -> Value {
    json!({
        "__typename": "__Directive",
        "name": name,
        "description": description,
        "locations": ["FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT"],
        "args": [input_value_json(kinds, "if", None, &Type::NonNullType(Box::new(Type::NamedType("Boolean".into()))), None)],
        "isRepeatable": false,
    })
}

fn deprecation(directives: &[Directive]) -> (bool, Value) {
    for d in directives {
        if d.name == "deprecated" {
            let reason = d
                .arguments
                .iter()
                .find(|(n, _)| n == "reason")
                .and_then(|(_, v)| match v {
                    graphql_tools::static_graphql::query::Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| "No longer supported".to_string());
            return (true, Value::String(reason));
        }
    }
    (false, Value::Null)
}

fn type_ref(ty: &Type, kinds: &Kinds) -> Value {
    match ty {
        Type::NamedType(n) => named_ref(n, kinds.get(n).copied().unwrap_or("SCALAR")),
        Type::ListType(inner) => {
            json!({"__typename": "__Type", "kind": "LIST", "name": null, "ofType": type_ref(inner, kinds)})
        }
        Type::NonNullType(inner) => {
            json!({"__typename": "__Type", "kind": "NON_NULL", "name": null, "ofType": type_ref(inner, kinds)})
        }
    }
}

type Kinds = HashMap<String, &'static str>;

/// Type name → introspection kind, so that type references carry the right `kind`.
fn kinds(doc: &Document) -> Kinds {
    let mut k = Kinds::new();
    for def in &doc.definitions {
        if let Definition::TypeDefinition(td) = def {
            let (name, kind) = match td {
                TypeDefinition::Scalar(t) => (&t.name, "SCALAR"),
                TypeDefinition::Object(t) => (&t.name, "OBJECT"),
                TypeDefinition::Interface(t) => (&t.name, "INTERFACE"),
                TypeDefinition::Union(t) => (&t.name, "UNION"),
                TypeDefinition::Enum(t) => (&t.name, "ENUM"),
                TypeDefinition::InputObject(t) => (&t.name, "INPUT_OBJECT"),
            };
            k.insert(name.clone(), kind);
        }
    }
    k
}

fn named_ref(name: &str, kind: &str) -> Value {
    json!({"__typename": "__Type", "kind": kind, "name": name, "ofType": null})
}

fn input_value_json(
    kinds: &Kinds,
    name: &str,
    description: Option<&String>,
    ty: &Type,
    default: Option<String>,
) -> Value {
    json!({
        "__typename": "__InputValue",
        "name": name,
        "description": description,
        "type": type_ref(ty, kinds),
        "defaultValue": default,
        "isDeprecated": false,
        "deprecationReason": null,
    })
}

fn input_value(kinds: &Kinds, v: &InputValue) -> Value {
    let mut j = input_value_json(
        kinds,
        &v.name,
        v.description.as_ref(),
        &v.value_type,
        v.default_value.as_ref().map(|d| d.to_string()),
    );
    let (dep, reason) = deprecation(&v.directives);
    j["isDeprecated"] = Value::Bool(dep);
    j["deprecationReason"] = reason;
    j
}

/// A type's fields as introspection lists them: without the meta fields (`__schema`, `__type`)
/// the planner's API schema declares on the query root, which clients reject as type fields.
fn fields_json(kinds: &Kinds, fields: &[Field]) -> Value {
    Value::Array(
        fields
            .iter()
            .filter(|f| !f.name.starts_with("__"))
            .map(|f| field_json(kinds, f))
            .collect(),
    )
}

fn field_json(kinds: &Kinds, f: &Field) -> Value {
    let (dep, reason) = deprecation(&f.directives);
    json!({
        "__typename": "__Field",
        "name": f.name,
        "description": f.description,
        "args": f.arguments.iter().map(|v| input_value(kinds, v)).collect::<Vec<_>>(),
        "type": type_ref(&f.field_type, kinds),
        "isDeprecated": dep,
        "deprecationReason": reason,
    })
}

fn scalar_json(name: &str, description: Option<&String>) -> Value {
    base(name, "SCALAR", description)
}

fn base(name: &str, kind: &str, description: Option<&String>) -> Value {
    let mut m = Map::new();
    m.insert("__typename".into(), json!("__Type"));
    m.insert("kind".into(), json!(kind));
    m.insert("name".into(), json!(name));
    m.insert("description".into(), json!(description));
    for k in [
        "fields",
        "interfaces",
        "possibleTypes",
        "enumValues",
        "inputFields",
        "ofType",
        "specifiedByURL",
    ] {
        m.insert(k.into(), Value::Null);
    }
    m.insert("isOneOf".into(), json!(false));
    Value::Object(m)
}

fn type_json(kinds: &Kinds, td: &TypeDefinition) -> (String, Value) {
    match td {
        TypeDefinition::Scalar(t) => (t.name.clone(), scalar_json(&t.name, t.description.as_ref())),
        TypeDefinition::Object(t) => {
            let mut v = base(&t.name, "OBJECT", t.description.as_ref());
            v["fields"] = fields_json(kinds, &t.fields);
            v["interfaces"] = Value::Array(
                t.implements_interfaces
                    .iter()
                    .map(|i| named_ref(i, "INTERFACE"))
                    .collect(),
            );
            (t.name.clone(), v)
        }
        TypeDefinition::Interface(t) => {
            let mut v = base(&t.name, "INTERFACE", t.description.as_ref());
            v["fields"] = fields_json(kinds, &t.fields);
            v["interfaces"] = Value::Array(
                t.implements_interfaces
                    .iter()
                    .map(|i| named_ref(i, "INTERFACE"))
                    .collect(),
            );
            v["possibleTypes"] = Value::Array(Vec::new());
            (t.name.clone(), v)
        }
        TypeDefinition::Union(t) => {
            let mut v = base(&t.name, "UNION", t.description.as_ref());
            v["possibleTypes"] =
                Value::Array(t.types.iter().map(|n| named_ref(n, "OBJECT")).collect());
            (t.name.clone(), v)
        }
        TypeDefinition::Enum(t) => {
            let mut v = base(&t.name, "ENUM", t.description.as_ref());
            v["enumValues"] = Value::Array(
                t.values
                    .iter()
                    .map(|ev| {
                        let (dep, reason) = deprecation(&ev.directives);
                        json!({"__typename": "__EnumValue", "name": ev.name, "description": ev.description,
                            "isDeprecated": dep, "deprecationReason": reason})
                    })
                    .collect(),
            );
            (t.name.clone(), v)
        }
        TypeDefinition::InputObject(t) => {
            let mut v = base(&t.name, "INPUT_OBJECT", t.description.as_ref());
            v["inputFields"] =
                Value::Array(t.fields.iter().map(|v| input_value(kinds, v)).collect());
            (t.name.clone(), v)
        }
    }
}
