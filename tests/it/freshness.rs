//! The router's cache is never stale after a change: while a reader polls a category listing
//! and product pages through the router (served from its cache), a price, a stock level and a
//! review change. The writes go straight to the subgraphs (catalog, inventory, reviews), not
//! through the router, so only the change's event can drop the cached entries. Each new value
//! must appear on the pages, and once seen an old value never comes back. The time from the
//! write's acknowledgement to the first read showing it is printed (the event-to-invalidation
//! bound, plus one poll). Also: signed-in customers reading through the same cache never see
//! each other's data.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use std::sync::Mutex;

use crate::launcher::{eventually, free_port, Shop, ADMIN};

const LISTING: &str = "query($c: ID!) { category(id: $c) { products(first: 24) { edges { node {
  id slug priceFrom { amount } rating { count } variants { id stock { available } } } } } } }";

const DETAIL: &str = "query($s: String!) { product(slug: $s) { id
  variants { id price { amount } stock { available } } rating { count } } }";

/// One read of the watched values: (seconds since start, listing price, detail price,
/// listing stock, detail stock, detail rating count of the reviewed product).
type Sample = (f64, String, String, i64, i64, i64);

async fn direct(shop: &Shop, url: &str, token: &str, query: &str, variables: Value) -> Value {
    let body: Value = shop
        .http()
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["errors"].is_null(), "{query}\n{body:#}");
    body["data"].clone()
}

fn price_cents(amount: &str) -> i64 {
    let (units, cents) = amount.split_once('.').unwrap_or((amount, "0"));
    units.parse::<i64>().unwrap() * 100 + format!("{cents:0<2}")[..2].parse::<i64>().unwrap()
}

/// Every position after the first sample showing `new` shows `new` too.
fn never_reverts<T: PartialEq + std::fmt::Debug>(what: &str, values: &[(f64, T)], new: &T) -> f64 {
    let first = values
        .iter()
        .position(|(_, v)| v == new)
        .unwrap_or_else(|| panic!("{what}: the new value {new:?} was never read"));
    for (t, v) in &values[first..] {
        assert_eq!(v, new, "{what}: an old value came back at {t:.3}s");
    }
    values[first].0
}

/// What the reader watches.
struct Watch {
    category: String,
    slug: String,
    product: String,
    variant: String,
}

impl Watch {
    /// (listing price, product price, listing stock, product stock, product rating count).
    async fn read(&self, shop: &Shop) -> (String, String, i64, i64, i64) {
        let listing = shop
            .data(None, LISTING, json!({ "c": self.category }))
            .await;
        let card = listing["category"]["products"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["id"] == self.product.as_str())
            .map(|e| e["node"].clone())
            .expect("the product stays on its page");
        let detail = shop.data(None, DETAIL, json!({ "s": self.slug })).await;
        let of = |list: &Value| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|v| v["id"] == self.variant.as_str())
                .cloned()
                .unwrap()
        };
        let (dv, lv) = (of(&detail["product"]["variants"]), of(&card["variants"]));
        (
            card["priceFrom"]["amount"].as_str().unwrap().to_string(),
            dv["price"]["amount"].as_str().unwrap().to_string(),
            lv["stock"]["available"].as_i64().unwrap(),
            dv["stock"]["available"].as_i64().unwrap(),
            detail["product"]["rating"]["count"].as_i64().unwrap(),
        )
    }
}

#[tokio::test]
async fn changes_appear_on_cached_pages_after_their_event_and_never_revert() {
    let (catalog_port, inventory_port, reviews_port) = (free_port(), free_port(), free_port());
    let shop = Shop::start_with(
        48,
        &[
            ("CATALOG_LISTEN_ADDR", &format!("127.0.0.1:{catalog_port}")),
            (
                "INVENTORY_LISTEN_ADDR",
                &format!("127.0.0.1:{inventory_port}"),
            ),
            ("REVIEWS_LISTEN_ADDR", &format!("127.0.0.1:{reviews_port}")),
        ],
    )
    .await;
    let url = |port: u16| format!("http://127.0.0.1:{port}/graphql");
    let staff = shop.login(ADMIN.0, ADMIN.1).await;
    let reviewer = shop
        .sign_up("fresh@example.com", "a-long-password-2026", "Fresh Reader")
        .await;

    let (category, _) = shop.biggest_leaf().await;
    let listing = shop.data(None, LISTING, json!({ "c": category })).await;
    let node = listing["category"]["products"]["edges"][0]["node"].clone();
    let (product, slug) = (
        node["id"].as_str().unwrap().to_string(),
        node["slug"].as_str().unwrap().to_string(),
    );
    let detail = shop.data(None, DETAIL, json!({ "s": slug })).await;
    // The cheapest variant: lowering its price moves the listing's `priceFrom` too.
    let variant = detail["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|v| price_cents(v["price"]["amount"].as_str().unwrap()))
        .unwrap()
        .clone();
    let variant_id = variant["id"].as_str().unwrap().to_string();
    let old_price = price_cents(variant["price"]["amount"].as_str().unwrap());
    let old_stock = variant["stock"]["available"].as_i64().unwrap();
    let old_count = detail["product"]["rating"]["count"].as_i64().unwrap();

    let watch = Watch {
        category: category.clone(),
        slug: slug.clone(),
        product: product.clone(),
        variant: variant_id.clone(),
    };
    // Warm the cache.
    for _ in 0..3 {
        watch.read(&shop).await;
    }

    let start = Instant::now();
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let stop = tokio_util::sync::CancellationToken::new();
    let reader = {
        let (samples, stop) = (samples.clone(), stop.clone());
        let (shop, watch) = (&shop, &watch);
        async move {
            while !stop.is_cancelled() {
                let (lp, dp, ls, ds, rc) = watch.read(shop).await;
                samples
                    .lock()
                    .unwrap()
                    .push((start.elapsed().as_secs_f64(), lp, dp, ls, ds, rc));
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };
    let writer = async {
        let new_price = old_price - 1;
        let amount = format!("{}.{:02}", new_price / 100, new_price % 100);
        direct(
            &shop,
            &url(catalog_port),
            &staff,
            "mutation($v: ID!, $p: String!) { updateVariant(id: $v, input: { price: { amount: $p, currencyCode: \"USD\" } }) { id } }",
            json!({ "v": variant_id, "p": amount }),
        )
        .await;
        let price_at = start.elapsed().as_secs_f64();
        let warehouse = shop
            .data(
                Some(&staff),
                "{ warehouses(first: 1) { edges { node { id } } } }",
                json!({}),
            )
            .await["warehouses"]["edges"][0]["node"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        direct(
            &shop,
            &url(inventory_port),
            &staff,
            "mutation($v: ID!, $w: ID!) { adjustStock(variantId: $v, warehouseId: $w, delta: 5, reason: \"delivery\") { __typename } }",
            json!({ "v": variant_id, "w": warehouse }),
        )
        .await;
        let stock_at = start.elapsed().as_secs_f64();
        direct(
            &shop,
            &url(reviews_port),
            &reviewer,
            "mutation($p: ID!) { createReview(input: { productId: $p, rating: 4, title: \"Fresh\" }) { id } }",
            json!({ "p": product }),
        )
        .await;
        let review_at = start.elapsed().as_secs_f64();
        // Wait until the reader has seen all three, then a little longer for reverts.
        eventually("the reader to see every change", || async {
            let s = samples.lock().unwrap();
            s.iter()
                .any(|x| {
                    x.5 == old_count + 1 && x.3 == old_stock + 5 && price_cents(&x.1) == new_price
                })
                .then_some(())
        })
        .await;
        let seen = samples.lock().unwrap().len();
        eventually("fifty more reads", || async {
            (samples.lock().unwrap().len() >= seen + 50).then_some(())
        })
        .await;
        stop.cancel();
        (new_price, amount, price_at, stock_at, review_at)
    };
    let ((new_price, amount, price_at, stock_at, review_at), ()) = tokio::join!(writer, reader);

    let s = samples.lock().unwrap().clone();
    let col =
        |f: fn(&Sample) -> Value| -> Vec<(f64, Value)> { s.iter().map(|x| (x.0, f(x))).collect() };
    let lp = never_reverts(
        "listing price",
        &col(|x| json!(price_cents(&x.1))),
        &json!(new_price),
    );
    let dp = never_reverts("product price", &col(|x| json!(x.2)), &json!(amount));
    let ls = never_reverts("listing stock", &col(|x| json!(x.3)), &json!(old_stock + 5));
    let ds = never_reverts("product stock", &col(|x| json!(x.4)), &json!(old_stock + 5));
    let rc = never_reverts("rating count", &col(|x| json!(x.5)), &json!(old_count + 1));
    println!(
        "{} reads; visible after the write's acknowledgement: price {:.1}/{:.1} ms (listing/product), stock {:.1}/{:.1} ms, review {:.1} ms",
        s.len(),
        (lp - price_at) * 1e3,
        (dp - price_at) * 1e3,
        (ls - stock_at).max(0.0) * 1e3,
        (ds - stock_at).max(0.0) * 1e3,
        (rc - review_at).max(0.0) * 1e3,
    );
}

/// The cache never hands one customer's data to another: two signed-in customers and an
/// anonymous reader take turns with the same operation (their own account beside a public,
/// cached product), and each always reads their own account; the response carrying private
/// data is never marked `public`.
#[tokio::test]
async fn customers_never_see_each_others_data_through_the_cache() {
    let shop = Shop::start(12).await;
    let mut tokens = Vec::new();
    for who in ["cache-reader-a", "cache-reader-b"] {
        shop.data(
            None,
            "mutation($e: String!) { register(email: $e, password: \"a-long-password-2026\", name: \"Reader\") { id } }",
            json!({ "e": format!("{who}@example.com") }),
        )
        .await;
        tokens.push((
            format!("{who}@example.com"),
            shop.login(&format!("{who}@example.com"), "a-long-password-2026")
                .await,
        ));
    }
    let (category, _) = shop.biggest_leaf().await;
    let listing = shop.data(None, LISTING, json!({ "c": category })).await;
    let slug = listing["category"]["products"]["edges"][0]["node"]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let q = "query($s: String!) { me { email } product(slug: $s) { title } }";
    let public = "query($s: String!) { product(slug: $s) { title } }";
    for round in 0..3 {
        for (email, token) in &tokens {
            let resp = shop
                .http()
                .post(&shop.router)
                .bearer_auth(token)
                .json(&json!({ "query": q, "variables": { "s": slug } }))
                .send()
                .await
                .unwrap();
            let control = resp.headers()["cache-control"]
                .to_str()
                .unwrap()
                .to_string();
            let body: Value = resp.json().await.unwrap();
            assert_eq!(
                body["data"]["me"]["email"],
                email.as_str(),
                "round {round}: {body}"
            );
            assert!(
                !control.starts_with("public"),
                "private data marked {control}"
            );
        }
        // Anonymous: no account, whatever the customers' reads left in the cache.
        let body = shop.gql(None, q, json!({ "s": slug })).await;
        assert!(body["data"]["me"].is_null(), "round {round}: {body}");
        let body = shop.data(None, public, json!({ "s": slug })).await;
        assert!(body["product"]["title"].is_string());
    }
}

const AUTHORS: &str = "query($s: String!) { product(slug: $s) { id title rating { count }
  reviews(first: 10) { edges { node { title author { id name } } } } } }";

/// The router's response-cache misses so far (`router_cache_events_total`).
async fn cache_misses(shop: &Shop) -> u64 {
    let url = shop.router.trim_end_matches("/graphql").to_string() + "/metrics";
    let text = shop
        .http()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| {
            l.starts_with("router_cache_events_total")
                && l.contains("cache=\"response\"")
                && l.contains("event=\"miss\"")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .unwrap_or(0.0) as u64
}

/// One product-page read: its `Cache-Control` and the name shown on the review titled `title`.
async fn author_on_page(shop: &Shop, slug: &str, title: &str) -> (String, String) {
    let resp = shop
        .http()
        .post(&shop.router)
        .json(&json!({ "query": AUTHORS, "variables": { "s": slug } }))
        .send()
        .await
        .unwrap();
    let control = resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = resp.json().await.unwrap();
    assert!(body["errors"].is_null(), "{body:#}");
    let name = body["data"]["product"]["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["title"] == title)
        .unwrap_or_else(|| panic!("the review {title:?} is on the page: {body:#}"))["node"]
        ["author"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    (control, name)
}

/// Reads the page until one read adds no cache miss (every fetch served from the cache);
/// returns that read. Fails if no read within the time limit is a full hit.
async fn full_hit(shop: &Shop, slug: &str, title: &str) -> (String, String) {
    eventually("a product page served wholly from the cache", || async {
        let before = cache_misses(shop).await;
        let read = author_on_page(shop, slug, title).await;
        (cache_misses(shop).await == before).then_some(read)
    })
    .await
}

/// A product page with reviews is served wholly from the router's cache (the reviewers' names
/// included: accounts declares `User.name` public), and when an author renames themselves
/// straight at accounts (not through the router, so only `user.updated` can drop the entry)
/// the page shows the new name, never the old one after it, and is a full hit again.
#[tokio::test]
async fn product_page_is_a_full_hit_and_follows_an_author_rename() {
    let accounts_port = free_port();
    let shop = Shop::start_with(
        12,
        &[
            (
                "ACCOUNTS_LISTEN_ADDR",
                &format!("127.0.0.1:{accounts_port}"),
            ),
            (
                "JWKS_URL",
                &format!("http://127.0.0.1:{accounts_port}/.well-known/jwks.json"),
            ),
        ],
    )
    .await;
    let author = shop
        .sign_up(
            "ada-author@example.com",
            "a-long-password-2026",
            "Ada Author",
        )
        .await;
    let (category, _) = shop.biggest_leaf().await;
    let listing = shop.data(None, LISTING, json!({ "c": category })).await;
    let node = &listing["category"]["products"]["edges"][0]["node"];
    let (product, slug) = (
        node["id"].as_str().unwrap().to_string(),
        node["slug"].as_str().unwrap().to_string(),
    );
    let title = "Named on the page";
    shop.data(
        Some(&author),
        "mutation($p: ID!) { createReview(input: { productId: $p, rating: 5, title: \"Named on the page\" }) { id } }",
        json!({ "p": product }),
    )
    .await;

    // Warm: some read then misses nothing and says the whole page may be shared. (Entries the
    // start-up's own events drop, e.g. the seeding's, are read again first.)
    let (control, name) = full_hit(&shop, &slug, title).await;
    assert_eq!(name, "Ada Author");
    assert!(control.starts_with("public"), "Cache-Control: {control}");

    let start = Instant::now();
    direct(
        &shop,
        &format!("http://127.0.0.1:{accounts_port}/graphql"),
        &author,
        "mutation { updateProfile(input: { name: \"Ada Renamed\" }) { name } }",
        json!({}),
    )
    .await;
    let renamed_at = start.elapsed().as_secs_f64();
    let mut names = Vec::new();
    loop {
        let (_, name) = author_on_page(&shop, &slug, title).await;
        names.push((start.elapsed().as_secs_f64(), name));
        let seen = names.iter().position(|(_, n)| n == "Ada Renamed");
        if seen.is_some_and(|i| names.len() >= i + 50) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new name never showed: {:?}",
            names.last()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let shown_at = never_reverts("author name", &names, &"Ada Renamed".to_string());
    // Fresh and cached again: a read misses nothing, and still shows the new name.
    let (control, name) = full_hit(&shop, &slug, title).await;
    assert_eq!(name, "Ada Renamed");
    assert!(control.starts_with("public"), "Cache-Control: {control}");
    println!(
        "{} reads; the new author name showed {:.1} ms after accounts acknowledged it",
        names.len(),
        (shown_at - renamed_at).max(0.0) * 1e3
    );
}
