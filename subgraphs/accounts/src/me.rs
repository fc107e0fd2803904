//! The signed-in user's own account: `me`, `updateProfile`, `changePassword`.

use async_graphql::{Context, InputObject, Object, Result};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::error::is_unique_violation;
use kit::ids::now_millis;
use kit::schema::service;
use kit::AppError;
use serde_json::json;

use crate::email::Email;
use crate::password::{self, Password};
use crate::profile::parse_name;
use crate::settings::Settings;
use crate::tokens::refresh;
use crate::users::{self, User};

#[derive(InputObject)]
pub struct UpdateProfileInput {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Default)]
pub struct MeQuery;

#[Object]
impl MeQuery {
    /// The signed-in user.
    #[graphql(directive = authenticated::apply())]
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let who = caller(ctx)?;
        Ok(users::load(ctx, &who.user_id)
            .await?
            .ok_or_else(|| AppError::unauthenticated("account no longer exists"))?)
    }
}

#[derive(Default)]
pub struct MeMutation;

#[Object]
impl MeMutation {
    /// Changes the caller's name and/or email. Publishes `user.updated`.
    #[graphql(directive = authenticated::apply())]
    async fn update_profile(&self, ctx: &Context<'_>, input: UpdateProfileInput) -> Result<User> {
        let who = caller(ctx)?;
        let name = input
            .name
            .as_deref()
            .map(|n| parse_name("input.name", n))
            .transpose()?;
        let email = input
            .email
            .as_deref()
            .map(|e| Email::parse("input.email", e))
            .transpose()?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let updated = sqlx::query(
            // A new address is unproven until its own verification link is opened.
            "UPDATE users SET name = COALESCE($1, name), email = COALESCE($2, email), updated_at = $3, \
             email_verified_at = CASE WHEN $2 IS NULL OR email = $2 THEN email_verified_at ELSE NULL END \
             WHERE id = $4",
        )
        .bind(&name)
        .bind(email.as_ref().map(Email::as_str))
        .bind(now_millis())
        .bind(&who.user_id)
        .execute(tx.conn())
        .await;
        match updated {
            Err(err) if is_unique_violation(&err) => {
                return Err(AppError::conflict(
                    "input.email: an account with this email already exists",
                )
                .into())
            }
            other => {
                other.map_err(AppError::from)?;
            }
        }
        let mut changed = Vec::new();
        if name.is_some() {
            changed.push("name");
        }
        if email.is_some() {
            changed.push("email");
        }
        let event = svc.event(
            "user.updated",
            Some(who.user_id.clone()),
            json!({ "userId": who.user_id, "changed": changed, "name": name, "email": email.as_ref().map(Email::as_str) }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(users::by_id(&svc.db, &who.user_id)
            .await?
            .ok_or_else(|| AppError::not_found("user"))?)
    }

    /// Changes the caller's password and signs out every session. Publishes
    /// `user.password_changed`.
    #[graphql(directive = authenticated::apply())]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let who = caller(ctx)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT email, password_hash FROM users WHERE id = $1")
                .bind(&who.user_id)
                .fetch_optional(svc.db.pool())
                .await
                .map_err(AppError::from)?;
        let (email, stored) =
            row.ok_or_else(|| AppError::unauthenticated("account no longer exists"))?;
        if current_password.chars().count() > password::MAX_LEN
            || !password::verify(current_password, Some(stored), settings.argon2).await?
        {
            return Err(AppError::bad_input("currentPassword", "is incorrect").into());
        }
        let new_password = Password::parse("newPassword", &new_password, Some(&email))?;
        let hash = password::hash(new_password, settings.argon2).await?;
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now_millis())
            .bind(&who.user_id)
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?;
        refresh::revoke_user(&mut tx, &who.user_id).await?;
        let event = svc.event(
            "user.password_changed",
            Some(who.user_id.clone()),
            json!({ "userId": who.user_id, "email": email, "via": "change", "at": kit::ids::from_millis(now_millis()) }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }
}
