//! Composition: turns subgraph SDLs into a Federation 2 supergraph SDL (join v0.3) that the
//! planner accepts. Uses `graphql-composition`, then adds the `@join__type` on root types that it
//! leaves out, so that the planner can route root fields.

pub mod authz_link;
pub mod fetch;

use std::collections::{BTreeMap, BTreeSet};

/// One subgraph to compose.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgraphSdl {
    pub name: String,
    pub url: String,
    pub sdl: String,
}

/// Composes subgraphs; errors name the subgraph, type and field where composition says so.
pub fn compose(subgraphs: &[SubgraphSdl]) -> Result<String, Vec<String>> {
    let mut input = graphql_composition::Subgraphs::default();
    let mut errors = Vec::new();
    for s in subgraphs {
        let sdl = authz_link::normalize(&s.sdl);
        if let Err(e) = input.ingest_str(&sdl, &s.name, Some(&s.url)) {
            errors.push(format!("subgraph '{}': {e}", s.name));
        }
    }
    for s in subgraphs {
        errors.extend(unknown_type_references(s));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // graphql-composition panics on some invalid inputs; report those as errors.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        graphql_composition::compose(&mut input).into_result()
    }))
    .map_err(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        vec![format!("composition failed: {detail}")]
    })?;
    let graph = result.map_err(|d| d.iter_errors().map(str::to_string).collect::<Vec<_>>())?;
    let sdl = graphql_composition::render_federated_sdl(&graph)
        .map_err(|e| vec![format!("failed to render supergraph: {e}")])?;
    // A supergraph needs a query root; without one the planner has nothing to start from.
    if !sdl
        .lines()
        .any(|l| l == "type Query" || l.starts_with("type Query "))
    {
        return Err(vec![
            "no subgraph defines a field on Query: a supergraph needs at least one root query field"
                .to_string(),
        ]);
    }
    Ok(add_root_join_types(&sdl))
}

/// Field and argument types that no definition in the subgraph provides, named
/// `subgraph 'x': Type.field refers to unknown type T`.
fn unknown_type_references(s: &SubgraphSdl) -> Vec<String> {
    use graphql_tools::parser::schema::{Definition, TypeDefinition, TypeExtension};
    // graphql-parser is stricter than composition's own parser (e.g. `extend schema`);
    // when it cannot read the SDL, composition reports problems itself.
    let Ok(doc) = graphql_tools::parser::parse_schema::<String>(&s.sdl) else {
        return Vec::new();
    };
    let mut known: BTreeSet<String> = [
        "String",
        "Int",
        "Float",
        "Boolean",
        "ID",
        "_Any",
        "_Entity",
        "_Service",
        "FieldSet",
        "_FieldSet",
        "federation__FieldSet",
        "link__Import",
        "link__Purpose",
        "federation__Scope",
        "federation__Policy",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut fields: Vec<(String, String, String)> = Vec::new();
    let push = |fields: &mut Vec<(String, String, String)>,
                owner: &str,
                f: &graphql_tools::parser::schema::Field<'_, String>| {
        fields.push((owner.to_string(), f.name.clone(), named_type(&f.field_type)));
        for a in &f.arguments {
            fields.push((
                owner.to_string(),
                format!("{}({}:)", f.name, a.name),
                named_type(&a.value_type),
            ));
        }
    };
    for def in &doc.definitions {
        match def {
            Definition::TypeDefinition(td) => match td {
                TypeDefinition::Scalar(t) => drop(known.insert(t.name.clone())),
                TypeDefinition::Enum(t) => drop(known.insert(t.name.clone())),
                TypeDefinition::Union(t) => drop(known.insert(t.name.clone())),
                TypeDefinition::InputObject(t) => {
                    known.insert(t.name.clone());
                    for f in &t.fields {
                        fields.push((t.name.clone(), f.name.clone(), named_type(&f.value_type)));
                    }
                }
                TypeDefinition::Object(t) => {
                    known.insert(t.name.clone());
                    t.fields.iter().for_each(|f| push(&mut fields, &t.name, f));
                }
                TypeDefinition::Interface(t) => {
                    known.insert(t.name.clone());
                    t.fields.iter().for_each(|f| push(&mut fields, &t.name, f));
                }
            },
            Definition::TypeExtension(TypeExtension::Object(t)) => {
                known.insert(t.name.clone());
                t.fields.iter().for_each(|f| push(&mut fields, &t.name, f));
            }
            Definition::TypeExtension(TypeExtension::Interface(t)) => {
                known.insert(t.name.clone());
                t.fields.iter().for_each(|f| push(&mut fields, &t.name, f));
            }
            _ => {}
        }
    }
    fields
        .into_iter()
        .filter(|(_, _, ty)| !known.contains(ty))
        .map(|(owner, field, ty)| {
            format!(
                "subgraph '{}': {owner}.{field} refers to unknown type {ty}",
                s.name
            )
        })
        .collect()
}

fn named_type(ty: &graphql_tools::parser::schema::Type<'_, String>) -> String {
    use graphql_tools::parser::schema::Type;
    match ty {
        Type::NamedType(n) => n.clone(),
        Type::ListType(inner) | Type::NonNullType(inner) => named_type(inner),
    }
}

/// Adds `@join__type(graph: X)` to root types for every graph that contributes a field to them.
pub fn add_root_join_types(sdl: &str) -> String {
    let Ok(doc) = graphql_tools::parser::parse_schema::<String>(sdl) else {
        return sdl.to_string();
    };
    use graphql_tools::parser::schema::{Definition, TypeDefinition, Value};
    let mut root_graphs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut all_graphs = BTreeSet::new();
    for def in &doc.definitions {
        match def {
            Definition::TypeDefinition(TypeDefinition::Enum(e)) if e.name == "join__Graph" => {
                all_graphs.extend(e.values.iter().map(|v| v.name.clone()));
            }
            Definition::TypeDefinition(TypeDefinition::Object(o))
                if ["Query", "Mutation", "Subscription"].contains(&o.name.as_str()) =>
            {
                let already: BTreeSet<String> = o
                    .directives
                    .iter()
                    .filter(|d| d.name == "join__type")
                    .filter_map(|d| d.arguments.iter().find(|(n, _)| n == "graph"))
                    .filter_map(|(_, v)| match v {
                        Value::Enum(g) => Some(g.clone()),
                        _ => None,
                    })
                    .collect();
                let mut graphs = BTreeSet::new();
                for f in &o.fields {
                    for d in f.directives.iter().filter(|d| d.name == "join__field") {
                        if let Some((_, Value::Enum(g))) =
                            d.arguments.iter().find(|(n, _)| n == "graph")
                        {
                            graphs.insert(g.clone());
                        }
                    }
                }
                let missing: BTreeSet<String> = graphs.difference(&already).cloned().collect();
                if !missing.is_empty() {
                    root_graphs.insert(o.name.clone(), missing);
                }
            }
            _ => {}
        }
    }
    if root_graphs.is_empty() {
        return sdl.to_string();
    }
    // Textual insertion keeps the rest of the rendered SDL byte-for-byte.
    let mut out = String::with_capacity(sdl.len() + 256);
    for line in sdl.lines() {
        let trimmed = line.trim_start();
        let mut handled = false;
        for (name, graphs) in &root_graphs {
            let head = format!("type {name}");
            if trimmed.starts_with(&head)
                && trimmed[head.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == '{' || c == '\n')
            {
                let joins: String = graphs
                    .iter()
                    .filter(|g| all_graphs.contains(*g))
                    .map(|g| format!(" @join__type(graph: {g})"))
                    .collect();
                let rest = &trimmed[head.len()..];
                out.push_str(&format!("{head}{joins}{rest}\n"));
                handled = true;
                break;
            }
        }
        if !handled {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_types_get_join_type_for_each_contributing_graph() {
        let sdl = "type Query\n{\n  a: Int @join__field(graph: A)\n  b: Int @join__field(graph: B)\n}\n\nenum join__Graph {\n  A @join__graph(name: \"a\", url: \"http://a\")\n  B @join__graph(name: \"b\", url: \"http://b\")\n}\n";
        let fixed = add_root_join_types(sdl);
        assert!(
            fixed.contains("type Query @join__type(graph: A) @join__type(graph: B)\n"),
            "{fixed}"
        );
        // Idempotent: a second pass adds nothing.
        assert_eq!(add_root_join_types(&fixed), fixed);
    }

    #[test]
    fn a_supergraph_without_query_fields_is_an_error() {
        let subgraphs = vec![SubgraphSdl {
            name: "only-subscriptions".into(),
            url: "http://x".into(),
            sdl: "type Subscription { tick: Int }".into(),
        }];
        let errors = compose(&subgraphs).unwrap_err();
        assert!(
            errors[0].starts_with("no subgraph defines a field on Query"),
            "{errors:?}"
        );
    }

    #[test]
    fn composition_errors_name_the_subgraph() {
        let subgraphs = vec![SubgraphSdl {
            name: "broken".into(),
            url: "http://x".into(),
            sdl: "type Query { a: Missing }".into(),
        }];
        let errors = compose(&subgraphs).unwrap_err();
        assert_eq!(
            errors,
            vec!["subgraph 'broken': Query.a refers to unknown type Missing".to_string()]
        );
    }
}
