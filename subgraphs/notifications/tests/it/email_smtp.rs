//! Email through a real SMTP server: the welcome email (recipient, subject, multipart
//! alternative with both parts, the verification link that then verifies the account), an
//! order email sent once however often its event is delivered, a stopped server retried until
//! the email arrives exactly once, and a refused mailbox recorded as FAILED and left alone.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn the_welcome_email_arrives_with_both_parts_and_its_link_verifies_the_account() {
    let sink = SmtpSink::start();
    let env = start(Some(&sink), &[]).await;
    let user = env.customer().await;
    eventually("the welcome email", || async {
        !sink.received_for(&user.email).is_empty()
    })
    .await;
    let mails = sink.received_for(&user.email);
    assert_eq!(mails.len(), 1, "one welcome email");
    let mail = &mails[0];
    assert_eq!(mail.to, user.email);
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(
        mail.subject.starts_with("Welcome to Shop, Ada Lovelace"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Hi Ada Lovelace"), "{}", mail.text);
    assert!(
        mail.text
            .contains("https://shop.example/verify-email?token="),
        "{}",
        mail.text
    );
    assert!(mail
        .html
        .contains("<a href=\"https://shop.example/verify-email?token="));
    let token = token_of(&mail.text);
    assert_eq!(
        token,
        token_of(&mail.html),
        "both parts carry the same link"
    );

    let me = "{ me { emailVerified } }";
    let before = env.accounts.gql(me, json!({}), Some(&user.token)).await;
    assert_eq!(before["data"]["me"]["emailVerified"], json!(false));
    let clicked = env
        .accounts
        .gql(
            "mutation($t:String!){ verifyEmail(token:$t) }",
            json!({ "t": token }),
            None,
        )
        .await;
    assert_eq!(clicked["data"]["verifyEmail"], json!(true), "{clicked}");
    let after = env.accounts.gql(me, json!({}), Some(&user.token)).await;
    assert_eq!(after["data"]["me"]["emailVerified"], json!(true));

    // The delivery log shows the email sent, and the in-app welcome.
    let rows = env.deliveries(&user.email).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].3.as_str()),
        ("SENT", "welcome")
    );
    env.stop().await;
}

#[tokio::test]
async fn a_redelivered_event_sends_nothing_twice() {
    let sink = SmtpSink::start();
    let env = start(Some(&sink), &[]).await;
    let user = env.customer().await;
    let shipped = order_event(
        "order.shipped",
        Some(&user),
        &user.email,
        json!({ "carrier": "UPS", "trackingNumber": "1Z999AA10123456784" }),
    );
    let consumed = env.app.metric("events_consumed_total").await;
    for _ in 0..3 {
        env.publish(&shipped).await;
    }
    eventually("the shipping email", || async {
        sink.received_for(&user.email)
            .iter()
            .any(|m| m.subject.contains("has shipped"))
    })
    .await;
    // Let any duplicate show up before counting.
    eventually("all copies handled", || async {
        env.app.metric("events_consumed_total").await >= consumed + 3
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let shipped_mails: Vec<Mail> = sink
        .received_for(&user.email)
        .into_iter()
        .filter(|m| m.subject.contains("has shipped"))
        .collect();
    assert_eq!(shipped_mails.len(), 1, "sent once");
    let mail = &shipped_mails[0];
    assert_eq!(mail.subject, "Order SO-1001 has shipped");
    assert!(
        mail.text.contains("Tracking number: 1Z999AA10123456784"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("1Z999AA10123456784"));
    let in_app: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE event_id = $1")
        .bind(&shipped.id)
        .fetch_one(env.app.svc().db.background())
        .await
        .unwrap();
    assert_eq!(in_app, 1, "one in-app notification");
    env.stop().await;
}

#[tokio::test]
async fn a_stopped_smtp_server_delays_the_email_which_then_arrives_exactly_once() {
    let mut sink = SmtpSink::start();
    let env = start(Some(&sink), &[]).await;
    sink.pause();
    let email = format!("outage.{}@example.com", &kit::ids::new_id()[24..]);
    let paid = order_event("order.paid", None, &email, json!({}));
    env.publish(&paid).await;
    // The attempt fails (connection refused) and is scheduled again, the event acknowledged.
    eventually("a failed attempt", || async {
        env.deliveries(&email)
            .await
            .first()
            .is_some_and(|d| d.0 == "PENDING" && d.1 >= 2)
    })
    .await;
    assert!(sink.received_for(&email).is_empty());
    sink.resume();
    eventually("the email after the outage", || async {
        env.deliveries(&email)
            .await
            .first()
            .is_some_and(|d| d.0 == "SENT")
    })
    .await;
    // Redelivering the event now changes nothing either.
    env.publish(&paid).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let mails = sink.received_for(&email);
    assert_eq!(mails.len(), 1, "exactly once");
    assert_eq!(mails[0].subject, "Payment received for order SO-1001");
    assert!(mails[0].text.contains("42.50 USD"), "{}", mails[0].text);
    env.stop().await;
}

#[tokio::test]
async fn a_refused_mailbox_is_recorded_as_failed_and_not_retried() {
    let sink = SmtpSink::start();
    let env = start(Some(&sink), &[]).await;
    let email = format!("reject.{}@example.com", &kit::ids::new_id()[24..]);
    env.publish(&order_event("order.delivered", None, &email, json!({})))
        .await;
    eventually("the permanent failure", || async {
        env.deliveries(&email)
            .await
            .first()
            .is_some_and(|d| d.0 == "FAILED")
    })
    .await;
    // A few poll intervals later it was not tried again.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let rows = env.deliveries(&email).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("FAILED", 1));
    assert!(sink.received_for(&email).is_empty());

    // Staff see why in the log.
    let log = env
        .gql(
            "query($r:String!){ notificationDeliveries(filter:{recipient:$r}) { totalCount edges { node { status attempts lastError kind channel } } } }",
            json!({ "r": email }),
            Some(&env.staff),
        )
        .await;
    let node = &log["data"]["notificationDeliveries"]["edges"][0]["node"];
    assert_eq!(node["status"], json!("FAILED"), "{log}");
    assert_eq!(node["channel"], json!("EMAIL"));
    assert!(node["lastError"].as_str().unwrap().contains("550"), "{log}");
    env.stop().await;
}
