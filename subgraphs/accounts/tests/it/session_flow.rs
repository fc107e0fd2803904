//! Sign-up to sign-out over HTTP: register → login → me → refresh → reuse of a rotated refresh
//! token revokes the whole family; logout; password change ends sessions.

use crate::common::*;
use serde_json::json;

const REFRESH: &str = "mutation($t:String!){ refreshToken(refreshToken:$t){ accessToken refreshToken user { id email } } }";

#[tokio::test]
async fn register_login_me_refresh_and_reuse_revokes_the_family() {
    let app = start().await;
    let email = unique_email("flow");
    let id = register(&app, &email, "Flow Tester").await;
    let s = login(&app, &email).await;
    assert_eq!(s.user_id, id);

    let me = app
        .gql("{ me { id email name role } }", json!({}), Some(&s.access))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({ "id": id, "email": email, "name": "Flow Tester", "role": "CUSTOMER" })
    );

    // Rotation: the new pair works, and the access token it carries is valid.
    let r1 = app.gql(REFRESH, json!({ "t": s.refresh }), None).await;
    let new_refresh = r1["data"]["refreshToken"]["refreshToken"]
        .as_str()
        .expect("rotated")
        .to_string();
    let new_access = r1["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_refresh, s.refresh);
    let me = app.gql("{ me { id } }", json!({}), Some(&new_access)).await;
    assert_eq!(me["data"]["me"]["id"], json!(id));

    // Replaying the rotated token: refused, and it takes the fresh token of the family down too.
    let replay = app.gql(REFRESH, json!({ "t": s.refresh }), None).await;
    assert_eq!(code(&replay), "UNAUTHENTICATED");
    let after = app.gql(REFRESH, json!({ "t": new_refresh }), None).await;
    assert_eq!(
        code(&after),
        "UNAUTHENTICATED",
        "family must be revoked: {after}"
    );

    // Another login (another family) is unaffected.
    let s2 = login(&app, &email).await;
    let ok = app.gql(REFRESH, json!({ "t": s2.refresh }), None).await;
    assert!(
        ok["data"]["refreshToken"]["accessToken"].is_string(),
        "{ok}"
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_use_of_one_refresh_token_yields_at_most_one_rotation() {
    let app = start().await;
    let s = customer(&app, "race").await;
    let (a, b) = tokio::join!(
        app.gql(REFRESH, json!({ "t": s.refresh }), None),
        app.gql(REFRESH, json!({ "t": s.refresh }), None)
    );
    let wins = [&a, &b]
        .iter()
        .filter(|r| r["data"]["refreshToken"].is_object())
        .count();
    assert!(wins <= 1, "both rotations succeeded: {a} {b}");
    app.stop().await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = start().await;
    let s = customer(&app, "logout").await;
    let out = app
        .gql(
            "mutation($t:String!){ logout(refreshToken:$t) }",
            json!({ "t": s.refresh }),
            None,
        )
        .await;
    assert_eq!(out["data"]["logout"], json!(true));
    let r = app.gql(REFRESH, json!({ "t": s.refresh }), None).await;
    assert_eq!(code(&r), "UNAUTHENTICATED");
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = start().await;
    let email = unique_email("wrong");
    register(&app, &email, "W").await;
    let wrong = login_raw(&app, &email, "not the password at all").await;
    let unknown = login_raw(&app, &unique_email("nobody"), PASSWORD).await;
    assert_eq!(code(&wrong), "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    app.stop().await;
}

#[tokio::test]
async fn duplicate_email_is_a_conflict_case_insensitively() {
    let app = start().await;
    let email = unique_email("dup");
    register(&app, &email, "First").await;
    let again = app
        .gql(
            "mutation($e:String!,$p:String!){ register(email:$e,password:$p,name:\"Second\"){ id } }",
            json!({ "e": email.to_uppercase(), "p": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(code(&again), "CONFLICT");
    assert!(again["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("email:"));
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_ends_sessions_and_the_new_one_works() {
    let app = start().await;
    let email = unique_email("chpw");
    register(&app, &email, "C").await;
    let s = login(&app, &email).await;
    let wrong = app
        .gql("mutation{ changePassword(currentPassword:\"nope nope nope\", newPassword:\"a brand new passphrase\") }", json!({}), Some(&s.access))
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    let ok = app
        .gql(
            "mutation($c:String!){ changePassword(currentPassword:$c, newPassword:\"a brand new passphrase\") }",
            json!({ "c": PASSWORD }),
            Some(&s.access),
        )
        .await;
    assert_eq!(ok["data"]["changePassword"], json!(true), "{ok}");
    let r = app.gql(REFRESH, json!({ "t": s.refresh }), None).await;
    assert_eq!(code(&r), "UNAUTHENTICATED");
    let fresh = login_raw(&app, &email, "a brand new passphrase").await;
    assert!(fresh["data"]["login"]["accessToken"].is_string(), "{fresh}");
    app.stop().await;
}
