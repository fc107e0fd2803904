//! CORS: which browser origins may call the router (`ROUTER_CORS_ORIGINS`, `*` = any) and
//! whether they may send cookies/credentials (`ROUTER_CORS_ALLOW_CREDENTIALS`, which needs an
//! explicit origin list: browsers refuse credentials with a wildcard). Request headers a
//! preflight asks for are reflected (so `authorization`, the CSRF preflight headers and the
//! guest token headers all pass), and `retry-after` is exposed to scripts for rate limits.

use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, Any, CorsLayer};

/// The CORS layer for the configured origins.
pub fn layer(origins: &[String], allow_credentials: bool) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static("content-encoding"),
        ])
        .max_age(Duration::from_secs(3600));
    if origins.iter().any(|o| o == "*") {
        // `load` refuses credentials with a wildcard, so this is never credentialed.
        layer.allow_origin(Any)
    } else {
        let list: Vec<_> = origins.iter().filter_map(|o| o.parse().ok()).collect();
        layer
            .allow_origin(AllowOrigin::list(list))
            .allow_credentials(allow_credentials)
    }
}

/// Credentials need a list of origins; `*` with credentials is a configuration error.
pub fn validate(origins: &[String], allow_credentials: bool) -> anyhow::Result<()> {
    if allow_credentials && origins.iter().any(|o| o == "*") {
        anyhow::bail!(
            "ROUTER_CORS_ALLOW_CREDENTIALS needs an explicit ROUTER_CORS_ORIGINS list, not `*`"
        );
    }
    Ok(())
}
