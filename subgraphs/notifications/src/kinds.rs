//! What notifications exist: each kind of message has one template (with its subject, in-app
//! summary, plain-text and HTML parts) and belongs to a preference category.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// What a user can switch channels on and off for.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationCategory {
    /// Security and account mails (verification, password reset): email is always on.
    Account,
    Orders,
    Marketing,
    Livestreams,
    /// Staff alerts such as low stock.
    Stock,
}

impl NotificationCategory {
    pub const ALL: [NotificationCategory; 5] = [
        NotificationCategory::Account,
        NotificationCategory::Orders,
        NotificationCategory::Marketing,
        NotificationCategory::Livestreams,
        NotificationCategory::Stock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationCategory::Account => "ACCOUNT",
            NotificationCategory::Orders => "ORDERS",
            NotificationCategory::Marketing => "MARKETING",
            NotificationCategory::Livestreams => "LIVESTREAMS",
            NotificationCategory::Stock => "STOCK",
        }
    }

    pub fn parse(raw: &str) -> Option<NotificationCategory> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

// As events and the subscription feed carry it: the GraphQL name.
impl Serialize for NotificationCategory {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NotificationCategory {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        NotificationCategory::parse(&raw).ok_or_else(|| serde::de::Error::custom("category"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Welcome,
    VerifyEmail,
    PasswordReset,
    PasswordChanged,
    OrderPlaced,
    OrderPaid,
    OrderShipped,
    OrderDelivered,
    OrderCancelled,
    OrderRefunded,
    PaymentFailed,
    LivestreamStarting,
    StockLow,
    WebhookDisabled,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Welcome,
        Kind::VerifyEmail,
        Kind::PasswordReset,
        Kind::PasswordChanged,
        Kind::OrderPlaced,
        Kind::OrderPaid,
        Kind::OrderShipped,
        Kind::OrderDelivered,
        Kind::OrderCancelled,
        Kind::OrderRefunded,
        Kind::PaymentFailed,
        Kind::LivestreamStarting,
        Kind::StockLow,
        Kind::WebhookDisabled,
    ];

    /// The template's name (`templates/<name>.html`), also the kind as stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Welcome => "welcome",
            Kind::VerifyEmail => "verify_email",
            Kind::PasswordReset => "password_reset",
            Kind::PasswordChanged => "password_changed",
            Kind::OrderPlaced => "order_placed",
            Kind::OrderPaid => "order_paid",
            Kind::OrderShipped => "order_shipped",
            Kind::OrderDelivered => "order_delivered",
            Kind::OrderCancelled => "order_cancelled",
            Kind::OrderRefunded => "order_refunded",
            Kind::PaymentFailed => "payment_failed",
            Kind::LivestreamStarting => "livestream_starting",
            Kind::StockLow => "stock_low",
            Kind::WebhookDisabled => "webhook_disabled",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.name() == raw)
    }

    pub fn category(self) -> NotificationCategory {
        use NotificationCategory::*;
        match self {
            Kind::Welcome | Kind::VerifyEmail | Kind::PasswordReset | Kind::PasswordChanged => {
                Account
            }
            Kind::LivestreamStarting => Livestreams,
            Kind::StockLow | Kind::WebhookDisabled => Stock,
            _ => Orders,
        }
    }

    /// Whether the message also appears in the app. A reset link or a verification link
    /// belongs in the mailbox only (whoever holds the session need not hold the mailbox).
    pub fn in_app(self) -> bool {
        !matches!(self, Kind::VerifyEmail | Kind::PasswordReset)
    }
}
