//! The GraphQL shapes of a cart: `Cart`, `CartLine`, the shareable `CartPricingLine` value
//! type that the discounts subgraph `@requires`, and the `ProductVariant` reference (catalog
//! and inventory resolve the rest of it through the router).

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::AppError;

use crate::settings::Settings;
use crate::view::{CartStatus, CartView, LineView};

fn money(minor: i64, currency: &str) -> Result<MoneyObject, AppError> {
    Ok(Money::from_stored(minor, currency)?.into())
}

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A shopping cart: a guest's (opened with its token) or a customer's.
pub struct Cart(pub CartView);

#[Object]
impl Cart {
    /// The cart's id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// ACTIVE while it can change; MERGED, ABANDONED or CONVERTED (checked out) once closed.
    async fn status(&self) -> CartStatus {
        self.0.status
    }

    /// The owning customer; null for a guest cart.
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.clone().map(ID)
    }

    /// ISO 4217 code of every price in the cart, fixed when the cart was created.
    async fn currency_code(&self) -> &str {
        &self.0.currency
    }

    /// The lines, oldest first.
    async fn lines(&self) -> Vec<CartLine> {
        self.0.lines.iter().cloned().map(CartLine).collect()
    }

    /// Units in the cart: the sum of the lines' quantities.
    async fn item_count(&self) -> i32 {
        int(self.0.item_count())
    }

    /// Sum of the line totals at current prices.
    async fn subtotal(&self) -> Result<MoneyObject, AppError> {
        money(self.0.subtotal(), &self.0.currency)
    }

    /// The lines as the discounts subgraph prices them (`@requires` on `Cart`).
    async fn pricing_lines(&self) -> Result<Vec<CartPricingLine>, AppError> {
        self.0
            .lines
            .iter()
            .map(|l| {
                Ok(CartPricingLine {
                    line_id: ID(l.id.clone()),
                    variant_id: ID(l.variant_id.clone()),
                    product_id: ID(l.product_id.clone()),
                    quantity: int(l.quantity),
                    unit_price: money(l.unit_price(), &l.currency)?,
                })
            })
            .collect()
    }

    /// When the cart was created.
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.0.created_at)
    }

    /// When the cart last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.0.updated_at)
    }

    /// When an idle guest cart will be removed (its lifetime counts from its last change);
    /// null for customer carts.
    async fn expires_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        let ttl = ctx.data_unchecked::<Settings>().guest_ttl.as_millis() as i64;
        self.0.expires_at(ttl).map(from_millis)
    }
}

/// One variant in a cart, with its quantity.
pub struct CartLine(pub LineView);

#[Object]
impl CartLine {
    /// The line's id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    /// The catalog variant this line holds.
    async fn variant_id(&self) -> ID {
        ID(self.0.variant_id.clone())
    }

    /// The variant's product.
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.clone())
    }

    /// The variant itself: catalog resolves its title, sku and product, inventory its stock.
    async fn variant(&self) -> ProductVariant {
        ProductVariant {
            id: ID(self.0.variant_id.clone()),
        }
    }

    /// Units of the variant, 1 up to the per-line maximum.
    async fn quantity(&self) -> i32 {
        int(self.0.quantity)
    }

    /// The unit price charged now: the live-deal price while the deal the line came from
    /// lasts, else the variant's current price.
    async fn unit_price(&self) -> Result<MoneyObject, AppError> {
        money(self.0.unit_price(), &self.0.currency)
    }

    /// The livestream the line was added from (`addLiveDealToCart`); orders attribute the
    /// sale to it.
    async fn livestream_id(&self) -> Option<ID> {
        self.0.livestream_id.clone().map(ID)
    }

    /// The live-deal unit price while the deal lasts; null otherwise.
    async fn live_price(&self) -> Result<Option<MoneyObject>, AppError> {
        if !self.0.live_now() {
            return Ok(None);
        }
        Ok(Some(money(self.0.price_when_added, &self.0.currency)?))
    }

    /// When the live deal this line came from ends; null for ordinary lines.
    async fn live_deal_ends_at(&self) -> Option<DateTime<Utc>> {
        self.0.live_ends_at.map(from_millis)
    }

    /// The unit price when the variant was first added to the cart.
    async fn price_when_added(&self) -> Result<MoneyObject, AppError> {
        money(self.0.price_when_added, &self.0.currency)
    }

    /// True when the current unit price differs from the price when added.
    async fn price_changed(&self) -> bool {
        self.0.unit_price() != self.0.price_when_added
    }

    /// Unit price times quantity.
    async fn line_total(&self) -> Result<MoneyObject, AppError> {
        money(self.0.total(), &self.0.currency)
    }

    /// When the variant was first added to the cart.
    async fn added_at(&self) -> DateTime<Utc> {
        from_millis(self.0.added_at)
    }
}

/// A cart line as the discounts subgraph needs it to price a cart. A value type shared with
/// discounts (which defines the identical type), not an entity.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(shareable)]
pub struct CartPricingLine {
    /// The cart line's id.
    pub line_id: ID,
    /// The line's catalog variant.
    pub variant_id: ID,
    /// The variant's product.
    pub product_id: ID,
    /// Units of the variant.
    pub quantity: i32,
    /// The variant's current unit price.
    pub unit_price: MoneyObject,
}

/// A catalog variant as cart knows it: by id.
pub struct ProductVariant {
    pub id: ID,
}

#[Object]
impl ProductVariant {
    /// The variant's id.
    async fn id(&self) -> &ID {
        &self.id
    }
}
