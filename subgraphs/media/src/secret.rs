//! The upload-signing secret: `MEDIA_UPLOAD_SECRET` when configured, otherwise one generated
//! on first start and kept in the media database, so every instance signs and verifies with
//! the same key and tokens survive restarts.

use kit::ids::now_millis;
use kit::Db;
use rand::RngCore;

const NAME: &str = "upload_signing";

/// The configured secret, or the shared generated one (created by whichever instance starts
/// first; the others read it).
pub async fn upload_secret(db: &Db, configured: Option<&str>) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured {
        return Ok(secret.as_bytes().to_vec());
    }
    let mut fresh = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut fresh);
    let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
    sqlx::query(
        "INSERT INTO media_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(NAME)
    .bind(&fresh)
    .bind(now_millis())
    .execute(db.background())
    .await?;
    let stored: String = sqlx::query_scalar("SELECT value FROM media_secrets WHERE name = $1")
        .bind(NAME)
        .fetch_one(db.background())
        .await?;
    Ok(stored.into_bytes())
}
