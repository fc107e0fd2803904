//! Pre-signed upload URLs are signed, expiring and single-use: a forged or tampered token is
//! refused with 403, an expired one with 401, a used one with 409, each as a JSON error naming
//! `token`. The generated signing secret lives in the database, so a second instance sharing it
//! accepts the first one's URLs. Long-expired upload rows are cleared away.

use crate::common::*;

#[tokio::test]
async fn forged_tokens_are_refused() {
    let env = start().await;
    let p = product();
    let (id, url) = env.create_upload(&p, "a.png", "").await;
    let (base, token) = url.rsplit_once('/').unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    // Tampered signature, tampered expiry (pushed far into the future), another id, garbage.
    let mut flipped: Vec<char> = signature.chars().collect();
    flipped[0] = if flipped[0] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    let (_, expiry) = message.rsplit_once('.').unwrap();
    let forged = [
        format!("{message}.{flipped}"),
        format!(
            "{id}.{}.{signature}",
            expiry.parse::<i64>().unwrap() + 3_600_000
        ),
        format!("{}.{expiry}.{signature}", product()),
        "not-a-token".to_string(),
        format!("{message}."),
    ];
    for token in forged {
        let got = env
            .put(&format!("{base}/{token}"), png(32, 32, 1), "image/png")
            .await;
        assert_eq!(got.status, 403, "{token}");
        let body = got.json();
        assert_eq!(code(&body), "FORBIDDEN");
        assert_eq!(field(&body), "token");
    }
    assert_eq!(env.asset_count().await, 0);
    env.stop().await;
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let env = start_with(&[("MEDIA_UPLOAD_TTL_SECS", "1")]).await;
    let (_, url) = env.create_upload(&product(), "a.png", "").await;
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    let got = env.put(&url, png(32, 32, 2), "image/png").await;
    assert_eq!(got.status, 401);
    let body = got.json();
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(field(&body), "token");
    assert_eq!(env.asset_count().await, 0);

    // Long-expired uploads are cleared away when the next one is created.
    let db = env.app.svc().db.background();
    let stale = kit::ids::new_id();
    sqlx::query(
        "INSERT INTO uploads (id, product_id, filename, alt, status, created_by, expires_at, created_at) \
         VALUES ($1, $2, 'old.png', '', 'pending', 'someone', $3, 0)",
    )
    .bind(&stale)
    .bind(product())
    .bind(kit::ids::now_millis() - 3_600_000)
    .execute(db)
    .await
    .unwrap();
    env.create_upload(&product(), "b.png", "").await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE id = $1")
        .bind(&stale)
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    env.stop().await;
}

#[tokio::test]
async fn a_token_works_once() {
    let env = start().await;
    let (_, url) = env.create_upload(&product(), "a.png", "").await;
    assert_eq!(env.put(&url, png(32, 32, 3), "image/png").await.status, 201);
    let again = env.put(&url, png(32, 32, 4), "image/png").await;
    assert_eq!(again.status, 409);
    let body = again.json();
    assert_eq!(code(&body), "CONFLICT");
    assert_eq!(field(&body), "token");
    assert_eq!(env.asset_count().await, 1);
    env.stop().await;
}

#[tokio::test]
async fn instances_sharing_a_database_share_the_signing_secret() {
    let env = start().await;
    let (_, url) = env.create_upload(&product(), "a.png", "").await;
    let config = env.app.svc().config.as_ref().clone();
    let replica = spawn_media(&env.accounts, &env.data_dir, &[], Some(&config)).await;
    let path = url.strip_prefix(&env.app.url).unwrap();
    let resp = replica
        .http
        .put(format!("{}{path}", replica.url))
        .body(png(40, 30, 5))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    replica.stop().await;
    assert_eq!(env.asset_count().await, 1);
    env.stop().await;
}
