//! Shared steps for the cart black-box tests: start the real accounts subgraph (tokens, JWKS)
//! and the real cart subgraph pointed at it, sign users in over HTTP, give the cart its catalog
//! and inventory read models the way those subgraphs do (events on the transport, awaited until
//! applied), and call the cart as a storefront would, `X-Cart-Token` header included.

use kit::events::Event;
use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, error_message as message, expect_code as code};
use serde_json::{json, Value};

pub use kit::testing::PASSWORD;

/// Every field of a cart, for tests that look at the whole of it.
pub const CART: &str = "id status customerId currencyCode itemCount \
    subtotal { amount currencyCode } createdAt updatedAt expiresAt \
    lines { id variantId productId quantity unitPrice { amount currencyCode } \
    priceWhenAdded { amount currencyCode } priceChanged lineTotal { amount currencyCode } \
    addedAt variant { id } } \
    pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

/// A signed-in customer.
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A guest cart and its token.
#[derive(Clone)]
pub struct Guest {
    pub cart: String,
    pub token: String,
}

/// Who calls: a bearer token and/or a cart token.
#[derive(Clone, Copy, Default)]
pub struct As<'a> {
    pub auth: Option<&'a str>,
    pub cart_token: Option<&'a str>,
}

pub fn anonymous() -> As<'static> {
    As::default()
}

pub fn guest(g: &Guest) -> As<'_> {
    As {
        auth: None,
        cart_token: Some(&g.token),
    }
}

pub fn user(u: &User) -> As<'_> {
    As {
        auth: Some(&u.token),
        cart_token: None,
    }
}

pub async fn start() -> Env {
    start_with(&[]).await
}

/// Starts accounts with a first admin and the cart subgraph (with `overrides` such as
/// `("MAX_LINES", "2")`) verifying tokens against accounts' JWKS.
pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        // Cheap hashing and no login throttling: tests sign in several users.
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let config = testing::config_trusting("cart", &accounts, overrides);
    let app = testing::spawn::<cart::Cart>(config).await;
    let staff = accounts.login(&email, PASSWORD).await;
    Env {
        accounts,
        app,
        staff,
    }
}

impl Env {
    pub fn staff(&self) -> As<'_> {
        As {
            auth: Some(&self.staff),
            cart_token: None,
        }
    }

    /// Registers and signs in a fresh customer.
    pub async fn customer(&self) -> User {
        let (id, token) = self.accounts.register_customer().await;
        User { id, token }
    }

    /// POSTs a GraphQL operation as `who`; returns the JSON body.
    pub async fn gql(&self, who: As<'_>, query: &str, variables: Value) -> Value {
        let mut req = self
            .app
            .http
            .post(format!("{}/graphql", self.app.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(auth) = who.auth {
            req = req.bearer_auth(auth);
        }
        if let Some(token) = who.cart_token {
            req = req.header("X-Cart-Token", token);
        }
        req.send()
            .await
            .expect("request sent")
            .json()
            .await
            .expect("JSON response")
    }

    /// `createCart` as `who`; returns the payload.
    pub async fn create_cart(&self, who: As<'_>, currency: Option<&str>) -> Value {
        let body = self
            .gql(
                who,
                &format!("mutation($c:String){{ createCart(input:{{currencyCode:$c}}){{ token cart {{ {CART} }} }} }}"),
                json!({ "c": currency }),
            )
            .await;
        assert!(body["errors"].is_null(), "createCart failed: {body}");
        body["data"]["createCart"].clone()
    }

    /// A new guest cart in `currency` (default when `None`).
    pub async fn guest_cart(&self, currency: Option<&str>) -> Guest {
        let payload = self.create_cart(anonymous(), currency).await;
        Guest {
            cart: payload["cart"]["id"].as_str().unwrap().to_string(),
            token: payload["token"].as_str().unwrap().to_string(),
        }
    }

    /// `addCartLine`; returns the whole response.
    pub async fn add_raw(&self, who: As<'_>, cart: &str, variant: &str, quantity: i64) -> Value {
        self.gql(
            who,
            &format!("mutation($c:ID!,$v:ID!,$q:Int!){{ addCartLine(cartId:$c,input:{{variantId:$v,quantity:$q}}){{ {CART} }} }}"),
            json!({ "c": cart, "v": variant, "q": quantity }),
        )
        .await
    }

    /// `addCartLine` that must succeed; returns the cart.
    pub async fn add(&self, who: As<'_>, cart: &str, variant: &str, quantity: i64) -> Value {
        let body = self.add_raw(who, cart, variant, quantity).await;
        assert!(body["errors"].is_null(), "addCartLine failed: {body}");
        body["data"]["addCartLine"].clone()
    }

    /// `cart(id)`; returns the whole response.
    pub async fn cart_raw(&self, who: As<'_>, cart: &str) -> Value {
        self.gql(
            who,
            &format!("query($id:ID!){{ cart(id:$id){{ {CART} }} }}"),
            json!({ "id": cart }),
        )
        .await
    }

    /// `cart(id)` that must succeed.
    pub async fn cart(&self, who: As<'_>, cart: &str) -> Value {
        let body = self.cart_raw(who, cart).await;
        assert!(body["errors"].is_null(), "cart failed: {body}");
        body["data"]["cart"].clone()
    }

    /// Publishes events as their owning subgraph would and waits until cart applied them.
    pub async fn publish(&self, events: &[Event]) {
        self.app
            .svc()
            .transport
            .publish_batch(events)
            .await
            .expect("published");
        for event in events {
            let id = event.id.clone();
            eventually(&format!("{} to be applied", event.event_type), || {
                let id = id.clone();
                async move { self.processed(&id).await }
            })
            .await;
        }
    }

    async fn processed(&self, event_id: &str) -> bool {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM processed_events WHERE consumer = 'cart' AND event_id = $1",
        )
        .bind(event_id)
        .fetch_one(self.app.svc().db.background())
        .await
        .unwrap();
        n == 1
    }

    /// A published product with one variant priced `price_minor` in `currency` and
    /// `available` units in stock; returns (variant id, product id).
    pub async fn variant(
        &self,
        price_minor: i64,
        currency: &str,
        available: i64,
    ) -> (String, String) {
        let product = kit::ids::new_id();
        let variant = kit::ids::new_id();
        self.publish(&[
            product_event("product.created", &product, "PUBLISHED"),
            variant_created(&variant, &product, price_minor, currency),
            stock_event(&variant, available),
        ])
        .await;
        (variant, product)
    }

    /// Events this cart emitted so far, as (type, subject, data), oldest first.
    pub async fn emitted(&self) -> Vec<(String, Option<String>, Value)> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT payload FROM outbox ORDER BY created_at, id")
                .fetch_all(self.app.svc().db.background())
                .await
                .unwrap();
        rows.into_iter()
            .map(|(payload,)| {
                let e: Event = serde_json::from_str(&payload).unwrap();
                (e.event_type, e.subject, e.data)
            })
            .collect()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

pub fn product_event(kind: &str, product: &str, status: &str) -> Event {
    Event::new(
        "catalog",
        kind,
        Some(product.to_string()),
        json!({ "id": product, "slug": "p", "title": "P", "brand": "B", "categoryId": null, "status": status }),
    )
}

fn price(minor: i64, currency: &str) -> Value {
    let exp = kit::money::Currency::from_code(currency).unwrap();
    let amount = kit::money::Money::new(minor, exp).amount_string();
    json!({ "amount": amount, "currencyCode": currency, "minorUnits": minor })
}

pub fn variant_created(variant: &str, product: &str, minor: i64, currency: &str) -> Event {
    Event::new(
        "catalog",
        "variant.created",
        Some(variant.to_string()),
        json!({ "variantId": variant, "productId": product, "sku": format!("SKU-{}", &variant[24..]), "price": price(minor, currency) }),
    )
}

pub fn price_changed(variant: &str, product: &str, old: i64, new: i64, currency: &str) -> Event {
    Event::new(
        "catalog",
        "variant.price_changed",
        Some(variant.to_string()),
        json!({ "variantId": variant, "productId": product, "sku": "SKU", "oldPrice": price(old, currency), "newPrice": price(new, currency) }),
    )
}

pub fn stock_event(variant: &str, available: i64) -> Event {
    Event::new(
        "inventory",
        "inventory.adjusted",
        Some(variant.to_string()),
        json!({ "stock": [{ "variantId": variant, "onHand": available, "reserved": 0, "available": available }] }),
    )
}

/// The quantity of `variant`'s line in a cart JSON, 0 when absent.
pub fn quantity_of(cart: &Value, variant: &str) -> i64 {
    cart["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines in {cart}"))
        .iter()
        .find(|l| l["variantId"] == variant)
        .map_or(0, |l| l["quantity"].as_i64().unwrap())
}

pub use kit::testing::eventually;
