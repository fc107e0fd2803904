//! `_entities` goes through a DataLoader: resolving 100 users costs one SQL statement, counted
//! by the kit and read from `/metrics`.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn resolving_100_users_is_one_query() {
    let app = start().await;
    // Set-up straight into the database (hashing 100 passwords would only slow the test).
    let db = &app.svc().db;
    let mut ids = Vec::new();
    for i in 0..100 {
        let id = kit::ids::new_id();
        sqlx::query("INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, 'x', 'customer', 0, 0)")
            .bind(&id)
            .bind(format!("bulk{i}@example.com"))
            .bind(format!("Bulk {i}"))
            .execute(db.background())
            .await
            .unwrap();
        ids.push(id);
    }
    let reps: Vec<_> = ids
        .iter()
        .map(|id| json!({ "__typename": "User", "id": id }))
        .collect();
    let before = app.metric("db_statements_total").await;
    let body = app
        .gql(
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { id name } } }",
            json!({ "r": reps }),
            None,
        )
        .await;
    let after = app.metric("db_statements_total").await;
    let got = body["data"]["_entities"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(got.len(), 100);
    for (i, (entity, id)) in got.iter().zip(&ids).enumerate() {
        assert_eq!(
            entity,
            &json!({ "id": id, "name": format!("Bulk {i}") }),
            "in request order"
        );
    }
    assert_eq!(
        after - before,
        1,
        "100 entities must cost exactly one statement"
    );

    // Unknown ids resolve to null, still in one statement.
    let before = app.metric("db_statements_total").await;
    let body = app
        .gql("query($r:[_Any!]!){ _entities(representations:$r){ ... on User { id } } }", json!({ "r": [{ "__typename": "User", "id": ids[0] }, { "__typename": "User", "id": "nope" }] }), None)
        .await;
    assert_eq!(body["data"]["_entities"], json!([{ "id": ids[0] }, null]));
    assert_eq!(app.metric("db_statements_total").await - before, 1);
    app.stop().await;
}
