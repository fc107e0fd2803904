//! The state machine's table, exhaustively: from every status, for every cause, to every
//! status, a move the table allows happens (status, history entry and `order.<status>` event recorded together)
//! and every other move is refused (`CONFLICT` for a client) without a trace.

use orders::status::{allowed, OrderStatus, Trigger, ALL, TRIGGERS};
use orders::transition::{self, Move, Outcome};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn every_move_outside_the_table_is_a_conflict_and_every_move_in_it_is_recorded() {
    let env = start().await;
    let svc = env.app.svc();
    for (from, cause, to) in ALL
        .into_iter()
        .flat_map(|f| TRIGGERS.into_iter().map(move |c| (f, c)))
        .flat_map(|(f, c)| ALL.into_iter().map(move |t| (f, c, t)))
    {
        {
            let order = env
                .place(order_view(Some("c-1"), "c@example.com", None))
                .await;
            // Put the order in `from` (setup only; the moves under test go through `apply`).
            sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
                .bind(from.as_str())
                .bind(&order.id)
                .execute(svc.db.background())
                .await
                .unwrap();
            let mut tx = svc.db.begin().await.unwrap();
            let outcome =
                transition::apply(svc, &mut tx, &order.id, Move::new(to, "tester", cause))
                    .await
                    .unwrap();
            tx.commit().await.unwrap();
            let history: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
                "SELECT version, status, previous_status, actor FROM order_status_history \
                 WHERE order_id = $1 ORDER BY version",
            )
            .bind(&order.id)
            .fetch_all(svc.db.background())
            .await
            .unwrap();
            let events: Vec<(i64, String)> = sqlx::query_as(
                "SELECT version, event_type FROM order_events WHERE order_id = $1 ORDER BY version",
            )
            .bind(&order.id)
            .fetch_all(svc.db.background())
            .await
            .unwrap();
            if allowed(from, cause, to) {
                let Outcome::Moved(moved) = outcome else {
                    panic!("{from:?} →({cause:?}) {to:?} is in the table but was refused");
                };
                assert_eq!((moved.status, moved.version), (to, 2));
                assert_eq!(
                    history[1],
                    (
                        2,
                        to.as_str().to_string(),
                        Some(from.as_str().to_string()),
                        "tester".to_string()
                    )
                );
                assert_eq!(events[1], (2, to.event_type()));
            } else {
                let Outcome::Illegal(current) = outcome else {
                    panic!("{from:?} →({cause:?}) {to:?} is not in the table but happened");
                };
                assert_eq!(current.status, from);
                let err = Outcome::Illegal(current).into_result(to).unwrap_err();
                assert_eq!(
                    err.code(),
                    kit::error::Code::Conflict,
                    "{from:?} →({cause:?}) {to:?}"
                );
                assert_eq!(
                    history.len(),
                    1,
                    "{from:?} →({cause:?}) {to:?} left history"
                );
                assert_eq!(
                    events.len(),
                    1,
                    "{from:?} →({cause:?}) {to:?} left an event"
                );
            }
        }
    }
    env.stop().await;
}

#[tokio::test]
async fn moving_an_unknown_order_is_not_found() {
    let env = start().await;
    let svc = env.app.svc();
    let mut tx = svc.db.begin().await.unwrap();
    let outcome = transition::apply(
        svc,
        &mut tx,
        "no-such-order",
        Move::new(OrderStatus::Paid, "tester", Trigger::PaymentSucceeded),
    )
    .await
    .unwrap();
    assert!(matches!(outcome, Outcome::Unknown));
    let err = outcome.into_result(OrderStatus::Paid).unwrap_err();
    assert_eq!(err.code(), kit::error::Code::NotFound);
    drop(tx);

    // Through the API too: cancelling a shipped order is a conflict.
    let (order, _, token) = env.customer_order().await;
    sqlx::query("UPDATE orders SET status = 'SHIPPED' WHERE id = $1")
        .bind(&order.id)
        .execute(svc.db.background())
        .await
        .unwrap();
    let body = env
        .gql(
            As::bearer(&token),
            "mutation($id:ID!){ cancelOrder(id:$id){ status } }",
            json!({ "id": order.id }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT", "{body}");
    env.stop().await;
}
