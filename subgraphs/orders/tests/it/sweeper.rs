//! The payment-timeout sweeper cancels unpaid orders past their deadline (reason
//! PAYMENT_TIMEOUT, actor "system") and leaves paid orders and orders still in time alone.

use orders::status::OrderStatus;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn unpaid_orders_past_their_deadline_are_cancelled() {
    let env = start_with(&[("SWEEP_INTERVAL_MS", "100")]).await;
    let past = kit::ids::now_millis() - 1;
    let mut late = order_view(Some("c-1"), "c@example.com", None);
    late.payment_deadline = past;
    let late = env.place(late).await;
    let in_time = env
        .place(order_view(Some("c-1"), "c@example.com", None))
        .await;
    // Paid in time, then its deadline passes: the sweeper must leave it alone. (Placed with a
    // past deadline, the sweeper could rightly cancel it before the payment event lands.)
    let paid = env
        .place(order_view(Some("c-1"), "c@example.com", None))
        .await;
    env.deliver(payment_succeeded(&paid)).await;
    sqlx::query("UPDATE orders SET payment_deadline = $1 WHERE id = $2")
        .bind(past)
        .bind(&paid.id)
        .execute(env.app.svc().db.background())
        .await
        .unwrap();

    let db = env.app.svc().db.clone();
    let id = late.id.clone();
    eventually("the late order is cancelled", || {
        let (db, id) = (db.clone(), id.clone());
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM orders WHERE id = $1")
                .bind(&id)
                .fetch_one(db.background())
                .await
                .unwrap()
                == OrderStatus::Cancelled.as_str()
        }
    })
    .await;
    let body = env
        .staff_gql(
            "query($id:ID!){ order(id:$id){ statusHistory { status actor reason } } }",
            json!({ "id": late.id }),
        )
        .await;
    assert_eq!(
        body["data"]["order"]["statusHistory"][1],
        json!({ "status": "CANCELLED", "actor": "system", "reason": "PAYMENT_TIMEOUT" })
    );
    assert_eq!(env.status(&in_time.id).await, "PENDING_PAYMENT");
    assert_eq!(env.status(&paid.id).await, "PAID");
    // Sweeping again finds nothing.
    assert_eq!(orders::sweeper::sweep(env.app.svc()).await.unwrap(), 0);
    env.stop().await;
}
