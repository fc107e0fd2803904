//! The `ShippingZone` entity: where a method ships. A zone lists countries, optionally narrowed
//! to regions (a country with listed regions matches only those) and postal-code prefixes (when
//! any are listed, the postal code must start with one). A *rest-of-world* zone lists nothing
//! and matches every country that no ordinary zone lists — "everywhere else", which stays right
//! as staff add zones. Lookups by id are batched by [`ZonesById`].

use std::collections::{BTreeSet, HashMap};

use async_graphql::dataloader::Loader;
use async_graphql::{Object, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::{AppError, Db};

use crate::address::Destination;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub postal_prefixes: Vec<String>,
    pub rest_of_world: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Columns in [`Row`] order.
pub const COLUMNS: &str =
    "id, name, countries, regions, postal_prefixes, rest_of_world, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct Row {
    id: String,
    name: String,
    countries: String,
    regions: String,
    postal_prefixes: String,
    rest_of_world: i64,
    created_at: i64,
    updated_at: i64,
}

fn list(json: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(json).map_err(|e| AppError::internal(anyhow::anyhow!("zone list: {e}")))
}

impl Zone {
    pub fn from_row(r: Row) -> Result<Zone, AppError> {
        Ok(Zone {
            countries: list(&r.countries)?,
            regions: list(&r.regions)?,
            postal_prefixes: list(&r.postal_prefixes)?,
            rest_of_world: r.rest_of_world != 0,
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    /// Whether this ordinary zone contains `to` (rest-of-world zones: see [`Zones::contains`]).
    fn lists(&self, to: &Destination) -> bool {
        if !self.countries.contains(&to.country) {
            return false;
        }
        let prefix = format!("{}-", to.country);
        let mut regions = self.regions.iter().filter(|r| r.starts_with(&prefix));
        let region_ok = match regions.clone().next() {
            None => true,
            Some(_) => to.region.as_ref().is_some_and(|r| regions.any(|z| z == r)),
        };
        let postal_ok = self.postal_prefixes.is_empty()
            || to
                .postal
                .as_ref()
                .is_some_and(|p| self.postal_prefixes.iter().any(|z| p.starts_with(z)));
        region_ok && postal_ok
    }
}

/// Every zone, for matching destinations (rest-of-world needs to know what the others list).
pub struct Zones {
    by_id: HashMap<String, Zone>,
    listed: BTreeSet<String>,
}

impl Zones {
    pub async fn load(db: &Db) -> Result<Zones, AppError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipping_zones"))
            .fetch_all(db.pool())
            .await?;
        let zones = rows
            .into_iter()
            .map(Zone::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Zones::new(zones))
    }

    pub fn new(zones: Vec<Zone>) -> Zones {
        let listed = zones
            .iter()
            .filter(|z| !z.rest_of_world)
            .flat_map(|z| z.countries.iter().cloned())
            .collect();
        Zones {
            by_id: zones.into_iter().map(|z| (z.id.clone(), z)).collect(),
            listed,
        }
    }

    /// Whether zone `id` contains `to`. A country some ordinary zone lists is never "rest of
    /// world", even where that zone's regions or postal prefixes leave the address out.
    pub fn contains(&self, id: &str, to: &Destination) -> bool {
        match self.by_id.get(id) {
            Some(zone) if zone.rest_of_world => !self.listed.contains(&to.country),
            Some(zone) => zone.lists(to),
            None => false,
        }
    }
}

#[Object(name = "ShippingZone")]
impl Zone {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn name(&self) -> &str {
        &self.name
    }

    /// ISO 3166-1 alpha-2 codes; empty for a rest-of-world zone.
    async fn countries(&self) -> &[String] {
        &self.countries
    }

    /// ISO 3166-2 codes ("US-CA"). A listed country with regions here matches only them.
    async fn regions(&self) -> &[String] {
        &self.regions
    }

    /// When any, an address's postal code (upper case, without spaces and hyphens) must start
    /// with one of these.
    async fn postal_code_prefixes(&self) -> &[String] {
        &self.postal_prefixes
    }

    /// "Everywhere else": matches every country that no ordinary zone lists.
    async fn rest_of_world(&self) -> bool {
        self.rest_of_world
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}

/// Zones by id, one query per batch.
pub struct ZonesById {
    pub db: Db,
}

impl Loader<String> for ZonesById {
    type Value = Zone;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Zone>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM shipping_zones WHERE id IN ({})",
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
            .map(|r| Zone::from_row(r).map(|z| (z.id.clone(), z)))
            .collect()
    }
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Zone>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM shipping_zones WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(Zone::from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: &str, countries: &[&str], regions: &[&str], postal: &[&str], row: bool) -> Zone {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        Zone {
            id: id.into(),
            name: id.into(),
            countries: v(countries),
            regions: v(regions),
            postal_prefixes: v(postal),
            rest_of_world: row,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn to(country: &str, region: Option<&str>, postal: Option<&str>) -> Destination {
        Destination {
            country: country.into(),
            region: region.map(str::to_string),
            postal: postal.map(str::to_string),
        }
    }

    #[test]
    fn regions_narrow_only_their_country_and_rest_of_world_takes_the_unlisted() {
        let zones = Zones::new(vec![
            zone("west", &["US", "CA"], &["US-CA", "US-OR"], &[], false),
            zone("berlin", &["DE"], &[], &["10", "12"], false),
            zone("row", &[], &[], &[], true),
        ]);
        assert!(zones.contains("west", &to("US", Some("US-CA"), None)));
        assert!(!zones.contains("west", &to("US", Some("US-NY"), None)));
        assert!(!zones.contains("west", &to("US", None, None)));
        assert!(zones.contains("west", &to("CA", None, None)));
        assert!(zones.contains("berlin", &to("DE", None, Some("10115"))));
        assert!(!zones.contains("berlin", &to("DE", None, Some("80331"))));
        assert!(!zones.contains("berlin", &to("DE", None, None)));
        assert!(zones.contains("row", &to("JP", None, None)));
        assert!(!zones.contains("row", &to("US", Some("US-NY"), None)));
        assert!(!zones.contains("row", &to("DE", None, Some("80331"))));
        assert!(!zones.contains("missing", &to("JP", None, None)));
    }
}
