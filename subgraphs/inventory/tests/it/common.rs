//! Shared steps for the inventory black-box tests: start the real accounts subgraph (for
//! tokens and its JWKS) and the real inventory subgraph pointed at it, sign in over HTTP, and
//! act as a client.

use kit::testing::{self, TestApp};
pub use kit::testing::{error_message as message, expect_code as code};
use serde_json::{json, Value};

pub use kit::testing::PASSWORD;

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

pub async fn start() -> Env {
    start_with(&[]).await
}

/// Starts accounts with a first admin, inventory verifying tokens against accounts' JWKS
/// (with `overrides` such as `("SWEEP_INTERVAL_MS", "100")`), and signs the admin in.
pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (config, email) = testing::accounts_with_admin();
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let config = testing::config_trusting("inventory", &accounts, overrides);
    let app = testing::spawn::<inventory::Inventory>(config).await;
    let staff = login(&accounts, &email).await;
    Env {
        accounts,
        app,
        staff,
    }
}

pub async fn login(accounts: &TestApp, email: &str) -> String {
    accounts.login(email, PASSWORD).await
}

impl Env {
    /// Registers and signs in a fresh customer; returns their token.
    pub async fn customer(&self) -> String {
        self.accounts.register_customer().await.1
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    pub async fn warehouse(&self, code: &str) -> String {
        let body = self
            .staff_gql(
                "mutation($c:String!){ createWarehouse(input:{code:$c,name:\"Warehouse\"}){ id } }",
                json!({ "c": code }),
            )
            .await;
        body["data"]["createWarehouse"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createWarehouse failed: {body}"))
            .to_string()
    }

    pub async fn adjust_raw(&self, variant: &str, warehouse: &str, delta: i64) -> Value {
        self.staff_gql(
            "mutation($v:ID!,$w:ID!,$d:Int!){ adjustStock(variantId:$v,warehouseId:$w,delta:$d,reason:\"count\"){ level { onHand reserved available } } }",
            json!({ "v": variant, "w": warehouse, "d": delta }),
        )
        .await
    }

    pub async fn adjust(&self, variant: &str, warehouse: &str, delta: i64) {
        let body = self.adjust_raw(variant, warehouse, delta).await;
        assert!(body["errors"].is_null(), "adjustStock failed: {body}");
    }

    /// `reserve` with one line per (variant, quantity); returns the whole response.
    pub async fn reserve(
        &self,
        token: &str,
        reference: &str,
        lines: &[(&str, i64)],
        key: Option<&str>,
    ) -> Value {
        let lines: Vec<Value> = lines
            .iter()
            .map(|(v, q)| json!({ "variantId": v, "quantity": q }))
            .collect();
        self.app
            .gql(
                "mutation($i:ReserveInput!){ reserve(input:$i){ id reference status expiresAt lines { variantId warehouseId quantity } } }",
                json!({ "i": { "reference": reference, "lines": lines, "idempotencyKey": key } }),
                Some(token),
            )
            .await
    }

    /// Public stock of a variant through `_entities`.
    pub async fn available(&self, variant: &str) -> i64 {
        let body = self
            .app
            .gql(
                "query($r:[_Any!]!){ _entities(representations:$r){ ... on ProductVariant { stock { available inStock } } } }",
                json!({ "r": [{ "__typename": "ProductVariant", "id": variant }] }),
                None,
            )
            .await;
        body["data"]["_entities"][0]["stock"]["available"]
            .as_i64()
            .unwrap_or_else(|| panic!("stock query failed: {body}"))
    }

    /// (warehouse id, onHand, reserved) per warehouse, as staff see it.
    pub async fn levels(&self, variant: &str) -> Vec<(String, i64, i64)> {
        let body = self
            .staff_gql(
                "query($r:[_Any!]!){ _entities(representations:$r){ ... on ProductVariant { stockByWarehouse { warehouseId onHand reserved available } } } }",
                json!({ "r": [{ "__typename": "ProductVariant", "id": variant }] }),
            )
            .await;
        let list = body["data"]["_entities"][0]["stockByWarehouse"]
            .as_array()
            .unwrap_or_else(|| panic!("stockByWarehouse failed: {body}"));
        list.iter()
            .map(|l| {
                assert_eq!(
                    l["available"].as_i64().unwrap(),
                    l["onHand"].as_i64().unwrap() - l["reserved"].as_i64().unwrap()
                );
                (
                    l["warehouseId"].as_str().unwrap().to_string(),
                    l["onHand"].as_i64().unwrap(),
                    l["reserved"].as_i64().unwrap(),
                )
            })
            .collect()
    }

    pub async fn reservation_status(&self, id: &str) -> String {
        let body = self
            .staff_gql(
                "query($id:ID!){ reservation(id:$id){ status } }",
                json!({ "id": id }),
            )
            .await;
        body["data"]["reservation"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("reservation query failed: {body}"))
            .to_string()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

pub fn variant() -> String {
    kit::ids::new_id()
}

pub use kit::testing::eventually;
