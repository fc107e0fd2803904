//! The order state machine: its statuses and the ONE table of allowed transitions. Everything
//! that moves an order (checkout, consumers, the payment-timeout sweeper, cancel and refund)
//! asks [`allowed`]; an illegal move is a `CONFLICT` for a client and an ignored event for a
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

/// Every allowed `(from, to)`. Fulfilment may skip a step its events skip (a carrier scan
/// straight to SHIPPED, a delivery without a SHIPPED scan); refunds are possible once paid,
/// including after a paid order was cancelled (payments refunds it on `order.cancelled`).
pub const TRANSITIONS: &[(OrderStatus, OrderStatus)] = &[
    (PendingPayment, Paid),
    (PendingPayment, Cancelled),
    (Paid, Fulfilling),
    (Paid, Shipped),
    (Paid, Cancelled),
    (Paid, Refunded),
    (Paid, PartiallyRefunded),
    (Fulfilling, Shipped),
    (Fulfilling, Delivered),
    (Fulfilling, Cancelled),
    (Fulfilling, Refunded),
    (Fulfilling, PartiallyRefunded),
    (Shipped, Delivered),
    (Shipped, Refunded),
    (Shipped, PartiallyRefunded),
    (Delivered, Refunded),
    (Delivered, PartiallyRefunded),
    (PartiallyRefunded, PartiallyRefunded),
    (PartiallyRefunded, Refunded),
    (Cancelled, Refunded),
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

pub fn allowed(from: OrderStatus, to: OrderStatus) -> bool {
    TRANSITIONS.contains(&(from, to))
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

    /// Whether the shopper may still cancel (before it ships).
    pub fn cancellable(self) -> bool {
        allowed(self, Cancelled)
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
        for to in ALL {
            assert!(!allowed(Refunded, to), "REFUNDED is final, not → {to:?}");
            assert_eq!(
                allowed(Delivered, to),
                matches!(to, Refunded | PartiallyRefunded)
            );
            assert!(
                !allowed(to, PendingPayment),
                "nothing returns to PENDING_PAYMENT"
            );
        }
        assert!(!Shipped.cancellable());
        assert!(Fulfilling.cancellable());
    }
}
