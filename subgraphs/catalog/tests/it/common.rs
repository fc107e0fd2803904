//! Shared steps for the catalog black-box tests: start the real accounts subgraph (the source
//! of staff tokens) and the real catalog subgraph pointed at its JWKS, sign in as the
//! configured admin over HTTP, and act as a client.

use catalog::Catalog;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, expect_code as code};
use serde_json::{json, Value};

pub struct Env {
    pub accounts: TestApp,
    pub catalog: TestApp,
    pub staff: String,
}

impl Env {
    pub async fn stop(self) {
        self.catalog.stop().await;
        self.accounts.stop().await;
    }

    /// A staff GraphQL call; panics on errors.
    pub async fn staff(&self, query: &str, vars: Value) -> Value {
        let body = self.catalog.gql(query, vars, Some(&self.staff)).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// A public (anonymous) GraphQL call, returning the whole body.
    pub async fn public(&self, query: &str, vars: Value) -> Value {
        self.catalog.gql(query, vars, None).await
    }
}

pub async fn start() -> Env {
    start_with(&[]).await
}

pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (config, email) = testing::accounts_with_admin();
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let staff = accounts.login(&email, testing::PASSWORD).await;
    let config = testing::config_trusting("catalog", &accounts, overrides);
    let catalog = testing::spawn::<Catalog>(config).await;
    Env {
        accounts,
        catalog,
        staff,
    }
}

pub const PRODUCT_FIELDS: &str =
    "id title slug status brand description attributes { name value } priceFrom { amount currencyCode }";

/// Creates a draft product; returns its id.
pub async fn product(env: &Env, input: Value) -> String {
    let data = env
        .staff(
            "mutation($i:CreateProductInput!){ createProduct(input:$i){ id } }",
            json!({ "i": input }),
        )
        .await;
    data["createProduct"]["id"].as_str().unwrap().to_string()
}

/// Adds a variant priced `amount` USD; returns its id.
pub async fn variant(env: &Env, product_id: &str, sku: &str, amount: &str) -> String {
    let data = env
        .staff(
            "mutation($i:CreateVariantInput!){ createVariant(input:$i){ id } }",
            json!({ "i": { "productId": product_id, "sku": sku,
                "price": { "amount": amount, "currencyCode": "USD" } } }),
        )
        .await;
    data["createVariant"]["id"].as_str().unwrap().to_string()
}

pub async fn publish(env: &Env, id: &str) {
    env.staff(
        "mutation($id:ID!){ publishProduct(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
}

/// A published product with one variant at `amount` USD.
pub async fn published(env: &Env, input: Value, amount: &str) -> String {
    let id = product(env, input).await;
    let sku = format!("SKU-{}", &id[24..]);
    variant(env, &id, &sku, amount).await;
    publish(env, &id).await;
    id
}

/// Every node id of a connection at `data` (a value with `edges`).
pub fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}
