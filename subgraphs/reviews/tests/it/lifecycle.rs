//! A review's life and who may do what: create, read, update, helpful votes, hide/unhide and
//! delete, with `NOT_FOUND` for other people's reviews, `FORBIDDEN` for customers on staff
//! mutations, `UNAUTHENTICATED` when anonymous, and hidden reviews visible only to their author
//! and staff.

use crate::common::*;
use serde_json::{json, Value};

async fn read(env: &Env, id: &str, token: Option<&str>, fields: &str) -> Value {
    env.app
        .gql(
            &format!("query($id:ID!){{ review(id:$id){{ {fields} }} }}"),
            json!({ "id": id }),
            token,
        )
        .await
}

async fn update(env: &Env, id: &str, token: Option<&str>, input: Value) -> Value {
    env.app
        .gql(
            "mutation($id:ID!,$i:UpdateReviewInput!){ updateReview(id:$id,input:$i){ rating title body updatedAt } }",
            json!({ "id": id, "i": input }),
            token,
        )
        .await
}

async fn helpful(env: &Env, id: &str, token: Option<&str>, mark: bool) -> Value {
    let call = if mark {
        "markReviewHelpful(id:$id)"
    } else {
        "unmarkReviewHelpful(id:$id)"
    };
    env.on_review(token, call, id, "{ helpfulCount }").await
}

fn helpful_count(body: &Value, mark: bool) -> i64 {
    let name = if mark {
        "markReviewHelpful"
    } else {
        "unmarkReviewHelpful"
    };
    body["data"][name]["helpfulCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

async fn hide(env: &Env, id: &str, token: Option<&str>) -> Value {
    env.on_review(
        token,
        "hideReview(id:$id, reason:\"Off topic\")",
        id,
        "{ status hiddenReason }",
    )
    .await
}

async fn unhide(env: &Env, id: &str, token: Option<&str>) -> Value {
    env.on_review(token, "unhideReview(id:$id)", id, "{ status hiddenReason }")
        .await
}

async fn delete(env: &Env, id: &str, token: Option<&str>) -> Value {
    env.on_review(token, "deleteReview(id:$id)", id, "").await
}

#[tokio::test]
async fn create_update_vote_hide_unhide_delete() {
    let env = start().await;
    let product = env.product().await;
    let alice = env.customer().await;
    let bob = env.customer().await;
    let (a, b, staff) = (
        Some(alice.token.as_str()),
        Some(bob.token.as_str()),
        Some(env.staff.as_str()),
    );

    // Create.
    let body = env
        .create_raw(a, &product, 4, "  Solid kettle ", "Boils fast.")
        .await;
    let created = &body["data"]["createReview"];
    assert_eq!(created["rating"], 4, "{body}");
    assert_eq!(created["title"], "Solid kettle", "titles are trimmed");
    assert_eq!(created["body"], "Boils fast.");
    assert_eq!(created["verifiedPurchase"], false);
    assert_eq!(created["helpfulCount"], 0);
    assert_eq!(created["product"]["id"], product.as_str());
    assert_eq!(created["author"]["id"], alice.id.as_str());
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        env.rating(&product).await,
        (Some(4.0), 1, vec![0, 0, 0, 1, 0])
    );

    // Anyone reads a published review, status included (a list of reviews never errors).
    assert_eq!(
        read(&env, &id, None, "title").await["data"]["review"]["title"],
        "Solid kettle"
    );
    assert_eq!(
        read(&env, &id, a, "status").await["data"]["review"]["status"],
        "PUBLISHED"
    );
    assert_eq!(
        read(&env, &id, staff, "status").await["data"]["review"]["status"],
        "PUBLISHED"
    );
    assert_eq!(
        read(&env, &id, b, "status").await["data"]["review"]["status"],
        "PUBLISHED"
    );

    // Update: only the author; for anyone else the review does not exist.
    let body = update(&env, &id, a, json!({ "rating": 2, "body": "Lid broke." })).await;
    assert_eq!(body["data"]["updateReview"]["rating"], 2, "{body}");
    assert_eq!(
        body["data"]["updateReview"]["title"], "Solid kettle",
        "omitted fields stay"
    );
    assert_eq!(body["data"]["updateReview"]["body"], "Lid broke.");
    assert_eq!(
        env.rating(&product).await,
        (Some(2.0), 1, vec![0, 1, 0, 0, 0])
    );
    for (token, expected) in [
        (b, "NOT_FOUND"),
        (staff, "NOT_FOUND"),
        (None, "UNAUTHENTICATED"),
    ] {
        let body = update(&env, &id, token, json!({ "rating": 5 })).await;
        assert_eq!(code(&body), expected);
    }
    assert_eq!(env.rating(&product).await.1, 1);

    // Helpful votes: once per user, idempotent, not on your own review.
    assert_eq!(helpful_count(&helpful(&env, &id, b, true).await, true), 1);
    assert_eq!(
        helpful_count(&helpful(&env, &id, b, true).await, true),
        1,
        "idempotent"
    );
    assert_eq!(
        helpful_count(&helpful(&env, &id, staff, true).await, true),
        2
    );
    assert_bad_input(&helpful(&env, &id, a, true).await, "id");
    assert_bad_input(&helpful(&env, &id, a, false).await, "id");
    assert_eq!(helpful_count(&helpful(&env, &id, b, false).await, false), 1);
    assert_eq!(
        helpful_count(&helpful(&env, &id, b, false).await, false),
        1,
        "idempotent"
    );
    assert_eq!(
        code(&helpful(&env, &id, None, true).await),
        "UNAUTHENTICATED"
    );

    // Hide: staff only.
    assert_eq!(code(&hide(&env, &id, b).await), "FORBIDDEN");
    assert_eq!(code(&hide(&env, &id, a).await), "FORBIDDEN");
    assert_eq!(code(&hide(&env, &id, None).await), "UNAUTHENTICATED");
    let body = hide(&env, &id, staff).await;
    assert_eq!(
        body["data"]["hideReview"],
        json!({ "status": "HIDDEN", "hiddenReason": "Off topic" }),
        "{body}"
    );
    assert_eq!(
        env.rating(&product).await,
        (None, 0, vec![0; 5]),
        "hidden reviews do not count"
    );
    // Hidden: gone for the public and other customers, there for the author and staff.
    assert!(read(&env, &id, None, "id").await["data"]["review"].is_null());
    assert!(read(&env, &id, b, "id").await["data"]["review"].is_null());
    assert_eq!(
        read(&env, &id, a, "status").await["data"]["review"]["status"],
        "HIDDEN"
    );
    assert_eq!(
        read(&env, &id, staff, "hiddenReason").await["data"]["review"]["hiddenReason"],
        "Off topic"
    );
    // The reason is for staff only, even for the author.
    assert_eq!(code(&read(&env, &id, a, "hiddenReason").await), "FORBIDDEN");
    // No votes on a hidden review.
    assert_eq!(code(&helpful(&env, &id, b, true).await), "NOT_FOUND");
    // Hiding again changes nothing in the rating.
    hide(&env, &id, staff).await;
    assert_eq!(env.rating(&product).await.1, 0);

    // Unhide: staff only; the review counts again.
    assert_eq!(code(&unhide(&env, &id, a).await), "FORBIDDEN");
    assert_eq!(code(&unhide(&env, &id, None).await), "UNAUTHENTICATED");
    let body = unhide(&env, &id, staff).await;
    assert_eq!(
        body["data"]["unhideReview"],
        json!({ "status": "PUBLISHED", "hiddenReason": null }),
        "{body}"
    );
    unhide(&env, &id, staff).await;
    assert_eq!(
        env.rating(&product).await,
        (Some(2.0), 1, vec![0, 1, 0, 0, 0])
    );

    // Delete: not by another customer (NOT_FOUND), nor anonymously; by the author.
    assert_eq!(code(&delete(&env, &id, b).await), "NOT_FOUND");
    assert_eq!(code(&delete(&env, &id, None).await), "UNAUTHENTICATED");
    let body = delete(&env, &id, a).await;
    assert_eq!(body["data"]["deleteReview"], id.as_str(), "{body}");
    assert!(read(&env, &id, staff, "id").await["data"]["review"].is_null());
    assert_eq!(env.rating(&product).await, (None, 0, vec![0; 5]));
    assert_eq!(
        code(&delete(&env, &id, a).await),
        "NOT_FOUND",
        "already gone"
    );
    assert_eq!(code(&helpful(&env, &id, b, true).await), "NOT_FOUND");

    // Staff may delete anyone's review; the author may then review again.
    let again = env.create(&alice, &product, 5).await;
    let body = delete(&env, &again, staff).await;
    assert_eq!(body["data"]["deleteReview"], again.as_str(), "{body}");
    assert_eq!(env.rating(&product).await, env.recomputed(&product).await);

    // Staff mutations on unknown reviews.
    let unknown = kit::ids::new_id();
    assert_eq!(code(&unhide(&env, &unknown, staff).await), "NOT_FOUND");
    assert_eq!(code(&hide(&env, &unknown, staff).await), "NOT_FOUND");
    env.stop().await;
}

#[tokio::test]
async fn anonymous_callers_cannot_write() {
    let env = start().await;
    let product = env.product().await;
    let body = env.create_raw(None, &product, 5, "Great", "").await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(env.rating(&product).await.1, 0);
    // A forged token is refused before any resolver runs.
    let body = env
        .create_raw(Some("not-a-token"), &product, 5, "Great", "")
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    env.stop().await;
}
