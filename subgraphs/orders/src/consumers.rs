//! Orders' reactions to payments' and shipping's events (durable queue `orders`), per
//! docs/checkout.md: `payment.succeeded` → PAID, `payment.failed` → CANCELLED (PAYMENT_FAILED),
//! `payment.refunded` → REFUNDED / PARTIALLY_REFUNDED, `shipment.created` → FULFILLING,
//! `shipment.updated` with status SHIPPED → SHIPPED (carrier and tracking recorded),
//! `shipment.delivered` → DELIVERED.
//!
//! Each event is claimed in the transaction that applies it, so a redelivery changes nothing.
//! An event the state machine no longer allows (a late `payment.failed` for a PAID order), or
//! one about an unknown order, is recorded in `ignored_events`, logged and acknowledged: never
//! an error, so never retried.

use kit::events::{claim, Event, QueueSpec};
use kit::ids::now_millis;
use kit::money::{Currency, Money};
use kit::{AppError, Service, Tx};

use crate::status::{OrderStatus, Trigger};
use crate::transition::{self, Facts, Move, Outcome};

/// The consumer's name in `processed_events` and its queue.
pub const CONSUMER: &str = "orders";

const BINDINGS: [&str; 6] = [
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "shipment.created",
    "shipment.updated",
    "shipment.delivered",
];

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(CONSUMER, &BINDINGS),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { apply(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

fn text(event: &Event, key: &str) -> Option<String> {
    event.data[key]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Money in event data: `minorUnits` when present, else the decimal `amount` in its currency.
fn minor_units(value: &serde_json::Value) -> Option<i64> {
    if let Some(minor) = value["minorUnits"].as_i64() {
        return Some(minor);
    }
    let currency = Currency::from_code(value["currencyCode"].as_str()?)?;
    Money::parse("amount", value["amount"].as_str()?, currency)
        .ok()
        .map(|m| m.minor)
}

/// What `event` asks of its order, if anything.
fn plan(event: &Event) -> Option<Move> {
    let payments = |to, reason| Move::new(to, "payments", reason);
    let shipping = |to, reason| Move::new(to, "shipping", reason);
    let shipment = || Facts {
        shipment_id: text(event, "shipmentId"),
        carrier: text(event, "carrier"),
        tracking_number: text(event, "trackingNumber"),
        ..Facts::default()
    };
    match event.event_type.as_str() {
        "payment.succeeded" => Some(payments(OrderStatus::Paid, Trigger::PaymentSucceeded)),
        "payment.failed" => {
            let mut mv = payments(OrderStatus::Cancelled, Trigger::PaymentFailed);
            mv.note = match (text(event, "reason"), text(event, "declineCode")) {
                (Some(r), Some(code)) => Some(format!("{r} ({code})")),
                (r, code) => r.or(code),
            };
            Some(mv)
        }
        "payment.refunded" => {
            let full = event.data["fullyRefunded"].as_bool().unwrap_or(false);
            let to = if full {
                OrderStatus::Refunded
            } else {
                OrderStatus::PartiallyRefunded
            };
            let mut mv = payments(to, Trigger::PaymentRefunded);
            mv.facts.refunded_total = minor_units(&event.data["refundedTotal"]);
            Some(mv)
        }
        "shipment.created" => {
            let mut mv = shipping(OrderStatus::Fulfilling, Trigger::ShipmentCreated);
            mv.facts = shipment();
            Some(mv)
        }
        "shipment.updated" if event.data["status"].as_str() == Some("SHIPPED") => {
            let mut mv = shipping(OrderStatus::Shipped, Trigger::ShipmentShipped);
            mv.facts = shipment();
            Some(mv)
        }
        "shipment.delivered" => {
            let mut mv = shipping(OrderStatus::Delivered, Trigger::ShipmentDelivered);
            mv.facts = shipment();
            Some(mv)
        }
        _ => None,
    }
}

/// Applies one event (idempotently).
pub async fn apply(svc: &Service, event: &Event) -> Result<(), AppError> {
    let Some(mv) = plan(event) else {
        return Ok(()); // e.g. a shipment status orders does not track
    };
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(()); // already applied
    }
    let Some(order_id) = text(event, "orderId") else {
        ignore(&mut tx, event, None, None, "the event names no order").await?;
        tx.commit().await?;
        return Ok(());
    };
    let (to, cause) = (mv.to, mv.cause);
    match transition::apply(svc, &mut tx, &order_id, mv).await? {
        Outcome::Moved(_) => {}
        Outcome::Illegal(order) => {
            let why = format!(
                "{} cannot become {} by {}",
                order.status.as_str(),
                to.as_str(),
                cause.reason()
            );
            ignore(&mut tx, event, Some(&order_id), Some(order.status), &why).await?;
        }
        Outcome::Unknown => {
            ignore(&mut tx, event, Some(&order_id), None, "no such order").await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn ignore(
    tx: &mut Tx,
    event: &Event,
    order_id: Option<&str>,
    status: Option<OrderStatus>,
    why: &str,
) -> Result<(), AppError> {
    tracing::info!(event = %event.id, kind = %event.event_type, order = ?order_id, reason = why, "order event ignored");
    sqlx::query(
        "INSERT INTO ignored_events \
           (consumer, event_id, event_type, order_id, order_status, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(CONSUMER)
    .bind(&event.id)
    .bind(&event.event_type)
    .bind(order_id)
    .bind(status.map(OrderStatus::as_str))
    .bind(why)
    .bind(now_millis())
    .execute(tx.conn())
    .await?;
    Ok(())
}
