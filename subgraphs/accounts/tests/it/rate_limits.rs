//! Login attempts are limited per email and per client address, through the cache (Redis in
//! the real-server run), with `RATE_LIMITED` and a retry-after hint.

use crate::common::*;

#[tokio::test]
async fn login_is_rate_limited_per_email() {
    let app = start_with(&[("LOGIN_MAX_PER_EMAIL", "3")]).await;
    let email = unique_email("rl");
    register(&app, &email, "R").await;
    for _ in 0..3 {
        let body = login_raw(&app, &email, "wrong wrong wrong").await;
        assert_eq!(code(&body), "UNAUTHENTICATED");
    }
    let limited = login_raw(&app, &email, PASSWORD).await;
    assert_eq!(
        code(&limited),
        "RATE_LIMITED",
        "even the right password waits: {limited}"
    );
    assert!(
        limited["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    // Another account from the same address is unaffected.
    let other = unique_email("rl2");
    register(&app, &other, "R2").await;
    assert!(login_raw(&app, &other, PASSWORD).await["data"]["login"]["accessToken"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_client_address() {
    let app = start_with(&[("LOGIN_MAX_PER_IP", "5")]).await;
    for i in 0..5 {
        let body = login_raw(&app, &unique_email(&format!("ip{i}")), PASSWORD).await;
        assert_eq!(code(&body), "UNAUTHENTICATED");
    }
    let body = login_raw(&app, &unique_email("ip-next"), PASSWORD).await;
    assert_eq!(code(&body), "RATE_LIMITED");
    app.stop().await;
}
