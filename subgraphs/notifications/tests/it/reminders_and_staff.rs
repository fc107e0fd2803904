//! Livestream reminders (only the users who asked, once per stream) and staff alerts: low
//! stock goes to staff accounts and the configured addresses; a disabled webhook endpoint to
//! the admin who registered it; the delivery log is staff-only;
//! `payment.failed` reaches the order's contact from `order.created`.

use serde_json::json;

use crate::common::*;
use kit::events::Event;

#[tokio::test]
async fn a_livestream_start_reminds_those_who_asked_once() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    let bob = env.customer().await;
    let stream = kit::ids::new_id();
    let remind = "mutation($s:ID!){ remindMeOfLivestream(streamId:$s) }";
    assert_eq!(
        code(&env.gql(remind, json!({ "s": stream }), None).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(
            &env.gql(remind, json!({ "s": "no spaces please" }), Some(&ada.token))
                .await
        ),
        "BAD_USER_INPUT"
    );
    for _ in 0..2 {
        let ok = env
            .gql(remind, json!({ "s": stream }), Some(&ada.token))
            .await;
        assert_eq!(ok["data"]["remindMeOfLivestream"], json!(true), "{ok}");
    }
    let starting = Event::new(
        "livestream",
        "livestream.starting",
        Some(stream.clone()),
        json!({ "streamId": stream, "title": "Autumn wool drop", "startsAt": "2026-12-04T18:00:00Z" }),
    );
    env.publish(&starting).await;
    env.publish(&Event::new(
        "livestream",
        "livestream.started",
        Some(stream.clone()),
        json!({ "id": stream }),
    ))
    .await;
    eventually("the reminder email", || async {
        env.deliveries(&ada.email)
            .await
            .iter()
            .any(|d| d.3 == "livestream_starting" && d.0 == "SENT")
    })
    .await;
    let body = env
        .gql(
            "{ myNotifications { edges { node { kind title } } } }",
            json!({}),
            Some(&ada.token),
        )
        .await;
    let kinds: Vec<&str> = body["data"]["myNotifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "livestream_starting")
            .count(),
        1,
        "reminded once: {body}"
    );
    assert!(env
        .deliveries(&bob.email)
        .await
        .iter()
        .all(|d| d.3 != "livestream_starting"));
    let mail = env
        .files()
        .into_iter()
        .map(|p| parse(&p))
        .find(|m| m.to == ada.email && m.subject.contains("Live now"))
        .expect("the reminder email file");
    assert_eq!(mail.subject, "Live now: Autumn wool drop");
    assert!(mail
        .text
        .contains(&format!("https://shop.example/live/{stream}")));
    env.stop().await;
}

#[tokio::test]
async fn low_stock_goes_to_staff_and_the_log_is_staff_only() {
    let env = start(
        None,
        &[(
            "STAFF_NOTIFY_EMAILS",
            "Warehouse@Example.com, ops@example.com",
        )],
    )
    .await;
    let ada = env.customer().await;
    // The admin exists before notifications ran: promote them the way accounts says so.
    let me = env
        .accounts
        .gql("{ me { id } }", json!({}), Some(&env.staff))
        .await;
    let staff_id = me["data"]["me"]["id"].as_str().unwrap().to_string();
    env.publish(&Event::new("accounts", "user.updated", Some(staff_id.clone()), json!({
        "userId": staff_id, "changed": ["role"], "role": "admin", "email": env.staff_email, "name": "Admin",
    }))).await;
    let low = Event::new(
        "inventory",
        "inventory.low",
        Some("v-1".into()),
        json!({
            "variantId": "0193a1b2-0000-7000-8000-000000000001", "warehouseId": "main", "available": 2, "threshold": 5,
        }),
    );
    env.publish(&low).await;
    for email in [
        env.staff_email.as_str(),
        "warehouse@example.com",
        "ops@example.com",
    ] {
        eventually("a stock email", || async {
            env.deliveries(email)
                .await
                .iter()
                .any(|d| d.3 == "stock_low" && d.0 == "SENT")
        })
        .await;
    }
    assert!(env
        .deliveries(&ada.email)
        .await
        .iter()
        .all(|d| d.3 != "stock_low"));

    let log = "query($f:DeliveryFilter){ notificationDeliveries(filter:$f, first: 50) { totalCount edges { node { recipient kind status channel eventType } } } }";
    assert_eq!(
        code(&env.gql(log, json!({}), Some(&ada.token)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        code(&env.gql(log, json!({}), None).await),
        "UNAUTHENTICATED"
    );
    let body = env
        .gql(
            log,
            json!({ "f": { "eventType": "inventory.low", "channel": "EMAIL" } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(
        body["data"]["notificationDeliveries"]["totalCount"],
        json!(3),
        "{body}"
    );

    // payment.failed names only the order: its contact comes from order.created.
    let placed = order_event("order.created", Some(&ada), &ada.email, json!({}));
    env.publish(&placed).await;
    let order_id = placed.data["orderId"].as_str().unwrap().to_string();
    env.publish(&Event::new(
        "payments",
        "payment.failed",
        Some(kit::ids::new_id()),
        json!({
            "paymentId": kit::ids::new_id(), "orderId": order_id, "reason": "card_declined",
            "amount": { "amount": "42.50", "currencyCode": "USD", "minorUnits": 4250 },
        }),
    ))
    .await;
    eventually("the payment failure email", || async {
        env.deliveries(&ada.email)
            .await
            .iter()
            .any(|d| d.3 == "payment_failed" && d.0 == "SENT")
    })
    .await;
    env.stop().await;
}

#[tokio::test]
async fn a_disabled_webhook_endpoint_is_told_to_its_owner_only() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    let me = env
        .accounts
        .gql("{ me { id } }", json!({}), Some(&env.staff))
        .await;
    let owner = me["data"]["me"]["id"].as_str().unwrap().to_string();
    env.publish(&Event::new("accounts", "user.updated", Some(owner.clone()), json!({
        "userId": owner, "changed": ["role"], "role": "admin", "email": env.staff_email, "name": "Admin",
    }))).await;
    let disabled = Event::new(
        "webhooks",
        "webhook.endpoint_disabled",
        Some("0193a1b2-0000-7000-8000-0000000000aa".into()),
        json!({
            "endpointId": "0193a1b2-0000-7000-8000-0000000000aa", "url": "https://partner.example/hook",
            "ownerId": owner, "reason": "HTTP 503", "consecutiveFailures": 20,
            "failingSince": "2026-12-03T10:00:00+00:00", "disabledAt": "2026-12-04T10:00:00+00:00",
        }),
    );
    env.publish(&disabled).await;
    // A redelivery of the same event tells nobody twice.
    env.publish(&disabled).await;
    eventually("the owner's email", || async {
        env.deliveries(&env.staff_email)
            .await
            .iter()
            .any(|d| d.3 == "webhook_disabled" && d.0 == "SENT")
    })
    .await;
    let to_owner = env.deliveries(&env.staff_email).await;
    assert_eq!(
        to_owner
            .iter()
            .filter(|d| d.3 == "webhook_disabled")
            .count(),
        1,
        "{to_owner:?}"
    );
    assert!(env
        .deliveries(&ada.email)
        .await
        .iter()
        .all(|d| d.3 != "webhook_disabled"));
    env.stop().await;
}
