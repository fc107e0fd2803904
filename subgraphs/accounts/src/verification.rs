//! Email verification: `verifyEmail(token)` redeems the link from the welcome (or resent)
//! email and marks the address as proven; `resendVerificationEmail` (signed in) issues a new
//! link. Both publish events: `user.email_verified`, and `user.verification_requested` with
//! the new token for the notifications service to mail (never in the response).

use async_graphql::{Context, Object, Result};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::cache::rate_limit;
use kit::ids::{from_millis, now_millis};
use kit::schema::service;
use kit::AppError;
use serde_json::json;

use crate::settings::Settings;
use crate::tokens::one_time::{self, Purpose};

#[derive(Default)]
pub struct VerificationMutation;

#[Object]
impl VerificationMutation {
    /// Proves the email address the token was sent to. A token works once, until it expires,
    /// and only while the account still has that address. Publishes `user.email_verified`.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let redeemed = one_time::redeem(&mut tx, "token", &token, Purpose::VerifyEmail).await?;
        let now = now_millis();
        // The address changed since the link was sent: the link proves nothing any more.
        let updated = sqlx::query(
            "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1), updated_at = $1 \
             WHERE id = $2 AND email = $3",
        )
        .bind(now)
        .bind(&redeemed.user_id)
        .bind(&redeemed.email)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        if updated != 1 {
            return Err(AppError::bad_input("token", "is invalid or has expired").into());
        }
        let event = svc.event(
            "user.email_verified",
            Some(redeemed.user_id.clone()),
            json!({ "userId": redeemed.user_id, "email": redeemed.email, "verifiedAt": from_millis(now) }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }

    /// Sends the signed-in user a new verification link (earlier links stop working).
    /// `CONFLICT` when the address is already verified. Publishes
    /// `user.verification_requested`.
    #[graphql(directive = authenticated::apply())]
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> Result<bool> {
        let who = caller(ctx)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        rate_limit::hit(
            &svc.cache,
            &format!("mail:verify:{}", who.user_id),
            settings.mail_per_email,
        )
        .await?;
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let row: Option<(String, String, Option<i64>)> =
            sqlx::query_as("SELECT email, name, email_verified_at FROM users WHERE id = $1")
                .bind(&who.user_id)
                .fetch_optional(tx.conn())
                .await
                .map_err(AppError::from)?;
        let (email, name, verified) =
            row.ok_or_else(|| AppError::unauthenticated("account no longer exists"))?;
        if verified.is_some() {
            return Err(AppError::conflict("email: the address is already verified").into());
        }
        let ttl = settings.verify_ttl.as_millis() as i64;
        let token =
            one_time::issue(&mut tx, &who.user_id, &email, Purpose::VerifyEmail, ttl).await?;
        // The raw token goes only into this event, for the notifications service to mail (see
        // `session::insert_user` for the trade-off).
        let event = svc.event(
            "user.verification_requested",
            Some(who.user_id.clone()),
            json!({
                "userId": who.user_id, "email": email, "name": name,
                "verificationToken": token,
                "verificationUrl": settings.verify_link(&token),
                "verificationExpiresAt": from_millis(now_millis() + ttl),
            }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(true)
    }
}
