//! Postal addresses: the validated input, the `Address` entity, its batched loader and the
//! owner-checked queries and mutations (add, update, remove, set default).

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use kit::auth::{caller, require_owner_or_staff};
use kit::ids::{new_id, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Db};
use serde_json::json;
use std::collections::HashMap;

use crate::users::{self, User};
use kit::authz_directives::authenticated;
use kit::validate::{optional, text};

const COLUMNS: &str =
    "id, user_id, full_name, line1, line2, city, region, postal_code, country_code, phone";
type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);

#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Address")]
pub struct Address {
    pub id: ID,
    #[graphql(skip)]
    pub user_id: String,
    pub full_name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub phone: Option<String>,
}

impl Address {
    fn from_row(r: Row) -> Address {
        Address {
            id: ID(r.0),
            user_id: r.1,
            full_name: r.2,
            line1: r.3,
            line2: r.4,
            city: r.5,
            region: r.6,
            postal_code: r.7,
            country_code: r.8,
            phone: r.9,
        }
    }
}

#[derive(Debug, InputObject)]
pub struct AddressInput {
    pub full_name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: Option<String>,
}

/// `AddressInput` after validation and normalisation.
struct ValidAddress {
    full_name: String,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country_code: String,
    phone: Option<String>,
}

impl AddressInput {
    fn validate(&self) -> Result<ValidAddress, AppError> {
        let country = self.country_code.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::bad_input(
                "input.countryCode",
                "must be an ISO 3166-1 alpha-2 code such as DE",
            ));
        }
        let phone = optional("input.phone", self.phone.as_deref(), 32)?;
        if let Some(p) = &phone {
            if !p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
            {
                return Err(AppError::bad_input(
                    "input.phone",
                    "may contain only digits, spaces and + - ( ) .",
                ));
            }
        }
        Ok(ValidAddress {
            full_name: text("input.fullName", &self.full_name, 100)?,
            line1: text("input.line1", &self.line1, 200)?,
            line2: optional("input.line2", self.line2.as_deref(), 200)?,
            city: text("input.city", &self.city, 100)?,
            region: optional("input.region", self.region.as_deref(), 100)?,
            postal_code: text("input.postalCode", &self.postal_code, 20)?,
            country_code: country,
            phone,
        })
    }
}

/// Loads every address of a batch of users in one query.
pub struct AddressesByUser {
    pub db: Db,
}

impl Loader<String> for AddressesByUser {
    type Value = Vec<Address>;
    type Error = AppError;

    async fn load(
        &self,
        user_ids: &[String],
    ) -> Result<HashMap<String, Vec<Address>>, Self::Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM addresses WHERE user_id IN ({}) ORDER BY id",
            kit::db::placeholders(1, user_ids.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for id in user_ids {
            query = query.bind(id);
        }
        let rows = query
            .fetch_all(self.db.pool())
            .await
            .map_err(AppError::from)?;
        let mut map: HashMap<String, Vec<Address>> = HashMap::new();
        for row in rows {
            let a = Address::from_row(row);
            map.entry(a.user_id.clone()).or_default().push(a);
        }
        Ok(map)
    }
}

async fn find(db: &Db, id: &str) -> Result<Option<Address>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM addresses WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(Address::from_row))
}

/// An address the caller may see: their own, or any for staff. Someone else's is reported as
/// not found to customers, so ids cannot be probed.
pub async fn visible(ctx: &Context<'_>, raw_id: &str, field: &str) -> Result<Address, AppError> {
    let id = parse_id(field, raw_id)?;
    let who = caller(ctx)?;
    let address = find(&service(ctx).db, &id).await?;
    match address {
        Some(a) if a.user_id == who.user_id || who.is_staff() => Ok(a),
        _ => Err(AppError::not_found(format!("{field}: no such address"))),
    }
}

const MAX_ADDRESSES: i64 = 50;

#[derive(Default)]
pub struct AddressQuery;

#[Object]
impl AddressQuery {
    /// One address: the caller's own, or any for staff.
    #[graphql(directive = authenticated::apply())]
    async fn address(&self, ctx: &Context<'_>, id: ID) -> Result<Address> {
        Ok(visible(ctx, &id, "id").await?)
    }
}

#[derive(Default)]
pub struct AddressMutation;

#[Object]
impl AddressMutation {
    /// Saves a new address for the caller; the first one becomes the default.
    #[graphql(directive = authenticated::apply())]
    async fn add_address(&self, ctx: &Context<'_>, input: AddressInput) -> Result<Address> {
        let who = caller(ctx)?;
        let v = input.validate()?;
        let svc = service(ctx);
        let id = new_id();
        let now = now_millis();
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE user_id = $1")
            .bind(&who.user_id)
            .fetch_one(tx.conn())
            .await
            .map_err(AppError::from)?;
        if count >= MAX_ADDRESSES {
            return Err(AppError::bad_input(
                "input",
                format!("at most {MAX_ADDRESSES} addresses per account"),
            )
            .into());
        }
        sqlx::query(&format!(
            "INSERT INTO addresses ({COLUMNS}, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
        ))
        .bind(&id)
        .bind(&who.user_id)
        .bind(&v.full_name)
        .bind(&v.line1)
        .bind(&v.line2)
        .bind(&v.city)
        .bind(&v.region)
        .bind(&v.postal_code)
        .bind(&v.country_code)
        .bind(&v.phone)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        sqlx::query(
            "UPDATE users SET default_address_id = $1 WHERE id = $2 AND default_address_id IS NULL",
        )
        .bind(&id)
        .bind(&who.user_id)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(find(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("address"))?)
    }

    /// Replaces an address's fields. Owner or staff.
    #[graphql(directive = authenticated::apply())]
    async fn update_address(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AddressInput,
    ) -> Result<Address> {
        let existing = visible(ctx, &id, "id").await?;
        require_owner_or_staff(ctx, &existing.user_id)?;
        let v = input.validate()?;
        let svc = service(ctx);
        sqlx::query(
            "UPDATE addresses SET full_name = $1, line1 = $2, line2 = $3, city = $4, region = $5, \
             postal_code = $6, country_code = $7, phone = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&v.full_name)
        .bind(&v.line1)
        .bind(&v.line2)
        .bind(&v.city)
        .bind(&v.region)
        .bind(&v.postal_code)
        .bind(&v.country_code)
        .bind(&v.phone)
        .bind(now_millis())
        .bind(existing.id.as_str())
        .execute(svc.db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(find(&svc.db, &existing.id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such address"))?)
    }

    /// Deletes an address (clearing it as default). Returns its id.
    #[graphql(directive = authenticated::apply())]
    async fn remove_address(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let existing = visible(ctx, &id, "id").await?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        sqlx::query(
            "UPDATE users SET default_address_id = NULL WHERE id = $1 AND default_address_id = $2",
        )
        .bind(&existing.user_id)
        .bind(existing.id.as_str())
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?;
        sqlx::query("DELETE FROM addresses WHERE id = $1")
            .bind(existing.id.as_str())
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(existing.id)
    }

    /// Makes an address its owner's default. Returns the owner.
    #[graphql(directive = authenticated::apply())]
    async fn set_default_address(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let existing = visible(ctx, &id, "id").await?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        sqlx::query("UPDATE users SET default_address_id = $1, updated_at = $2 WHERE id = $3")
            .bind(existing.id.as_str())
            .bind(now_millis())
            .bind(&existing.user_id)
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?;
        let event = svc.event(
            "user.updated",
            Some(existing.user_id.clone()),
            json!({ "userId": existing.user_id, "changed": ["defaultAddress"] }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(users::by_id(&svc.db, &existing.user_id)
            .await?
            .ok_or_else(|| AppError::not_found("user"))?)
    }
}

/// The loaders this module's fields rely on, for the schema builder.
pub fn loader(svc: &kit::Service) -> DataLoader<AddressesByUser> {
    kit::schema::loader(svc, AddressesByUser { db: svc.db.clone() })
}
