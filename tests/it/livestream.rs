//! Live shopping through the launcher: a pinned live deal capped at 5 goes to exactly 5 of 50
//! carts adding it at once, at the deal price and attributed to the stream, and a removed line
//! gives its unit back; a subscriber over WebSocket and one over SSE, both through the router,
//! see the stream's status, chat, pin, deal and sale events in order, and the stream's
//! analytics count what the test did.

use std::time::Duration;

use serde_json::{json, Value};

use crate::checkout::{checkout, pay, quote};
use crate::launcher::{eventually, Shop, ADMIN, CUSTOMER, CUSTOMER_PASSWORD};
use crate::steps::{code, minor};
use crate::subscribers::{sse, websocket};

const ADD_DEAL: &str = "mutation($c: ID!, $p: ID!, $q: Int!) {
  addLiveDealToCart(cartId: $c, input: { pinId: $p, quantity: $q }) {
    id lines { id quantity livestreamId unitPrice { amount } livePrice { amount } } } }";

const EVENTS: &str = "subscription($s: ID!) { livestreamEvents(streamId: $s) { __typename
  ... on StatusChanged { seq from to }
  ... on ChatPosted { seq message { text } }
  ... on ProductPinned { seq pin { id deal { remaining } } }
  ... on LiveDealChanged { seq remaining }
  ... on JustBought { seq units items { variantId quantity } } } }";

/// A LIVE stream with `product` pinned and a deal on `variant` at 1.00 for `cap` units; the
/// stream's id and the pin's id.
async fn live_deal(
    shop: &Shop,
    staff: &str,
    product: &str,
    variant: &str,
    cap: i64,
) -> (String, String) {
    let stream = schedule(shop, staff).await;
    shop.data(
        Some(staff),
        "mutation($s: ID!) { startLivestream(id: $s) { status } }",
        json!({ "s": stream }),
    )
    .await;
    let pin = pin(shop, staff, &stream, product, variant, cap).await;
    (stream, pin)
}

async fn schedule(shop: &Shop, staff: &str) -> String {
    let data = shop
        .data(
            Some(staff),
            "mutation { scheduleLivestream(input: { title: \"Deal night\",
               scheduledStart: \"2030-01-01T18:00:00Z\" }) { id status } }",
            json!({}),
        )
        .await;
    assert_eq!(data["scheduleLivestream"]["status"], "SCHEDULED");
    data["scheduleLivestream"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn pin(
    shop: &Shop,
    staff: &str,
    stream: &str,
    product: &str,
    variant: &str,
    cap: i64,
) -> String {
    let ends = chrono::Utc::now() + chrono::Duration::hours(1);
    pin_until(shop, staff, stream, product, variant, cap, ends).await
}

/// [`pin`] with a deal ending at `ends`.
async fn pin_until(
    shop: &Shop,
    staff: &str,
    stream: &str,
    product: &str,
    variant: &str,
    cap: i64,
    ends: chrono::DateTime<chrono::Utc>,
) -> String {
    let ends = ends.to_rfc3339();
    let data = shop
        .data(
            Some(staff),
            "mutation($s: ID!, $p: ID!, $v: ID!, $c: Int!, $e: DateTime!) {
               pinProduct(streamId: $s, productId: $p, deal: { variantId: $v,
                 price: { amount: \"1.00\", currencyCode: \"USD\" }, quantityCap: $c, endsAt: $e }) { id } }",
            json!({ "s": stream, "p": product, "v": variant, "c": cap, "e": ends }),
        )
        .await;
    data["pinProduct"]["id"].as_str().unwrap().to_string()
}

/// A published product's variant with at least 10 in stock and a price other than the deal's
/// 1.00: (product id, variant id).
async fn in_stock_variant(shop: &Shop) -> (String, String) {
    let page = shop
        .data(
            None,
            "{ products(first: 24) { edges { node { id variants { id price { amount }
               stock { available } } } } } }",
            json!({}),
        )
        .await;
    for edge in page["products"]["edges"].as_array().unwrap() {
        for variant in edge["node"]["variants"].as_array().unwrap() {
            if variant["stock"]["available"].as_i64().unwrap_or(0) >= 10
                && minor(&variant["price"]["amount"]) != 100
            {
                return (
                    edge["node"]["id"].as_str().unwrap().to_string(),
                    variant["id"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    panic!("no variant with 10 in stock: {page}");
}

/// Units the stream's (only) deal has left.
async fn remaining(shop: &Shop, stream: &str) -> i64 {
    shop.data(
        None,
        "query($s: ID!) { livestream(id: $s) { pinnedProducts { deal { remaining } } } }",
        json!({ "s": stream }),
    )
    .await["livestream"]["pinnedProducts"][0]["deal"]["remaining"]
        .as_i64()
        .unwrap()
}

/// A new guest cart: (id, token).
async fn guest_cart(shop: &Shop) -> (String, String) {
    let data = shop
        .data(
            None,
            "mutation { createCart { token cart { id } } }",
            json!({}),
        )
        .await;
    (
        data["createCart"]["cart"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        data["createCart"]["token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_live_deal_capped_at_five_goes_to_exactly_five_of_fifty_carts() {
    let shop = Shop::start(12).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let (product, variant) = in_stock_variant(&shop).await;
    let (stream, pin) = live_deal(&shop, &staff, &product, &variant, 5).await;

    // Bad input is refused before any unit is claimed.
    let (cart, token) = guest_cart(&shop).await;
    let add = |cart: String, token: Option<String>, pin: String, q: i64| {
        let shop = &shop;
        async move {
            shop.gql_cart(
                None,
                token.as_deref(),
                ADD_DEAL,
                json!({ "c": cart, "p": pin, "q": q }),
            )
            .await
        }
    };
    let zero = add(cart.clone(), Some(token.clone()), pin.clone(), 0).await;
    assert_eq!(code(&zero), "BAD_USER_INPUT", "{zero}");
    assert_eq!(
        zero["errors"][0]["extensions"]["field"], "input.quantity",
        "{zero}"
    );
    let malformed = add(cart.clone(), Some(token.clone()), "pin-1".into(), 1).await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT", "{malformed}");
    let unknown = add(cart.clone(), Some(token.clone()), kit::ids::new_id(), 1).await;
    assert_eq!(code(&unknown), "NOT_FOUND", "{unknown}");
    let not_mine = add(cart.clone(), None, pin.clone(), 1).await;
    assert_eq!(code(&not_mine), "NOT_FOUND", "{not_mine}");
    let too_many = add(cart, Some(token), pin.clone(), 6).await;
    assert_eq!(code(&too_many), "CONFLICT", "{too_many}");
    let message = too_many["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("5 units left"), "{too_many}");
    assert_eq!(remaining(&shop, &stream).await, 5);

    // Fifty shoppers, each with a cart of their own, add the deal at the same moment.
    let mut carts = Vec::new();
    for _ in 0..50 {
        carts.push(guest_cart(&shop).await);
    }
    let attempts = carts.iter().map(|(cart, token)| {
        shop.gql_cart(
            None,
            Some(token),
            ADD_DEAL,
            json!({ "c": cart, "p": pin, "q": 1 }),
        )
    });
    let answers = futures_util::future::join_all(attempts).await;
    let mut winners = Vec::new();
    for (answer, (cart, token)) in answers.iter().zip(&carts) {
        if answer["errors"].is_null() {
            let lines = answer["data"]["addLiveDealToCart"]["lines"]
                .as_array()
                .unwrap();
            assert_eq!(lines.len(), 1, "{answer}");
            assert_eq!(lines[0]["livestreamId"], stream.as_str());
            assert_eq!(minor(&lines[0]["unitPrice"]["amount"]), 100, "{answer}");
            assert_eq!(minor(&lines[0]["livePrice"]["amount"]), 100, "{answer}");
            winners.push((cart.clone(), token.clone(), lines[0]["id"].clone()));
        } else {
            assert_eq!(code(answer), "CONFLICT", "{answer}");
            let message = answer["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("0 units left"), "{answer}");
        }
    }
    assert_eq!(winners.len(), 5, "{answers:#?}");
    assert_eq!(remaining(&shop, &stream).await, 0);

    // A refused cart holds nothing.
    let loser = carts
        .iter()
        .find(|(c, _)| !winners.iter().any(|(w, _, _)| w == c))
        .unwrap();
    let lines = shop
        .gql_cart(
            None,
            Some(&loser.1),
            "query($c: ID!) { cart(id: $c) { lines { id } } }",
            json!({ "c": loser.0 }),
        )
        .await;
    assert_eq!(lines["data"]["cart"]["lines"], json!([]), "{lines}");

    // A live-deal line cannot grow beyond what it claimed.
    let (cart, token, line) = &winners[0];
    let grown = shop
        .gql_cart(
            None,
            Some(token),
            "mutation($c: ID!, $l: ID!) { updateCartLine(cartId: $c, lineId: $l, quantity: 2) { id } }",
            json!({ "c": cart, "l": line }),
        )
        .await;
    assert_eq!(code(&grown), "CONFLICT", "{grown}");

    // Removing a line gives its unit back to the deal, once, and another shopper gets it.
    let removed = shop
        .gql_cart(
            None,
            Some(token),
            "mutation($c: ID!, $l: ID!) { removeCartLine(cartId: $c, lineId: $l) { id } }",
            json!({ "c": cart, "l": line }),
        )
        .await;
    assert!(removed["errors"].is_null(), "{removed}");
    eventually("the removed line's unit back in the deal", || async {
        (remaining(&shop, &stream).await == 1).then_some(())
    })
    .await;
    let again = shop
        .gql_cart(
            None,
            Some(&loser.1),
            ADD_DEAL,
            json!({ "c": loser.0, "p": pin, "q": 1 }),
        )
        .await;
    assert!(again["errors"].is_null(), "{again}");
    assert_eq!(remaining(&shop, &stream).await, 0);
    let full = shop
        .gql_cart(
            None,
            Some(&winners[1].1),
            "mutation($c: ID!) { clearCart(cartId: $c) { id } }",
            json!({ "c": winners[1].0 }),
        )
        .await;
    assert!(full["errors"].is_null(), "{full}");
    eventually("the cleared cart's unit back in the deal", || async {
        (remaining(&shop, &stream).await == 1).then_some(())
    })
    .await;

    // Signing in carries a guest's live-deal line into the customer's cart as it is: its
    // units, deal price and stream, and still holding its claim.
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let merged = shop
        .gql_cart(
            Some(&ada),
            Some(&loser.1),
            "mutation($g: ID!) { mergeCart(guestCartId: $g) { lines { quantity livestreamId
               unitPrice { amount } livePrice { amount } } } }",
            json!({ "g": loser.0 }),
        )
        .await;
    assert!(merged["errors"].is_null(), "{merged}");
    let line = merged["data"]["mergeCart"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["livestreamId"] == stream.as_str())
        .unwrap_or_else(|| panic!("no live line after the merge: {merged}"))
        .clone();
    assert_eq!(line["quantity"], 1, "{merged}");
    assert_eq!(minor(&line["unitPrice"]["amount"]), 100, "{merged}");
    assert_eq!(minor(&line["livePrice"]["amount"]), 100, "{merged}");
    assert_eq!(remaining(&shop, &stream).await, 1);
}

/// The stream's events a subscriber saw until (and with) the first `JustBought`, viewer
/// counts left out (they come on a timer, between anything).
async fn until_sale(rx: &mut tokio::sync::mpsc::Receiver<Value>) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no sale event after {seen:#?}"))
            .expect("subscriber open");
        assert!(next["errors"].is_null(), "{next}");
        let event = next["data"]["livestreamEvents"].clone();
        match event["__typename"].as_str().unwrap() {
            "ViewerCount" => continue,
            "JustBought" => {
                seen.push(event);
                return seen;
            }
            _ => seen.push(event),
        }
    }
}

/// Waits until the stream counts both subscribers as viewers, so both are subscribed before
/// anything happens (events reach a subscriber from the moment it subscribed).
async fn both_watching(shop: &Shop, staff: &str, stream: &str) {
    eventually("both subscribers counted", || async {
        let data = shop
            .data(
                Some(staff),
                "query($s: ID!) { livestream(id: $s) { analytics { currentViewers } } }",
                json!({ "s": stream }),
            )
            .await;
        (data["livestream"]["analytics"]["currentViewers"].as_i64() == Some(2)).then_some(())
    })
    .await;
}

#[tokio::test]
async fn websocket_and_sse_subscribers_see_status_chat_pin_deal_and_sale_in_order() {
    let shop = Shop::start(12).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let (product, variant) = in_stock_variant(&shop).await;
    let stream = schedule(&shop, &staff).await;

    let vars = json!({ "s": stream });
    // Ada watches over WebSocket, an anonymous viewer over SSE: different credentials, so
    // the router keeps two upstream subscriptions and the stream counts two viewers.
    let mut over_ws = websocket(&shop, Some(&ada), EVENTS, vars.clone()).await;
    let mut over_sse = sse(&shop, None, EVENTS, vars).await;
    both_watching(&shop, &staff, &stream).await;

    shop.data(
        Some(&staff),
        "mutation($s: ID!) { startLivestream(id: $s) { status } }",
        json!({ "s": stream }),
    )
    .await;
    shop.data(
        Some(&ada),
        "mutation($s: ID!) { sendChatMessage(streamId: $s, text: \"Is it waterproof?\") { id } }",
        json!({ "s": stream }),
    )
    .await;
    let pin = pin(&shop, &staff, &stream, &product, &variant, 5).await;

    // Ada buys one unit at the deal price from her own cart, and pays.
    let cart = shop
        .data(
            Some(&ada),
            "mutation { createCart { cart { id } } }",
            json!({}),
        )
        .await["createCart"]["cart"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let added = shop
        .gql(Some(&ada), ADD_DEAL, json!({ "c": cart, "p": pin, "q": 1 }))
        .await;
    assert!(added["errors"].is_null(), "{added}");
    let (method, total) = quote(&shop, Some(&ada), &cart, None).await;
    let placed = checkout(
        &shop,
        Some(&ada),
        None,
        &cart,
        &method,
        &total,
        None,
        "live-checkout-1",
    )
    .await;
    assert!(placed["errors"].is_null(), "{placed}");
    let order = placed["data"]["checkout"]["order"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lines = shop
        .data(
            Some(&ada),
            "query($o: ID!) { order(id: $o) { lines { livestreamId quantity unitPrice { amount } } } }",
            json!({ "o": order }),
        )
        .await;
    let line = &lines["order"]["lines"][0];
    assert_eq!(line["livestreamId"], stream.as_str(), "{lines}");
    assert_eq!(minor(&line["unitPrice"]["amount"]), 100, "{lines}");
    let paid = pay(&shop, Some(&ada), None, &order, "4242424242424242").await;
    assert!(paid["errors"].is_null(), "{paid}");

    for rx in [&mut over_ws, &mut over_sse] {
        let seen = until_sale(rx).await;
        let kinds: Vec<&str> = seen
            .iter()
            .map(|e| e["__typename"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "StatusChanged",
                "ChatPosted",
                "ProductPinned",
                "LiveDealChanged",
                "JustBought"
            ],
            "{seen:#?}"
        );
        assert_eq!(seen[0]["from"], "SCHEDULED");
        assert_eq!(seen[0]["to"], "LIVE");
        assert_eq!(seen[1]["message"]["text"], "Is it waterproof?");
        assert_eq!(seen[2]["pin"]["id"], pin.as_str());
        assert_eq!(seen[2]["pin"]["deal"]["remaining"], 5);
        assert_eq!(seen[3]["remaining"], 4);
        assert_eq!(seen[4]["units"], 1);
        assert_eq!(seen[4]["items"][0]["variantId"], variant.as_str());
        let seqs: Vec<i64> = seen.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    let analytics = shop
        .data(
            Some(&staff),
            "query($s: ID!) { livestream(id: $s) { analytics { peakViewers chatMessages orders
               units revenue { amount currencyCode } } } }",
            json!({ "s": stream }),
        )
        .await;
    let a = &analytics["livestream"]["analytics"];
    assert_eq!(a["chatMessages"], 1, "{a}");
    assert_eq!(a["orders"], 1, "{a}");
    assert_eq!(a["units"], 1, "{a}");
    assert_eq!(
        a["revenue"],
        json!([{ "amount": "1.00", "currencyCode": "USD" }]),
        "{a}"
    );
    assert!(a["peakViewers"].as_i64().unwrap() >= 2, "{a}");
}

/// The demo has one stream of each kind; the ended one shows its analytics, and in the
/// embedded demo the live one's chat is kept going by the generator.
#[tokio::test]
async fn the_demo_has_live_scheduled_and_ended_streams() {
    let shop = Shop::start_with(12, &[("LIVESTREAM_DEMO_CHAT_INTERVAL_MS", "200")]).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let data = shop
        .data(
            Some(&staff),
            "{ livestreams(first: 20) { edges { node { id status pinnedProducts { deal { remaining } }
               analytics { chatMessages orders units } } } } }",
            json!({}),
        )
        .await;
    let streams: Vec<&Value> = data["livestreams"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let of = |status: &str| -> Vec<&Value> {
        streams
            .iter()
            .copied()
            .filter(|s| s["status"] == status)
            .collect()
    };
    assert_eq!(of("SCHEDULED").len(), 1, "{data}");
    let ended = of("ENDED");
    assert_eq!(ended.len(), 1, "{data}");
    assert!(
        ended[0]["analytics"]["chatMessages"].as_i64().unwrap() > 0,
        "{data}"
    );
    assert_eq!(ended[0]["analytics"]["orders"], 2, "{data}");
    assert_eq!(ended[0]["analytics"]["units"], 3, "{data}");
    let live = of("LIVE");
    assert_eq!(live.len(), 1, "{data}");
    assert_eq!(
        live[0]["pinnedProducts"][0]["deal"]["remaining"], 20,
        "{data}"
    );
    if std::env::var("TEST_DATABASE_URL").is_err() {
        let id = live[0]["id"].as_str().unwrap().to_string();
        eventually("the demo chat generator to post", || async {
            let chat = shop
                .data(
                    None,
                    "query($s: ID!) { livestream(id: $s) { chat(first: 5) { totalCount } } }",
                    json!({ "s": id }),
                )
                .await;
            (chat["livestream"]["chat"]["totalCount"].as_i64() >= Some(2)).then_some(())
        })
        .await;
    }
}

/// The stream's current, peak and unique viewers, as staff see them.
async fn viewers(shop: &Shop, staff: &str, stream: &str) -> (i64, i64, i64) {
    let data = shop
        .data(
            Some(staff),
            "query($s: ID!) { livestream(id: $s) { analytics {
               currentViewers peakViewers uniqueViewers } } }",
            json!({ "s": stream }),
        )
        .await;
    let a = &data["livestream"]["analytics"];
    let n = |k: &str| a[k].as_i64().unwrap();
    (n("currentViewers"), n("peakViewers"), n("uniqueViewers"))
}

/// Five anonymous viewers share one upstream subscription in the router, and the stream still
/// counts five: the router tells livestream how many clients the shared subscription serves.
/// With two signed-in viewers (each their own subscription) that is seven watching, a peak of
/// seven and seven unique viewers; when three leave, four.
#[tokio::test]
async fn viewers_behind_one_shared_router_subscription_are_each_counted() {
    let shop = Shop::start_with(12, &[("LIVESTREAM_VIEWER_HEARTBEAT_MS", "300")]).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let ada = shop.login(CUSTOMER, CUSTOMER_PASSWORD).await;
    let stream = schedule(&shop, &staff).await;
    let vars = json!({ "s": stream });

    let mut anonymous = Vec::new();
    for _ in 0..5 {
        anonymous.push(websocket(&shop, None, EVENTS, vars.clone()).await);
    }
    let mut ada_watching = Some(websocket(&shop, Some(&ada), EVENTS, vars.clone()).await);
    let _staff_watching = websocket(&shop, Some(&staff), EVENTS, vars.clone()).await;
    eventually("seven viewers counted", || async {
        (viewers(&shop, &staff, &stream).await == (7, 7, 7)).then_some(())
    })
    .await;

    // Two anonymous viewers and Ada go; a subscriber's socket closes at the next event it can
    // no longer pass on (the viewer count comes every heartbeat).
    anonymous.truncate(3);
    ada_watching.take();
    eventually("four viewers left", || async {
        let (current, peak, unique) = viewers(&shop, &staff, &stream).await;
        assert_eq!((peak, unique), (7, 7), "peak and unique viewers stay");
        (current == 4).then_some(())
    })
    .await;
    drop(anonymous);
}

/// A guest cart holding `quantity` units of `pin`'s deal at the deal price: (cart, token).
async fn cart_with_deal(shop: &Shop, pin: &str, quantity: i64) -> (String, String) {
    let (cart, token) = guest_cart(shop).await;
    let added = shop
        .gql_cart(
            None,
            Some(&token),
            ADD_DEAL,
            json!({ "c": cart, "p": pin, "q": quantity }),
        )
        .await;
    assert!(added["errors"].is_null(), "{added}");
    let line = &added["data"]["addLiveDealToCart"]["lines"][0];
    assert_eq!(minor(&line["unitPrice"]["amount"]), 100, "{added}");
    (cart, token)
}

/// Waits until the cart's (only) line charges the regular price with no live price, and
/// returns the line.
async fn repriced(shop: &Shop, cart: &(String, String), what: &str) -> Value {
    eventually(what, || async {
        let data = shop
            .gql_cart(
                None,
                Some(&cart.1),
                "query($c: ID!) { cart(id: $c) { lines { quantity livestreamId
                   unitPrice { amount } livePrice { amount } liveDealEndsAt } } }",
                json!({ "c": cart.0 }),
            )
            .await;
        let line = data["data"]["cart"]["lines"][0].clone();
        (line["livePrice"].is_null() && minor(&line["unitPrice"]["amount"]) != 100).then_some(line)
    })
    .await
}

/// A cart line pays the live price only while its deal lasts: when the host unpins the deal,
/// when the stream ends, and when the deal's end time passes, the line (still attributed to
/// the stream) charges the regular price from then on, and nobody can claim the deal again —
/// so no unit is ever sold at the deal price beyond its cap or its end.
#[tokio::test]
async fn a_live_price_lasts_only_until_the_deal_ends_early_or_on_time() {
    let shop = Shop::start(12).await;
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let (product, variant) = in_stock_variant(&shop).await;

    // The host unpins the deal.
    let (stream, first) = live_deal(&shop, &staff, &product, &variant, 5).await;
    let unpinned_cart = cart_with_deal(&shop, &first, 2).await;
    let unpinned = shop
        .data(
            Some(&staff),
            "mutation($p: ID!) { unpinProduct(pinId: $p) { unpinnedAt deal { endsAt } } }",
            json!({ "p": first }),
        )
        .await;
    let u = &unpinned["unpinProduct"];
    assert_eq!(
        u["deal"]["endsAt"], u["unpinnedAt"],
        "the deal ends with the pin: {u}"
    );
    let line = repriced(
        &shop,
        &unpinned_cart,
        "the unpinned deal's line at the regular price",
    )
    .await;
    assert_eq!(line["quantity"], 2, "{line}");
    assert_eq!(line["livestreamId"], stream.as_str(), "{line}");
    let (late, late_token) = guest_cart(&shop).await;
    let refused = shop
        .gql_cart(
            None,
            Some(&late_token),
            ADD_DEAL,
            json!({ "c": late, "p": first, "q": 1 }),
        )
        .await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");

    // The stream ends with a deal still pinned.
    let second = pin(&shop, &staff, &stream, &product, &variant, 5).await;
    let ended_cart = cart_with_deal(&shop, &second, 1).await;
    shop.data(
        Some(&staff),
        "mutation($s: ID!) { endLivestream(id: $s) { status } }",
        json!({ "s": stream }),
    )
    .await;
    repriced(
        &shop,
        &ended_cart,
        "the ended stream's deal line at the regular price",
    )
    .await;

    // A deal whose end time passes (a couple of seconds after it was pinned).
    let stream = schedule(&shop, &staff).await;
    shop.data(
        Some(&staff),
        "mutation($s: ID!) { startLivestream(id: $s) { status } }",
        json!({ "s": stream }),
    )
    .await;
    let ends = chrono::Utc::now() + chrono::Duration::seconds(2);
    let short = pin_until(&shop, &staff, &stream, &product, &variant, 5, ends).await;
    let timed_cart = cart_with_deal(&shop, &short, 1).await;
    repriced(
        &shop,
        &timed_cart,
        "the expired deal's line at the regular price",
    )
    .await;
    let refused = shop
        .gql_cart(
            None,
            Some(&late_token),
            ADD_DEAL,
            json!({ "c": late, "p": short, "q": 1 }),
        )
        .await;
    assert_eq!(code(&refused), "CONFLICT", "{refused}");
}
