//! Refresh tokens: opaque random strings, stored only as SHA-256 hashes, grouped in families
//! (one family per login). Each use rotates the token; presenting a token that was already
//! rotated means it leaked, so the whole family is revoked and the thief and the victim both
//! have to sign in again.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kit::ids::{new_id, now_millis};
use kit::{AppError, Db, Tx};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct Issued {
    pub token: String,
}

/// SHA-256 of an opaque token, hex: what is stored in place of the token.
pub(crate) fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 random bits, URL-safe base64.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a token in `family` (a new family on login).
pub async fn issue(
    tx: &mut Tx,
    user_id: &str,
    family: &str,
    ttl_ms: i64,
) -> Result<Issued, AppError> {
    let token = new_token();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(family)
    .bind(user_id)
    .bind(hash(&token))
    .bind(now)
    .bind(now + ttl_ms)
    .execute(tx.conn())
    .await?;
    Ok(Issued { token })
}

/// id, family, user, expires_at, rotated_at, revoked_at
type TokenRow = (String, String, String, i64, Option<i64>, Option<i64>);

/// Rotates `token`: returns the user id and the new token of the same family.
pub async fn rotate(db: &Db, token: &str, ttl_ms: i64) -> Result<(String, Issued), AppError> {
    let invalid = || AppError::unauthenticated("refresh token is invalid or expired");
    let row: Option<TokenRow> = sqlx::query_as(
        "SELECT id, family_id, user_id, expires_at, rotated_at, revoked_at \
         FROM refresh_tokens WHERE token_hash = $1",
    )
    .bind(hash(token))
    .fetch_optional(db.pool())
    .await?;
    let Some((id, family, user_id, expires_at, rotated_at, revoked_at)) = row else {
        return Err(invalid());
    };
    if revoked_at.is_some() || expires_at <= now_millis() {
        return Err(invalid());
    }
    if rotated_at.is_some() {
        return Err(reuse_detected(db, &family).await);
    }
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE refresh_tokens SET rotated_at = $1 \
         WHERE id = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now_millis())
    .bind(&id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if claimed == 0 {
        // A concurrent request rotated it first: the same token was used twice.
        drop(tx);
        return Err(reuse_detected(db, &family).await);
    }
    let issued = issue(&mut tx, &user_id, &family, ttl_ms).await?;
    tx.commit().await?;
    Ok((user_id, issued))
}

async fn reuse_detected(db: &Db, family: &str) -> AppError {
    tracing::warn!(family, "refresh token reused; revoking its family");
    if let Err(err) = revoke_family(db, family).await {
        return err;
    }
    AppError::unauthenticated("refresh token was already used; this session has been revoked")
}

pub async fn revoke_family(db: &Db, family: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_millis())
    .bind(family)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Logout: revokes the family of `token`, if it is one of ours.
pub async fn revoke_by_token(db: &Db, token: &str) -> Result<(), AppError> {
    let family: Option<String> =
        sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(hash(token))
            .fetch_optional(db.pool())
            .await?;
    if let Some(family) = family {
        revoke_family(db, &family).await?;
    }
    Ok(())
}

/// After a password change or role change: every session of the user ends.
pub async fn revoke_user(tx: &mut Tx, user_id: &str) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_millis())
    .bind(user_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}
