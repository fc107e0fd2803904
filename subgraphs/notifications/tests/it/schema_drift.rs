//! `schema/notifications.graphql` is the subgraph's SDL as the router sees it. This fails when
//! the code and the checked-in file differ; `UPDATE_SCHEMA=1` rewrites it.

use crate::common;

#[tokio::test]
async fn checked_in_schema_matches_the_code() {
    let env = common::start(None, &[]).await;
    env.app.assert_schema_file_current().await;
    env.stop().await;
}
