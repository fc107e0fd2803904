//! Shared steps for the reviews black-box tests: start the real accounts subgraph (for tokens
//! and its JWKS) and the real reviews subgraph pointed at it, sign users in over HTTP, and act
//! as a client. Products become reviewable the way catalog makes them so (a `product.*` event)
//! or, where a test is about something else, straight in the local products table.

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_message as message, expect_code as code};
use serde_json::{json, Value};

pub use kit::testing::PASSWORD;

pub const REVIEW_FIELDS: &str =
    "id rating title body verifiedPurchase helpfulCount createdAt updatedAt product { id } author { id }";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
    /// The admin's user id, read with `me` (which also proves the token works); no test reads it
    /// yet, hence the allow that the module-wide `#![allow(dead_code)]` used to give.
    #[allow(dead_code)]
    pub staff_id: String,
}

/// A signed-in customer.
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

pub async fn start() -> Env {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        // Cheap hashing and no login throttling: tests sign in dozens of users.
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;

    let config = testing::config_trusting("reviews", &accounts, &[]);
    let app = testing::spawn::<reviews::Reviews>(config).await;
    let staff = login(&accounts, &email).await;
    let me = accounts.gql("{ me { id } }", json!({}), Some(&staff)).await;
    let staff_id = me["data"]["me"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("me failed: {me}"))
        .to_string();
    Env {
        accounts,
        app,
        staff,
        staff_id,
    }
}

pub async fn login(accounts: &TestApp, email: &str) -> String {
    accounts.login(email, PASSWORD).await
}

impl Env {
    /// Registers and signs in a fresh customer.
    pub async fn customer(&self) -> User {
        let (id, token) = self.accounts.register_customer().await;
        User { id, token }
    }

    /// `n` customers, registered concurrently.
    pub async fn customers(&self, n: usize) -> Vec<User> {
        futures_util::future::join_all((0..n).map(|_| self.customer())).await
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    /// A new product, reviewable at once (written to the local products table directly).
    pub async fn product(&self) -> String {
        let id = kit::ids::new_id();
        sqlx::query("INSERT INTO products (id, status, changed_at) VALUES ($1, 'PUBLISHED', 0)")
            .bind(&id)
            .execute(self.app.svc().db.background())
            .await
            .unwrap();
        id
    }

    pub async fn publish(&self, event: &Event) {
        self.app
            .svc()
            .transport
            .publish_batch(std::slice::from_ref(event))
            .await
            .expect("published");
    }

    pub async fn create_raw(
        &self,
        token: Option<&str>,
        product: &str,
        rating: i64,
        title: &str,
        body: &str,
    ) -> Value {
        self.app
            .gql(
                &format!("mutation($i:CreateReviewInput!){{ createReview(input:$i){{ {REVIEW_FIELDS} }} }}"),
                json!({ "i": { "productId": product, "rating": rating, "title": title, "body": body } }),
                token,
            )
            .await
    }

    /// Creates a review; returns its id.
    pub async fn create(&self, user: &User, product: &str, rating: i64) -> String {
        let body = self
            .create_raw(Some(&user.token), product, rating, "Nice", "Works well.")
            .await;
        body["data"]["createReview"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createReview failed: {body}"))
            .to_string()
    }

    /// Runs `mutation($id:ID!){ <call> { <fields> } }` (the call uses `$id`).
    pub async fn on_review(
        &self,
        token: Option<&str>,
        call: &str,
        id: &str,
        fields: &str,
    ) -> Value {
        self.app
            .gql(
                &format!("mutation($id:ID!){{ {call} {fields} }}"),
                json!({ "id": id }),
                token,
            )
            .await
    }

    /// `Product.rating` through `_entities`: (average, count, per-star counts).
    pub async fn rating(&self, product: &str) -> (Option<f64>, i64, Vec<i64>) {
        let body = self
            .app
            .gql(
                "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { rating { average count distribution { stars count } } } } }",
                json!({ "r": [{ "__typename": "Product", "id": product }] }),
                None,
            )
            .await;
        let rating = &body["data"]["_entities"][0]["rating"];
        assert!(rating.is_object(), "rating query failed: {body}");
        let dist = rating["distribution"].as_array().unwrap();
        assert_eq!(
            dist.iter()
                .map(|d| d["stars"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        (
            rating["average"].as_f64(),
            rating["count"].as_i64().unwrap(),
            dist.iter().map(|d| d["count"].as_i64().unwrap()).collect(),
        )
    }

    /// The rating recomputed from the review rows themselves (published only), for comparison
    /// with the incrementally kept one.
    pub async fn recomputed(&self, product: &str) -> (Option<f64>, i64, Vec<i64>) {
        let ratings: Vec<i64> = sqlx::query_scalar(
            "SELECT rating FROM reviews WHERE product_id = $1 AND status = 'PUBLISHED'",
        )
        .bind(product)
        .fetch_all(self.app.svc().db.background())
        .await
        .unwrap();
        let count = ratings.len() as i64;
        let sum: i64 = ratings.iter().sum();
        let average = (count > 0).then(|| (sum as f64 / count as f64 * 100.0).round() / 100.0);
        let dist = (1..=5)
            .map(|s| ratings.iter().filter(|r| **r == s).count() as i64)
            .collect();
        (average, count, dist)
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// A catalog product event as catalog emits it.
pub fn product_event(kind: &str, id: &str, status: &str) -> Event {
    Event::new(
        "catalog",
        kind,
        Some(id.to_string()),
        json!({ "id": id, "slug": format!("p-{}", &id[24..]), "status": status, "title": "Thing" }),
    )
}

/// Asserts a BAD_USER_INPUT error naming `field`.
pub fn assert_bad_input(body: &Value, field: &str) {
    assert_eq!(code(body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"].as_str(),
        Some(field),
        "{body}"
    );
    assert!(message(body).contains(field), "{body}");
}

pub use kit::testing::eventually;
