//! The `ShippingMethod` entity: a named service of a carrier, the zones it ships to, whether it
//! is offered, its delivery estimate and one rate rule per currency. Lookups are batched:
//! [`MethodsById`], and a method's zones and rates by [`ZoneIdsByMethod`] and [`RatesByMethod`].

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::money::Money;
use kit::{AppError, Db};

use crate::rate::{Rate, RateKind, RateObject};
use crate::zone::{Zone, ZonesById};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    pub id: String,
    pub name: String,
    pub carrier: String,
    pub active: bool,
    pub days_min: Option<i64>,
    pub days_max: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Columns in [`Row`] order.
pub const COLUMNS: &str = "id, name, carrier, active, days_min, days_max, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    name: String,
    carrier: String,
    active: i64,
    days_min: Option<i64>,
    days_max: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl Method {
    pub fn from_row(r: Row) -> Result<Method, AppError> {
        Ok(Method {
            id: r.id,
            name: r.name,
            carrier: r.carrier,
            active: r.active != 0,
            days_min: r.days_min,
            days_max: r.days_max,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RateRow {
    method_id: String,
    currency: String,
    kind: String,
    amount: i64,
    per_kg: Option<i64>,
    max_weight_grams: Option<i64>,
    free_above: Option<i64>,
}

const RATE_COLUMNS: &str =
    "method_id, currency, kind, amount, per_kg, max_weight_grams, free_above";

impl RateRow {
    fn into_rate(self) -> Result<(String, Rate), AppError> {
        let currency = Money::from_stored(0, &self.currency)?.currency;
        let kind = RateKind::parse(&self.kind).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("unknown stored rate kind {}", self.kind))
        })?;
        Ok((
            self.method_id,
            Rate {
                currency,
                kind,
                amount: self.amount,
                per_kg: self.per_kg,
                max_weight_grams: self.max_weight_grams,
                free_above: self.free_above,
            },
        ))
    }
}

fn in_list(sql: &str, n: usize) -> String {
    sql.replace("{in}", &placeholders(1, n))
}

/// The rates of the given methods, grouped by method, ordered by currency.
async fn rates_of(db: &Db, methods: &[String]) -> Result<HashMap<String, Vec<Rate>>, AppError> {
    let sql = in_list(
        &format!(
            "SELECT {RATE_COLUMNS} FROM method_rates WHERE method_id IN ({{in}}) ORDER BY currency"
        ),
        methods.len(),
    );
    let mut query = sqlx::query_as::<_, RateRow>(&sql);
    for m in methods {
        query = query.bind(m);
    }
    let mut out: HashMap<String, Vec<Rate>> = HashMap::new();
    for row in query.fetch_all(db.pool()).await? {
        let (method, rate) = row.into_rate()?;
        out.entry(method).or_default().push(rate);
    }
    Ok(out)
}

/// The zone ids of the given methods, grouped by method.
async fn zone_ids_of(
    db: &Db,
    methods: &[String],
) -> Result<HashMap<String, Vec<String>>, AppError> {
    let sql = in_list(
        "SELECT method_id, zone_id FROM method_zones WHERE method_id IN ({in}) ORDER BY zone_id",
        methods.len(),
    );
    let mut query = sqlx::query_as::<_, (String, String)>(&sql);
    for m in methods {
        query = query.bind(m);
    }
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (method, zone) in query.fetch_all(db.pool()).await? {
        out.entry(method).or_default().push(zone);
    }
    Ok(out)
}

/// A method with its zones and rates, as quoting needs it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub method: Method,
    pub zone_ids: Vec<String>,
    pub rates: Vec<Rate>,
}

impl Offer {
    pub fn rate_in(&self, currency: kit::money::Currency) -> Option<&Rate> {
        self.rates.iter().find(|r| r.currency == currency)
    }
}

/// Methods with their zones and rates: `only` these ids, or every active method.
pub async fn offers(db: &Db, only: Option<&str>) -> Result<Vec<Offer>, AppError> {
    let rows: Vec<Row> = match only {
        Some(id) => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM shipping_methods WHERE id = $1"
            ))
            .bind(id)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM shipping_methods WHERE active = 1"
            ))
            .fetch_all(db.pool())
            .await?
        }
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let methods = rows
        .into_iter()
        .map(Method::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = methods.iter().map(|m| m.id.clone()).collect();
    let mut rates = rates_of(db, &ids).await?;
    let mut zones = zone_ids_of(db, &ids).await?;
    Ok(methods
        .into_iter()
        .map(|m| Offer {
            rates: rates.remove(&m.id).unwrap_or_default(),
            zone_ids: zones.remove(&m.id).unwrap_or_default(),
            method: m,
        })
        .collect())
}

#[Object(name = "ShippingMethod")]
impl Method {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn name(&self) -> &str {
        &self.name
    }

    /// Who carries the parcels, e.g. "UPS".
    async fn carrier(&self) -> &str {
        &self.carrier
    }

    /// The zones it ships to.
    async fn zones(&self, ctx: &Context<'_>) -> Result<Vec<Zone>> {
        let ids = ctx
            .data_unchecked::<DataLoader<ZoneIdsByMethod>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default();
        let mut zones = ctx
            .data_unchecked::<DataLoader<ZonesById>>()
            .load_many(ids)
            .await?
            .into_values()
            .collect::<Vec<_>>();
        zones.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(zones)
    }

    /// Whether customers are offered it.
    async fn active(&self) -> bool {
        self.active
    }

    /// Business days to delivery, at least.
    async fn estimated_days_min(&self) -> Option<i64> {
        self.days_min
    }

    /// Business days to delivery, at most.
    async fn estimated_days_max(&self) -> Option<i64> {
        self.days_max
    }

    /// One rate rule per currency, by currency code.
    async fn rates(&self, ctx: &Context<'_>) -> Result<Vec<RateObject>> {
        let rates = ctx
            .data_unchecked::<DataLoader<RatesByMethod>>()
            .load_one(self.id.clone())
            .await?
            .unwrap_or_default();
        Ok(rates.iter().map(RateObject::from).collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

/// Methods by id, one query per batch.
pub struct MethodsById {
    pub db: Db,
}

impl Loader<String> for MethodsById {
    type Value = Method;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Method>, AppError> {
        let sql = in_list(
            &format!("SELECT {COLUMNS} FROM shipping_methods WHERE id IN ({{in}})"),
            keys.len(),
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        query
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(|r| Method::from_row(r).map(|m| (m.id.clone(), m)))
            .collect()
    }
}

/// Rates by method id, one query per batch.
pub struct RatesByMethod {
    pub db: Db,
}

impl Loader<String> for RatesByMethod {
    type Value = Vec<Rate>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Rate>>, AppError> {
        rates_of(&self.db, keys).await
    }
}

/// Zone ids by method id, one query per batch.
pub struct ZoneIdsByMethod {
    pub db: Db,
}

impl Loader<String> for ZoneIdsByMethod {
    type Value = Vec<String>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<String>>, AppError> {
        zone_ids_of(&self.db, keys).await
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Method>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipping_methods WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Method::from_row).transpose()
}
