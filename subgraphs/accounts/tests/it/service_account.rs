//! The service account other subgraphs call with: bootstrapped as staff from
//! `SERVICE_EMAIL` / `SERVICE_PASSWORD`, its password reset to the configured one on the next
//! start, absent when unset; and the kit's `ServiceIdentity` signing in with it once however
//! many callers need a token at the same moment.

use std::sync::Arc;
use std::time::Duration;

use accounts::Accounts;
use kit::auth::service::ServiceIdentity;
use kit::testing;
use serde_json::json;

use crate::common::*;

const FIRST: &str = "service password number one";
const SECOND: &str = "service password number two";

#[tokio::test]
async fn the_service_account_is_staff_and_follows_the_configured_password() {
    let email = unique_email("svc");
    let mut config = testing::config("accounts");
    config
        .overrides
        .insert("SERVICE_EMAIL".into(), email.clone());
    config
        .overrides
        .insert("SERVICE_PASSWORD".into(), FIRST.into());
    let app = testing::spawn::<Accounts>(config.clone()).await;
    let body = login_raw(&app, &email, FIRST).await;
    assert_eq!(
        body["data"]["login"]["user"]["role"], "STAFF",
        "created as staff: {body}"
    );
    app.stop().await;

    // Same database, new password: the old one stops working, the new one signs in.
    config
        .overrides
        .insert("SERVICE_PASSWORD".into(), SECOND.into());
    let app = testing::spawn::<Accounts>(config).await;
    assert_eq!(
        code(&login_raw(&app, &email, FIRST).await),
        "UNAUTHENTICATED"
    );
    let body = login_raw(&app, &email, SECOND).await;
    assert_eq!(body["data"]["login"]["user"]["role"], "STAFF", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn no_service_account_without_the_settings() {
    let app = start().await;
    let body = login_raw(&app, "service@example.com", FIRST).await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    app.stop().await;
}

#[tokio::test]
async fn a_service_identity_signs_in_once_for_concurrent_callers() {
    let email = unique_email("svc");
    let app = start_with(&[
        ("SERVICE_EMAIL", &email),
        ("SERVICE_PASSWORD", FIRST),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
    ])
    .await;
    let identity = Arc::new(
        ServiceIdentity::new(
            &format!("{}/graphql", app.url),
            &email,
            FIRST,
            Duration::from_secs(10),
        )
        .unwrap(),
    );
    let tokens = futures_util::future::join_all((0..20).map(|_| {
        let identity = identity.clone();
        async move { identity.token().await.expect("service token") }
    }))
    .await;
    assert_eq!(identity.logins(), 1, "one login for twenty callers");
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    let me = app
        .gql("{ me { email role } }", json!({}), Some(&tokens[0]))
        .await;
    assert_eq!(me["data"]["me"], json!({ "email": email, "role": "STAFF" }));

    // A refused token is forgotten: the next call signs in again.
    identity.forget(&tokens[0]).await;
    identity.token().await.expect("renewed");
    assert_eq!(identity.logins(), 2);

    // A wrong password is the service's misconfiguration: INTERNAL, never the caller's fault.
    let wrong = ServiceIdentity::new(
        &format!("{}/graphql", app.url),
        &email,
        SECOND,
        Duration::from_secs(10),
    )
    .unwrap();
    let err = wrong.token().await.expect_err("wrong password");
    assert_eq!(err.code(), kit::error::Code::Internal);
    app.stop().await;
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_before_it_expires() {
    let email = unique_email("svc");
    let app = start_with(&[
        ("SERVICE_EMAIL", &email),
        ("SERVICE_PASSWORD", FIRST),
        ("ACCESS_TOKEN_TTL_SECS", "1"),
    ])
    .await;
    let identity = ServiceIdentity::new(
        &format!("{}/graphql", app.url),
        &email,
        FIRST,
        Duration::from_secs(10),
    )
    .unwrap();
    identity.token().await.unwrap();
    identity.token().await.unwrap();
    assert_eq!(identity.logins(), 1, "cached while fresh");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    identity.token().await.unwrap();
    assert_eq!(identity.logins(), 2, "renewed once expired");
    app.stop().await;
}
