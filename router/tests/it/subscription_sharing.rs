//! Subscriptions at scale: clients asking for the same subscription share one upstream
//! operation, different operations to one subgraph share one upstream socket, and clients with
//! different credentials never share either.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::{Context, EmptyMutation, Object, Schema, Subscription};
use async_graphql_axum::{GraphQL, GraphQLSubscription};
use axum::routing::post_service;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

#[derive(Default)]
struct Seen {
    /// Upstream subscription streams started.
    started: AtomicUsize,
    /// The Authorization header of every WebSocket upgrade the subgraph accepted.
    upgrades: Mutex<Vec<Option<String>>>,
    /// The audience counts of the counter subgraph's subscriptions (live while they run).
    audiences: Mutex<Vec<std::sync::Weak<kit::server::audience::Count>>>,
}

impl Seen {
    /// Clients of every live counter subscription, whichever router reported them.
    fn audience_total(&self) -> i64 {
        self.audiences
            .lock()
            .unwrap()
            .iter()
            .filter_map(std::sync::Weak::upgrade)
            .map(|c| c.clients())
            .sum()
    }
}

struct Query;

#[Object]
impl Query {
    async fn ok(&self) -> bool {
        true
    }
}

struct Ticks;

#[Subscription(name = "Subscription")]
impl Ticks {
    /// `start + 1`, `start + 2`, ... every 10 ms, forever.
    async fn ticks(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] start: i32,
    ) -> impl futures_util::Stream<Item = i32> {
        ctx.data_unchecked::<Arc<Seen>>()
            .started
            .fetch_add(1, Ordering::SeqCst);
        async_stream::stream! {
            let mut n = start;
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                n += 1;
                yield n;
            }
        }
    }
}

/// The ticker subgraph with a probe on its WebSocket upgrades, and the router in front.
async fn world() -> (String, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let schema = Schema::build(Query, EmptyMutation, Ticks)
        .data(seen.clone())
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let probe = seen.clone();
    let app = axum::Router::new()
        .route(
            "/graphql",
            post_service(GraphQL::new(schema.clone()))
                .get_service(GraphQLSubscription::new(schema)),
        )
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                if req.headers().contains_key("upgrade") {
                    let auth = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    probe.upgrades.lock().unwrap().push(auth);
                }
                next.run(req)
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = start_router(&[("ticker", &format!("http://{addr}/graphql"))]).await;
    (url, seen)
}

/// Connects, initialises with `init` and subscribes to `query` as operation "1".
async fn subscribe(url: &str, init: Value, query: &str) -> Ws {
    let (mut ws, _) = ws_connect(url).await;
    let text = |v: Value| Message::Text(v.to_string().into());
    ws.send(text(json!({"type": "connection_init", "payload": init})))
        .await
        .unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("closed before connection_ack")
        };
        if t.as_str().contains("connection_ack") {
            break;
        }
    }
    ws.send(text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": query}}),
    ))
    .await
    .unwrap();
    ws
}

/// The next `count` tick values this client receives.
async fn ticks(ws: &mut Ws, count: usize) -> Vec<i64> {
    let mut got = Vec::new();
    while got.len() < count {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("stream ended after {got:?}")
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        match v["type"].as_str() {
            Some("next") => got.push(v["payload"]["data"]["ticks"].as_i64().expect("a tick")),
            Some("ping") => {}
            _ => panic!("unexpected message: {v}"),
        }
    }
    got
}

fn increasing(v: &[i64]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

#[tokio::test]
async fn clients_with_the_same_subscription_share_one_upstream_operation() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (url, seen) = world().await;
        let mut clients = Vec::new();
        for _ in 0..5 {
            clients.push(subscribe(&url, json!({}), "subscription { ticks }").await);
        }
        for ws in &mut clients {
            let got = ticks(ws, 3).await;
            assert!(increasing(&got), "{got:?}");
        }
        assert_eq!(
            seen.started.load(Ordering::SeqCst),
            1,
            "one upstream operation"
        );
        assert_eq!(
            seen.upgrades.lock().unwrap().len(),
            1,
            "one upstream socket"
        );
    })
    .await
    .expect("finished in time");
}

#[tokio::test]
async fn different_operations_to_one_subgraph_ride_one_socket() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (url, seen) = world().await;
        let mut low = subscribe(&url, json!({}), "subscription { ticks(start: 100) }").await;
        let mut high = subscribe(&url, json!({}), "subscription { ticks(start: 5000) }").await;
        let (a, b) = (ticks(&mut low, 3).await, ticks(&mut high, 3).await);
        assert!(a.iter().all(|n| (100..5000).contains(n)), "{a:?}");
        assert!(b.iter().all(|n| *n > 5000), "{b:?}");
        assert_eq!(seen.started.load(Ordering::SeqCst), 2, "two operations");
        assert_eq!(seen.upgrades.lock().unwrap().len(), 1, "one socket");
    })
    .await
    .expect("finished in time");
}

#[tokio::test]
async fn clients_with_different_credentials_never_share() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (url, seen) = world().await;
        let q = "subscription { ticks }";
        let mut ada = subscribe(&url, json!({"Authorization": "Bearer ada"}), q).await;
        let mut bob = subscribe(&url, json!({"Authorization": "Bearer bob"}), q).await;
        let mut ada2 = subscribe(&url, json!({"Authorization": "Bearer ada"}), q).await;
        for ws in [&mut ada, &mut bob, &mut ada2] {
            let got = ticks(ws, 2).await;
            assert!(increasing(&got), "{got:?}");
        }
        // Ada's two clients share; Bob has his own socket and operation.
        assert_eq!(seen.started.load(Ordering::SeqCst), 2);
        let mut upgrades = seen.upgrades.lock().unwrap().clone();
        upgrades.sort();
        assert_eq!(
            upgrades,
            vec![
                Some("Bearer ada".to_string()),
                Some("Bearer bob".to_string())
            ]
        );
    })
    .await
    .expect("finished in time");
}

#[tokio::test]
async fn a_client_leaving_does_not_end_the_shared_operation_for_the_others() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (url, seen) = world().await;
        let mut stay = subscribe(&url, json!({}), "subscription { ticks }").await;
        let mut leave = subscribe(&url, json!({}), "subscription { ticks }").await;
        ticks(&mut leave, 2).await;
        leave.close(None).await.unwrap();
        drop(leave);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let got = ticks(&mut stay, 5).await;
        assert!(increasing(&got), "{got:?}");
        assert_eq!(seen.started.load(Ordering::SeqCst), 1);
    })
    .await
    .expect("finished in time");
}

/// A news feed whose `News` gets its `headline` from a second subgraph, counting both the
/// events it emits and the headlines the other resolves.
mod newsroom {
    use super::*;
    use async_graphql::{SimpleObject, ID};

    #[derive(SimpleObject, Clone)]
    #[graphql(name = "News")]
    pub struct FeedNews {
        pub id: ID,
    }

    pub struct FeedQuery;

    #[Object(name = "Query")]
    impl FeedQuery {
        async fn ok(&self) -> bool {
            true
        }
        #[graphql(entity)]
        async fn news_by_id(&self, id: ID) -> FeedNews {
            FeedNews { id }
        }
    }

    pub struct FeedSub;

    #[Subscription(name = "Subscription")]
    impl FeedSub {
        /// News 1, 2, 3, ... every 20 ms, forever; counted in `Emitted`.
        async fn news(&self, ctx: &Context<'_>) -> impl futures_util::Stream<Item = FeedNews> {
            let emitted = ctx.data_unchecked::<Emitted>().0.clone();
            async_stream::stream! {
                let mut n = 0;
                loop {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    n += 1;
                    emitted.fetch_add(1, Ordering::SeqCst);
                    yield FeedNews { id: ID(n.to_string()) };
                }
            }
        }
    }

    pub struct Emitted(pub Arc<AtomicUsize>);
    pub struct Resolved(pub Arc<AtomicUsize>);

    pub struct Headline {
        id: ID,
    }

    #[Object(name = "News")]
    impl Headline {
        async fn id(&self) -> &ID {
            &self.id
        }
        async fn headline(&self, ctx: &Context<'_>) -> String {
            ctx.data_unchecked::<Resolved>()
                .0
                .fetch_add(1, Ordering::SeqCst);
            format!("headline {}", self.id.0)
        }
    }

    pub struct WordsQuery;

    #[Object(name = "Query")]
    impl WordsQuery {
        async fn words_ok(&self) -> bool {
            true
        }
        #[graphql(entity)]
        async fn headline_by_id(&self, id: ID) -> Headline {
            Headline { id }
        }
    }
}

#[tokio::test]
async fn an_event_needing_another_subgraph_is_resolved_once_for_clients_asking_the_same() {
    use newsroom::*;
    tokio::time::timeout(Duration::from_secs(20), async {
        let emitted = Arc::new(AtomicUsize::new(0));
        let resolved = Arc::new(AtomicUsize::new(0));
        let feed = serve_subgraph(
            Schema::build(FeedQuery, EmptyMutation, FeedSub)
                .data(Emitted(emitted.clone()))
                .enable_federation()
                .enable_subscription_in_federation()
                .finish(),
        )
        .await;
        let words = serve_subgraph(
            Schema::build(WordsQuery, EmptyMutation, async_graphql::EmptySubscription)
                .data(Resolved(resolved.clone()))
                .enable_federation()
                .finish(),
        )
        .await;
        let sdl = router::reload::compose_from_subgraphs(&[
            ("feed".to_string(), feed),
            ("words".to_string(), words),
        ])
        .await
        .expect("composes");
        let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
        // Only the shared resolution may save the headline fetches, not fetch de-duplication.
        config.dedup.enabled = false;
        let url = start_router_with_config(config).await;
        let q = "subscription { news { id headline } }";
        let mut clients = Vec::new();
        for _ in 0..4 {
            clients.push(subscribe(&url, json!({}), q).await);
        }
        for ws in &mut clients {
            let mut got = 0;
            while got < 5 {
                let Some(Ok(Message::Text(t))) = ws.next().await else {
                    panic!("stream ended")
                };
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] != "next" {
                    continue;
                }
                let news = &v["payload"]["data"]["news"];
                let id = news["id"].as_str().expect("an id");
                assert_eq!(news["headline"], format!("headline {id}"), "{v}");
                got += 1;
            }
        }
        drop(clients);
        // Four clients each got five events; resolved once per event, the headlines number
        // at most the events the feed emitted (once per client would be about four times).
        let (emitted, resolved) = (
            emitted.load(Ordering::SeqCst),
            resolved.load(Ordering::SeqCst),
        );
        assert!(resolved >= 5, "headlines were resolved: {resolved}");
        assert!(
            resolved <= emitted,
            "{resolved} headlines for {emitted} events"
        );
    })
    .await
    .expect("finished in time");
}

/// A subgraph that reports, on its one subscription, how many clients the router says the
/// upstream operation serves (`kit::server::audience`, as livestream counts viewers).
mod audience {
    use super::*;
    use async_graphql::SimpleObject;
    use async_graphql_axum::GraphQLProtocol;
    use axum::extract::ws::WebSocketUpgrade;
    use kit::server::audience::{audience, connection_data, on_ping, AudienceExtension};

    #[derive(SimpleObject, Clone, PartialEq, Debug)]
    pub struct Heads {
        pub clients: i64,
        pub joined: i64,
    }

    pub struct Counter;

    #[Subscription(name = "Subscription")]
    impl Counter {
        /// The operation's audience every 10 ms, forever.
        async fn heads(&self, ctx: &Context<'_>) -> impl futures_util::Stream<Item = Heads> {
            ctx.data_unchecked::<Arc<Seen>>()
                .started
                .fetch_add(1, Ordering::SeqCst);
            let handle = audience(ctx);
            ctx.data_unchecked::<Arc<Seen>>()
                .audiences
                .lock()
                .unwrap()
                .push(Arc::downgrade(&handle.count()));
            async_stream::stream! {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    yield Heads { clients: handle.clients(), joined: handle.joined() };
                }
            }
        }
    }

    /// The counter subgraph and a router in front.
    pub async fn world() -> (String, Arc<Seen>) {
        let (subgraph, seen) = counter().await;
        (start_router(&[("counter", &subgraph)]).await, seen)
    }

    /// The counter subgraph (the kit's ping handler and request extension on its WebSocket).
    pub async fn counter() -> (String, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        let schema = Schema::build(Query, EmptyMutation, Counter)
            .data(seen.clone())
            .extension(AudienceExtension)
            .enable_federation()
            .enable_subscription_in_federation()
            .finish();
        let ws_schema = schema.clone();
        let app = axum::Router::new().route(
            "/graphql",
            post_service(GraphQL::new(schema)).get(
                move |protocol: GraphQLProtocol, upgrade: WebSocketUpgrade| async move {
                    upgrade
                        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
                        .on_upgrade(move |socket| async move {
                            GraphQLWebSocket::new(socket, ws_schema, protocol)
                                .on_connection_init(|_| async {
                                    let mut data = async_graphql::Data::default();
                                    connection_data(&mut data);
                                    Ok(data)
                                })
                                .on_ping(on_ping)
                                .serve()
                                .await
                        })
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}/graphql"), seen)
    }

    use async_graphql_axum::GraphQLWebSocket;
}

/// Reads this client's events until one reports `want`.
async fn until_heads(ws: &mut Ws, want: audience::Heads) {
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else {
            panic!("stream ended before {want:?}")
        };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        if v["type"] != "next" {
            continue;
        }
        let h = &v["payload"]["data"]["heads"];
        let got = audience::Heads {
            clients: h["clients"].as_i64().unwrap(),
            joined: h["joined"].as_i64().unwrap(),
        };
        if got == want {
            return;
        }
    }
}

#[tokio::test]
async fn the_subgraph_is_told_how_many_clients_a_shared_operation_serves() {
    use audience::Heads;
    tokio::time::timeout(Duration::from_secs(20), async {
        let (url, seen) = audience::world().await;
        let q = "subscription { heads { clients joined } }";
        let mut clients = Vec::new();
        for _ in 0..3 {
            clients.push(subscribe(&url, json!({}), q).await);
        }
        for ws in &mut clients {
            until_heads(
                ws,
                Heads {
                    clients: 3,
                    joined: 3,
                },
            )
            .await;
        }
        // Two leave: the one left is told there is one client, three having joined.
        let mut stay = clients.pop().unwrap();
        for mut ws in clients.drain(..) {
            ws.close(None).await.unwrap();
        }
        until_heads(
            &mut stay,
            Heads {
                clients: 1,
                joined: 3,
            },
        )
        .await;
        // Another joins the same operation.
        let mut late = subscribe(&url, json!({}), q).await;
        until_heads(
            &mut late,
            Heads {
                clients: 2,
                joined: 4,
            },
        )
        .await;
        until_heads(
            &mut stay,
            Heads {
                clients: 2,
                joined: 4,
            },
        )
        .await;
        assert_eq!(
            seen.started.load(Ordering::SeqCst),
            1,
            "one upstream operation"
        );
        // Other credentials are another operation, with its own count.
        let mut ada = subscribe(&url, json!({"Authorization": "Bearer ada"}), q).await;
        until_heads(
            &mut ada,
            Heads {
                clients: 1,
                joined: 1,
            },
        )
        .await;
        assert_eq!(seen.started.load(Ordering::SeqCst), 2);
    })
    .await
    .expect("finished in time");
}

#[tokio::test]
async fn two_routers_report_their_own_clients_and_the_subgraph_sums_them() {
    tokio::time::timeout(Duration::from_secs(20), async {
        let (subgraph, seen) = audience::counter().await;
        let one = start_router(&[("counter", &subgraph)]).await;
        let two = start_router(&[("counter", &subgraph)]).await;
        let q = "subscription { heads { clients joined } }";
        let mut on_one = Vec::new();
        for _ in 0..2 {
            on_one.push(subscribe(&one, json!({}), q).await);
        }
        let mut on_two = Vec::new();
        for _ in 0..3 {
            on_two.push(subscribe(&two, json!({}), q).await);
        }
        until_heads(
            &mut on_one[0],
            audience::Heads {
                clients: 2,
                joined: 2,
            },
        )
        .await;
        until_heads(
            &mut on_two[0],
            audience::Heads {
                clients: 3,
                joined: 3,
            },
        )
        .await;
        // One upstream operation per router, five clients between them.
        assert_eq!(seen.started.load(Ordering::SeqCst), 2);
        assert_eq!(seen.audience_total(), 5);
        // The second router's clients all go: its operation ends, and its count with it.
        for mut ws in on_two.drain(..) {
            ws.close(None).await.unwrap();
        }
        while seen.audience_total() != 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        until_heads(
            &mut on_one[1],
            audience::Heads {
                clients: 2,
                joined: 2,
            },
        )
        .await;
    })
    .await
    .expect("finished in time");
}
