//! The service account: the staff identity subgraphs sign in with to call each other
//! (`kit::auth::service`). At start-up, when `SERVICE_EMAIL` and `SERVICE_PASSWORD` are set,
//! the account is created with role `staff`, or — if it exists — given that password and at
//! least the staff role (an admin stays admin). Unset means no service account.

use kit::ids::now_millis;
use kit::{AppError, Service};

use crate::email::Email;
use crate::password::{self, Password};
use crate::session::insert_user;
use crate::settings::Settings;

const NAME: &str = "Service account";

pub async fn ensure(svc: &Service, settings: &Settings) -> Result<(), AppError> {
    let (Some(email), Some(pass)) = (&settings.service_email, &settings.service_password) else {
        return Ok(());
    };
    let email = Email::parse("SERVICE_EMAIL", email)?;
    let existing: Option<(String, String)> =
        sqlx::query_as("SELECT password_hash, role FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(svc.db.pool())
            .await?;
    let Some((stored, role)) = existing else {
        let password = Password::parse("SERVICE_PASSWORD", pass, Some(email.as_str()))?;
        let hash = password::hash(password, settings.argon2).await?;
        if insert_user(svc, &email, NAME, &hash, "staff", None)
            .await?
            .is_some()
        {
            tracing::info!(email = email.as_str(), "created the service account");
            return Ok(());
        }
        // Another instance created it meanwhile: bring that one in line below.
        return Box::pin(ensure(svc, settings)).await;
    };
    // Rehash only when the password changed: hashing is deliberately slow.
    if !password::verify(pass.clone(), Some(stored), settings.argon2).await? {
        let password = Password::parse("SERVICE_PASSWORD", pass, Some(email.as_str()))?;
        let hash = password::hash(password, settings.argon2).await?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE email = $3")
            .bind(&hash)
            .bind(now_millis())
            .bind(email.as_str())
            .execute(svc.db.pool())
            .await?;
        tracing::info!(
            email = email.as_str(),
            "reset the service account's password"
        );
    }
    if role == "customer" {
        sqlx::query("UPDATE users SET role = 'staff', updated_at = $1 WHERE email = $2")
            .bind(now_millis())
            .bind(email.as_str())
            .execute(svc.db.pool())
            .await?;
    }
    Ok(())
}
