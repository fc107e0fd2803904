//! Shared steps for the accounts black-box tests: start the real subgraph (embedded or real
//! backends, per the test environment) and act as a client over HTTP.

use accounts::Accounts;
pub use kit::testing::expect_code as code;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

pub async fn start() -> TestApp {
    start_with(&[]).await
}

/// Starts accounts with setting overrides such as `("ACCESS_TOKEN_TTL_SECS", "1")`.
pub async fn start_with(overrides: &[(&str, &str)]) -> TestApp {
    let mut config = testing::config("accounts");
    for (k, v) in overrides {
        config.overrides.insert(k.to_string(), v.to_string());
    }
    testing::spawn::<Accounts>(config).await
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}.{}@example.com", &kit::ids::new_id()[24..])
}

pub async fn register(app: &TestApp, email: &str, name: &str) -> String {
    let body = app
        .gql(
            "mutation($e:String!,$p:String!,$n:String!){ register(email:$e,password:$p,name:$n){ id } }",
            json!({ "e": email, "p": PASSWORD, "n": name }),
            None,
        )
        .await;
    body["data"]["register"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("register failed: {body}"))
        .to_string()
}

pub struct Session {
    pub user_id: String,
    pub access: String,
    pub refresh: String,
}

pub async fn login(app: &TestApp, email: &str) -> Session {
    let body = login_raw(app, email, PASSWORD).await;
    let p = &body["data"]["login"];
    Session {
        user_id: p["user"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {body}"))
            .to_string(),
        access: p["accessToken"].as_str().unwrap().to_string(),
        refresh: p["refreshToken"].as_str().unwrap().to_string(),
    }
}

pub async fn login_raw(app: &TestApp, email: &str, password: &str) -> Value {
    app.gql(
        "mutation($e:String!,$p:String!){ login(email:$e,password:$p){ accessToken refreshToken expiresIn user { id email role } } }",
        json!({ "e": email, "p": password }),
        None,
    )
    .await
}

/// Registers and signs in a fresh customer.
pub async fn customer(app: &TestApp, tag: &str) -> Session {
    let email = unique_email(tag);
    register(app, &email, tag).await;
    login(app, &email).await
}

/// A signed-in user with `role`, made so through the first-admin bootstrap.
pub async fn admin_app() -> (TestApp, Session) {
    let email = unique_email("admin");
    let app = start_with(&[("ADMIN_EMAIL", &email), ("ADMIN_PASSWORD", PASSWORD)]).await;
    let session = login(&app, &email).await;
    (app, session)
}
