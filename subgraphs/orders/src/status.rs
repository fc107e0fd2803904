//! The order state machine: its statuses and the ONE table of allowed transitions. Everything
//! that moves an order (checkout, consumers, the payment-timeout sweeper, cancel and refund)
//! asks [`allowed`] with its cause; an illegal move is a `CONFLICT` for a client and an ignored event for a
//! consumer.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Placed; waiting for the shopper to pay (until `paymentDeadline`).
    PendingPayment,
    /// Paid; waiting for fulfilment.
    Paid,
    /// A shipment is being prepared.
    Fulfilling,
    /// Handed to the carrier.
    Shipped,
    /// Delivered to the shopper.
    Delivered,
    /// Cancelled before shipping (by the shopper, staff, a failed or late payment).
    Cancelled,
    /// The whole payment was given back.
    Refunded,
    /// Part of the payment was given back.
    PartiallyRefunded,
}

use OrderStatus::*;

/// What moves an order. The same target can be allowed for one cause and not another: a
/// shopper may cancel a PAID order, a (late) failed payment may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    PaymentSucceeded,
    PaymentFailed,
    PaymentTimeout,
    PaymentRefunded,
    /// The order's own shopper cancels.
    Customer,
    /// Staff cancel.
    Staff,
    ShipmentCreated,
    ShipmentShipped,
    ShipmentDelivered,
}

pub const TRIGGERS: [Trigger; 9] = [
    Trigger::PaymentSucceeded,
    Trigger::PaymentFailed,
    Trigger::PaymentTimeout,
    Trigger::PaymentRefunded,
    Trigger::Customer,
    Trigger::Staff,
    Trigger::ShipmentCreated,
    Trigger::ShipmentShipped,
    Trigger::ShipmentDelivered,
];

impl Trigger {
    /// The reason recorded in the history and carried by the event.
    pub fn reason(self) -> &'static str {
        match self {
            Trigger::PaymentSucceeded => "PAYMENT_SUCCEEDED",
            Trigger::PaymentFailed => "PAYMENT_FAILED",
            Trigger::PaymentTimeout => "PAYMENT_TIMEOUT",
            Trigger::PaymentRefunded => "PAYMENT_REFUNDED",
            Trigger::Customer => "CUSTOMER",
            Trigger::Staff => "STAFF",
            Trigger::ShipmentCreated => "SHIPMENT_CREATED",
            Trigger::ShipmentShipped => "SHIPMENT_SHIPPED",
            Trigger::ShipmentDelivered => "SHIPMENT_DELIVERED",
        }
    }
}

use Trigger as T;

/// THE table: every allowed `(from, cause, to)`. Fulfilment may skip a step its events skip
/// (a carrier scan straight to SHIPPED, a delivery without a SHIPPED scan); refunds are
/// possible once paid, including the full refund payments makes after a paid order is
/// cancelled; only an unpaid order is cancelled by its payment failing or timing out.
pub const TRANSITIONS: &[(OrderStatus, Trigger, OrderStatus)] = &[
    (PendingPayment, T::PaymentSucceeded, Paid),
    (PendingPayment, T::PaymentFailed, Cancelled),
    (PendingPayment, T::PaymentTimeout, Cancelled),
    (PendingPayment, T::Customer, Cancelled),
    (PendingPayment, T::Staff, Cancelled),
    (Paid, T::Customer, Cancelled),
    (Paid, T::Staff, Cancelled),
    (Fulfilling, T::Customer, Cancelled),
    (Fulfilling, T::Staff, Cancelled),
    (Paid, T::ShipmentCreated, Fulfilling),
    (Paid, T::ShipmentShipped, Shipped),
    (Fulfilling, T::ShipmentShipped, Shipped),
    (Fulfilling, T::ShipmentDelivered, Delivered),
    (Shipped, T::ShipmentDelivered, Delivered),
    (Paid, T::PaymentRefunded, Refunded),
    (Paid, T::PaymentRefunded, PartiallyRefunded),
    (Fulfilling, T::PaymentRefunded, Refunded),
    (Fulfilling, T::PaymentRefunded, PartiallyRefunded),
    (Shipped, T::PaymentRefunded, Refunded),
    (Shipped, T::PaymentRefunded, PartiallyRefunded),
    (Delivered, T::PaymentRefunded, Refunded),
    (Delivered, T::PaymentRefunded, PartiallyRefunded),
    (PartiallyRefunded, T::PaymentRefunded, PartiallyRefunded),
    (PartiallyRefunded, T::PaymentRefunded, Refunded),
    (Cancelled, T::PaymentRefunded, Refunded),
];

pub const ALL: [OrderStatus; 8] = [
    PendingPayment,
    Paid,
    Fulfilling,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
    PartiallyRefunded,
];

pub fn allowed(from: OrderStatus, trigger: Trigger, to: OrderStatus) -> bool {
    TRANSITIONS.contains(&(from, trigger, to))
}

/// Whether `cause` can move an order in `from` anywhere at all.
pub fn possible(from: OrderStatus, cause: Trigger) -> bool {
    TRANSITIONS
        .iter()
        .any(|(f, t, _)| *f == from && *t == cause)
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingPayment => "PENDING_PAYMENT",
            Paid => "PAID",
            Fulfilling => "FULFILLING",
            Shipped => "SHIPPED",
            Delivered => "DELIVERED",
            Cancelled => "CANCELLED",
            Refunded => "REFUNDED",
            PartiallyRefunded => "PARTIALLY_REFUNDED",
        }
    }

    pub fn parse(raw: &str) -> Option<OrderStatus> {
        ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The event announcing that an order entered this status (`order.partially_refunded`).
    pub fn event_type(self) -> String {
        match self {
            // The order is created in this status; `order.created` announces it.
            PendingPayment => "order.created".into(),
            other => format!("order.{}", other.as_str().to_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_events_follow_the_contract() {
        for s in ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Paid.event_type(), "order.paid");
        assert_eq!(PartiallyRefunded.event_type(), "order.partially_refunded");
        assert_eq!(PendingPayment.event_type(), "order.created");
        assert_eq!(OrderStatus::parse("LOST"), None);
    }

    #[test]
    fn nothing_leaves_refunded_or_delivered_except_by_refund() {
        for cause in TRIGGERS {
            for to in ALL {
                assert!(!allowed(Refunded, cause, to), "REFUNDED is final");
                if allowed(Delivered, cause, to) {
                    assert_eq!(cause, Trigger::PaymentRefunded);
                }
                assert!(
                    !allowed(to, cause, PendingPayment),
                    "nothing returns to PENDING_PAYMENT"
                );
            }
        }
        assert!(!possible(Shipped, Trigger::Customer), "shipped orders stay");
        assert!(possible(Fulfilling, Trigger::Customer));
        assert!(
            !possible(Paid, Trigger::PaymentFailed),
            "late failures change nothing"
        );
    }
}
