//! The checkout end to end against the real subgraphs it calls — accounts, catalog,
//! inventory, cart, discounts, shipping and payments, each spawned for real and pointed at
//! each other by URL. Separately spawned subgraphs do not share an event bus, so the events a
//! flow needs (catalog's and inventory's to cart, payments' to orders) are forwarded from the
//! producer's outbox to the consumer's transport, as the broker would.
//!
//! Covered: a customer's and a guest's checkout (prices from catalog, shipping, promotions and
//! coupon, stock reserved, payment started, idempotent repeat, one order per cart); each
//! failure — empty cart, changed total, product not for sale, out of stock, unknown method,
//! address outside the zones, payments down after the stock was reserved — leaves no
//! reservation, no held coupon use and no payment behind; 50 identical concurrent checkouts
//! make one order and one payment; a paid order refunded through payments.

use std::collections::HashSet;

use kit::events::Event;
use kit::testing::{self, TestApp};
use std::sync::Mutex;

use serde_json::{json, Value};

use crate::common::*;

/// Outbox rows already forwarded (producer, consumer, event).
#[derive(Default)]
struct Forwarded(Mutex<HashSet<String>>);

const CHECKOUT: &str = "mutation($i:CheckoutInput!){ checkout(input:$i){ orderToken order { id number status email customerId couponCode subtotal { amount } discountTotal { amount } shippingTotal { amount } total { amount currencyCode } lines { variantId sku title quantity unitPrice { amount } lineTotal { amount } } statusHistory { status reason } } } }";

struct Shop {
    accounts: TestApp,
    admin: String,
    service: String,
    catalog: TestApp,
    inventory: TestApp,
    cart: TestApp,
    discounts: TestApp,
    shipping: TestApp,
    payments: TestApp,
    orders: TestApp,
    warehouse: String,
    method: String,
    forwarded: Forwarded,
}

fn url(app: &TestApp) -> String {
    format!("{}/graphql", app.url)
}

impl Shop {
    async fn start() -> Shop {
        let (accounts, admin, service) = accounts().await;
        let spawn_cfg =
            |name: &str, extra: &[(&str, &str)]| config(name, &accounts, &service, extra);
        let catalog = testing::spawn::<catalog::Catalog>(spawn_cfg("catalog", &[])).await;
        let inventory = testing::spawn::<inventory::Inventory>(spawn_cfg("inventory", &[])).await;
        let cart = testing::spawn::<cart::Cart>(spawn_cfg("cart", &[])).await;
        let discounts = testing::spawn::<discounts::Discounts>(spawn_cfg(
            "discounts",
            &[("CART_URL", &url(&cart))],
        ))
        .await;
        let shipping = testing::spawn::<shipping::Shipping>(spawn_cfg("shipping", &[])).await;
        let payments = testing::spawn::<payments::Payments>(spawn_cfg("payments", &[])).await;
        let urls = [
            ("CART_URL", url(&cart)),
            ("CATALOG_URL", url(&catalog)),
            ("INVENTORY_URL", url(&inventory)),
            ("DISCOUNTS_URL", url(&discounts)),
            ("SHIPPING_URL", url(&shipping)),
            ("PAYMENTS_URL", url(&payments)),
        ];
        let overrides: Vec<(&str, &str)> = urls.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let orders =
            testing::spawn::<orders::Orders>(config("orders", &accounts, &service, &overrides))
                .await;
        let mut shop = Shop {
            accounts,
            admin,
            service,
            catalog,
            inventory,
            cart,
            discounts,
            shipping,
            payments,
            orders,
            warehouse: String::new(),
            method: String::new(),
            forwarded: Forwarded::default(),
        };
        let body = shop
            .staff(
                &shop.inventory,
                "mutation{ createWarehouse(input:{code:\"MAIN\",name:\"Main\"}){ id } }",
                json!({}),
            )
            .await;
        shop.warehouse = body["data"]["createWarehouse"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let body = shop
            .staff(
                &shop.shipping,
                "mutation{ createShippingZone(input:{name:\"US\", countries:[\"US\"]}){ id } }",
                json!({}),
            )
            .await;
        let zone = body["data"]["createShippingZone"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let body = shop
            .staff(
                &shop.shipping,
                "mutation($i:CreateShippingMethodInput!){ createShippingMethod(input:$i){ id } }",
                json!({ "i": { "name": "Standard", "carrier": "UPS", "zoneIds": [zone],
                               "rates": [{ "kind": "FLAT", "amount": { "amount": "5.00", "currencyCode": "USD" } }] } }),
            )
            .await;
        shop.method = body["data"]["createShippingMethod"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        shop
    }

    /// Another orders instance on the same subgraphs, with different settings.
    async fn orders_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let urls = [
            ("CART_URL", url(&self.cart)),
            ("CATALOG_URL", url(&self.catalog)),
            ("INVENTORY_URL", url(&self.inventory)),
            ("DISCOUNTS_URL", url(&self.discounts)),
            ("SHIPPING_URL", url(&self.shipping)),
            ("PAYMENTS_URL", url(&self.payments)),
        ];
        let mut overrides: Vec<(&str, &str)> = extra.to_vec();
        for (k, v) in &urls {
            if !extra.iter().any(|(e, _)| e == k) {
                overrides.push((k, v.as_str()));
            }
        }
        testing::spawn::<orders::Orders>(config(
            "orders",
            &self.accounts,
            &self.service,
            &overrides,
        ))
        .await
    }

    async fn staff(&self, app: &TestApp, query: &str, variables: Value) -> Value {
        app.gql(query, variables, Some(&self.admin)).await
    }

    /// A published product with one variant at `price` (USD) and `stock` units, known to
    /// cart; returns the variant id and product id.
    async fn product(&self, price: &str, stock: i64) -> (String, String) {
        let body = self
            .staff(
                &self.catalog,
                "mutation{ createProduct(input:{title:\"Mug\"}){ id } }",
                json!({}),
            )
            .await;
        let product = body["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let body = self
            .staff(
                &self.catalog,
                "mutation($i:CreateVariantInput!){ createVariant(input:$i){ id } }",
                json!({ "i": { "productId": product, "sku": format!("MUG-{}", &kit::ids::new_id()[30..]), "title": "Blue",
                               "price": { "amount": price, "currencyCode": "USD" } } }),
            )
            .await;
        let variant = body["data"]["createVariant"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let body = self
            .staff(
                &self.catalog,
                "mutation($id:ID!){ publishProduct(id:$id){ status } }",
                json!({ "id": product }),
            )
            .await;
        assert_eq!(
            body["data"]["publishProduct"]["status"], "PUBLISHED",
            "{body}"
        );
        self.restock(&variant, stock).await;
        self.forward_catalog_events().await;
        (variant, product)
    }

    async fn forward_catalog_events(&self) {
        let only_bound = |e: &Event| {
            matches!(
                e.event_type.as_str(),
                "product.created"
                    | "product.updated"
                    | "product.archived"
                    | "variant.created"
                    | "variant.price_changed"
            )
        };
        self.forward_matching(&self.catalog, only_bound).await;
    }

    /// Publishes `from`'s outbox events that `keep` selects (and were not forwarded yet) to
    /// cart's transport, and waits until cart took them.
    async fn forward_matching(&self, from: &TestApp, keep: impl Fn(&Event) -> bool) {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, payload FROM outbox ORDER BY id")
                .fetch_all(from.svc().db.background())
                .await
                .unwrap();
        let events: Vec<Event> = {
            let mut seen = self.forwarded.0.lock().unwrap();
            rows.into_iter()
                .map(|(id, p)| (id, serde_json::from_str::<Event>(&p).unwrap()))
                .filter(|(_, e)| keep(e))
                .filter(|(id, _)| seen.insert(format!("{}:cart:{id}", from.url)))
                .map(|(_, e)| e)
                .collect()
        };
        if events.is_empty() {
            return;
        }
        self.cart
            .svc()
            .transport
            .publish_batch(&events)
            .await
            .unwrap();
        let db = self.cart.svc().db.clone();
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        eventually("cart took the events", || {
            let (db, ids) = (db.clone(), ids.clone());
            async move {
                let mut all = true;
                for id in &ids {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM processed_events WHERE event_id = $1",
                    )
                    .bind(id)
                    .fetch_one(db.background())
                    .await
                    .unwrap();
                    all &= n == 1;
                }
                all
            }
        })
        .await;
    }

    async fn restock(&self, variant: &str, delta: i64) {
        let body = self
            .staff(
                &self.inventory,
                "mutation($v:ID!,$w:ID!,$d:Int!){ adjustStock(variantId:$v,warehouseId:$w,delta:$d,reason:\"count\"){ level { available } } }",
                json!({ "v": variant, "w": self.warehouse, "d": delta }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        self.forward_matching(&self.inventory, |e| e.event_type.starts_with("inventory."))
            .await;
    }

    async fn available(&self, variant: &str) -> i64 {
        let body = self
            .inventory
            .gql(
                "query($r:[_Any!]!){ _entities(representations:$r){ ... on ProductVariant { stock { available } } } }",
                json!({ "r": [{ "__typename": "ProductVariant", "id": variant }] }),
                None,
            )
            .await;
        body["data"]["_entities"][0]["stock"]["available"]
            .as_i64()
            .unwrap_or_else(|| panic!("{body}"))
    }

    /// A cart holding `quantity` of `variant`, for a customer (`bearer`) or a guest; returns
    /// (cart id, guest token).
    async fn cart_with(
        &self,
        bearer: Option<&str>,
        variant: &str,
        quantity: i64,
    ) -> (String, Option<String>) {
        let who = As {
            bearer,
            ..As::default()
        };
        let body = gql_as(
            &self.cart,
            who,
            "mutation{ createCart(input:{currencyCode:\"USD\"}){ token cart { id } } }",
            json!({}),
        )
        .await;
        let cart = body["data"]["createCart"]["cart"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let token = body["data"]["createCart"]["token"]
            .as_str()
            .map(str::to_string);
        if quantity > 0 {
            let who = As {
                bearer,
                cart_token: token.as_deref(),
                ..As::default()
            };
            let body = gql_as(
                &self.cart,
                who,
                "mutation($c:ID!,$v:ID!,$q:Int!){ addCartLine(cartId:$c, input:{variantId:$v, quantity:$q}){ id } }",
                json!({ "c": cart, "v": variant, "q": quantity }),
            )
            .await;
            assert!(body["errors"].is_null(), "{body}");
        }
        (cart, token)
    }

    fn input(&self, cart: &str, total: &str, key: &str) -> Value {
        json!({
            "cartId": cart,
            "shippingAddress": { "fullName": "Ada Lovelace", "line1": "1 Main St", "city": "Springfield",
                                 "region": "CA", "postalCode": "90210", "countryCode": "US" },
            "shippingMethodId": self.method,
            "expectedTotal": { "amount": total, "currencyCode": "USD" },
            "idempotencyKey": key,
        })
    }

    async fn checkout(&self, who: As<'_>, input: Value) -> Value {
        gql_as(&self.orders, who, CHECKOUT, json!({ "i": input })).await
    }

    async fn coupon(&self, code: &str, off: &str) -> String {
        let body = self
            .staff(
                &self.discounts,
                "mutation($i:CreateCouponInput!){ createCoupon(input:$i){ id } }",
                json!({ "i": { "code": code, "kind": "FIXED_AMOUNT", "amountOff": { "amount": off, "currencyCode": "USD" } } }),
            )
            .await;
        body["data"]["createCoupon"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string()
    }

    async fn count(app: &TestApp, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(app.svc().db.background())
            .await
            .unwrap()
    }

    /// Nothing held anywhere: no held reservation, no held coupon use, no live payment, no
    /// order, no claim.
    async fn nothing_left(&self, variant: &str, stock: i64) {
        assert_eq!(self.available(variant).await, stock, "stock given back");
        assert_eq!(
            Self::count(
                &self.inventory,
                "SELECT COUNT(*) FROM reservations WHERE status = 'HELD'"
            )
            .await,
            0,
            "no held reservation"
        );
        assert_eq!(
            Self::count(
                &self.discounts,
                "SELECT COUNT(*) FROM coupon_uses WHERE status = 'HELD'"
            )
            .await,
            0,
            "no held coupon use"
        );
        assert_eq!(
            Self::count(
                &self.discounts,
                "SELECT CAST(COALESCE(SUM(uses), 0) AS BIGINT) FROM coupons"
            )
            .await,
            0,
            "no coupon use counted"
        );
        assert_eq!(
            Self::count(
                &self.payments,
                "SELECT COUNT(*) FROM payments WHERE status <> 'CANCELLED'"
            )
            .await,
            0,
            "no live payment"
        );
        assert_eq!(
            Self::count(&self.orders, "SELECT COUNT(*) FROM orders").await,
            0,
            "no order"
        );
        assert_eq!(
            Self::count(&self.orders, "SELECT COUNT(*) FROM checkouts").await,
            0,
            "no claim"
        );
    }

    async fn stop(self) {
        for app in [
            self.orders,
            self.payments,
            self.shipping,
            self.discounts,
            self.cart,
            self.inventory,
            self.catalog,
            self.accounts,
        ] {
            app.stop().await;
        }
    }
}

#[tokio::test]
async fn a_customer_checks_out_once_however_often_they_ask() {
    let shop = Shop::start().await;
    let (variant, _) = shop.product("12.50", 10).await;
    let (customer, bearer) = shop.accounts.register_customer().await;
    let (cart, _) = shop.cart_with(Some(&bearer), &variant, 2).await;
    // Customers may omit the email: their account's is used.
    let body = shop
        .checkout(As::bearer(&bearer), shop.input(&cart, "30.00", "key-1"))
        .await;
    let order = body["data"]["checkout"]["order"].clone();
    assert_eq!(order["status"], "PENDING_PAYMENT", "{body}");
    assert_eq!(order["customerId"], customer.as_str());
    assert!(order["email"].as_str().unwrap().ends_with("@example.com"));
    assert!(body["data"]["checkout"]["orderToken"].is_null());
    assert_eq!(order["subtotal"]["amount"], "25.00");
    assert_eq!(order["shippingTotal"]["amount"], "5.00");
    assert_eq!(
        order["total"],
        json!({ "amount": "30.00", "currencyCode": "USD" })
    );
    assert_eq!(order["lines"][0]["title"], "Mug – Blue");
    assert_eq!(order["lines"][0]["unitPrice"]["amount"], "12.50");
    assert_eq!(
        order["statusHistory"],
        json!([{ "status": "PENDING_PAYMENT", "reason": "CHECKOUT" }])
    );
    let order_id = order["id"].as_str().unwrap().to_string();
    assert_eq!(shop.available(&variant).await, 8, "two units reserved");
    assert_eq!(
        Shop::count(&shop.payments, "SELECT COUNT(*) FROM payments").await,
        1
    );

    // The same key: the same order, nothing new anywhere.
    let again = shop
        .checkout(As::bearer(&bearer), shop.input(&cart, "30.00", "key-1"))
        .await;
    assert_eq!(
        again["data"]["checkout"]["order"]["id"],
        order_id.as_str(),
        "{again}"
    );
    // Another key for the same cart: one order per cart.
    let other = shop
        .checkout(As::bearer(&bearer), shop.input(&cart, "30.00", "key-2"))
        .await;
    assert_eq!(error_code(&other), "CONFLICT", "{other}");
    assert_eq!(shop.available(&variant).await, 8);
    assert_eq!(
        Shop::count(&shop.payments, "SELECT COUNT(*) FROM payments").await,
        1
    );
    assert_eq!(
        Shop::count(&shop.orders, "SELECT COUNT(*) FROM orders").await,
        1
    );

    // Paying through payments (its events forwarded to orders) makes it PAID; a staff
    // refund goes through payments and comes back as payment.refunded.
    let body = gql_as(
        &shop.payments,
        As::bearer(&bearer),
        "mutation($i:PayOrderInput!){ payOrder(input:$i){ status } }",
        json!({ "i": { "orderId": order_id, "idempotencyKey": "pay-1",
                       "card": { "number": "4242424242424242", "expMonth": 12, "expYear": 2031, "cvc": "123" } } }),
    )
    .await;
    assert_eq!(body["data"]["payOrder"]["status"], "CAPTURED", "{body}");
    shop.forward_payments().await;
    assert_eq!(shop.order_state(&order_id).await["status"], "PAID");
    let body = shop
        .staff(&shop.orders, "mutation($id:ID!){ refundOrder(id:$id, amount:{amount:\"10.00\", currencyCode:\"USD\"}, idempotencyKey:\"r-1\"){ status } }", json!({ "id": order_id }))
        .await;
    assert_eq!(
        body["data"]["refundOrder"]["status"], "PAID",
        "moves only when payments reports: {body}"
    );
    shop.forward_payments().await;
    let now = shop.order_state(&order_id).await;
    assert_eq!(
        (
            now["status"].as_str(),
            now["refundedTotal"]["amount"].as_str()
        ),
        (Some("PARTIALLY_REFUNDED"), Some("10.00")),
        "{now}"
    );
    shop.stop().await;
}

impl Shop {
    /// An order's status and refunded total, as staff see it.
    async fn order_state(&self, id: &str) -> Value {
        self.orders
            .gql(
                "query($id:ID!){ order(id:$id){ status refundedTotal { amount } } }",
                json!({ "id": id }),
                Some(&self.admin),
            )
            .await["data"]["order"]
            .clone()
    }

    /// Payments' outbox to orders' consumer.
    async fn forward_payments(&self) {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, payload FROM outbox ORDER BY id")
                .fetch_all(self.payments.svc().db.background())
                .await
                .unwrap();
        let events: Vec<Event> = {
            let mut seen = self.forwarded.0.lock().unwrap();
            rows.into_iter()
                .map(|(id, p)| (id, serde_json::from_str::<Event>(&p).unwrap()))
                .filter(|(_, e)| e.event_type.starts_with("payment."))
                .filter(|(id, _)| seen.insert(format!("payments:orders:{id}")))
                .map(|(_, e)| e)
                .collect()
        };
        for event in events {
            let relevant = matches!(
                event.event_type.as_str(),
                "payment.succeeded" | "payment.failed" | "payment.refunded"
            );
            self.orders
                .svc()
                .transport
                .publish_batch(std::slice::from_ref(&event))
                .await
                .unwrap();
            if relevant {
                let db = self.orders.svc().db.clone();
                let id = event.id.clone();
                eventually("orders took the payment event", || {
                    let (db, id) = (db.clone(), id.clone());
                    async move {
                        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM processed_events WHERE consumer = 'orders' AND event_id = $1")
                            .bind(&id)
                            .fetch_one(db.background())
                            .await
                            .unwrap()
                            == 1
                    }
                })
                .await;
            }
        }
    }
}

#[tokio::test]
async fn a_guest_checks_out_with_a_coupon_and_gets_the_order_token() {
    let shop = Shop::start().await;
    let (variant, _) = shop.product("12.50", 10).await;
    shop.coupon("FIVEOFF", "5.00").await;
    let (cart, token) = shop.cart_with(None, &variant, 2).await;
    let token = token.expect("guest cart token");
    let guest = As {
        cart_token: Some(&token),
        ..As::default()
    };
    let mut input = shop.input(&cart, "25.00", "guest-key");
    let body = shop.checkout(guest, input.clone()).await;
    assert_eq!(field(&body), "input.email", "{body}");
    input["email"] = json!("Guest@Example.com");
    input["couponCode"] = json!("fiveoff");
    let body = shop.checkout(guest, input.clone()).await;
    let placed = &body["data"]["checkout"];
    assert_eq!(placed["order"]["total"]["amount"], "25.00", "{body}");
    assert_eq!(placed["order"]["discountTotal"]["amount"], "5.00");
    assert_eq!(placed["order"]["couponCode"], "FIVEOFF");
    assert_eq!(placed["order"]["email"], "guest@example.com");
    let order_token = placed["orderToken"]
        .as_str()
        .expect("a guest gets the order token")
        .to_string();
    let id = placed["order"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        Shop::count(
            &shop.discounts,
            "SELECT COUNT(*) FROM coupon_uses WHERE status = 'HELD'"
        )
        .await,
        1
    );

    // The token opens the order; payments knows its hash.
    let body = gql_as(
        &shop.orders,
        As::order_token(&order_token),
        "query($id:ID!){ order(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(body["data"]["order"]["id"], id.as_str());
    let hash: String =
        sqlx::query_scalar("SELECT order_token_hash FROM payments WHERE order_id = $1")
            .bind(&id)
            .fetch_one(shop.payments.svc().db.background())
            .await
            .unwrap();
    assert_eq!(hash, orders::token::hash(&order_token));
    // Repeating with the cart's token shows the same order and token again; without it, no.
    let again = shop.checkout(guest, input.clone()).await;
    assert_eq!(
        again["data"]["checkout"]["orderToken"],
        order_token.as_str(),
        "{again}"
    );
    let stranger = shop
        .checkout(
            As {
                cart_token: Some("not-the-token"),
                ..As::default()
            },
            input,
        )
        .await;
    assert!(
        stranger["data"].is_null() || stranger["data"]["checkout"].is_null(),
        "{stranger}"
    );
    assert!(stranger["errors"].is_array());

    // Cart hears order.created and closes the cart.
    shop.forward_matching(&shop.orders, |e| e.event_type == "order.created")
        .await;
    let body = gql_as(
        &shop.cart,
        guest,
        "query($id:ID!){ cart(id:$id){ status } }",
        json!({ "id": cart }),
    )
    .await;
    assert_eq!(body["data"]["cart"]["status"], "CONVERTED", "{body}");
    shop.stop().await;
}

#[tokio::test]
async fn every_failure_leaves_nothing_behind() {
    let shop = Shop::start().await;
    let (variant, product) = shop.product("12.50", 10).await;
    shop.coupon("TAKEFIVE", "5.00").await;
    let (_, bearer) = shop.accounts.register_customer().await;
    let me = As::bearer(&bearer);

    // Empty cart.
    let (empty, _) = shop.cart_with(Some(&bearer), &variant, 0).await;
    let body = shop
        .checkout(me, shop.input(&empty, "5.00", "k-empty"))
        .await;
    assert_eq!(
        (error_code(&body), reason(&body)),
        ("BAD_USER_INPUT".into(), "EMPTY_CART".into()),
        "{body}"
    );
    shop.nothing_left(&variant, 10).await;

    // A cart whose customer is someone else's is not ours to check out... (by cart's rules:
    // cart itself says NOT_FOUND).
    let (_, other) = shop.accounts.register_customer().await;
    let (cart, _) = shop.cart_with(Some(&bearer), &variant, 2).await;
    let body = shop
        .checkout(As::bearer(&other), shop.input(&cart, "30.00", "k-other"))
        .await;
    assert!(
        matches!(error_code(&body).as_str(), "NOT_FOUND" | "FORBIDDEN"),
        "{body}"
    );

    // The total changed (with a coupon held meanwhile): PRICE_CHANGED with the new total.
    let mut input = shop.input(&cart, "30.00", "k-price");
    input["couponCode"] = json!("TAKEFIVE");
    let body = shop.checkout(me, input).await;
    assert_eq!(
        (error_code(&body), reason(&body)),
        ("CONFLICT".into(), "PRICE_CHANGED".into()),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["total"],
        json!({ "amount": "25.00", "currencyCode": "USD" })
    );
    shop.nothing_left(&variant, 10).await;

    // Unknown shipping method; address outside the method's zones.
    let mut input = shop.input(&cart, "30.00", "k-method");
    input["shippingMethodId"] = json!(kit::ids::new_id());
    let body = shop.checkout(me, input).await;
    assert_eq!(field(&body), "input.shippingMethodId", "{body}");
    let mut input = shop.input(&cart, "30.00", "k-zone");
    input["couponCode"] = json!("TAKEFIVE");
    input["shippingAddress"]["countryCode"] = json!("DE");
    let body = shop.checkout(me, input).await;
    assert_eq!(
        (field(&body), reason(&body)),
        (
            "input.shippingAddress.countryCode".into(),
            "OUTSIDE_ZONES".into()
        ),
        "{body}"
    );
    shop.nothing_left(&variant, 10).await;

    // Out of stock by checkout time (inventory sold them elsewhere): CONFLICT naming the
    // variant, the coupon use given back.
    let body = shop
        .staff(&shop.inventory, "mutation($v:ID!,$w:ID!){ adjustStock(variantId:$v,warehouseId:$w,delta:-9,reason:\"damaged\"){ level { available } } }", json!({ "v": variant, "w": shop.warehouse }))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let mut input = shop.input(&cart, "25.00", "k-stock");
    input["couponCode"] = json!("TAKEFIVE");
    let body = shop.checkout(me, input).await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&variant),
        "{body}"
    );
    shop.nothing_left(&variant, 1).await;
    shop.restock(&variant, 9).await;

    // Payments down after the stock was reserved and the coupon held: both given back.
    let broken = shop
        .orders_with(&[
            ("PAYMENTS_URL", "http://127.0.0.1:9/graphql"),
            ("REMOTE_TIMEOUT_MS", "2000"),
        ])
        .await;
    let mut input = shop.input(&cart, "25.00", "k-payments");
    input["couponCode"] = json!("TAKEFIVE");
    let body = gql_as(&broken, me, CHECKOUT, json!({ "i": input })).await;
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert_eq!(
        body["errors"][0]["message"], "internal error",
        "no detail leaks"
    );
    assert_eq!(
        Shop::count(
            &shop.inventory,
            "SELECT COUNT(*) FROM reservations WHERE status = 'RELEASED'"
        )
        .await,
        1,
        "it was reserved, then released"
    );
    assert_eq!(
        Shop::count(&broken, "SELECT COUNT(*) FROM checkouts").await,
        0
    );
    broken.stop().await;
    shop.nothing_left(&variant, 10).await;

    // A product no longer for sale: named by its line.
    let body = shop
        .staff(
            &shop.catalog,
            "mutation($id:ID!){ archiveProduct(id:$id){ status } }",
            json!({ "id": product }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let body = shop
        .checkout(me, shop.input(&cart, "30.00", "k-archived"))
        .await;
    assert_eq!(
        (field(&body), reason(&body)),
        ("cart.lines[0]".into(), "NOT_FOR_SALE".into()),
        "{body}"
    );
    shop.nothing_left(&variant, 10).await;
    shop.stop().await;
}

#[tokio::test]
async fn fifty_identical_checkouts_make_one_order_and_one_payment() {
    let shop = Shop::start().await;
    let (variant, _) = shop.product("12.50", 10).await;
    let (_, bearer) = shop.accounts.register_customer().await;
    let (cart, _) = shop.cart_with(Some(&bearer), &variant, 2).await;
    let input = shop.input(&cart, "30.00", "same-key");
    let answers = futures_util::future::join_all(
        (0..50).map(|_| shop.checkout(As::bearer(&bearer), input.clone())),
    )
    .await;
    let ids: HashSet<String> = answers
        .iter()
        .map(|a| {
            a["data"]["checkout"]["order"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{a}"))
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one order for fifty requests");
    assert_eq!(
        Shop::count(&shop.orders, "SELECT COUNT(*) FROM orders").await,
        1
    );
    assert_eq!(
        Shop::count(&shop.payments, "SELECT COUNT(*) FROM payments").await,
        1,
        "charged once"
    );
    assert_eq!(
        Shop::count(&shop.inventory, "SELECT COUNT(*) FROM reservations").await,
        1
    );
    assert_eq!(shop.available(&variant).await, 8);
    shop.stop().await;
}
