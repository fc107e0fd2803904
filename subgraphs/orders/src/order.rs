//! The `Order` entity as clients see it, its lines, address and status history, the catalog
//! `ProductVariant` reference, and the batching loaders behind them. One type serves orders
//! loaded from the write tables and documents from the read model.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::money::MoneyObject;
use kit::{AppError, Db};

use crate::status::OrderStatus;
use crate::store;
use crate::view::{AddressView, HistoryEntry, LineView, OrderView};

/// Orders by id from the write tables: one batch, two statements.
pub struct OrdersById {
    pub db: Db,
}

impl Loader<String> for OrdersById {
    type Value = Arc<OrderView>;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Arc<OrderView>>, AppError> {
        let mut conn = self.db.pool().acquire().await?;
        Ok(store::by_ids(&mut conn, ids)
            .await?
            .into_iter()
            .map(|(id, o)| (id, Arc::new(o)))
            .collect())
    }
}

/// Status histories by order id.
pub struct HistoryByOrder {
    pub db: Db,
}

impl Loader<String> for HistoryByOrder {
    type Value = Arc<Vec<HistoryEntry>>;
    type Error = AppError;

    async fn load(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, Arc<Vec<HistoryEntry>>>, AppError> {
        Ok(store::histories(&self.db, ids)
            .await?
            .into_iter()
            .map(|(id, h)| (id, Arc::new(h)))
            .collect())
    }
}

/// Which order each line belongs to.
pub struct LineOrders {
    pub db: Db,
}

impl Loader<String> for LineOrders {
    type Value = String;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, String>, AppError> {
        let sql = format!(
            "SELECT id, order_id FROM order_lines WHERE id IN ({})",
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(self.db.pool()).await?.into_iter().collect())
    }
}

/// An order, loaded by the caller's right to see it.
#[derive(Clone)]
pub struct Order(pub Arc<OrderView>);

impl Order {
    pub fn new(view: OrderView) -> Order {
        Order(Arc::new(view))
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Human-friendly, unique order number such as `SO-100001`.
    async fn number(&self) -> &str {
        &self.0.number
    }
    async fn status(&self) -> OrderStatus {
        self.0.status
    }
    /// The customer who placed it; null for a guest order.
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.clone().map(ID)
    }
    /// Where order updates go.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// ISO 4217 code of every amount of the order.
    async fn currency_code(&self) -> &str {
        &self.0.currency
    }
    /// The lines, in cart order, with the prices charged.
    async fn lines(&self) -> Vec<OrderLine> {
        self.0
            .lines
            .iter()
            .map(|l| OrderLine {
                line: l.clone(),
                currency: self.0.currency.clone(),
            })
            .collect()
    }
    /// Sum of the line totals.
    async fn subtotal(&self) -> Result<MoneyObject> {
        Ok(self.0.shown(self.0.subtotal)?)
    }
    /// Promotions and coupon taken off the subtotal.
    async fn discount_total(&self) -> Result<MoneyObject> {
        Ok(self.0.shown(self.0.discount_total)?)
    }
    async fn shipping_total(&self) -> Result<MoneyObject> {
        Ok(self.0.shown(self.0.shipping_total)?)
    }
    /// Subtotal minus discounts plus shipping: what is charged.
    async fn total(&self) -> Result<MoneyObject> {
        Ok(self.0.shown(self.0.total)?)
    }
    /// Given back so far.
    async fn refunded_total(&self) -> Result<MoneyObject> {
        Ok(self.0.shown(self.0.refunded_total)?)
    }
    /// The coupon the order used, if any.
    async fn coupon_code(&self) -> Option<&str> {
        self.0.coupon_code.as_deref()
    }
    async fn shipping_address(&self) -> OrderAddress {
        OrderAddress::from(&self.0.shipping_address)
    }
    async fn shipping_method_id(&self) -> ID {
        ID(self.0.shipping_method_id.clone())
    }
    /// The carrier, once shipped.
    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }
    /// The carrier's tracking number, once shipped.
    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
    }
    /// Every status the order went through, oldest first.
    async fn status_history(&self, ctx: &Context<'_>) -> Result<Vec<OrderStatusChange>> {
        let history = match &self.0.history {
            Some(history) => Arc::new(history.clone()),
            None => ctx
                .data_unchecked::<DataLoader<HistoryByOrder>>()
                .load_one(self.0.id.clone())
                .await?
                .unwrap_or_default(),
        };
        Ok(history.iter().cloned().map(OrderStatusChange).collect())
    }
    async fn placed_at(&self) -> DateTime<Utc> {
        from_millis(self.0.placed_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.0.updated_at)
    }
    /// An unpaid order is cancelled (PAYMENT_TIMEOUT) after this.
    async fn payment_deadline(&self) -> DateTime<Utc> {
        from_millis(self.0.payment_deadline)
    }
}

/// One line of an order: what was bought, at what price.
pub struct OrderLine {
    pub line: LineView,
    pub currency: String,
}

impl OrderLine {
    fn money(&self, minor: i64) -> Result<MoneyObject, AppError> {
        kit::money::Money::from_stored(minor, &self.currency).map(MoneyObject::from)
    }
}

#[Object]
impl OrderLine {
    async fn id(&self) -> ID {
        ID(self.line.id.clone())
    }
    /// The catalog variant (catalog resolves its details).
    async fn variant(&self) -> ProductVariant {
        ProductVariant {
            id: ID(self.line.variant_id.clone()),
        }
    }
    async fn variant_id(&self) -> ID {
        ID(self.line.variant_id.clone())
    }
    async fn product_id(&self) -> ID {
        ID(self.line.product_id.clone())
    }
    /// The SKU when ordered.
    async fn sku(&self) -> &str {
        &self.line.sku
    }
    /// The product and variant title when ordered.
    async fn title(&self) -> &str {
        &self.line.title
    }
    async fn quantity(&self) -> i64 {
        self.line.quantity
    }
    /// The price charged per unit.
    async fn unit_price(&self) -> Result<MoneyObject> {
        Ok(self.money(self.line.unit_price)?)
    }
    /// The livestream the line was bought from (a live deal), if any.
    async fn livestream_id(&self) -> Option<ID> {
        self.line.livestream_id.clone().map(ID)
    }
    /// Unit price times quantity.
    async fn line_total(&self) -> Result<MoneyObject> {
        Ok(self.money(self.line.line_total)?)
    }
}

/// Catalog's variant, referenced by id.
#[derive(SimpleObject)]
pub struct ProductVariant {
    pub id: ID,
}

/// Where an order ships to.
#[derive(SimpleObject)]
pub struct OrderAddress {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub phone: Option<String>,
}

impl From<&AddressView> for OrderAddress {
    fn from(a: &AddressView) -> Self {
        OrderAddress {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            region: a.region.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.country_code.clone(),
            phone: a.phone.clone(),
        }
    }
}

/// One status change of an order.
pub struct OrderStatusChange(pub HistoryEntry);

#[Object]
impl OrderStatusChange {
    async fn status(&self) -> OrderStatus {
        self.0.status
    }
    /// Null for the first status.
    async fn previous_status(&self) -> Option<OrderStatus> {
        self.0.previous_status
    }
    async fn at(&self) -> DateTime<Utc> {
        from_millis(self.0.at)
    }
    /// Who made it: a user id, "system", or the service whose event caused it.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Machine-readable cause: CHECKOUT, PAYMENT_SUCCEEDED, PAYMENT_FAILED, PAYMENT_TIMEOUT,
    /// CUSTOMER, STAFF, SHIPMENT_CREATED, SHIPMENT_SHIPPED, SHIPMENT_DELIVERED,
    /// PAYMENT_REFUNDED.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Free text from whoever made the change.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}
