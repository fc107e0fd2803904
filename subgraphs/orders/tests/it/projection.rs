//! The read side: `myOrders`, `User.orders` and staff `orders` come from the read model,
//! projected from the order events (newest first, keyset pages, filters, search by number or
//! email); wiping the read model and `rebuildOrderReadModel` gives the same answers.

use serde_json::{json, Value};

use crate::common::*;

const MY: &str = "query($f:OrderFilter,$first:Int,$after:String,$last:Int,$before:String){ myOrders(filter:$f, first:$first, after:$after, last:$last, before:$before){ totalCount pageInfo { hasNextPage hasPreviousPage endCursor startCursor } nodes { id number status total { amount } lines { sku } statusHistory { status } } } }";
const ALL: &str = "query($f:StaffOrderFilter){ orders(filter:$f, first:50){ totalCount nodes { id status email customerId } } }";

async fn projected(env: &Env, n: i64) {
    let db = env.app.svc().db.clone();
    eventually("the read model caught up", || {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM order_read_model r JOIN orders o ON o.id = r.id \
                 WHERE r.version = o.version",
            )
            .fetch_one(db.background())
            .await
            .unwrap()
                == n
        }
    })
    .await;
}

fn ids(body: &Value, field: &str) -> Vec<String> {
    body["data"][field]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_come_from_the_read_model_and_survive_a_rebuild() {
    let env = start().await;
    let (customer, token) = env.customer().await;
    let mut mine = Vec::new();
    for i in 0..3 {
        let mut view = order_view(Some(&customer), "Shopper.One@example.com", None);
        view.placed_at += i; // distinct, increasing
        mine.push(env.place(view).await);
    }
    env.deliver(payment_succeeded(&mine[1])).await;
    let (other, _, _) = env.customer_order().await;
    let guest = env
        .place(order_view(
            None,
            "guest.person@example.com",
            Some("h".into()),
        ))
        .await;
    projected(&env, 5).await;

    // Newest first; pages of 2 forward, and back.
    let me = As::bearer(&token);
    let page1 = env.gql(me, MY, json!({ "first": 2 })).await;
    assert_eq!(page1["data"]["myOrders"]["totalCount"], 3);
    assert_eq!(
        ids(&page1, "myOrders"),
        [mine[2].id.clone(), mine[1].id.clone()]
    );
    assert_eq!(page1["data"]["myOrders"]["pageInfo"]["hasNextPage"], true);
    let after = page1["data"]["myOrders"]["pageInfo"]["endCursor"].clone();
    let page2 = env.gql(me, MY, json!({ "first": 2, "after": after })).await;
    assert_eq!(ids(&page2, "myOrders"), [mine[0].id.clone()]);
    assert_eq!(page2["data"]["myOrders"]["pageInfo"]["hasNextPage"], false);
    let before = page2["data"]["myOrders"]["pageInfo"]["startCursor"].clone();
    let back = env
        .gql(me, MY, json!({ "last": 2, "before": before }))
        .await;
    assert_eq!(
        ids(&back, "myOrders"),
        [mine[2].id.clone(), mine[1].id.clone()]
    );
    let paid = env.gql(me, MY, json!({ "f": { "status": "PAID" } })).await;
    assert_eq!(ids(&paid, "myOrders"), [mine[1].id.clone()]);
    assert_eq!(
        paid["data"]["myOrders"]["nodes"][0]["statusHistory"],
        json!([{ "status": "PENDING_PAYMENT" }, { "status": "PAID" }])
    );
    let window = env
        .gql(
            me,
            MY,
            json!({ "f": { "placedAfter": kit::ids::from_millis(mine[1].placed_at).to_rfc3339() } }),
        )
        .await;
    assert_eq!(window["data"]["myOrders"]["totalCount"], 2);

    // Staff: everything, by customer, by number, by part of an email.
    let staff = |f: Value| env.staff_gql(ALL, json!({ "f": f }));
    assert_eq!(staff(json!({})).await["data"]["orders"]["totalCount"], 5);
    assert_eq!(
        ids(
            &staff(json!({ "customerId": other.customer_id })).await,
            "orders"
        ),
        vec![other.id.clone()]
    );
    assert_eq!(
        ids(
            &staff(json!({ "search": guest.number.to_lowercase() })).await,
            "orders"
        ),
        vec![guest.id.clone()]
    );
    assert_eq!(
        staff(json!({ "search": "SHOPPER.one" })).await["data"]["orders"]["totalCount"],
        3
    );
    assert_eq!(
        staff(json!({ "search": "%" })).await["data"]["orders"]["totalCount"],
        0,
        "LIKE wildcards are literal"
    );
    let body = env.gql(me, ALL, json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN");

    // Rebuild from the event log: same answers.
    let everything = staff(json!({})).await;
    let my_all = env.gql(me, MY, json!({ "first": 10 })).await;
    sqlx::query("DELETE FROM order_read_model")
        .execute(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(staff(json!({})).await["data"]["orders"]["totalCount"], 0);
    let rebuild = "mutation{ rebuildOrderReadModel }";
    assert_eq!(
        error_code(&env.gql(me, rebuild, json!({})).await),
        "FORBIDDEN"
    );
    let body = env.staff_gql(rebuild, json!({})).await;
    assert_eq!(body["data"]["rebuildOrderReadModel"], 5, "{body}");
    assert_eq!(staff(json!({})).await, everything);
    assert_eq!(env.gql(me, MY, json!({ "first": 10 })).await, my_all);
    env.stop().await;
}

#[tokio::test]
async fn bad_list_arguments_are_named() {
    let env = start().await;
    let (_, token) = env.customer().await;
    let body = env
        .gql(As::bearer(&token), MY, json!({ "first": 101 }))
        .await;
    assert_eq!(field(&body), "first");
    let body = env
        .gql(As::bearer(&token), MY, json!({ "after": "!!" }))
        .await;
    assert_eq!(field(&body), "after");
    let body = env
        .gql(
            As::bearer(&token),
            MY,
            json!({ "f": { "placedAfter": "2026-02-01T00:00:00Z", "placedBefore": "2026-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(field(&body), "filter.placedBefore");
    let body = env.gql(As::default(), MY, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    env.stop().await;
}
