//! Preferences: every channel of every category is on until the user turns it off; a category
//! turned off gets no email (or no in-app notification); account emails cannot be turned off.

use serde_json::{json, Value};

use crate::common::*;

const GET: &str = "{ notificationPreferences { category email inApp } }";
const SET: &str = "mutation($i:[NotificationPreferenceInput!]!){ updateNotificationPreferences(input:$i){ category email inApp } }";

fn find(list: &Value, category: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["category"] == json!(category))
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn switched_off_channels_are_respected() {
    let env = start(None, &[]).await;
    let ada = env.customer().await;
    let prefs = env.gql(GET, json!({}), Some(&ada.token)).await;
    let list = &prefs["data"]["notificationPreferences"];
    assert_eq!(list.as_array().unwrap().len(), 5, "{prefs}");
    assert_eq!(
        find(list, "ORDERS"),
        json!({ "category": "ORDERS", "email": true, "inApp": true })
    );

    let set = env
        .gql(
            SET,
            json!({ "i": [{ "category": "ORDERS", "email": false }] }),
            Some(&ada.token),
        )
        .await;
    let list = &set["data"]["updateNotificationPreferences"];
    assert_eq!(
        find(list, "ORDERS"),
        json!({ "category": "ORDERS", "email": false, "inApp": true }),
        "{set}"
    );

    let refused = env
        .gql(
            SET,
            json!({ "i": [{ "category": "ACCOUNT", "email": false }] }),
            Some(&ada.token),
        )
        .await;
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert_eq!(kit::testing::error_field(&refused), "input[0].email");
    assert_eq!(
        code(&env.gql(GET, json!({}), None).await),
        "UNAUTHENTICATED"
    );

    // Orders: in the app, not by email. The welcome email (ACCOUNT) still went out.
    let paid = order_event("order.paid", Some(&ada), &ada.email, json!({}));
    env.publish(&paid).await;
    eventually("the in-app notification", || async {
        let body = env
            .gql("{ unreadNotificationCount }", json!({}), Some(&ada.token))
            .await;
        body["data"]["unreadNotificationCount"] == json!(2)
    })
    .await;
    let rows = env.deliveries(&ada.email).await;
    let kinds: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(kinds, vec!["welcome"], "no order email: {rows:?}");

    // In-app off too: nothing at all for the next order event.
    env.gql(
        SET,
        json!({ "i": [{ "category": "ORDERS", "inApp": false }] }),
        Some(&ada.token),
    )
    .await;
    let shipped = order_event("order.shipped", Some(&ada), &ada.email, json!({}));
    env.publish(&shipped).await;
    let consumed = |id: String| {
        let db = env.app.svc().db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM processed_events WHERE event_id = $1",
            )
            .bind(id)
            .fetch_one(db.background())
            .await
            .unwrap()
                == 1
        }
    };
    eventually("the event handled", || consumed(shipped.id.clone())).await;
    let body = env
        .gql("{ unreadNotificationCount }", json!({}), Some(&ada.token))
        .await;
    assert_eq!(body["data"]["unreadNotificationCount"], json!(2));
    assert_eq!(env.deliveries(&ada.email).await.len(), 1);
    env.stop().await;
}
