//! Demo orders for the launcher: for each demo customer, five past orders in different states
//! (DELIVERED, SHIPPED, PAID, CANCELLED by PAYMENT_TIMEOUT, PARTIALLY_REFUNDED), placed over
//! the past four weeks, numbered from the checkout's counter.
//!
//! They are written the way real orders are — `checkout::place::write` for the order, its
//! lines and first history entry, `transition::step` (checked against the state machine) for
//! every later status, each change appended to `order_events` and the order refolded into the
//! read model — but nothing goes to the outbox: seeded orders publish no events, so no
//! payment, shipment, stock or coupon effect follows. Their payment and shipment live nowhere
//! else (`payments` and `shipments` are empty), and they all use [`SHIPPING_METHOD_ID`].
//!
//! Idempotent: each order has a deterministic idempotency key (customer id + which of the
//! five it is), and an order whose key is stored is not written again, so a second run adds
//! nothing and an interrupted run is completed. Customers are written in chunks, one
//! transaction each.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use kit::db::placeholders;
use kit::ids::{from_millis, new_id, now_millis};
use kit::money::Currency;
use kit::{AppError, Service, Tx};

use crate::checkout::place::{self, Placement};
use crate::settings::Settings;
use crate::status::{OrderStatus, Trigger};
use crate::token::sha256_hex;
use crate::transition::{self, Facts, Move, Step};
use crate::view::{AddressView, HistoryEntry, LineView, OrderView};
use crate::{events, projection};

/// A demo customer (an accounts user with the `customer` role).
#[derive(Debug, Clone)]
pub struct DemoCustomer {
    pub id: String,
    pub email: String,
    /// Shown as the shipping address's name.
    pub name: String,
}

/// A purchasable variant as the catalog seed made it.
#[derive(Debug, Clone)]
pub struct DemoLine {
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub title: String,
    /// Unit price in minor units of `currency`.
    pub unit_price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// The shipping method every demo order names (shipping's demo methods get fresh ids, which
/// orders cannot know); the carrier is the "Standard" method's, USPS.
pub const SHIPPING_METHOD_ID: &str = "demo-standard";
const CARRIER: &str = "USPS";

/// Customers per transaction (five orders each).
const CUSTOMERS_PER_TX: usize = 20;
/// Tries per chunk when a concurrent seeder wrote the same orders first.
const ATTEMPTS: usize = 3;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The five orders each customer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delivered,
    Shipped,
    Paid,
    Cancelled,
    PartiallyRefunded,
}

const KINDS: [Kind; 5] = [
    Kind::Delivered,
    Kind::Shipped,
    Kind::Paid,
    Kind::Cancelled,
    Kind::PartiallyRefunded,
];

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Delivered => "delivered",
            Kind::Shipped => "shipped",
            Kind::Paid => "paid",
            Kind::Cancelled => "cancelled",
            Kind::PartiallyRefunded => "partially-refunded",
        }
    }

    /// How long before the seed run it was placed (before the customer's jitter).
    fn age(self) -> i64 {
        match self {
            Kind::Delivered => 20 * DAY,
            Kind::Shipped => 6 * DAY,
            Kind::Paid => 2 * DAY,
            Kind::Cancelled => 9 * DAY,
            Kind::PartiallyRefunded => 27 * DAY,
        }
    }
}

/// Seeds the demo orders of `customers`, with lines from `products` (of one currency: the
/// most common among them). Nothing to do without customers or products.
pub async fn demo(
    svc: &Service,
    customers: &[DemoCustomer],
    products: &[DemoLine],
) -> anyhow::Result<()> {
    for c in customers {
        anyhow::ensure!(
            !c.id.is_empty() && !c.email.is_empty(),
            "demo customer {:?}: id and email are required",
            c.id
        );
    }
    for p in products {
        anyhow::ensure!(
            Currency::from_code(&p.currency).is_some(),
            "variant {}: unknown currency {}",
            p.variant_id,
            p.currency
        );
        anyhow::ensure!(
            p.unit_price_minor > 0 && p.unit_price_minor <= 1_000_000_000,
            "variant {}: unit price {} is out of range",
            p.variant_id,
            p.unit_price_minor
        );
    }
    let lines = one_currency(products);
    if customers.is_empty() || lines.is_empty() {
        tracing::info!("no demo customers or products: no demo orders");
        return Ok(());
    }
    let payment_timeout = Settings::from_config(&svc.config)?.payment_timeout;
    let mut seen = HashSet::new();
    let customers: Vec<(usize, &DemoCustomer)> = customers
        .iter()
        .filter(|c| seen.insert(c.id.as_str()))
        .enumerate()
        .collect();
    let now = now_millis();
    let mut created = 0;
    for chunk in customers.chunks(CUSTOMERS_PER_TX) {
        let seeder = Seeder {
            svc,
            lines: &lines,
            now,
            payment_timeout,
        };
        let mut attempt = 1;
        loop {
            match seeder.chunk(chunk).await {
                Ok(n) => {
                    created += n;
                    break;
                }
                Err(AppError::Conflict(_)) if attempt < ATTEMPTS => attempt += 1,
                Err(err) => return Err(err.into_anyhow()),
            }
        }
    }
    tracing::info!(created, customers = customers.len(), "demo orders seeded");
    Ok(())
}

/// The products of the most common currency (the first seen on a tie), in their order.
fn one_currency(products: &[DemoLine]) -> Vec<&DemoLine> {
    // Per currency: (how many, first position).
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for (i, p) in products.iter().enumerate() {
        counts.entry(p.currency.as_str()).or_insert((0, i)).0 += 1;
    }
    let Some((currency, _)) = counts
        .into_iter()
        .max_by_key(|(_, (n, first))| (*n, std::cmp::Reverse(*first)))
    else {
        return Vec::new();
    };
    products.iter().filter(|p| p.currency == currency).collect()
}

/// The stored idempotency key of `customer`'s demo order of `kind`.
fn key_hash(customer: &DemoCustomer, kind: Kind) -> String {
    sha256_hex(&format!("demo-seed\n{}\n{}", customer.id, kind.key()))
}

/// A stable number from `text` (its SHA-256's first 8 bytes).
fn stable(text: &str) -> u64 {
    u64::from_str_radix(&sha256_hex(text)[..16], 16).unwrap_or(0)
}

struct Seeder<'a> {
    svc: &'a Service,
    lines: &'a [&'a DemoLine],
    now: i64,
    payment_timeout: Duration,
}

impl Seeder<'_> {
    /// Writes the missing orders of these customers in one transaction; returns how many.
    async fn chunk(&self, customers: &[(usize, &DemoCustomer)]) -> Result<usize, AppError> {
        let mut tx = self.svc.db.begin().await?;
        let wanted: Vec<String> = customers
            .iter()
            .flat_map(|(_, c)| KINDS.map(|k| key_hash(c, k)))
            .collect();
        let sql = format!(
            "SELECT idempotency_key FROM orders WHERE idempotency_key IN ({})",
            placeholders(1, wanted.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for key in &wanted {
            query = query.bind(key);
        }
        let stored: HashSet<String> = query.fetch_all(tx.conn()).await?.into_iter().collect();
        let mut created = 0;
        for (index, customer) in customers {
            for (slot, kind) in KINDS.into_iter().enumerate() {
                let key = key_hash(customer, kind);
                if stored.contains(&key) {
                    continue;
                }
                self.order(&mut tx, *index, slot, customer, kind, &key)
                    .await?;
                created += 1;
            }
        }
        tx.commit().await?;
        Ok(created)
    }

    /// Places one demo order, moves it through its story and projects it.
    async fn order(
        &self,
        tx: &mut Tx,
        index: usize,
        slot: usize,
        customer: &DemoCustomer,
        kind: Kind,
        key: &str,
    ) -> Result<(), AppError> {
        let jitter = (stable(&customer.id) % 600) as i64 * MINUTE;
        let placed_at = self.now - kind.age() - jitter;
        let mut order = self.view(index, slot, customer, kind, placed_at)?;
        let placement = Placement {
            key_hash: key,
            token_salt: None,
            actor: &customer.id,
        };
        let first = place::write(tx, &mut order, &placement).await?;
        self.announce(tx, &order, &first).await?;
        for (mv, at) in self.story(&order, kind, key) {
            let to = mv.to;
            match transition::step(tx, &order.id, mv, at).await? {
                Step::Moved(moved, change) => self.announce(tx, &moved, &change).await?,
                Step::Done(outcome) => {
                    return Err(AppError::internal(anyhow::anyhow!(
                        "demo order {} cannot become {}: {outcome:?}",
                        order.number,
                        to.as_str()
                    )))
                }
            }
        }
        projection::refold(tx, &order.id).await
    }

    /// Appends the event for `change` to `order_events`, dated when it happened; publishes
    /// nothing.
    async fn announce(
        &self,
        tx: &mut Tx,
        order: &OrderView,
        change: &HistoryEntry,
    ) -> Result<(), AppError> {
        let mut event = events::event(self.svc, order, change)?;
        event.time = from_millis(change.at);
        events::append(tx, &order.id, change.version, &event).await
    }

    /// The order as checkout would have placed it: 1–3 lines, standard shipping (4.99, free
    /// from 50.00), no discount.
    fn view(
        &self,
        index: usize,
        slot: usize,
        customer: &DemoCustomer,
        kind: Kind,
        placed_at: i64,
    ) -> Result<OrderView, AppError> {
        let n = self.lines.len();
        let count = (1 + (index + slot) % 3).min(n);
        let start = (index * 5 + slot * 3) % n;
        let lines: Vec<LineView> = (0..count)
            .map(|j| {
                let p = self.lines[(start + j) % n];
                // The partly refunded order returned one of two of its first line.
                let quantity = if kind == Kind::PartiallyRefunded && j == 0 {
                    2
                } else {
                    1 + ((index + slot + j) % 2) as i64
                };
                LineView {
                    id: new_id(),
                    variant_id: p.variant_id.clone(),
                    product_id: p.product_id.clone(),
                    sku: p.sku.clone(),
                    title: p.title.clone(),
                    quantity,
                    unit_price: p.unit_price_minor,
                    line_total: p.unit_price_minor * quantity,
                    livestream_id: None,
                }
            })
            .collect();
        let currency = Currency::from_code(&self.lines[0].currency)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown demo currency")))?;
        let subtotal: i64 = lines.iter().map(|l| l.line_total).sum();
        let scale = currency.scale();
        let shipping_total = if subtotal >= 50 * scale {
            0
        } else {
            499 * scale / 100
        };
        let name = if customer.name.trim().is_empty() {
            customer.email.clone()
        } else {
            customer.name.clone()
        };
        Ok(OrderView {
            id: new_id(),
            number: String::new(),
            status: OrderStatus::PendingPayment,
            version: 1,
            cart_id: new_id(),
            customer_id: Some(customer.id.clone()),
            email: customer.email.clone(),
            currency: currency.code().to_string(),
            lines,
            subtotal,
            discount_total: 0,
            shipping_total,
            total: subtotal + shipping_total,
            refunded_total: 0,
            coupon_code: None,
            shipping_address: address(&customer.id, name),
            shipping_method_id: SHIPPING_METHOD_ID.into(),
            payment_id: None,
            shipment_id: None,
            carrier: None,
            tracking_number: None,
            placed_at,
            updated_at: placed_at,
            payment_deadline: placed_at + self.payment_timeout.as_millis() as i64,
            token_hash: None,
            history: None,
        })
    }

    /// The moves after placing, each with when it happened, by whoever makes them live.
    fn story(&self, order: &OrderView, kind: Kind, key: &str) -> Vec<(Move, i64)> {
        let placed = order.placed_at;
        let paid = (
            Move::new(OrderStatus::Paid, "payments", Trigger::PaymentSucceeded),
            placed + 4 * MINUTE,
        );
        let fulfilling = (
            Move::new(
                OrderStatus::Fulfilling,
                "shipping",
                Trigger::ShipmentCreated,
            ),
            placed + 5 * MINUTE,
        );
        let tracked = || Facts {
            carrier: Some(CARRIER.into()),
            tracking_number: Some(tracking_number(key)),
            ..Facts::default()
        };
        let mut shipped = Move::new(OrderStatus::Shipped, "shipping", Trigger::ShipmentShipped);
        shipped.facts = tracked();
        let shipped = (shipped, placed + DAY + 3 * HOUR);
        let mut delivered = Move::new(
            OrderStatus::Delivered,
            "shipping",
            Trigger::ShipmentDelivered,
        );
        delivered.facts = tracked();
        let delivered = (delivered, placed + 4 * DAY + 2 * HOUR);
        match kind {
            Kind::Delivered => vec![paid, fulfilling, shipped, delivered],
            Kind::Shipped => vec![paid, fulfilling, shipped],
            Kind::Paid => vec![paid],
            Kind::Cancelled => vec![(
                Move::new(OrderStatus::Cancelled, "system", Trigger::PaymentTimeout),
                order.payment_deadline + MINUTE,
            )],
            Kind::PartiallyRefunded => {
                let mut refunded = Move::new(
                    OrderStatus::PartiallyRefunded,
                    "payments",
                    Trigger::PaymentRefunded,
                );
                refunded.facts.refunded_total = Some(order.lines[0].unit_price);
                vec![
                    paid,
                    fulfilling,
                    shipped,
                    delivered,
                    (refunded, placed + 11 * DAY),
                ]
            }
        }
    }
}

/// A USPS-style 22-digit tracking number, stable per order.
fn tracking_number(key: &str) -> String {
    let digits: String = sha256_hex(&format!("tracking\n{key}"))
        .bytes()
        .take(17)
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    format!("94001{digits}")
}

/// One of a few (fictional) US addresses, stable per customer.
fn address(customer_id: &str, name: String) -> AddressView {
    const STREETS: [(&str, Option<&str>, &str, &str, &str); 5] = [
        ("12 Maple Avenue", None, "Portland", "OR", "97205"),
        (
            "480 Harbor Street",
            Some("Apt 3B"),
            "Seattle",
            "WA",
            "98101",
        ),
        ("9 Juniper Lane", None, "Austin", "TX", "78704"),
        ("221 Elm Street", Some("Suite 5"), "Denver", "CO", "80203"),
        ("77 Bayview Road", None, "San Diego", "CA", "92101"),
    ];
    let pick = stable(&format!("address\n{customer_id}"));
    let (line1, line2, city, region, postal_code) = STREETS[(pick % 5) as usize];
    AddressView {
        name,
        line1: line1.into(),
        line2: line2.map(str::to_string),
        city: city.into(),
        region: Some(region.into()),
        postal_code: postal_code.into(),
        country_code: "US".into(),
        phone: Some(format!("+1 555-01{:02}", pick % 100)),
    }
}
