//! An order as data: what the write tables hold and what the read model's `document` stores
//! (the same shape, so one GraphQL type serves both). Money is in minor units of `currency`.

use kit::money::{Money, MoneyObject};
use kit::AppError;
use serde::{Deserialize, Serialize};

use crate::status::OrderStatus;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    /// The version of the order's latest event (1 = just placed).
    pub version: i64,
    pub cart_id: String,
    pub customer_id: Option<String>,
    pub email: String,
    pub currency: String,
    pub lines: Vec<LineView>,
    pub subtotal: i64,
    pub discount_total: i64,
    pub shipping_total: i64,
    pub total: i64,
    pub refunded_total: i64,
    pub coupon_code: Option<String>,
    pub shipping_address: AddressView,
    pub shipping_method_id: String,
    pub payment_id: Option<String>,
    pub shipment_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub placed_at: i64,
    pub updated_at: i64,
    pub payment_deadline: i64,
    /// Guest orders: SHA-256 hex of the order token.
    pub token_hash: Option<String>,
    /// Filled in the read model; the write side loads it on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineView {
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    /// The livestream the line was bought from (a live deal in the cart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub livestream_id: Option<String>,
}

/// A shipping address, in the shape `order.created` / `order.paid` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressView {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: Option<String>,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub version: i64,
    pub status: OrderStatus,
    pub previous_status: Option<OrderStatus>,
    /// A user id, "system", or the service whose event caused it ("payments").
    pub actor: String,
    /// Machine-readable cause (CHECKOUT, PAYMENT_SUCCEEDED, CUSTOMER, PAYMENT_TIMEOUT, ...).
    pub reason: String,
    /// Free text given by whoever made the change.
    pub note: Option<String>,
    pub at: i64,
}

impl OrderView {
    pub fn money(&self, minor: i64) -> Result<Money, AppError> {
        Money::from_stored(minor, &self.currency)
    }

    pub fn shown(&self, minor: i64) -> Result<MoneyObject, AppError> {
        self.money(minor).map(MoneyObject::from)
    }
}
