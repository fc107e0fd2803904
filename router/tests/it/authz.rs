//! Authorization directives at the router: `@authenticated`, `@requiresScopes` and `@policy`
//! from the supergraph. Denied fields are removed before planning (the subgraph never sees
//! them) and answered `null` with `UNAUTHORIZED_FIELD_OR_TYPE` at their path; the rest of the
//! operation still runs; a non-null denied field nulls its nearest nullable parent.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, ID};
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::common::*;
use crate::tokens::*;

/// What the subgraph publishes: async-graphql resolves, this SDL carries the directives.
const SDL: &str = r#"
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
type Query {
  products: [Product!]!
  featured: Product
  me: User @authenticated
  staffReport: String @requiresScopes(scopes: [["staff"]])
  opsOrAdmin: String @requiresScopes(scopes: [["staff", "ops"], ["admin"]])
  verified: String @policy(policies: [["verified"]])
  mystery: String @policy(policies: [["undefined_policy"]])
  ledger: Ledger
}
type Product @key(fields: "id") {
  id: ID!
  name: String!
  cost(currency: String): Int @requiresScopes(scopes: [["staff"]])
  sku: String! @requiresScopes(scopes: [["staff"]])
}
type User @key(fields: "id") { id: ID! email: String }
type Ledger @requiresScopes(scopes: [["admin"]]) { total: Int }
"#;

#[derive(SimpleObject, Clone)]
struct Product {
    id: ID,
    name: String,
    cost: Option<i32>,
    sku: String,
}

#[derive(SimpleObject)]
struct User {
    id: ID,
    email: Option<String>,
}

#[derive(SimpleObject)]
struct Ledger {
    total: Option<i32>,
}

fn product(i: i32) -> Product {
    Product {
        id: ID(i.to_string()),
        name: format!("product {i}"),
        cost: Some(i * 100),
        sku: format!("SKU-{i}"),
    }
}

struct Query;

#[Object]
impl Query {
    async fn products(&self) -> Vec<Product> {
        vec![product(1), product(2)]
    }
    async fn featured(&self) -> Option<Product> {
        Some(product(1))
    }
    async fn me(&self) -> Option<User> {
        Some(User {
            id: "u1".into(),
            email: Some("ada@example.com".into()),
        })
    }
    async fn staff_report(&self) -> Option<String> {
        Some("report".into())
    }
    async fn ops_or_admin(&self) -> Option<String> {
        Some("ops".into())
    }
    async fn verified(&self) -> Option<String> {
        Some("verified".into())
    }
    async fn mystery(&self) -> Option<String> {
        Some("mystery".into())
    }
    async fn ledger(&self) -> Option<Ledger> {
        Some(Ledger { total: Some(42) })
    }
}

/// Serves the subgraph; every operation it receives is recorded.
async fn subgraph(seen: Arc<Mutex<Vec<String>>>) -> String {
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
    let app = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let schema = schema.clone();
            let seen = seen.clone();
            async move {
                let query = body["query"].as_str().unwrap_or_default().to_string();
                if query.contains("_service") {
                    return axum::Json(json!({"data": {"_service": {"sdl": SDL}}}));
                }
                seen.lock().push(query.clone());
                let mut req = async_graphql::Request::new(query);
                if let Ok(vars) = serde_json::from_value(body["variables"].clone()) {
                    req = req.variables(vars);
                }
                axum::Json(serde_json::to_value(schema.execute(req).await).unwrap())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/graphql")
}

struct World {
    url: String,
    issuer: Issuer,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn world() -> World {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shop = subgraph(seen.clone()).await;
    let issuer = Issuer::start(Key::generate("k1")).await;
    let sdl = router::reload::compose_from_subgraphs(&[("shop".into(), shop)])
        .await
        .unwrap();
    let mut config = router::RouterConfig::with_supergraph_sdl(sdl);
    config.auth.jwks_url = Some(issuer.url.clone());
    config.auth.jwks_min_refresh = Duration::from_secs(60);
    config.authorization.policies.insert(
        "verified".into(),
        router::authz::Policy {
            claims: [("email_verified".to_string(), json!(true))].into(),
            ..Default::default()
        },
    );
    World {
        url: start_router_with_config(config).await,
        issuer,
        seen,
    }
}

impl World {
    fn token(&self, roles: &[&str], extra: Value) -> String {
        let mut c = claims("u1", roles);
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        self.issuer.sign(&c)
    }

    async fn query(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = reqwest::Client::new()
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.json().await.unwrap()
    }

    fn last_subgraph_query(&self) -> String {
        self.seen.lock().last().cloned().unwrap_or_default()
    }
}

/// The `(path, code)` of every error, sorted.
fn errors(body: &Value) -> Vec<(Value, String)> {
    let mut out: Vec<(Value, String)> = body["errors"]
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
        .collect();
    out.sort_by_key(|(p, _)| p.to_string());
    out
}

const DENIED: &str = "UNAUTHORIZED_FIELD_OR_TYPE";

#[tokio::test]
async fn a_customer_token_on_staff_fields_gets_null_and_errors_while_the_rest_resolves() {
    let w = world().await;
    let customer = w.token(&["customer"], json!({}));
    let body = w
        .query(
            Some(&customer),
            "{ products { id name cost } staffReport me { id email } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({
            "products": [
                {"id": "1", "name": "product 1", "cost": null},
                {"id": "2", "name": "product 2", "cost": null}
            ],
            "staffReport": null,
            "me": {"id": "u1", "email": "ada@example.com"}
        }),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        vec![
            (json!(["products", "@", "cost"]), DENIED.to_string()),
            (json!(["staffReport"]), DENIED.to_string()),
        ],
        "{body}"
    );
    // Removed before planning: the subgraph never saw the denied fields.
    let sent = w.last_subgraph_query();
    assert!(
        !sent.contains("cost") && !sent.contains("staffReport"),
        "{sent}"
    );
    assert!(sent.contains("name"), "{sent}");

    // The same operation for staff: everything, no errors.
    let staff = w.token(&["staff"], json!({}));
    let body = w
        .query(
            Some(&staff),
            "{ products { id name cost } staffReport me { id email } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["products"][1]["cost"], 200);
    assert_eq!(body["data"]["staffReport"], "report");
}

#[tokio::test]
async fn anonymous_callers_get_null_for_authenticated_fields() {
    let w = world().await;
    let body = w
        .query(None, "{ me { id } products { name } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"], Value::Null, "{body}");
    assert_eq!(body["data"]["products"][0]["name"], "product 1");
    assert_eq!(errors(&body), vec![(json!(["me"]), DENIED.to_string())]);
    // Only denied fields at the root: nothing is sent to the subgraph at all.
    let before = w.seen.lock().len();
    let body = w.query(None, "{ me { id } staffReport }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"me": null, "staffReport": null}),
        "{body}"
    );
    assert_eq!(w.seen.lock().len(), before);
}

#[tokio::test]
async fn scopes_combine_as_any_of_all_of_and_roles_imply_scopes() {
    let w = world().await;
    let q = "{ opsOrAdmin }";
    // staff alone is not enough: needs staff AND ops, or admin.
    let staff = w.token(&["staff"], json!({}));
    let body = w.query(Some(&staff), q, json!({})).await;
    assert_eq!(body["data"]["opsOrAdmin"], Value::Null, "{body}");
    let ops = w.token(&["staff"], json!({"scope": "ops"}));
    let body = w.query(Some(&ops), q, json!({})).await;
    assert_eq!(body["data"]["opsOrAdmin"], "ops", "{body}");
    let admin = w.token(&["admin"], json!({}));
    let body = w.query(Some(&admin), q, json!({})).await;
    assert_eq!(body["data"]["opsOrAdmin"], "ops", "{body}");
    // A type-level requirement applies to every field returning the type.
    let body = w
        .query(Some(&staff), "{ ledger { total } }", json!({}))
        .await;
    assert_eq!(body["data"]["ledger"], Value::Null, "{body}");
    assert_eq!(errors(&body), vec![(json!(["ledger"]), DENIED.to_string())]);
    let body = w
        .query(Some(&admin), "{ ledger { total } }", json!({}))
        .await;
    assert_eq!(body["data"]["ledger"]["total"], 42, "{body}");
}

#[tokio::test]
async fn policies_are_decided_from_claims_and_unknown_policies_deny() {
    let w = world().await;
    let plain = w.token(&["customer"], json!({}));
    let verified = w.token(&["customer"], json!({"email_verified": true}));
    let body = w.query(Some(&plain), "{ verified }", json!({})).await;
    assert_eq!(body["data"]["verified"], Value::Null, "{body}");
    assert_eq!(
        errors(&body),
        vec![(json!(["verified"]), DENIED.to_string())]
    );
    let body = w.query(Some(&verified), "{ verified }", json!({})).await;
    assert_eq!(body["data"]["verified"], "verified", "{body}");
    let admin = w.token(&["admin"], json!({"email_verified": true}));
    let body = w.query(Some(&admin), "{ mystery }", json!({})).await;
    assert_eq!(body["data"]["mystery"], Value::Null, "{body}");
}

#[tokio::test]
async fn a_denied_non_null_field_nulls_its_parent_once() {
    let w = world().await;
    let customer = w.token(&["customer"], json!({}));
    let body = w
        .query(
            Some(&customer),
            "{ featured { name sku } staffReport }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"featured": null, "staffReport": null}),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        vec![
            (json!(["featured", "sku"]), DENIED.to_string()),
            (json!(["staffReport"]), DENIED.to_string()),
        ],
        "{body}"
    );
}

#[tokio::test]
async fn fragments_and_variables_of_denied_fields_are_handled() {
    let w = world().await;
    let customer = w.token(&["customer"], json!({}));
    let body = w
        .query(
            Some(&customer),
            "query Q($cur: String) { products { ...P } featured { ... on Product { id cost(currency: $cur) } } }
             fragment P on Product { name cost(currency: $cur) }",
            json!({"cur": "EUR"}),
        )
        .await;
    assert_eq!(
        body["data"]["products"][0],
        json!({"name": "product 1", "cost": null}),
        "{body}"
    );
    assert_eq!(
        body["data"]["featured"],
        json!({"id": "1", "cost": null}),
        "{body}"
    );
    assert_eq!(
        errors(&body),
        vec![
            (json!(["featured", "cost"]), DENIED.to_string()),
            (json!(["products", "@", "cost"]), DENIED.to_string()),
        ],
        "{body}"
    );
    // A fragment only used under a denied field, and a variable only used by denied fields.
    let body = w
        .query(
            Some(&customer),
            "query Q($cur: String) { staffReport products { name cost(currency: $cur) } }",
            json!({"cur": "EUR"}),
        )
        .await;
    assert_eq!(body["data"]["products"][1]["name"], "product 2", "{body}");
}

impl World {
    /// Every payload of a deferred operation over multipart/mixed.
    async fn deferred(&self, token: Option<&str>, query: &str) -> Vec<Value> {
        let mut req = reqwest::Client::new()
            .post(&self.url)
            .header("accept", crate::multipart::DEFER_ACCEPT)
            .json(&json!({ "query": query }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let mut parts = crate::multipart::Parts::new(resp);
        let mut out = Vec::new();
        while let Some(p) = parts.next().await {
            out.push(p);
        }
        out
    }
}

/// The `(path, code)` of the errors of every incremental item of a part.
fn incremental_errors(part: &Value) -> Vec<(Value, String)> {
    let mut out = Vec::new();
    for item in part["incremental"].as_array().cloned().unwrap_or_default() {
        out.extend(errors(&item));
    }
    out
}

#[tokio::test]
async fn denied_fields_inside_a_deferred_fragment_are_null_with_an_error_in_that_part() {
    let w = world().await;
    let query = r#"{
        featured {
            name
            ... @defer(label: "staff") { cost sku }
        }
        ... @defer(label: "me") { me { email } }
    }"#;
    // Anonymous: the deferred parts come, with the denied fields null and their errors there.
    let parts = w.deferred(None, query).await;
    let first = &parts[0];
    assert_eq!(first["data"]["featured"]["name"], "product 1", "{parts:?}");
    assert!(first["data"]["featured"].get("cost").is_none(), "{first}");
    assert!(first.get("errors").is_none(), "{first}");
    let mut items = Vec::new();
    let mut denied = Vec::new();
    for p in &parts[1..] {
        items.extend(p["incremental"].as_array().cloned().unwrap_or_default());
        denied.extend(incremental_errors(p));
    }
    denied.sort_by_key(|(p, _)| p.to_string());
    assert_eq!(
        denied,
        vec![
            (json!(["featured", "cost"]), DENIED.to_string()),
            (json!(["featured", "sku"]), DENIED.to_string()),
            (json!(["me"]), DENIED.to_string()),
        ],
        "{parts:?}"
    );
    let staff = items.iter().find(|i| i["label"] == "staff").unwrap();
    // `sku` is non-null: denied, it nulls the deferred fragment's data at `featured`, once.
    assert_eq!(staff["data"], Value::Null, "{staff}");
    assert_eq!(staff["path"], json!(["featured"]), "{staff}");
    let me = items.iter().find(|i| i["label"] == "me").unwrap();
    assert_eq!(me["data"], json!({"me": null}), "{me}");
    assert!(
        !w.last_subgraph_query().contains("sku")
            && !w.seen.lock().iter().any(|q| q.contains("email")),
        "denied fields never reach the subgraph: {:?}",
        w.seen.lock()
    );

    // Staff: the same operation resolves whole, with no error in any part.
    let staff_token = w.token(&["staff"], json!({}));
    let parts = w.deferred(Some(&staff_token), query).await;
    let mut items = Vec::new();
    for p in &parts {
        assert!(p.get("errors").is_none(), "{p}");
        assert!(incremental_errors(p).is_empty(), "{p}");
        items.extend(p["incremental"].as_array().cloned().unwrap_or_default());
    }
    let staff = items.iter().find(|i| i["label"] == "staff").unwrap();
    assert_eq!(
        staff["data"],
        json!({"cost": 100, "sku": "SKU-1"}),
        "{staff}"
    );
    let me = items.iter().find(|i| i["label"] == "me").unwrap();
    assert_eq!(
        me["data"],
        json!({"me": {"email": "ada@example.com"}}),
        "{me}"
    );
}
