//! `schema/orders.graphql` must match what the subgraph serves (`_service { sdl }`), which is
//! what the router composes; `UPDATE_SCHEMA=1` rewrites it.

use crate::common::start;

#[tokio::test]
async fn schema_file_is_current() {
    let env = start().await;
    env.app.assert_schema_file_current().await;
    env.stop().await;
}
