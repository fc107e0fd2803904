//! The in-memory search engine stays current: every committed change — create, update,
//! publish, archive, a variant added, a price changed, a rating event — shows in
//! `searchProducts` (page and facets) on the same instance as soon as the mutation returns;
//! and a second catalog instance on the same database (PostgreSQL and RabbitMQ in the
//! real-server run) sees changes made through the first within a bounded wait.

use std::future::Future;
use std::time::Duration;

use crate::common::*;
use catalog::Catalog;
use kit::events::{Event, QueueSpec};
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

const SEARCH: &str = "query($q:String!,$f:ProductFilter,$s:ProductSort,$n:Int){ searchProducts(query:$q, filter:$f, sort:$s, first:$n){ products { totalCount edges { node { id title priceFrom { amount } } } } facets { brands { value count } prices { min { amount } count } } } }";

async fn search_on(app: &TestApp, vars: Value) -> Value {
    let body = app.gql(SEARCH, vars, None).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["searchProducts"].clone()
}

fn found(r: &Value) -> Vec<String> {
    r["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Polls `check` until it holds (at most ~30 s); panics with `what` otherwise.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// A `review.created` event as the reviews subgraph publishes it.
fn review_event(product: &str, average: f64, count: i64) -> Event {
    Event::new(
        "reviews",
        "review.created",
        Some(kit::ids::new_id()),
        json!({ "productId": product, "productRating": { "average": average, "count": count } }),
    )
}

#[tokio::test]
async fn committed_changes_show_in_search_on_the_same_instance_at_once() {
    let env = start().await;
    let app = &env.catalog;
    let id = product(
        &env,
        json!({ "title": "Copper Kettle", "brand": "Hearth", "description": "Whistles" }),
    )
    .await;
    // A draft: staff find it by status, the public does not.
    let body = app
        .gql(
            SEARCH,
            json!({ "q": "kettle ", "f": { "status": "DRAFT" } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(
        found(&body["data"]["searchProducts"]),
        [id.as_str()],
        "{body}"
    );
    assert_eq!(
        search_on(app, json!({ "q": "kettle " })).await["products"]["totalCount"],
        0
    );

    // A variant gives it a price (price filters and facets see it); publishing shows it.
    variant(&env, &id, "KETTLE-1", "45.00").await;
    let r = search_on(app, json!({ "q": "kettle " })).await;
    assert_eq!(r["products"]["totalCount"], 0, "still a draft");
    publish(&env, &id).await;
    let r = search_on(
        app,
        json!({ "q": "kettle ", "f": { "minPrice": { "amount": "40", "currencyCode": "USD" } } }),
    )
    .await;
    assert_eq!(found(&r), [id.as_str()]);
    assert_eq!(
        r["facets"]["prices"],
        json!([{ "min": { "amount": "25.00" }, "count": 1 }])
    );
    assert_eq!(
        r["facets"]["brands"],
        json!([{ "value": "Hearth", "count": 1 }])
    );

    // A cheaper second variant lowers the "from" price: filters and buckets follow.
    variant(&env, &id, "KETTLE-2", "12.00").await;
    let r = search_on(
        app,
        json!({ "q": "kettle ", "f": { "maxPrice": { "amount": "20", "currencyCode": "USD" } } }),
    )
    .await;
    assert_eq!(found(&r), [id.as_str()], "variant added");
    assert_eq!(
        r["facets"]["prices"],
        json!([{ "min": { "amount": "10.00" }, "count": 1 }])
    );

    // A price change on the cheaper variant moves it again.
    let second: Value = env
        .staff(
            "query($id:ID!){ product(id:$id){ variants { id sku } } }",
            json!({ "id": id }),
        )
        .await;
    let cheap = second["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["sku"] == "KETTLE-2")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.staff(
        "mutation($id:ID!){ updateVariant(id:$id, input:{ price:{ amount:\"300.00\", currencyCode:\"USD\" } }){ id } }",
        json!({ "id": cheap }),
    )
    .await;
    let r = search_on(app, json!({ "q": "kettle " })).await;
    assert_eq!(
        r["facets"]["prices"],
        json!([{ "min": { "amount": "25.00" }, "count": 1 }]),
        "price changed"
    );
    assert_eq!(
        r["products"]["edges"][0]["node"]["priceFrom"]["amount"],
        "45.00"
    );

    // An update re-indexes the text and the brand facet.
    env.staff(
        "mutation($id:ID!){ updateProduct(id:$id, input:{ title:\"Enamel Teapot\", brand:\"Stove\" }){ id } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        search_on(app, json!({ "q": "kettle " })).await["products"]["totalCount"],
        0
    );
    let r = search_on(app, json!({ "q": "teapots " })).await;
    assert_eq!(found(&r), [id.as_str()]);
    assert_eq!(
        r["facets"]["brands"],
        json!([{ "value": "Stove", "count": 1 }])
    );

    // A rating event reorders the RATING sort.
    let other = published(&env, json!({ "title": "Glass Teapot" }), "30.00").await;
    let rated = |vars: Value| async move { found(&search_on(app, vars).await) };
    assert_eq!(
        rated(json!({ "q": "teapot ", "s": "RATING" })).await,
        [other.as_str(), id.as_str()],
        "unrated: newest id first"
    );
    app.svc()
        .transport
        .publish_batch(&[review_event(&id, 4.5, 2)])
        .await
        .unwrap();
    eventually("the rated product sorts first", || async {
        rated(json!({ "q": "teapot ", "s": "RATING" })).await == [id.as_str(), other.as_str()]
    })
    .await;

    // Archiving removes it from public search.
    env.staff(
        "mutation($id:ID!){ archiveProduct(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        found(&search_on(app, json!({ "q": "teapot " })).await),
        [other.as_str()]
    );
    env.stop().await;
}

/// A second catalog on the first one's database, event exchange and cache prefix.
async fn second_instance(first: &TestApp) -> TestApp {
    let config = (*first.svc().config).clone();
    let second = testing::spawn::<Catalog>(config).await;
    if testing::TestBackends::from_env().amqp_url.is_none() {
        // Embedded, each instance has its own in-process bus (one process is one instance);
        // stand in for the shared broker by forwarding the first instance's events.
        let to = second.svc().transport.clone();
        first
            .svc()
            .consume(QueueSpec::fan_out("bridge", &["#"]), move |e: Event| {
                let to = to.clone();
                async move { to.publish_batch(&[e]).await }
            })
            .await
            .unwrap();
    }
    second
}

#[tokio::test]
async fn a_second_instance_on_the_same_database_catches_up() {
    let env = start().await;
    let a = &env.catalog;
    let b = second_instance(a).await;

    let id = published(
        &env,
        json!({ "title": "Cedar Birdhouse", "brand": "Nest" }),
        "25.00",
    )
    .await;
    eventually("B finds the new product", || async {
        found(&search_on(&b, json!({ "q": "birdhouse " })).await) == [id.as_str()]
    })
    .await;

    env.staff(
        "mutation($id:ID!){ updateProduct(id:$id, input:{ title:\"Cedar Feeder\" }){ id } }",
        json!({ "id": id }),
    )
    .await;
    eventually("B sees the new title", || async {
        found(&search_on(&b, json!({ "q": "feeder " })).await) == [id.as_str()]
            && found(&search_on(&b, json!({ "q": "birdhouse " })).await).is_empty()
    })
    .await;

    variant(&env, &id, &format!("FEED-{}", &id[24..]), "9.00").await;
    eventually("B sees the lower price of the added variant", || async {
        let f = json!({ "maxPrice": { "amount": "10", "currencyCode": "USD" } });
        found(&search_on(&b, json!({ "q": "feeder ", "f": f })).await) == [id.as_str()]
    })
    .await;

    let other = published(&env, json!({ "title": "Pine Feeder" }), "15.00").await;
    eventually("B has both feeders", || async {
        search_on(&b, json!({ "q": "feeder " })).await["products"]["totalCount"] == 2
    })
    .await;
    a.svc()
        .transport
        .publish_batch(&[review_event(&id, 5.0, 1)])
        .await
        .unwrap();
    eventually("B sorts the rated feeder first", || async {
        found(&search_on(&b, json!({ "q": "feeder ", "s": "RATING" })).await)
            == [id.as_str(), other.as_str()]
    })
    .await;

    env.staff(
        "mutation($id:ID!){ archiveProduct(id:$id){ id } }",
        json!({ "id": id }),
    )
    .await;
    eventually("B drops the archived product", || async {
        found(&search_on(&b, json!({ "q": "feeder " })).await) == [other.as_str()]
    })
    .await;
    b.stop().await;
    env.stop().await;
}
