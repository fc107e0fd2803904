//! Targets off the public internet are refused: at registration (private, link-local,
//! loopback when not allowed, not http, credentials), at delivery when a name resolves to
//! loopback after registration (DNS rebinding), and redirects are never followed.

use serde_json::json;

use crate::common::{error_code, event, field, start, start_with};
use crate::receiver::Receiver;

#[tokio::test]
async fn private_and_link_local_urls_are_refused_at_registration() {
    // Loopback allowed (as in every test), the other private ranges still refused.
    let env = start().await;
    for url in [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.20:8080/hook",
        "http://172.16.5.4/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::ffff:10.0.0.1]/",
    ] {
        let body = env
            .create_raw(json!({ "url": url, "eventTypes": ["*"] }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
        assert_eq!(field(&body), "input.url", "{url}");
    }
    for url in [
        "ftp://example.com/",
        "not a url",
        "https://user:pw@example.com/",
    ] {
        let body = env
            .create_raw(json!({ "url": url, "eventTypes": ["*"] }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
        assert_eq!(field(&body), "input.url");
    }
    // Changing a URL is checked the same way.
    let ep = env.register("http://127.0.0.1:9/hook", &["*"]).await;
    let body = env
        .admin_gql(
            "mutation($id:ID!){ updateWebhookEndpoint(id:$id, input:{url:\"http://10.1.2.3/\"}){ url } }",
            json!({ "id": ep.id }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(env.endpoint(&ep.id).await["url"], "http://127.0.0.1:9/hook");
    env.stop().await;
}

#[tokio::test]
async fn loopback_is_refused_at_registration_and_at_delivery_unless_allowed() {
    let env = start_with(&[("ALLOW_LOOPBACK_TARGETS", "false")]).await;
    let rx = Receiver::answering(200).await;
    for url in [
        rx.url.clone(),
        format!("http://localhost:{}/hook", rx.port),
        "http://[::1]/".to_string(),
    ] {
        let body = env
            .create_raw(json!({ "url": url, "eventTypes": ["*"] }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
    }

    // A name that resolved to a public address at registration and to loopback later (DNS
    // rebinding): registered with a public address, then the stored URL is pointed at a name
    // resolving to 127.0.0.1, as a changed DNS answer would. The delivery's resolver refuses.
    let ep = env.register("http://93.184.215.14/hook", &["*"]).await;
    kit::sqlx::query("UPDATE webhook_endpoints SET url = $1 WHERE id = $2")
        .bind(format!("http://localhost:{}/hook", rx.port))
        .bind(&ep.id)
        .execute(env.app.svc().db.pool())
        .await
        .unwrap();
    env.publish(&[event("order.paid")]).await;
    crate::common::eventually("a refused attempt", || async {
        env.deliveries(&ep.id)
            .await
            .first()
            .is_some_and(|d| d["attemptCount"].as_i64() >= Some(1))
    })
    .await;
    let d = &env.deliveries(&ep.id).await[0];
    let attempt = &d["attempts"][0];
    assert_eq!(attempt["responseStatus"], serde_json::Value::Null, "{d}");
    let error = attempt["error"].as_str().unwrap();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );
    assert_eq!(rx.count(), 0, "nothing reached the loopback receiver");

    // An address written in the URL is checked too (it never goes through the resolver).
    let ep2 = env.register("http://93.184.215.14/other", &["*"]).await;
    kit::sqlx::query("UPDATE webhook_endpoints SET url = $1 WHERE id = $2")
        .bind(&rx.url)
        .bind(&ep2.id)
        .execute(env.app.svc().db.pool())
        .await
        .unwrap();
    env.publish(&[event("order.shipped")]).await;
    crate::common::eventually("a refused attempt", || async {
        env.deliveries(&ep2.id)
            .await
            .first()
            .is_some_and(|d| d["attemptCount"].as_i64() >= Some(1))
    })
    .await;
    let d = &env.deliveries(&ep2.id).await[0];
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{d}"
    );
    assert_eq!(rx.count(), 0);
    env.stop().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let env = start().await;
    let elsewhere = Receiver::answering(200).await;
    let target = elsewhere.url.clone();
    let redirecting = Receiver::scripted(move |_| {
        (
            302,
            vec![("location".into(), target.clone())],
            String::new(),
        )
    })
    .await;
    let ep = env.register(&redirecting.url, &["*"]).await;
    env.publish(&[event("order.paid")]).await;
    crate::common::eventually("the redirect answered", || async {
        env.deliveries(&ep.id)
            .await
            .first()
            .is_some_and(|d| d["attemptCount"].as_i64() >= Some(1))
    })
    .await;
    let d = &env.deliveries(&ep.id).await[0];
    assert_eq!(d["attempts"][0]["responseStatus"], 302);
    assert!(
        d["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed"),
        "{d}"
    );
    assert_eq!(elsewhere.count(), 0);
    env.stop().await;
}
