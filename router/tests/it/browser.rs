//! GraphiQL in a real browser: starts two fixture subgraphs and the router, then runs
//! `tests/browser/graphiql.mjs`, which opens the router's GraphiQL page in Debian's headless
//! Chromium, runs a query over HTTP and a subscription over WebSocket whose events carry a field
//! from the other subgraph. Needs `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `npm ci` in
//! `tests/browser`; it fails, never skips, when one of them is missing.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, Subscription,
};
use async_graphql_axum::{GraphQL, GraphQLSubscription};
use axum::routing::post_service;
use tokio::sync::broadcast;

mod products {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub upc: String,
        pub name: String,
        pub price: i32,
    }

    fn all() -> Vec<Product> {
        let p = |upc: &str, name: &str, price| Product {
            upc: upc.into(),
            name: name.into(),
            price,
        };
        vec![p("1", "Table", 899), p("2", "Couch", 1299)]
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self) -> Vec<Product> {
            all()
        }
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
            all().into_iter().find(|p| p.upc == upc)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

mod reviews {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub upc: String,
    }

    #[derive(SimpleObject, Clone)]
    pub struct Review {
        pub body: String,
        pub product: Product,
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Product {
            Product { upc }
        }
    }

    pub struct Mutation;

    #[Object]
    impl Mutation {
        /// Publishes a review to live subscribers; returns how many received it.
        async fn add_review(&self, ctx: &Context<'_>, body: String, upc: String) -> i32 {
            let tx = ctx.data_unchecked::<broadcast::Sender<Review>>();
            let review = Review {
                body,
                product: Product { upc },
            };
            tx.send(review).unwrap_or(0) as i32
        }
    }

    // The router requires the conventional root type names (see its README).
    pub struct Subscription;

    #[Subscription]
    impl Subscription {
        async fn review_added(
            &self,
            ctx: &Context<'_>,
        ) -> impl futures_util::Stream<Item = Review> {
            let mut rx = ctx
                .data_unchecked::<broadcast::Sender<Review>>()
                .subscribe();
            async_stream::stream! {
                while let Ok(review) = rx.recv().await {
                    yield review;
                }
            }
        }
    }

    pub fn schema() -> Schema<Query, Mutation, Subscription> {
        let (tx, _) = broadcast::channel::<Review>(16);
        Schema::build(Query, Mutation, Subscription)
            .data(tx)
            .enable_federation()
            .enable_subscription_in_federation()
            .finish()
    }
}

async fn serve_subgraph<Q, M, S>(schema: Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let app = axum::Router::new().route(
        "/graphql",
        post_service(GraphQL::new(schema.clone())).get_service(GraphQLSubscription::new(schema)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

async fn start_router() -> String {
    let subgraphs = vec![
        (
            "products".to_string(),
            serve_subgraph(products::schema()).await,
        ),
        (
            "reviews".to_string(),
            serve_subgraph(reviews::schema()).await,
        ),
    ];
    let sdl = router::reload::compose_from_subgraphs(&subgraphs)
        .await
        .expect("fixture subgraphs compose");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = router::RouterConfig::with_supergraph_sdl(sdl);
    tokio::spawn(router::serve_on(listener, config, std::future::pending()));
    let url = format!("http://{addr}/graphql");
    for _ in 0..200 {
        if reqwest::get(format!("http://{addr}/health")).await.is_ok() {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("router did not start at {url}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_query_and_a_live_subscription_in_chromium() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install -y chromium (scripts/test.sh does)"
    );
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {} (scripts/test.sh does)",
        dir.display()
    );
    let url = start_router().await;

    let child = tokio::process::Command::new("node")
        .arg(dir.join("graphiql.mjs"))
        .arg(&url)
        .env("CHROMIUM", &chromium)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let output = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the browser script finishes within 90 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    // The script's own checks passed; make sure it got through every step.
    assert!(
        stdout.contains("query ran over HTTP: Table,Couch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("subscription event arrived over WebSocket: Too expensive. / Couch"),
        "{stdout}"
    );
}
