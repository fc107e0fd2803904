//! `schema/supergraph.graphql` is the composition of the checked-in subgraph schemas
//! (`schema/<name>.graphql`, each itself checked against its subgraph's `_service { sdl }`), with
//! the URLs docker-compose gives them (`router/subgraphs.compose.txt`). A change to any subgraph's
//! schema that is not recomposed fails here; `UPDATE_SCHEMA=1 cargo test -p shop --test it supergraph`
//! rewrites the file.

use std::path::Path;

use router::compose::{compose, SubgraphSdl};

#[test]
fn supergraph_is_the_composition_of_the_subgraph_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let list = std::fs::read_to_string(root.join("router/subgraphs.compose.txt")).unwrap();
    let subgraphs: Vec<SubgraphSdl> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, url) = l.split_once('=').expect("name=url");
            let path = root.join(format!("schema/{name}.graphql"));
            let sdl = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            SubgraphSdl {
                name: name.to_string(),
                url: url.to_string(),
                sdl,
            }
        })
        .collect();
    assert!(subgraphs.len() >= 3, "{list}");
    let composed = compose(&subgraphs).unwrap_or_else(|errors| panic!("{}", errors.join("\n")));

    let path = root.join("schema/supergraph.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &composed).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == composed,
        "schema/supergraph.graphql is stale; regenerate with UPDATE_SCHEMA=1 cargo test -p shop --test it supergraph"
    );
}
