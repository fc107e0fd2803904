//! A payment's lifecycle as an explicit transition table. Every status change in the crate is a
//! conditional `UPDATE ... WHERE status IN (sources)` built from this table, so a late or
//! replayed provider event can only move a payment forward (a `payment_failed` after
//! `succeeded` matches no row and changes nothing).

use async_graphql::Enum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum PaymentStatus {
    /// Created by the checkout; waiting for the shopper's card (or transfer).
    RequiresPaymentMethod,
    /// The provider wants one more step (a confirmation code, a redirect, a bank transfer).
    RequiresAction,
    /// Money held on the card, not yet taken (manual capture).
    Authorized,
    /// Money taken: the payment succeeded.
    Captured,
    Failed,
    /// Cancelled before any money was taken.
    Voided,
    PartiallyRefunded,
    Refunded,
}

use PaymentStatus::*;

/// `(from, to)` pairs that are allowed. Refunds move PARTIALLY_REFUNDED to itself as the
/// refunded total grows.
const TRANSITIONS: &[(PaymentStatus, PaymentStatus)] = &[
    (RequiresPaymentMethod, RequiresAction),
    (RequiresPaymentMethod, Authorized),
    (RequiresPaymentMethod, Captured),
    (RequiresPaymentMethod, Failed),
    (RequiresPaymentMethod, Voided),
    (RequiresAction, Authorized),
    (RequiresAction, Captured),
    (RequiresAction, Failed),
    (RequiresAction, Voided),
    (Authorized, Captured),
    (Authorized, Voided),
    (Captured, PartiallyRefunded),
    (Captured, Refunded),
    (PartiallyRefunded, PartiallyRefunded),
    (PartiallyRefunded, Refunded),
];

pub const ALL: [PaymentStatus; 8] = [
    RequiresPaymentMethod,
    RequiresAction,
    Authorized,
    Captured,
    Failed,
    Voided,
    PartiallyRefunded,
    Refunded,
];

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequiresPaymentMethod => "REQUIRES_PAYMENT_METHOD",
            RequiresAction => "REQUIRES_ACTION",
            Authorized => "AUTHORIZED",
            Captured => "CAPTURED",
            Failed => "FAILED",
            Voided => "VOIDED",
            PartiallyRefunded => "PARTIALLY_REFUNDED",
            Refunded => "REFUNDED",
        }
    }

    pub fn parse(raw: &str) -> Option<PaymentStatus> {
        ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn can_become(self, to: PaymentStatus) -> bool {
        TRANSITIONS.contains(&(self, to))
    }

    /// The statuses a payment may be in to move to `to`.
    pub fn sources(to: PaymentStatus) -> Vec<PaymentStatus> {
        TRANSITIONS
            .iter()
            .filter(|(_, t)| *t == to)
            .map(|(f, _)| *f)
            .collect()
    }

    /// `status IN ('A', 'B')` for the statuses that may move to `to` (constants only, so
    /// inlining them in SQL is safe).
    pub fn sources_sql(to: PaymentStatus) -> String {
        let list = Self::sources(to)
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        format!("status IN ({list})")
    }

    /// Money was taken (and may since have been refunded in part or whole).
    pub fn is_captured(self) -> bool {
        matches!(self, Captured | PartiallyRefunded | Refunded)
    }

    /// Failed or voided: the payment will never take money and no longer blocks the order.
    pub fn is_dead(self) -> bool {
        matches!(self, Failed | Voided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_go_nowhere() {
        for to in ALL {
            assert!(!Failed.can_become(to));
            assert!(!Voided.can_become(to));
            assert!(!Refunded.can_become(to));
        }
    }

    #[test]
    fn a_captured_payment_cannot_fail_or_be_voided() {
        assert!(!Captured.can_become(Failed));
        assert!(!Captured.can_become(Voided));
        assert!(!PartiallyRefunded.can_become(Captured));
        assert!(Authorized.can_become(Captured));
        assert_eq!(
            PaymentStatus::sources_sql(Failed),
            "status IN ('REQUIRES_PAYMENT_METHOD', 'REQUIRES_ACTION')"
        );
    }

    #[test]
    fn names_round_trip() {
        for s in ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PaymentStatus::parse("PAID"), None);
    }
}
