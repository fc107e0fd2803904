//! `applyCoupon` / `removeCoupon` against the real cart subgraph: discounts reads the cart as
//! the caller (guest with `X-Cart-Token`, customer with a bearer token), passes cart's refusal
//! through, refuses carts that are no longer active, and says precisely why a code cannot
//! apply (`extensions.reason`).

use kit::events::Event;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

use crate::common::*;

struct Shop {
    env: Env,
    cart: TestApp,
}

/// Who calls: a bearer token and/or a cart token.
#[derive(Clone, Copy, Default)]
struct As<'a> {
    auth: Option<&'a str>,
    cart_token: Option<&'a str>,
}

async fn gql(app: &TestApp, who: As<'_>, query: &str, variables: Value) -> Value {
    let mut req = app
        .http
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(auth) = who.auth {
        req = req.bearer_auth(auth);
    }
    if let Some(token) = who.cart_token {
        req = req.header("X-Cart-Token", token);
    }
    req.send().await.expect("sent").json().await.expect("JSON")
}

impl Shop {
    async fn start() -> Shop {
        let (accounts, staff) = accounts().await;
        let cart =
            testing::spawn::<cart::Cart>(testing::config_trusting("cart", &accounts, &[])).await;
        let url = format!("{}/graphql", cart.url);
        let config = testing::config_trusting("discounts", &accounts, &[("CART_URL", &url)]);
        let app = testing::spawn::<discounts::Discounts>(config).await;
        Shop {
            env: Env {
                accounts,
                app,
                staff,
            },
            cart,
        }
    }

    /// A published product with one variant at `minor` cents (USD), 100 in stock, as catalog
    /// and inventory tell cart; returns (variant, product).
    async fn variant(&self, minor: i64) -> (String, String) {
        let (product, variant) = (id(), id());
        let amount = format!("{}.{:02}", minor / 100, minor % 100);
        let events = [
            Event::new(
                "catalog",
                "product.created",
                Some(product.clone()),
                json!({ "id": product, "slug": "p", "title": "P", "brand": "B", "categoryId": null, "status": "PUBLISHED" }),
            ),
            Event::new(
                "catalog",
                "variant.created",
                Some(variant.clone()),
                json!({ "variantId": variant, "productId": product, "sku": "SKU", "price": { "amount": amount, "currencyCode": "USD", "minorUnits": minor } }),
            ),
            Event::new(
                "inventory",
                "inventory.adjusted",
                Some(variant.clone()),
                json!({ "stock": [{ "variantId": variant, "onHand": 100, "reserved": 0, "available": 100 }] }),
            ),
        ];
        self.cart
            .svc()
            .transport
            .publish_batch(&events)
            .await
            .unwrap();
        for e in &events {
            eventually("cart applied the catalog events", || async {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM processed_events WHERE event_id = $1",
                )
                .bind(&e.id)
                .fetch_one(self.cart.svc().db.background())
                .await
                .unwrap()
                    == 1
            })
            .await;
        }
        (variant, product)
    }

    /// A cart for `who` (a guest when no bearer) holding `quantity` of `variant`; returns
    /// (cart id, guest token).
    async fn cart_with(
        &self,
        bearer: Option<&str>,
        variant: &str,
        quantity: i64,
    ) -> (String, Option<String>) {
        let who = As {
            auth: bearer,
            cart_token: None,
        };
        let created = gql(
            &self.cart,
            who,
            "mutation{ createCart(input:{currencyCode:\"USD\"}){ token cart { id } } }",
            json!({}),
        )
        .await;
        let cart_id = created["data"]["createCart"]["cart"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_string();
        let token = created["data"]["createCart"]["token"]
            .as_str()
            .map(str::to_string);
        let who = As {
            auth: bearer,
            cart_token: token.as_deref(),
        };
        let added = gql(&self.cart, who, "mutation($c:ID!,$v:ID!,$q:Int!){ addCartLine(cartId:$c,input:{variantId:$v,quantity:$q}){ id } }", json!({ "c": cart_id, "v": variant, "q": quantity })).await;
        assert!(added["errors"].is_null(), "addCartLine failed: {added}");
        (cart_id, token)
    }

    async fn apply(&self, who: As<'_>, cart: &str, code: &str) -> Value {
        gql(
            &self.env.app,
            who,
            "mutation($c:ID!,$k:String!){ applyCoupon(cartId:$c,code:$k){ id } }",
            json!({ "c": cart, "k": code }),
        )
        .await
    }

    /// The cart's discount fields, as the router would assemble them: cart's own fields
    /// fed to discounts' `_entities`.
    async fn priced(&self, who: As<'_>, cart: &str) -> Value {
        let body = gql(&self.cart, who, "query($id:ID!){ cart(id:$id){ id currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } } } }", json!({ "id": cart })).await;
        let mut rep = body["data"]["cart"].clone();
        assert!(rep.is_object(), "cart read failed: {body}");
        rep["__typename"] = json!("Cart");
        self.env.cart(rep).await
    }

    async fn stop(self) {
        self.cart.stop().await;
        self.env.stop().await;
    }
}

#[tokio::test]
async fn a_guest_applies_replaces_and_removes_coupons_with_the_cart_token() {
    let shop = Shop::start().await;
    let env = &shop.env;
    let (variant, product) = shop.variant(2_000).await;
    let (cart, token) = shop.cart_with(None, &variant, 1).await;
    let guest = As {
        auth: None,
        cart_token: token.as_deref(),
    };
    let ten = env.coupon(json!({ "code": code("ten"), "kind": "PERCENTAGE", "percentOff": 10, "scope": { "kind": "PRODUCTS", "ids": [product] } })).await;
    let five = env.coupon(json!({ "code": code("five"), "kind": "FIXED_AMOUNT", "amountOff": { "amount": "5", "currencyCode": "USD" } })).await;
    let ten_code = ten["code"].as_str().unwrap();

    // Without the token cart says the cart does not exist, and so do we.
    let stranger = shop.apply(As::default(), &cart, ten_code).await;
    assert_eq!(error_code(&stranger), "NOT_FOUND", "{stranger}");
    let customer = env.customer().await;
    let other = shop
        .apply(
            As {
                auth: Some(&customer),
                cart_token: None,
            },
            &cart,
            ten_code,
        )
        .await;
    assert_eq!(error_code(&other), "NOT_FOUND", "{other}");

    let applied = shop.apply(guest, &cart, &ten_code.to_lowercase()).await;
    assert_eq!(
        applied["data"]["applyCoupon"]["id"],
        cart.as_str(),
        "{applied}"
    );
    let priced = shop.priced(guest, &cart).await;
    assert_eq!(priced["couponCode"], ten["code"]);
    assert_eq!(priced["discountTotal"]["amount"], "2.00", "{priced}");
    assert_eq!(priced["estimatedTotal"]["amount"], "18.00");

    // Another code replaces it.
    shop.apply(guest, &cart, five["code"].as_str().unwrap())
        .await;
    let priced = shop.priced(guest, &cart).await;
    assert_eq!(priced["couponCode"], five["code"]);
    assert_eq!(priced["discountTotal"]["amount"], "5.00");

    let removed = gql(
        &env.app,
        guest,
        "mutation($c:ID!){ removeCoupon(cartId:$c){ id } }",
        json!({ "c": cart }),
    )
    .await;
    assert_eq!(
        removed["data"]["removeCoupon"]["id"],
        cart.as_str(),
        "{removed}"
    );
    let priced = shop.priced(guest, &cart).await;
    assert!(priced["couponCode"].is_null());
    assert_eq!(priced["discountTotal"]["amount"], "0.00");
    let stranger = gql(
        &env.app,
        As::default(),
        "mutation($c:ID!){ removeCoupon(cartId:$c){ id } }",
        json!({ "c": cart }),
    )
    .await;
    assert_eq!(error_code(&stranger), "NOT_FOUND");
    shop.stop().await;
}

#[tokio::test]
async fn every_reason_a_code_cannot_apply_to_a_real_cart() {
    let shop = Shop::start().await;
    let env = &shop.env;
    let (variant, _) = shop.variant(2_000).await;
    let (customer_id, bearer) = register(&env.accounts).await;
    let (cart, _) = shop.cart_with(Some(&bearer), &variant, 1).await;
    let me = As {
        auth: Some(&bearer),
        cart_token: None,
    };
    let soon = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let usd = |a: &str| json!({ "amount": a, "currencyCode": "USD" });
    let make = |extra: Value| {
        let mut input = json!({ "code": code("why"), "kind": "PERCENTAGE", "percentOff": 10 });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        input
    };
    let used_up = env.coupon(make(json!({ "usageLimit": 1 }))).await;
    let mine = env.coupon(make(json!({ "perCustomerLimit": 1 }))).await;
    // One use each, held by the checkout for orders (the second for this customer).
    for (coupon, customer) in [(&used_up, None), (&mine, Some(customer_id.clone()))] {
        let mut input = hold_input(
            coupon["code"].as_str().unwrap(),
            &id(),
            &id(),
            &[("l", "p", 1, "30.00")],
        );
        input["customerId"] = json!(customer);
        assert!(env.hold(input).await["errors"].is_null());
    }
    let cases = [
        (None, "UNKNOWN_CODE"),
        (Some(json!({ "active": false })), "INACTIVE"),
        (Some(json!({ "startsAt": soon })), "NOT_STARTED"),
        (Some(json!({ "endsAt": past })), "EXPIRED"),
        (
            Some(json!({ "minimumSubtotal": usd("20.01") })),
            "BELOW_MINIMUM",
        ),
        (
            Some(json!({ "scope": { "kind": "COLLECTIONS", "ids": ["none"] } })),
            "OUT_OF_SCOPE",
        ),
        (
            Some(
                json!({ "kind": "FIXED_AMOUNT", "percentOff": null, "amountOff": { "amount": "1", "currencyCode": "JPY" } }),
            ),
            "CURRENCY_MISMATCH",
        ),
    ];
    let mut codes = vec![
        (used_up["code"].as_str().unwrap().to_string(), "EXHAUSTED"),
        (mine["code"].as_str().unwrap().to_string(), "CUSTOMER_LIMIT"),
    ];
    for (extra, reason) in cases {
        let coupon_code = match extra {
            Some(extra) => env.coupon(make(extra)).await["code"]
                .as_str()
                .unwrap()
                .to_string(),
            None => "NOBODY-HAS-THIS".to_string(),
        };
        codes.push((coupon_code, reason));
    }
    for (coupon_code, expected) in codes {
        let body = shop.apply(me, &cart, &coupon_code).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{coupon_code}: {body}");
        assert_eq!(reason(&body), expected, "{coupon_code}: {body}");
        assert_eq!(field(&body), "code");
    }
    let priced = shop.priced(me, &cart).await;
    assert!(
        priced["couponCode"].is_null(),
        "nothing was applied: {priced}"
    );

    // Another customer is not limited by this one's use.
    let (_, other) = register(&env.accounts).await;
    let (other_cart, _) = shop.cart_with(Some(&other), &variant, 1).await;
    let ok = shop
        .apply(
            As {
                auth: Some(&other),
                cart_token: None,
            },
            &other_cart,
            mine["code"].as_str().unwrap(),
        )
        .await;
    assert!(ok["errors"].is_null(), "{ok}");
    shop.stop().await;
}

#[tokio::test]
async fn a_cart_that_is_no_longer_active_is_a_conflict() {
    let shop = Shop::start().await;
    let env = &shop.env;
    let (variant, _) = shop.variant(1_000).await;
    let (guest_cart, token) = shop.cart_with(None, &variant, 1).await;
    let bearer = env.customer().await;
    let merged = gql(
        &shop.cart,
        As {
            auth: Some(&bearer),
            cart_token: token.as_deref(),
        },
        "mutation($g:ID!){ mergeCart(guestCartId:$g){ id } }",
        json!({ "g": guest_cart }),
    )
    .await;
    assert!(merged["errors"].is_null(), "mergeCart failed: {merged}");
    let coupon = env
        .coupon(json!({ "code": code("late"), "kind": "FREE_SHIPPING" }))
        .await;
    let body = shop
        .apply(
            As {
                auth: None,
                cart_token: token.as_deref(),
            },
            &guest_cart,
            coupon["code"].as_str().unwrap(),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    assert!(message(&body).contains("MERGED"), "{body}");
    shop.stop().await;
}

/// The coupon on a cart's entity, as the router would ask for it.
async fn coupon_on(env: &Env, cart: &str) -> Value {
    env.cart(cart_rep(cart, "USD", &[]))
        .await
        .get("couponCode")
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_guest_coupon_follows_the_merge_unless_the_customer_cart_has_one() {
    let env = start().await;
    let first = env
        .coupon(json!({ "code": code("guest"), "kind": "FREE_SHIPPING" }))
        .await;
    let second = env
        .coupon(json!({ "code": code("own"), "kind": "FREE_SHIPPING" }))
        .await;
    let (guest, customer) = (id(), id());
    env.attach(&guest, first["id"].as_str().unwrap()).await;
    // cart.merged as cart emits it: subject and cartId the customer's cart.
    let merged = |guest: &str, into: &str| {
        Event::new(
            "cart",
            "cart.merged",
            Some(into.to_string()),
            json!({ "cartId": into, "guestCartId": guest, "customerId": id(), "lines": [], "skipped": [] }),
        )
    };
    let event = merged(&guest, &customer);
    env.publish(&[event.clone(), event]).await;
    let wanted = first["code"].clone();
    eventually("the coupon to follow the merge", || async {
        coupon_on(&env, &customer).await == wanted
    })
    .await;
    assert_eq!(coupon_on(&env, &guest).await, Value::Null);

    // A customer cart's own coupon wins over the guest's.
    let (guest2, customer2) = (id(), id());
    env.attach(&guest2, first["id"].as_str().unwrap()).await;
    env.attach(&customer2, second["id"].as_str().unwrap()).await;
    env.publish(&[merged(&guest2, &customer2)]).await;
    eventually("the guest cart's coupon to be forgotten", || async {
        coupon_on(&env, &guest2).await == Value::Null
    })
    .await;
    assert_eq!(coupon_on(&env, &customer2).await, second["code"]);

    // A swept cart's coupon is forgotten.
    env.publish(&[Event::new(
        "cart",
        "cart.abandoned",
        Some(customer.clone()),
        json!({ "cartId": customer, "customerId": null }),
    )])
    .await;
    eventually("the abandoned cart's coupon to be forgotten", || async {
        coupon_on(&env, &customer).await == Value::Null
    })
    .await;
    env.stop().await;
}
