//! The `Shipment` entity: one paid order's parcel — its status, carrier and tracking number,
//! copies of the method, address and lines the order had, and its tracking history. Lines and
//! history are batched by [`LinesByShipment`] and [`HistoryByShipment`].

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::{AppError, Db};

use crate::status::{ShipmentStatus, TrackingSource};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    pub id: String,
    pub order_id: String,
    pub customer_id: Option<String>,
    pub order_token_hash: Option<String>,
    pub status: ShipmentStatus,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub method: Option<ShipmentMethod>,
    pub address: ShipmentAddress,
    pub version: i64,
    pub last_carrier_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The shipping method as the order chose it (a copy: later edits do not change it).
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct ShipmentMethod {
    pub id: ID,
    /// Null when the method no longer existed when the order was paid.
    pub name: Option<String>,
    pub carrier: Option<String>,
    pub estimated_days_min: Option<i64>,
    pub estimated_days_max: Option<i64>,
}

/// Where the parcel goes (a copy of the order's shipping address).
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct ShipmentAddress {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub phone: Option<String>,
}

/// One line of the order in the parcel.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct ShipmentLine {
    /// The order line.
    pub line_id: Option<ID>,
    pub variant_id: ID,
    pub product_id: Option<ID>,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub quantity: i64,
}

/// One change in a shipment's life.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct TrackingEvent {
    pub status: ShipmentStatus,
    /// When it happened (for carrier updates, the carrier's time).
    pub occurred_at: DateTime<Utc>,
    pub location: Option<String>,
    pub description: Option<String>,
    pub source: TrackingSource,
}

/// Columns in [`Row`] order.
pub const COLUMNS: &str = "id, order_id, customer_id, order_token_hash, status, carrier, \
     tracking_number, method_id, method_name, method_carrier, days_min, days_max, address_name, \
     address_line1, address_line2, address_city, address_region, address_postal_code, \
     address_country, address_phone, version, last_carrier_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    order_id: String,
    customer_id: Option<String>,
    order_token_hash: Option<String>,
    status: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    method_id: Option<String>,
    method_name: Option<String>,
    method_carrier: Option<String>,
    days_min: Option<i64>,
    days_max: Option<i64>,
    address_name: Option<String>,
    address_line1: Option<String>,
    address_line2: Option<String>,
    address_city: Option<String>,
    address_region: Option<String>,
    address_postal_code: Option<String>,
    address_country: String,
    address_phone: Option<String>,
    version: i64,
    last_carrier_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn stored_status(raw: &str) -> Result<ShipmentStatus, AppError> {
    ShipmentStatus::parse(raw)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown stored status {raw}")))
}

impl Shipment {
    pub fn from_row(r: Row) -> Result<Shipment, AppError> {
        Ok(Shipment {
            status: stored_status(&r.status)?,
            method: r.method_id.map(|id| ShipmentMethod {
                id: ID(id),
                name: r.method_name,
                carrier: r.method_carrier,
                estimated_days_min: r.days_min,
                estimated_days_max: r.days_max,
            }),
            address: ShipmentAddress {
                name: r.address_name,
                line1: r.address_line1,
                line2: r.address_line2,
                city: r.address_city,
                region: r.address_region,
                postal_code: r.address_postal_code,
                country_code: r.address_country,
                phone: r.address_phone,
            },
            id: r.id,
            order_id: r.order_id,
            customer_id: r.customer_id,
            order_token_hash: r.order_token_hash,
            carrier: r.carrier,
            tracking_number: r.tracking_number,
            version: r.version,
            last_carrier_at: r.last_carrier_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[Object]
impl Shipment {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn order_id(&self) -> ID {
        ID(self.order_id.clone())
    }

    async fn status(&self) -> ShipmentStatus {
        self.status
    }

    /// The method's carrier until staff hand the parcel over; then the carrier that took it.
    async fn carrier(&self) -> Option<&str> {
        self.carrier.as_deref()
    }

    /// Known once SHIPPED.
    async fn tracking_number(&self) -> Option<&str> {
        self.tracking_number.as_deref()
    }

    /// Null when the order named no method.
    async fn method(&self) -> Option<&ShipmentMethod> {
        self.method.as_ref()
    }

    async fn address(&self) -> &ShipmentAddress {
        &self.address
    }

    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ShipmentLine>> {
        Ok(ctx
            .data_unchecked::<DataLoader<LinesByShipment>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default())
    }

    /// Every change, in the order it was recorded.
    async fn tracking_history(&self, ctx: &Context<'_>) -> Result<Vec<TrackingEvent>> {
        Ok(ctx
            .data_unchecked::<DataLoader<HistoryByShipment>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Shipment>, AppError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.map(Shipment::from_row).transpose()
}

/// Shipments by order id (at most one each today), one query per batch.
pub struct ShipmentsByOrder {
    pub db: Db,
}

impl Loader<String> for ShipmentsByOrder {
    type Value = Vec<Shipment>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Shipment>>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM shipments WHERE order_id IN ({}) ORDER BY id",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out: HashMap<String, Vec<Shipment>> = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            let s = Shipment::from_row(row)?;
            out.entry(s.order_id.clone()).or_default().push(s);
        }
        Ok(out)
    }
}

/// Shipments by id, one query per batch.
pub struct ShipmentsById {
    pub db: Db,
}

impl Loader<String> for ShipmentsById {
    type Value = Shipment;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Shipment>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM shipments WHERE id IN ({})",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        query
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(|r| Shipment::from_row(r).map(|s| (s.id.clone(), s)))
            .collect()
    }
}

#[derive(sqlx::FromRow)]
struct LineRow {
    shipment_id: String,
    line_id: Option<String>,
    variant_id: String,
    product_id: Option<String>,
    sku: Option<String>,
    title: Option<String>,
    quantity: i64,
}

/// Lines by shipment id, in order, one query per batch.
pub struct LinesByShipment {
    pub db: Db,
}

impl Loader<String> for LinesByShipment {
    type Value = Vec<ShipmentLine>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<ShipmentLine>>, AppError> {
        let sql = format!(
            "SELECT shipment_id, line_id, variant_id, product_id, sku, title, quantity \
             FROM shipment_lines WHERE shipment_id IN ({}) ORDER BY shipment_id, position",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, LineRow>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out: HashMap<String, Vec<ShipmentLine>> = HashMap::new();
        for r in query.fetch_all(self.db.pool()).await? {
            out.entry(r.shipment_id).or_default().push(ShipmentLine {
                line_id: r.line_id.map(ID),
                variant_id: ID(r.variant_id),
                product_id: r.product_id.map(ID),
                sku: r.sku,
                title: r.title,
                quantity: r.quantity,
            });
        }
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    shipment_id: String,
    status: String,
    occurred_at: i64,
    location: Option<String>,
    description: Option<String>,
    source: String,
}

/// Tracking history by shipment id, oldest first, one query per batch.
pub struct HistoryByShipment {
    pub db: Db,
}

impl Loader<String> for HistoryByShipment {
    type Value = Vec<TrackingEvent>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<TrackingEvent>>, AppError> {
        let sql = format!(
            "SELECT shipment_id, status, occurred_at, location, description, source \
             FROM tracking_events WHERE shipment_id IN ({}) \
             ORDER BY shipment_id, seq",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, HistoryRow>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out: HashMap<String, Vec<TrackingEvent>> = HashMap::new();
        for r in query.fetch_all(self.db.pool()).await? {
            let source = match r.source.as_str() {
                "STAFF" => TrackingSource::Staff,
                "CARRIER" => TrackingSource::Carrier,
                _ => TrackingSource::System,
            };
            out.entry(r.shipment_id).or_default().push(TrackingEvent {
                status: stored_status(&r.status)?,
                occurred_at: from_millis(r.occurred_at),
                location: r.location,
                description: r.description,
                source,
            });
        }
        Ok(out)
    }
}
