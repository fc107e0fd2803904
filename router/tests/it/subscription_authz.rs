//! Authorization directives on subscriptions, over WebSocket, SSE and multipart HTTP: a
//! subscription field the caller may not select is refused with `UNAUTHORIZED_FIELD_OR_TYPE` on
//! the stream (one result, then the end of the stream), and fields inside each event the caller
//! may not see are `null` with that error while the rest of the event resolves.

use std::time::Duration;

use async_graphql::{EmptyMutation, Object, Schema, SimpleObject, Subscription, TypeDirective};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;
use crate::tokens::*;

const DENIED: &str = "UNAUTHORIZED_FIELD_OR_TYPE";

/// `@authenticated`, declared as `kit::authz_directives` does (async-graphql has no built-in).
#[TypeDirective(location = "FieldDefinition")]
fn authenticated() {}

#[derive(SimpleObject, Clone)]
struct Tick {
    n: i32,
    #[graphql(requires_scopes = "staff")]
    secret: Option<String>,
}

struct Query;

#[Object]
impl Query {
    async fn ok(&self) -> bool {
        true
    }
}

struct Ticks;

fn three_ticks() -> impl futures_util::Stream<Item = Tick> {
    async_stream::stream! {
        for n in 1..=3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            yield Tick { n, secret: Some(format!("s{n}")) };
        }
    }
}

#[Subscription(name = "Subscription")]
impl Ticks {
    /// Public: three ticks, with a staff-only field in each.
    async fn ticks(&self) -> impl futures_util::Stream<Item = Tick> {
        three_ticks()
    }
    /// Signed-in callers only.
    #[graphql(directive = authenticated::apply())]
    async fn my_ticks(&self) -> impl futures_util::Stream<Item = Tick> {
        three_ticks()
    }
}

struct World {
    url: String,
    issuer: Issuer,
}

async fn world() -> World {
    let schema = Schema::build(Query, EmptyMutation, Ticks)
        .enable_federation()
        .enable_subscription_in_federation()
        .finish();
    let ticker = serve_subgraph(schema).await;
    let issuer = Issuer::start(Key::generate("k1")).await;
    let sdl = router::reload::compose_from_subgraphs(&[("ticker".into(), ticker)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.auth.jwks_url = Some(issuer.url.clone());
    World {
        url: start_router_with_config(config).await,
        issuer,
    }
}

impl World {
    fn token(&self, roles: &[&str]) -> String {
        self.issuer.sign(&claims("u1", roles))
    }

    /// Every result of a subscription over graphql-transport-ws, until `complete`.
    async fn over_ws(&self, token: Option<&str>, query: &str) -> Vec<Value> {
        let (mut ws, _) = ws_connect(&self.url).await;
        let init = match token {
            Some(t) => json!({"Authorization": format!("Bearer {t}")}),
            None => json!({}),
        };
        let text = |v: Value| Message::Text(v.to_string().into());
        ws.send(text(json!({"type": "connection_init", "payload": init})))
            .await
            .unwrap();
        let mut results = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, ws.next()).await {
            let Message::Text(t) = msg.unwrap() else {
                continue;
            };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            match v["type"].as_str().unwrap_or_default() {
                "connection_ack" => ws
                    .send(text(
                        json!({"id": "1", "type": "subscribe", "payload": {"query": query}}),
                    ))
                    .await
                    .unwrap(),
                "next" => results.push(v["payload"].clone()),
                "complete" => return results,
                "ping" => ws.send(text(json!({"type": "pong"}))).await.unwrap(),
                _ => panic!("unexpected message: {v}"),
            }
        }
        panic!("no complete within 10 s; got {results:?}")
    }

    /// Every `next` of a subscription over SSE; the stream must end with `complete`.
    async fn over_sse(&self, token: Option<&str>, query: &str) -> Vec<Value> {
        let mut req = reqwest::Client::new()
            .post(&self.url)
            .header("accept", "text/event-stream")
            .json(&json!({"query": query}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body = tokio::time::timeout(Duration::from_secs(10), resp.text())
            .await
            .expect("the stream ends")
            .unwrap();
        let (results, completed) = sse_events(&body);
        assert!(completed, "{body}");
        results
    }

    /// Every payload of a subscription over multipart HTTP (heartbeats left out), to the end.
    async fn over_multipart(&self, token: Option<&str>, query: &str) -> Vec<Value> {
        let mut req = reqwest::Client::new()
            .post(&self.url)
            .header(
                "accept",
                "multipart/mixed;subscriptionSpec=\"1.0\", application/json",
            )
            .json(&json!({"query": query}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut parts = crate::multipart::Parts::new(resp);
        let mut results = Vec::new();
        while let Some(p) = parts.next().await {
            if p != json!({}) {
                results.push(p["payload"].clone());
            }
        }
        results
    }
}

/// The `(path, code)` of each error of one result.
fn errors(result: &Value) -> Vec<(Value, String)> {
    result["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["path"].clone(),
                e["extensions"]["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_subscription_field_the_caller_may_not_select_is_refused_on_the_stream() {
    let w = world().await;
    let q = "subscription { myTicks { n } }";
    for results in [
        w.over_ws(None, q).await,
        w.over_sse(None, q).await,
        w.over_multipart(None, q).await,
    ] {
        assert_eq!(results.len(), 1, "{results:?}");
        // `myTicks: Tick!`: the null propagates to `data`, as for a query.
        assert_eq!(results[0]["data"], Value::Null, "{results:?}");
        assert_eq!(
            errors(&results[0]),
            vec![(json!(["myTicks"]), DENIED.to_string())]
        );
    }
    // Signed in, the same subscription runs.
    let customer = w.token(&["customer"]);
    for results in [
        w.over_ws(Some(&customer), q).await,
        w.over_sse(Some(&customer), q).await,
        w.over_multipart(Some(&customer), q).await,
    ] {
        let ns: Vec<Value> = results
            .iter()
            .map(|r| r["data"]["myTicks"]["n"].clone())
            .collect();
        assert_eq!(ns, vec![json!(1), json!(2), json!(3)], "{results:?}");
        assert!(
            results.iter().all(|r| r.get("errors").is_none()),
            "{results:?}"
        );
    }
}

#[tokio::test]
async fn fields_inside_an_event_the_caller_may_not_see_are_null_with_an_error() {
    let w = world().await;
    let q = "subscription { ticks { n secret } }";
    let customer = w.token(&["customer"]);
    for (who, token) in [("anonymous", None), ("customer", Some(customer.as_str()))] {
        for results in [
            w.over_ws(token, q).await,
            w.over_sse(token, q).await,
            w.over_multipart(token, q).await,
        ] {
            assert_eq!(results.len(), 3, "{who}: {results:?}");
            for (i, r) in results.iter().enumerate() {
                assert_eq!(
                    r["data"],
                    json!({"ticks": {"n": i + 1, "secret": null}}),
                    "{who}: {r}"
                );
                assert_eq!(
                    errors(r),
                    vec![(json!(["ticks", "secret"]), DENIED.to_string())],
                    "{who}: {r}"
                );
            }
        }
    }
    let staff = w.token(&["staff"]);
    for results in [
        w.over_ws(Some(&staff), q).await,
        w.over_sse(Some(&staff), q).await,
    ] {
        let data: Vec<Value> = results.iter().map(|r| r["data"].clone()).collect();
        assert_eq!(
            data,
            vec![
                json!({"ticks": {"n": 1, "secret": "s1"}}),
                json!({"ticks": {"n": 2, "secret": "s2"}}),
                json!({"ticks": {"n": 3, "secret": "s3"}}),
            ]
        );
        assert!(
            results.iter().all(|r| r.get("errors").is_none()),
            "{results:?}"
        );
    }
}
