//! A cart as read: the cart row and its lines with each variant's current price joined in.
//! This is what the cache holds (serialized) and what every resolver works from, so reading a
//! cart needs no other subgraph.

use kit::ids::now_millis;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
pub enum CartStatus {
    /// Open: lines can be added, changed and removed.
    Active,
    /// A guest cart folded into a customer's cart at sign-in; closed.
    Merged,
    /// A guest cart left idle past its lifetime; closed and about to be removed.
    Abandoned,
    /// Checked out: an order was placed from it; closed.
    Converted,
}

impl CartStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CartStatus::Active => "ACTIVE",
            CartStatus::Merged => "MERGED",
            CartStatus::Abandoned => "ABANDONED",
            CartStatus::Converted => "CONVERTED",
        }
    }

    pub fn parse(raw: &str) -> CartStatus {
        match raw {
            "MERGED" => CartStatus::Merged,
            "ABANDONED" => CartStatus::Abandoned,
            "CONVERTED" => CartStatus::Converted,
            _ => CartStatus::Active,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartView {
    pub id: String,
    pub status: CartStatus,
    pub customer_id: Option<String>,
    pub token_hash: Option<String>,
    pub currency: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineView {
    pub id: String,
    pub cart_id: String,
    pub variant_id: String,
    pub product_id: String,
    pub quantity: i64,
    /// Unit price snapshotted when the variant was first added, in the line's currency.
    pub price_when_added: i64,
    pub currency: String,
    /// The variant's current catalog price in the cart's currency. Falls back to the snapshot
    /// if the variant is unknown or now priced in another currency (the cart keeps one
    /// currency).
    pub regular_price: i64,
    pub added_at: i64,
    /// The livestream the line was added from (its live deal), for the order's attribution.
    pub livestream_id: Option<String>,
    /// The line's claim on the deal's units; None once released (deal over).
    pub live_claim_id: Option<String>,
    /// When the deal ends (unix ms): until then the line costs `price_when_added`.
    pub live_ends_at: Option<i64>,
}

/// `SELECT` list for carts, in [`CartRow`] order.
pub const CART_COLUMNS: &str =
    "id, status, customer_id, token_hash, currency, created_at, updated_at";
pub type CartRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

/// Lines with their variant's current price joined in, in [`LineRow`] order (`l` = cart_lines,
/// `v` = variants).
pub const LINE_COLUMNS: &str = "l.id, l.cart_id, l.variant_id, l.product_id, l.quantity, \
     l.price_when_added, l.currency, l.added_at, v.price_minor, v.currency, l.livestream_id, \
     l.live_claim_id, l.live_ends_at";
pub type LineRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl CartView {
    pub fn from_row(row: CartRow) -> CartView {
        let (id, status, customer_id, token_hash, currency, created_at, updated_at) = row;
        CartView {
            id,
            status: CartStatus::parse(&status),
            customer_id,
            token_hash,
            currency,
            created_at,
            updated_at,
            lines: Vec::new(),
        }
    }

    pub fn is_guest(&self) -> bool {
        self.customer_id.is_none()
    }

    /// When a guest cart expires (unix ms); customer carts do not.
    pub fn expires_at(&self, guest_ttl_ms: i64) -> Option<i64> {
        self.is_guest().then(|| self.updated_at + guest_ttl_ms)
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }

    /// Sum of the lines at their current prices, in minor units of the cart's currency.
    pub fn subtotal(&self) -> i64 {
        self.lines.iter().map(LineView::total).sum()
    }
}

impl LineView {
    pub fn from_row(row: LineRow) -> LineView {
        let (
            id,
            cart_id,
            variant_id,
            product_id,
            quantity,
            when_added,
            currency,
            added_at,
            p,
            c,
            livestream_id,
            live_claim_id,
            live_ends_at,
        ) = row;
        let regular_price = match (p, c) {
            (Some(price), Some(c)) if c == currency => price,
            _ => when_added,
        };
        LineView {
            id,
            cart_id,
            variant_id,
            product_id,
            quantity,
            price_when_added: when_added,
            currency,
            regular_price,
            added_at,
            livestream_id,
            live_claim_id,
            live_ends_at,
        }
    }

    /// Whether the line is at its live-deal price now. Decided at read time, not when the
    /// cart was cached, so a cached cart stops showing the deal price the moment it ends.
    pub fn live_now(&self) -> bool {
        self.live_claim_id.is_some() && self.live_ends_at.is_some_and(|end| end > now_millis())
    }

    /// The unit price charged now: the deal price while the deal lasts, else catalog's.
    pub fn unit_price(&self) -> i64 {
        if self.live_now() {
            self.price_when_added
        } else {
            self.regular_price
        }
    }

    pub fn total(&self) -> i64 {
        self.unit_price() * self.quantity
    }
}
