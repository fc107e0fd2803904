//! `schema/media.graphql` is the subgraph's SDL as the router sees it (`_service { sdl }`).
//! This fails when the code and the checked-in file differ; `UPDATE_SCHEMA=1` rewrites it.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn checked_in_schema_matches_the_code() {
    let env = start().await;
    let body = env.app.gql("{ _service { sdl } }", json!({}), None).await;
    let sdl = body["data"]["_service"]["sdl"]
        .as_str()
        .unwrap_or_else(|| panic!("no sdl: {body}"))
        .trim()
        .to_string()
        + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/media.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == sdl,
        "schema/media.graphql is out of date; run `UPDATE_SCHEMA=1 cargo test -p media --test schema_drift`"
    );
    env.stop().await;
}
