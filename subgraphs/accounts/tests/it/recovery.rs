//! Email verification and password reset as a client and the notifications service see them:
//! the raw token arrives only in the event (never in a response), works once, expires, and a
//! wrong one is refused; a reset request answers the same for unknown addresses and publishes
//! nothing for them.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use kit::events::{Event, QueueSpec};
use kit::testing::TestApp;
use parking_lot::Mutex;
use serde_json::{json, Value};

/// Every `user.*` event accounts publishes, as a consumer receives it.
async fn user_events(app: &TestApp) -> Arc<Mutex<Vec<Event>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    app.svc()
        .consume(
            QueueSpec::durable("recovery-test", &["user.#"]),
            move |event: Event| {
                let sink = sink.clone();
                async move {
                    sink.lock().push(event);
                    Ok(())
                }
            },
        )
        .await
        .unwrap();
    seen
}

/// Waits for the event of `event_type` about `user_id`, the `n`th (from 1) if several.
async fn event_for(
    events: &Arc<Mutex<Vec<Event>>>,
    event_type: &str,
    user_id: &str,
    n: usize,
) -> Event {
    for _ in 0..300 {
        let found = events
            .lock()
            .iter()
            .filter(|e| e.event_type == event_type && e.subject.as_deref() == Some(user_id))
            .nth(n - 1)
            .cloned();
        if let Some(e) = found {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {event_type} #{n} for {user_id}");
}

fn count(events: &Arc<Mutex<Vec<Event>>>, event_type: &str) -> usize {
    events
        .lock()
        .iter()
        .filter(|e| e.event_type == event_type)
        .count()
}

const VERIFY: &str = "mutation($t:String!){ verifyEmail(token:$t) }";
const REQUEST: &str = "mutation($e:String!){ requestPasswordReset(email:$e) }";
const RESET: &str = "mutation($t:String!,$p:String!){ resetPassword(token:$t,newPassword:$p) }";
const RESEND: &str = "mutation{ resendVerificationEmail }";

async fn verified(app: &TestApp, access: &str) -> Value {
    let body = app
        .gql("{ me { emailVerified } }", json!({}), Some(access))
        .await;
    body["data"]["me"]["emailVerified"].clone()
}

#[tokio::test]
async fn registration_mails_a_link_that_verifies_once() {
    let app = start_with(&[("PUBLIC_URL", "https://shop.example")]).await;
    let events = user_events(&app).await;
    let email = unique_email("verify");
    let body = app
        .gql(
            "mutation($e:String!,$p:String!){ register(email:$e,password:$p,name:\"V\"){ id } }",
            json!({ "e": email, "p": PASSWORD }),
            None,
        )
        .await;
    assert!(
        !body.to_string().contains("token"),
        "no token in the response: {body}"
    );
    let s = login(&app, &email).await;
    assert_eq!(verified(&app, &s.access).await, json!(false));

    let registered = event_for(&events, "user.registered", &s.user_id, 1).await;
    let token = registered.data["verificationToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        registered.data["verificationUrl"],
        json!(format!("https://shop.example/verify-email?token={token}"))
    );
    assert_eq!(registered.data["emailVerified"], json!(false));
    // Only the hash is stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM one_time_tokens WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(app.svc().db.background())
            .await
            .unwrap();
    assert_eq!(stored, 0, "the raw token must not be stored");

    let wrong = app.gql(VERIFY, json!({ "t": "not-the-token" }), None).await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    assert_eq!(kit::testing::error_field(&wrong), "token");

    let ok = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!(ok["data"]["verifyEmail"], json!(true), "{ok}");
    assert_eq!(verified(&app, &s.access).await, json!(true));
    let ev = event_for(&events, "user.email_verified", &s.user_id, 1).await;
    assert_eq!(ev.data["email"], json!(email));

    let again = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!(code(&again), "BAD_USER_INPUT", "a used token is refused");

    // Verified: nothing to resend.
    let resend = app.gql(RESEND, json!({}), Some(&s.access)).await;
    assert_eq!(code(&resend), "CONFLICT");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_verification_link_is_refused() {
    let app = start_with(&[("EMAIL_VERIFY_TTL_SECS", "0")]).await;
    let events = user_events(&app).await;
    let s = customer(&app, "expired").await;
    let registered = event_for(&events, "user.registered", &s.user_id, 1).await;
    let token = registered.data["verificationToken"].as_str().unwrap();
    let body = app.gql(VERIFY, json!({ "t": token }), None).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(verified(&app, &s.access).await, json!(false));
    app.stop().await;
}

#[tokio::test]
async fn resending_replaces_the_link_and_a_new_address_needs_its_own() {
    let app = start().await;
    let events = user_events(&app).await;
    let s = customer(&app, "resend").await;
    let first = event_for(&events, "user.registered", &s.user_id, 1).await;
    let old = first.data["verificationToken"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        code(&app.gql(RESEND, json!({}), None).await),
        "UNAUTHENTICATED"
    );
    let body = app.gql(RESEND, json!({}), Some(&s.access)).await;
    assert_eq!(
        body["data"]["resendVerificationEmail"],
        json!(true),
        "{body}"
    );
    let resent = event_for(&events, "user.verification_requested", &s.user_id, 1).await;
    let new = resent.data["verificationToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(old, new);

    assert_eq!(
        code(&app.gql(VERIFY, json!({ "t": old }), None).await),
        "BAD_USER_INPUT"
    );
    let ok = app.gql(VERIFY, json!({ "t": new }), None).await;
    assert_eq!(ok["data"]["verifyEmail"], json!(true), "{ok}");
    assert_eq!(verified(&app, &s.access).await, json!(true));

    // A changed address is unproven again.
    let changed = app
        .gql(
            "mutation($e:String!){ updateProfile(input:{email:$e}){ id } }",
            json!({ "e": unique_email("moved") }),
            Some(&s.access),
        )
        .await;
    assert!(changed["errors"].is_null(), "{changed}");
    assert_eq!(verified(&app, &s.access).await, json!(false));
    app.stop().await;
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_unknown_addresses() {
    let app = start().await;
    let events = user_events(&app).await;
    let email = unique_email("known");
    let id = register(&app, &email, "Known").await;
    let known = app.gql(REQUEST, json!({ "e": email }), None).await;
    let unknown = app
        .gql(REQUEST, json!({ "e": unique_email("nobody") }), None)
        .await;
    assert_eq!(known, json!({ "data": { "requestPasswordReset": true } }));
    assert_eq!(known, unknown, "no user enumeration");
    let ev = event_for(&events, "user.password_reset_requested", &id, 1).await;
    assert_eq!(ev.data["email"], json!(email));
    assert!(ev.data["resetUrl"]
        .as_str()
        .unwrap()
        .ends_with(ev.data["resetToken"].as_str().unwrap()));
    // Give a stray event for the unknown address time to show up, then check there is none.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&events, "user.password_reset_requested"), 1);

    let bad = app.gql(REQUEST, json!({ "e": "not an email" }), None).await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    app.stop().await;
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_ends_sessions() {
    let app = start().await;
    let events = user_events(&app).await;
    let email = unique_email("reset");
    register(&app, &email, "Reset").await;
    let s = login(&app, &email).await;
    app.gql(REQUEST, json!({ "e": email }), None).await;
    let ev = event_for(&events, "user.password_reset_requested", &s.user_id, 1).await;
    let token = ev.data["resetToken"].as_str().unwrap().to_string();

    let wrong = app
        .gql(
            RESET,
            json!({ "t": "guess", "p": "a brand new passphrase" }),
            None,
        )
        .await;
    assert_eq!(code(&wrong), "BAD_USER_INPUT");
    assert_eq!(kit::testing::error_field(&wrong), "token");
    // A weak password is refused without using the token up.
    let weak = app
        .gql(RESET, json!({ "t": token, "p": "short" }), None)
        .await;
    assert_eq!(kit::testing::error_field(&weak), "newPassword");

    let ok = app
        .gql(
            RESET,
            json!({ "t": token, "p": "a brand new passphrase" }),
            None,
        )
        .await;
    assert_eq!(ok["data"]["resetPassword"], json!(true), "{ok}");
    let changed = event_for(&events, "user.password_changed", &s.user_id, 1).await;
    assert_eq!(changed.data["via"], json!("reset"));

    assert_eq!(
        code(&login_raw(&app, &email, PASSWORD).await),
        "UNAUTHENTICATED"
    );
    let new_login = login_raw(&app, &email, "a brand new passphrase").await;
    assert!(new_login["errors"].is_null(), "{new_login}");
    let refresh = app
        .gql(
            "mutation($t:String!){ refreshToken(refreshToken:$t){ accessToken } }",
            json!({ "t": s.refresh }),
            None,
        )
        .await;
    assert_eq!(code(&refresh), "UNAUTHENTICATED", "old sessions end");
    // The reset proved the mailbox.
    let access = new_login["data"]["login"]["accessToken"].as_str().unwrap();
    assert_eq!(verified(&app, access).await, json!(true));

    let reuse = app
        .gql(
            RESET,
            json!({ "t": token, "p": "yet another passphrase" }),
            None,
        )
        .await;
    assert_eq!(code(&reuse), "BAD_USER_INPUT", "a used token is refused");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = start_with(&[("PASSWORD_RESET_TTL_SECS", "0")]).await;
    let events = user_events(&app).await;
    let email = unique_email("late");
    let id = register(&app, &email, "Late").await;
    app.gql(REQUEST, json!({ "e": email }), None).await;
    let ev = event_for(&events, "user.password_reset_requested", &id, 1).await;
    let body = app
        .gql(
            RESET,
            json!({ "t": ev.data["resetToken"], "p": "a brand new passphrase" }),
            None,
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let old = login_raw(&app, &email, PASSWORD).await;
    assert!(old["errors"].is_null(), "password unchanged: {old}");
    app.stop().await;
}
