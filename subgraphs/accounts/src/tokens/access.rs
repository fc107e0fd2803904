//! Short-lived access tokens: EdDSA-signed JWTs with the `kid` of the signing key in the header,
//! carrying the user id and role every subgraph authorises with.

use jsonwebtoken::{Algorithm, Header};
use kit::auth::{Claims, Role};
use kit::AppError;

use super::keys::Keys;
use crate::settings::Settings;

pub async fn issue(
    keys: &Keys,
    settings: &Settings,
    config: &kit::Config,
    user_id: &str,
    role: Role,
) -> Result<String, AppError> {
    let (kid, key) = keys.signing().await;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid);
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone(),
        iat: now,
        exp: now + settings.access_ttl.as_secs() as i64,
        jti: kit::ids::new_id(),
        roles: vec![role.as_str().to_string()],
        scope: String::new(),
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(AppError::internal)
}
