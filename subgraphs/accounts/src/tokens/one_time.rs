//! Single-use, expiring tokens for email verification and password reset. The raw token is
//! returned once (to go into the event the notifications service mails) and only its SHA-256
//! is stored. Redeeming is one conditional UPDATE, so two concurrent redemptions of the same
//! token cannot both succeed; a wrong, expired or used token gets the same answer.

use kit::ids::now_millis;
use kit::{AppError, Tx};

use super::refresh::{hash, new_token};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }
}

/// Issues a token for `user_id` at `email`, valid for `ttl_ms`. Earlier unused tokens of the
/// same purpose stop working: only the newest link in the user's mailbox is good.
pub async fn issue(
    tx: &mut Tx,
    user_id: &str,
    email: &str,
    purpose: Purpose,
    ttl_ms: i64,
) -> Result<String, AppError> {
    let now = now_millis();
    sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(tx.conn())
    .await?;
    let token = new_token();
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, user_id, purpose, email, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(hash(&token))
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(email)
    .bind(now)
    .bind(now + ttl_ms)
    .execute(tx.conn())
    .await?;
    Ok(token)
}

/// The user and email a redeemed token was issued for.
pub struct Redeemed {
    pub user_id: String,
    pub email: String,
}

/// Marks `token` used and returns whom it was for; `BAD_USER_INPUT` on the field `field` when
/// it is unknown, expired or already used (one message for all three).
pub async fn redeem(
    tx: &mut Tx,
    field: &str,
    token: &str,
    purpose: Purpose,
) -> Result<Redeemed, AppError> {
    let invalid = || AppError::bad_input(field, "is invalid or has expired");
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let token_hash = hash(token);
    let now = now_millis();
    let claimed = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 \
         AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&token_hash)
    .bind(purpose.as_str())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if claimed != 1 {
        return Err(invalid());
    }
    let (user_id, email): (String, String) =
        sqlx::query_as("SELECT user_id, email FROM one_time_tokens WHERE token_hash = $1")
            .bind(&token_hash)
            .fetch_one(tx.conn())
            .await?;
    Ok(Redeemed { user_id, email })
}
