//! Composition: turns subgraph SDLs into a Federation 2 supergraph SDL (join v0.3) that the
//! planner accepts. Uses `graphql-composition`, then adds the `@join__type` on root types that it
//! leaves out, so that the planner can route root fields.

pub mod fetch;

use std::collections::{BTreeMap, BTreeSet};

/// One subgraph to compose.
#[derive(Debug, Clone)]
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
        if let Err(e) = input.ingest_str(&s.sdl, &s.name, Some(&s.url)) {
            errors.push(format!("subgraph '{}': {e}", s.name));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let graph = graphql_composition::compose(&mut input)
        .into_result()
        .map_err(|d| d.iter_errors().map(str::to_string).collect::<Vec<_>>())?;
    let sdl = graphql_composition::render_federated_sdl(&graph)
        .map_err(|e| vec![format!("failed to render supergraph: {e}")])?;
    Ok(add_root_join_types(&sdl))
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
