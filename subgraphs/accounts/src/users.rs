//! The `User` entity: its row, the batched loader every lookup by id goes through (so
//! `_entities` with N users is one query), and its GraphQL fields with per-field privacy
//! (email, role and addresses are for the user and staff only).

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_owner_or_staff, Role};
use kit::ids::from_millis;
use kit::{AppError, Db};
use std::collections::HashMap;

use crate::addresses::{Address, AddressesByUser};

pub const USER_COLUMNS: &str =
    "id, email, name, role, default_address_id, created_at, updated_at, email_verified_at";

pub type UserRowTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex, name = "User")]
pub struct User {
    // `id` and `name` are what a review's author shows on a public product page: the router
    // may share them between callers (`user.*` events drop them); the other fields have no
    // rule, so a selection with any of them is never cached.
    #[graphql(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, Some(kit::cache_control::CacheScope::Public)))]
    pub id: ID,
    #[graphql(directive = kit::cache_control::cacheControl::apply(kit::cache_control::SAFETY_NET_SECS, Some(kit::cache_control::CacheScope::Public)))]
    pub name: String,
    #[graphql(skip)]
    pub email: String,
    #[graphql(skip)]
    pub role: Role,
    #[graphql(skip)]
    pub default_address_id: Option<String>,
    /// Set on the user returned with fresh tokens: the caller is this user even though the
    /// request carried no token yet.
    #[graphql(skip)]
    pub is_session_owner: bool,
    /// When the current email was proven to be the user's (a verification link was opened).
    #[graphql(skip)]
    pub email_verified_at: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    pub fn from_row(row: UserRowTuple) -> User {
        let (id, email, name, role, default_address_id, created_at, updated_at, verified_at) = row;
        User {
            id: ID(id),
            name,
            email,
            role: Role::parse(&role).unwrap_or(Role::Customer),
            default_address_id,
            is_session_owner: false,
            email_verified_at: verified_at,
            created_at: from_millis(created_at),
            updated_at: from_millis(updated_at),
        }
    }

    pub fn uid(&self) -> &str {
        self.id.as_str()
    }

    fn check_private(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        if self.is_session_owner {
            return Ok(());
        }
        require_owner_or_staff(ctx, self.uid()).map(|_| ())
    }
}

#[ComplexObject]
impl User {
    /// The sign-in email. Visible to the user and to staff.
    async fn email(&self, ctx: &Context<'_>) -> Result<&str> {
        self.check_private(ctx)?;
        Ok(&self.email)
    }

    /// Whether the user opened the verification link sent to their current email. Visible to
    /// the user and to staff.
    async fn email_verified(&self, ctx: &Context<'_>) -> Result<bool> {
        self.check_private(ctx)?;
        Ok(self.email_verified_at.is_some())
    }

    /// Visible to the user and to staff.
    async fn role(&self, ctx: &Context<'_>) -> Result<Role> {
        self.check_private(ctx)?;
        Ok(self.role)
    }

    /// Saved addresses, default first. Visible to the user and to staff.
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Vec<Address>> {
        self.check_private(ctx)?;
        let loader = ctx.data_unchecked::<DataLoader<AddressesByUser>>();
        let mut list = loader
            .load_one(self.uid().to_string())
            .await?
            .unwrap_or_default();
        list.sort_by_key(|a| Some(a.id.as_str()) != self.default_address_id.as_deref());
        Ok(list)
    }

    async fn default_address(&self, ctx: &Context<'_>) -> Result<Option<Address>> {
        self.check_private(ctx)?;
        let Some(default) = &self.default_address_id else {
            return Ok(None);
        };
        let loader = ctx.data_unchecked::<DataLoader<AddressesByUser>>();
        let list = loader
            .load_one(self.uid().to_string())
            .await?
            .unwrap_or_default();
        Ok(list.into_iter().find(|a| a.id.as_str() == default))
    }
}

/// Loads users by id in one `IN (...)` query per batch.
pub struct UsersById {
    pub db: Db,
}

impl Loader<String> for UsersById {
    type Value = User;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, User>, Self::Error> {
        let placeholders = kit::db::placeholders(1, ids.len());
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({placeholders})");
        let mut query = sqlx::query_as::<_, UserRowTuple>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query
            .fetch_all(self.db.pool())
            .await
            .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(User::from_row)
            .map(|u| (u.id.to_string(), u))
            .collect())
    }
}

/// `$from, $from+1, ...` for `n` bind parameters.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<User>, AppError> {
    let loader = ctx.data_unchecked::<DataLoader<UsersById>>();
    loader.load_one(id.to_string()).await
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<User>, AppError> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRowTuple> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(User::from_row))
}
