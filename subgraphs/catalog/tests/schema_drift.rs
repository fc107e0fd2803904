//! `schema/catalog.graphql` is the subgraph's SDL as the router sees it (`_service { sdl }`).
//! This fails when the code and the checked-in file differ; `UPDATE_SCHEMA=1` rewrites it.

mod common;

use serde_json::json;

#[tokio::test]
async fn checked_in_schema_matches_the_code() {
    let env = common::start().await;
    let body = env.public("{ _service { sdl } }", json!({})).await;
    let sdl = body["data"]["_service"]["sdl"]
        .as_str()
        .expect("sdl")
        .trim()
        .to_string()
        + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/catalog.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(checked_in == sdl, "schema/catalog.graphql is out of date; run `UPDATE_SCHEMA=1 cargo test -p catalog --test schema_drift`");
    env.stop().await;
}
