//! Who sees an order: its customer, staff, or a guest with the order's token
//! (`X-Order-Token`); anyone else gets null, as for an unknown order — by id, by number,
//! through `_entities` (batched) and `User.orders`.

use serde_json::{json, Value};

use crate::common::*;

async fn by_number(env: &Env, who: As<'_>, number: &str) -> Value {
    env.gql(
        who,
        "query($n:String!){ orderByNumber(number:$n){ id } }",
        json!({ "n": number }),
    )
    .await["data"]["orderByNumber"]["id"]
        .clone()
}

async fn sees(env: &Env, who: As<'_>, id: &str) -> bool {
    let body = env.order(who, id).await;
    assert!(body["errors"].is_null(), "{body}");
    !body["data"]["order"].is_null()
}

#[tokio::test]
async fn orders_open_for_their_customer_staff_and_the_guest_token_only() {
    let env = start().await;
    let (order, _, owner) = env.customer_order().await;
    let (_, stranger) = env.customer().await;
    assert!(sees(&env, As::bearer(&owner), &order.id).await);
    assert!(sees(&env, As::bearer(&env.admin), &order.id).await);
    assert!(!sees(&env, As::bearer(&stranger), &order.id).await);
    assert!(!sees(&env, As::default(), &order.id).await);
    assert!(!sees(&env, As::default(), &kit::ids::new_id()).await);

    let token = "the-guest-order-token";
    let guest = env
        .place(order_view(
            None,
            "g@example.com",
            Some(orders::token::hash(token)),
        ))
        .await;
    assert!(sees(&env, As::order_token(token), &guest.id).await);
    assert!(!sees(&env, As::order_token("guess"), &guest.id).await);
    assert!(
        !sees(&env, As::order_token(token), &order.id).await,
        "a guest token opens only its order"
    );

    let body = env.order(As::bearer(&owner), &order.id).await;
    let o = &body["data"]["order"];
    assert!(o["number"].as_str().unwrap().starts_with("SO-"));
    assert_eq!(
        o["total"],
        json!({ "amount": "30.00", "currencyCode": "USD" })
    );
    assert_eq!(o["lines"][0]["lineTotal"]["amount"], "25.00");
    assert_eq!(
        o["lines"][0]["variant"]["id"],
        order.lines[0].variant_id.as_str()
    );
    assert_eq!(o["statusHistory"][0]["reason"], "CHECKOUT");

    // By number, in any case.
    assert_eq!(
        by_number(&env, As::bearer(&owner), &order.number.to_lowercase()).await,
        json!(order.id)
    );
    assert_eq!(
        by_number(&env, As::bearer(&stranger), &order.number).await,
        Value::Null
    );
    assert_eq!(
        by_number(&env, As::order_token(token), &guest.number).await,
        json!(guest.id)
    );
    env.stop().await;
}

#[tokio::test]
async fn entities_resolve_in_one_batch_with_the_same_rule() {
    let env = start().await;
    let (mine, customer, owner) = env.customer_order().await;
    let (theirs, _, _) = env.customer_order().await;
    let reps = json!([
        { "__typename": "Order", "id": mine.id },
        { "__typename": "Order", "id": theirs.id },
        { "__typename": "Order", "id": kit::ids::new_id() },
        { "__typename": "OrderLine", "id": mine.lines[0].id },
        { "__typename": "OrderLine", "id": theirs.lines[0].id },
    ]);
    let query = "query($r:[_Any!]!){ _entities(representations:$r){ ... on Order { id number } ... on OrderLine { id sku } } }";
    let body = env
        .gql(As::bearer(&owner), query, json!({ "r": reps }))
        .await;
    let e = &body["data"]["_entities"];
    assert_eq!(e[0]["id"], mine.id.as_str(), "{body}");
    assert!(e[1].is_null() && e[2].is_null(), "{body}");
    assert_eq!(e[3]["sku"], "MUG-BLUE");
    assert!(e[4].is_null());

    // Batched: a page of 20 orders costs what one does.
    let cost = |n: usize| {
        let reps: Vec<_> = (0..n)
            .map(|i| json!({ "__typename": "Order", "id": if i == 0 { mine.id.clone() } else { kit::ids::new_id() } }))
            .collect();
        let env = &env;
        let owner = owner.clone();
        async move {
            // Consumers count statements too: let the events of the setup settle first.
            env.quiet().await;
            let before = env.app.svc().db.statements();
            let body = env
                .gql(
                    As::bearer(&owner),
                    "query($r:[_Any!]!){ _entities(representations:$r){ ... on Order { id lines { sku } } } }",
                    json!({ "r": reps }),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
            env.app.svc().db.statements() - before
        }
    };
    assert_eq!(cost(1).await, cost(20).await);

    let users = "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { orders { totalCount nodes { id } } } } }";
    let body = env
        .gql(
            As::bearer(&owner),
            users,
            json!({ "r": [{ "__typename": "User", "id": customer }] }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let other = env
        .gql(
            As::bearer(&owner),
            users,
            json!({ "r": [{ "__typename": "User", "id": theirs.customer_id }] }),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    env.stop().await;
}
