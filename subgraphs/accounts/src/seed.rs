//! Start-up data: the first admin from configuration (`ADMIN_EMAIL`, `ADMIN_PASSWORD`), and,
//! for the embedded demo, a few named customers plus generated shoppers (the authors of the
//! demo reviews). Idempotent: existing accounts are left alone (an existing first-admin account
//! is promoted).

use kit::{AppError, Service};

use crate::email::Email;
use crate::password::{self, Password};
use crate::session::insert_user;
use crate::settings::Settings;

pub const DEMO_PASSWORD: &str = "demo-password-2026";
pub const DEMO_CUSTOMERS: &[(&str, &str)] = &[
    ("ada@example.com", "Ada Lovelace"),
    ("grace@example.com", "Grace Hopper"),
    ("alan@example.com", "Alan Turing"),
];

/// Generated demo shoppers (`shopper<n>@example.com`, all with [`DEMO_PASSWORD`]).
pub const DEMO_SHOPPERS: usize = 40;
const FIRST: &[&str] = &[
    "Maya", "Jonas", "Priya", "Tomás", "Ingrid", "Kwame", "Sofia", "Hiro", "Leila", "Oskar",
];
const LAST: &[&str] = &[
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Silva",
    "Brennan",
    "Haddad",
];

pub async fn run(svc: &Service, settings: &Settings) -> Result<(), AppError> {
    if let (Some(email), Some(pass)) = (&settings.admin_email, &settings.admin_password) {
        let email = Email::parse("ADMIN_EMAIL", email)?;
        ensure(svc, settings, &email, "Administrator", pass, "admin").await?;
        sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1 AND role <> 'admin'")
            .bind(email.as_str())
            .execute(svc.db.pool())
            .await?;
    }
    if settings.seed_demo {
        for (email, name) in DEMO_CUSTOMERS {
            let email = Email::parse("demo email", email)?;
            ensure(svc, settings, &email, name, DEMO_PASSWORD, "customer").await?;
        }
        shoppers(svc, settings).await?;
    }
    Ok(())
}

/// The generated shoppers that are missing. One argon2 hash serves them all: hashing forty
/// times would add seconds to every first start, and these are demo accounts.
async fn shoppers(svc: &Service, settings: &Settings) -> Result<(), AppError> {
    let existing: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email LIKE 'shopper%@example.com'")
            .fetch_one(svc.db.pool())
            .await?;
    if existing as usize >= DEMO_SHOPPERS {
        return Ok(());
    }
    let password = Password::parse("demo password", DEMO_PASSWORD, None)?;
    let hash = password::hash(password, settings.argon2).await?;
    for n in 1..=DEMO_SHOPPERS {
        let email = Email::parse("demo email", &format!("shopper{n}@example.com"))?;
        let name = format!(
            "{} {}",
            FIRST[n % FIRST.len()],
            LAST[(n / FIRST.len() + n) % LAST.len()]
        );
        insert_user(svc, &email, &name, &hash, "customer", None).await?;
    }
    Ok(())
}

/// Ids of the demo customers (named and generated), oldest first: the launcher hands them to
/// other subgraphs' demo seeds (review authors).
pub async fn demo_customer_ids(svc: &Service) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE role = 'customer' AND email LIKE '%@example.com' ORDER BY id",
    )
    .fetch_all(svc.db.pool())
    .await?)
}

/// The named demo customers as (id, email, name), for seeds that need their contact details
/// (past orders).
pub async fn named_demo_customers(
    svc: &Service,
) -> Result<Vec<(String, String, String)>, AppError> {
    let mut found = Vec::with_capacity(DEMO_CUSTOMERS.len());
    for (email, name) in DEMO_CUSTOMERS {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(*email)
            .fetch_optional(svc.db.pool())
            .await?;
        if let Some(id) = id {
            found.push((id, email.to_string(), name.to_string()));
        }
    }
    Ok(found)
}

async fn ensure(
    svc: &Service,
    settings: &Settings,
    email: &Email,
    name: &str,
    pass: &str,
    role: &str,
) -> Result<(), AppError> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(svc.db.pool())
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    let password = Password::parse("ADMIN_PASSWORD", pass, Some(email.as_str()))?;
    let hash = password::hash(password, settings.argon2).await?;
    if insert_user(svc, email, name, &hash, role, None)
        .await?
        .is_some()
    {
        tracing::info!(email = email.as_str(), role, "seeded account");
    }
    Ok(())
}
