//! Bad input is refused with `BAD_USER_INPUT` naming the field, and nothing is written:
//! ratings outside 1–5, empty or over-long titles, over-long bodies, malformed ids, bad
//! page sizes and moderation reasons. Limits are inclusive.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn create_and_update_validate_every_field() {
    let env = start().await;
    let product = env.product().await;
    let user = env.customer().await;
    let t = Some(user.token.as_str());
    let long_title = "t".repeat(121);
    let long_body = "b".repeat(5001);
    let cases: [(&str, i64, &str, &str, &str); 6] = [
        (product.as_str(), 0, "Title", "", "input.rating"),
        (product.as_str(), 6, "Title", "", "input.rating"),
        (product.as_str(), 5, "   ", "", "input.title"),
        (product.as_str(), 5, &long_title, "", "input.title"),
        (product.as_str(), 5, "Title", &long_body, "input.body"),
        ("not-an-id", 5, "Title", "", "input.productId"),
    ];
    for (p, rating, title, body, field) in cases {
        let resp = env.create_raw(t, p, rating, title, body).await;
        assert_bad_input(&resp, field);
    }
    assert_eq!(env.rating(&product).await.1, 0, "nothing was written");

    // The limits themselves are accepted (multi-byte characters count as one).
    let body = env
        .create_raw(t, &product, 1, &"é".repeat(120), &"ü".repeat(5000))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let id = body["data"]["createReview"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for (input, field) in [
        (json!({ "rating": 0 }), "input.rating"),
        (json!({ "rating": 6 }), "input.rating"),
        (json!({ "title": "" }), "input.title"),
        (json!({ "title": "x".repeat(121) }), "input.title"),
        (json!({ "body": "x".repeat(5001) }), "input.body"),
    ] {
        let resp = env
            .app
            .gql(
                "mutation($id:ID!,$i:UpdateReviewInput!){ updateReview(id:$id,input:$i){ id } }",
                json!({ "id": id, "i": input }),
                t,
            )
            .await;
        assert_bad_input(&resp, field);
    }
    let resp = env
        .app
        .gql(
            "mutation($i:UpdateReviewInput!){ updateReview(id:\"nope\",input:$i){ id } }",
            json!({ "i": { "rating": 3 } }),
            t,
        )
        .await;
    assert_bad_input(&resp, "id");
    assert_eq!(
        env.rating(&product).await,
        (Some(1.0), 1, vec![1, 0, 0, 0, 0])
    );

    // Other mutations' ids and the moderation reason.
    for call in [
        "deleteReview(id:$id)",
        "markReviewHelpful(id:$id) { id }",
        "unmarkReviewHelpful(id:$id) { id }",
        "unhideReview(id:$id) { id }",
    ] {
        let resp = env.on_review(Some(&env.staff), call, "42", "").await;
        assert_bad_input(&resp, "id");
    }
    for reason in ["", &"r".repeat(501)] {
        let resp = env
            .staff_gql(
                "mutation($id:ID!,$r:String!){ hideReview(id:$id, reason:$r){ id } }",
                json!({ "id": id, "r": reason }),
            )
            .await;
        assert_bad_input(&resp, "reason");
    }
    let resp = env
        .app
        .gql("query{ review(id:\"x\"){ id } }", json!({}), None)
        .await;
    assert_bad_input(&resp, "id");
    env.stop().await;
}

#[tokio::test]
async fn page_arguments_are_checked() {
    let env = start().await;
    let product = env.product().await;
    for (args, field) in [
        ("first: -1", "first"),
        ("first: 101", "first"),
        ("last: 101", "last"),
        ("first: 1, last: 1", "last"),
        ("after: \"!!!\"", "after"),
        ("after: \"bm90LWEtY3Vyc29y\"", "after"),
        ("last: 2, before: \"MTIzOmFiYw\"", "before"),
    ] {
        let resp = env
            .app
            .gql(
                &format!("query($r:[_Any!]!){{ _entities(representations:$r){{ ... on Product {{ reviews({args}) {{ totalCount }} }} }} }}"),
                json!({ "r": [{ "__typename": "Product", "id": product }] }),
                None,
            )
            .await;
        assert_bad_input(&resp, field);
    }
    env.stop().await;
}
