//! Bad input gets `BAD_USER_INPUT` naming the field; an unknown variant is `NOT_FOUND`; a
//! duplicate warehouse code is `CONFLICT`.

use crate::common::*;
use serde_json::{json, Value};

const RESERVE: &str = "mutation($i:ReserveInput!){ reserve(input:$i){ id } }";

async fn reserve_input(env: &Env, input: Value) -> Value {
    env.app
        .gql(RESERVE, json!({ "i": input }), Some(&env.staff))
        .await
}

fn field(body: &Value) -> String {
    assert_eq!(code(body), "BAD_USER_INPUT", "{body}");
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no field in {body}"))
        .to_string()
}

#[tokio::test]
async fn reserve_names_the_offending_field() {
    let env = start().await;
    let v = variant();
    let w = env.warehouse("VALID").await;
    env.adjust(&v, &w, 5).await;
    let line = |q: Value| json!([{ "variantId": v, "quantity": q }]);

    let cases = [
        (
            json!({ "reference": "c", "lines": line(json!(0)) }),
            "input.lines[0].quantity",
        ),
        (
            json!({ "reference": "c", "lines": line(json!(-3)) }),
            "input.lines[0].quantity",
        ),
        (
            json!({ "reference": "c", "lines": line(json!(5_000_000_000i64)) }),
            "input.lines[0].quantity",
        ),
        (
            json!({ "reference": "c", "lines": [{ "variantId": v, "quantity": 1 }, { "variantId": "nope", "quantity": 1 }] }),
            "input.lines[1].variantId",
        ),
        (
            json!({ "reference": "c", "lines": [{ "variantId": v, "quantity": 1 }, { "variantId": v, "quantity": 1 }] }),
            "input.lines[1].variantId",
        ),
        (
            json!({ "reference": "  ", "lines": line(json!(1)) }),
            "input.reference",
        ),
        (json!({ "reference": "c", "lines": [] }), "input.lines"),
        (
            json!({ "reference": "c", "lines": line(json!(1)), "ttlSeconds": 0 }),
            "input.ttlSeconds",
        ),
        (
            json!({ "reference": "c", "lines": line(json!(1)), "ttlSeconds": 10_000_000 }),
            "input.ttlSeconds",
        ),
        (
            json!({ "reference": "c", "lines": line(json!(1)), "idempotencyKey": "" }),
            "input.idempotencyKey",
        ),
    ];
    for (input, expected) in cases {
        let body = reserve_input(&env, input.clone()).await;
        assert_eq!(field(&body), expected, "for {input}");
    }
    assert_eq!(
        env.available(&v).await,
        5,
        "nothing was held by bad requests"
    );

    let body = reserve_input(
        &env,
        json!({ "reference": "c", "lines": [{ "variantId": variant(), "quantity": 1 }] }),
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    assert!(message(&body).contains("variantId"));

    // Beyond 64 bits the request itself is malformed.
    let body = env
        .app
        .gql(
            &format!("mutation{{ reserve(input:{{reference:\"c\",lines:[{{variantId:\"{v}\",quantity:99999999999999999999999}}]}}){{ id }} }}"),
            json!({}),
            Some(&env.staff),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    env.stop().await;
}

#[tokio::test]
async fn warehouse_input_is_checked() {
    let env = start().await;
    let create =
        "mutation($c:String!,$n:String!){ createWarehouse(input:{code:$c,name:$n}){ id code } }";
    let body = env
        .staff_gql(create, json!({ "c": "bad code!", "n": "x" }))
        .await;
    assert_eq!(field(&body), "input.code");
    let body = env.staff_gql(create, json!({ "c": "ok", "n": " " })).await;
    assert_eq!(field(&body), "input.name");
    let body = env
        .staff_gql(create, json!({ "c": "ber-1", "n": "Berlin" }))
        .await;
    assert_eq!(body["data"]["createWarehouse"]["code"], "BER-1", "{body}");
    let body = env
        .staff_gql(create, json!({ "c": "BER-1", "n": "Again" }))
        .await;
    assert_eq!(code(&body), "CONFLICT");
    let body = env
        .staff_gql("query{ warehouse(id:\"x\"){ id } }", json!({}))
        .await;
    assert_eq!(field(&body), "id");
    let body = env
        .staff_gql(
            "query($v:ID!){ stockAdjustments(variantId:$v, first: 500){ totalCount } }",
            json!({ "v": variant() }),
        )
        .await;
    assert_eq!(field(&body), "first");
    env.stop().await;
}
