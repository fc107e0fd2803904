//! The events payments publishes (see docs/checkout.md), subject = payment id:
//! `payment.succeeded` (with `reservationReference` = order id, which inventory commits on),
//! `payment.failed`, `payment.refunded` and `payment.voided`. Money is
//! `{amount, currencyCode, minorUnits}`.

use kit::money::Money;
use kit::{Service, Tx};
use serde_json::{json, Value};

use crate::payment::Payment;

pub fn money(m: Money) -> Value {
    json!({
        "amount": m.amount_string(),
        "currencyCode": m.currency.code(),
        "minorUnits": m.minor,
    })
}

pub async fn succeeded(svc: &Service, tx: &mut Tx, p: &Payment) -> Result<(), sqlx::Error> {
    let data = json!({
        "paymentId": p.id,
        "orderId": p.order_id,
        "amount": money(p.money(p.captured)),
        "provider": p.provider,
        "providerReference": p.provider_reference,
        "reservationReference": p.order_id,
    });
    tx.emit(&svc.event("payment.succeeded", Some(p.id.clone()), data))
        .await
}

pub async fn failed(svc: &Service, tx: &mut Tx, p: &Payment) -> Result<(), sqlx::Error> {
    let data = json!({
        "paymentId": p.id,
        "orderId": p.order_id,
        "amount": money(p.amount),
        "provider": p.provider,
        "reason": p.failure_reason,
        "declineCode": p.decline_code,
    });
    tx.emit(&svc.event("payment.failed", Some(p.id.clone()), data))
        .await
}

pub async fn refunded(
    svc: &Service,
    tx: &mut Tx,
    p: &Payment,
    refund_id: &str,
    amount: Money,
) -> Result<(), sqlx::Error> {
    let data = json!({
        "paymentId": p.id,
        "refundId": refund_id,
        "orderId": p.order_id,
        "amount": money(amount),
        "refundedTotal": money(p.money(p.refunded)),
        "fullyRefunded": p.refunded >= p.captured,
    });
    tx.emit(&svc.event("payment.refunded", Some(p.id.clone()), data))
        .await
}

pub async fn voided(svc: &Service, tx: &mut Tx, p: &Payment) -> Result<(), sqlx::Error> {
    let data = json!({ "paymentId": p.id, "orderId": p.order_id });
    tx.emit(&svc.event("payment.voided", Some(p.id.clone()), data))
        .await
}
