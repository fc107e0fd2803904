//! Password reset by email: `requestPasswordReset(email)` answers the same whether or not an
//! account has that address (no user enumeration) and, when one does, publishes
//! `user.password_reset_requested` with a single-use, expiring token and link for the
//! notifications service to mail; `resetPassword(token, newPassword)` redeems it, sets the
//! password, signs out every session and publishes `user.password_changed`.

use async_graphql::{Context, Object, Result};
use kit::cache::rate_limit;
use kit::ids::{from_millis, now_millis};
use kit::schema::service;
use kit::server::RequestMeta;
use kit::AppError;
use serde_json::json;

use crate::email::Email;
use crate::password::{self, Password};
use crate::settings::Settings;
use crate::tokens::one_time::{self, Purpose};
use crate::tokens::refresh;

#[derive(Default)]
pub struct ResetMutation;

#[Object]
impl ResetMutation {
    /// Asks for a password reset link to be mailed to `email`. Always answers `true`, whether
    /// or not an account has that address; rate-limited per address and per client.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> Result<bool> {
        let email = Email::parse("email", &email)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let meta = ctx.data_unchecked::<RequestMeta>();
        rate_limit::hit(
            &svc.cache,
            &format!("mail:reset:ip:{}", meta.client_ip),
            settings.login_per_ip,
        )
        .await?;
        rate_limit::hit(
            &svc.cache,
            &format!("mail:reset:{}", email.as_str()),
            settings.mail_per_email,
        )
        .await?;
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT id, name FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(tx.conn())
                .await
                .map_err(AppError::from)?;
        let Some((user_id, name)) = row else {
            // Same answer as for a known address; nothing is sent.
            return Ok(true);
        };
        let ttl = settings.reset_ttl.as_millis() as i64;
        let token = one_time::issue(
            &mut tx,
            &user_id,
            email.as_str(),
            Purpose::ResetPassword,
            ttl,
        )
        .await?;
        // The raw token goes only into this event, for the notifications service to mail (see
        // `session::insert_user` for the trade-off).
        let event = svc.event(
            "user.password_reset_requested",
            Some(user_id.clone()),
            json!({
                "userId": user_id, "email": email.as_str(), "name": name,
                "resetToken": token,
                "resetUrl": settings.reset_link(&token),
                "resetExpiresAt": from_millis(now_millis() + ttl),
            }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }

    /// Sets a new password with the token from a reset email. The token works once, until it
    /// expires; every session of the account is signed out. Publishes `user.password_changed`.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> Result<bool> {
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        if new_password.chars().count() > password::MAX_LEN {
            return Err(AppError::bad_input(
                "newPassword",
                format!("must be at most {} characters", password::MAX_LEN),
            )
            .into());
        }
        // Check the token before the (slow) hashing, without using it up on a bad password.
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let redeemed = one_time::redeem(&mut tx, "token", &token, Purpose::ResetPassword).await?;
        let new_password = Password::parse("newPassword", &new_password, Some(&redeemed.email))?;
        let hash = password::hash(new_password, settings.argon2).await?;
        let now = now_millis();
        // The mailbox that received the link is proven too, if it is still the account's.
        let updated = sqlx::query(
            "UPDATE users SET password_hash = $1, updated_at = $2, email_verified_at = \
             CASE WHEN email = $3 THEN COALESCE(email_verified_at, $2) ELSE email_verified_at END \
             WHERE id = $4",
        )
        .bind(hash)
        .bind(now)
        .bind(&redeemed.email)
        .bind(&redeemed.user_id)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if updated != 1 {
            return Err(AppError::bad_input("token", "is invalid or has expired").into());
        }
        refresh::revoke_user(&mut tx, &redeemed.user_id).await?;
        let event = svc.event(
            "user.password_changed",
            Some(redeemed.user_id.clone()),
            json!({ "userId": redeemed.user_id, "email": redeemed.email, "via": "reset", "at": from_millis(now) }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }
}
