//! Start-up data: the first admin from configuration (`ADMIN_EMAIL`, `ADMIN_PASSWORD`), and,
//! for the embedded demo, a few customers. Idempotent: existing accounts are left alone (an
//! existing first-admin account is promoted).

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
    }
    Ok(())
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
    if insert_user(svc, email, name, &hash, role).await?.is_some() {
        tracing::info!(email = email.as_str(), role, "seeded account");
    }
    Ok(())
}
