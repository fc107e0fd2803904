//! `cancelOrder` by the shopper (customer, or guest with `X-Order-Token`) or staff before the
//! order ships, recorded with who and why; strangers are told the order does not exist.
//! `refundOrder` is for staff, for paid orders, up to what is left to refund.

use serde_json::json;

use crate::common::*;

const CANCEL: &str =
    "mutation($id:ID!,$r:String){ cancelOrder(id:$id, reason:$r){ status statusHistory { status actor reason note } } }";

#[tokio::test]
async fn shoppers_and_staff_cancel_before_shipping() {
    let env = start().await;
    let (order, customer, token) = env.customer_order().await;
    let (_, stranger) = env.customer().await;
    let body = env
        .gql(As::bearer(&stranger), CANCEL, json!({ "id": order.id }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let body = env
        .gql(As::default(), CANCEL, json!({ "id": order.id }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");

    let body = env
        .gql(
            As::bearer(&token),
            CANCEL,
            json!({ "id": order.id, "r": "ordered twice" }),
        )
        .await;
    let cancelled = &body["data"]["cancelOrder"];
    assert_eq!(cancelled["status"], "CANCELLED", "{body}");
    assert_eq!(
        cancelled["statusHistory"][1],
        json!({ "status": "CANCELLED", "actor": customer, "reason": "CUSTOMER", "note": "ordered twice" })
    );
    // Twice is a conflict: CANCELLED cannot become CANCELLED.
    let body = env
        .gql(As::bearer(&token), CANCEL, json!({ "id": order.id }))
        .await;
    assert_eq!(error_code(&body), "CONFLICT");

    // A guest with the order's token.
    let guest_token = "guest-order-token-123";
    let guest = env
        .place(order_view(
            None,
            "g@example.com",
            Some(orders::token::hash(guest_token)),
        ))
        .await;
    let body = env
        .gql(As::order_token("wrong"), CANCEL, json!({ "id": guest.id }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let body = env
        .gql(
            As::order_token(guest_token),
            CANCEL,
            json!({ "id": guest.id }),
        )
        .await;
    assert_eq!(
        body["data"]["cancelOrder"]["statusHistory"][1]["actor"],
        "guest"
    );

    // Staff, for a paid order.
    let (paid, _, _) = env.customer_order().await;
    env.deliver(payment_succeeded(&paid)).await;
    let body = env
        .gql(As::bearer(&env.admin), CANCEL, json!({ "id": paid.id }))
        .await;
    assert_eq!(
        body["data"]["cancelOrder"]["statusHistory"][2]["reason"], "STAFF",
        "{body}"
    );
    env.stop().await;
}

#[tokio::test]
async fn refunds_are_for_staff_and_paid_orders_within_what_is_left() {
    let env = start().await;
    let (order, _, token) = env.customer_order().await;
    let refund = "mutation($id:ID!,$a:MoneyInput){ refundOrder(id:$id, amount:$a){ status } }";
    let body = env
        .gql(As::bearer(&token), refund, json!({ "id": order.id }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = env.staff_gql(refund, json!({ "id": order.id })).await;
    assert_eq!(error_code(&body), "CONFLICT", "unpaid: {body}");
    env.deliver(payment_succeeded(&order)).await;
    let body = env
        .staff_gql(
            refund,
            json!({ "id": order.id, "a": { "amount": "30.01", "currencyCode": "USD" } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(field(&body), "amount.amount");
    let body = env
        .staff_gql(
            refund,
            json!({ "id": order.id, "a": { "amount": "1.00", "currencyCode": "EUR" } }),
        )
        .await;
    assert_eq!(field(&body), "amount.currencyCode");
    env.stop().await;
}
