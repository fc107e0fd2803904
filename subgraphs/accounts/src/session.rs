//! Signing up and signing in: `register`, `login` (rate-limited per email and per client
//! address), `refreshToken` (rotation with reuse detection) and `logout`.

use async_graphql::{Context, Object, Result, SimpleObject};
use kit::cache::rate_limit;
use kit::ids::{new_id, now_millis};
use kit::schema::service;
use kit::server::RequestMeta;
use kit::{error::is_unique_violation, AppError};
use serde_json::json;

use crate::email::Email;
use crate::password::{self, Password};
use crate::profile::parse_name;
use crate::settings::Settings;
use crate::tokens::one_time::{self, Purpose};
use crate::tokens::{access, keys::Keys, refresh};
use crate::users::{self, User};

/// Tokens for a signed-in session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Short-lived JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: &'static str,
    /// Opaque; exchange it with `refreshToken` for a new pair. Single use.
    pub refresh_token: String,
    pub user: User,
}

async fn payload(
    ctx: &Context<'_>,
    mut user: User,
    refresh_token: String,
) -> Result<AuthPayload, AppError> {
    user.is_session_owner = true;
    let svc = service(ctx);
    let settings = ctx.data_unchecked::<Settings>();
    let keys = ctx.data_unchecked::<std::sync::Arc<Keys>>();
    let access_token = access::issue(keys, settings, &svc.config, user.uid(), user.role).await?;
    Ok(AuthPayload {
        access_token,
        expires_in: settings.access_ttl.as_secs() as i64,
        token_type: "Bearer",
        refresh_token,
        user,
    })
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Creates a customer account. Publishes `user.registered`.
    async fn register(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        name: String,
    ) -> Result<User> {
        let email = Email::parse("email", &email)?;
        let name = parse_name("name", &name)?;
        let password = Password::parse("password", &password, Some(email.as_str()))?;
        let settings = ctx.data_unchecked::<Settings>();
        let hash = password::hash(password, settings.argon2).await?;
        let user = create_user(ctx, &email, &name, &hash, "customer").await?;
        Ok(user)
    }

    /// Exchanges email and password for an access token and a refresh token.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<AuthPayload> {
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let meta = ctx.data_unchecked::<RequestMeta>();
        if password.chars().count() > password::MAX_LEN {
            return Err(AppError::bad_input(
                "password",
                format!("must be at most {} characters", password::MAX_LEN),
            )
            .into());
        }
        let email = Email::parse("email", &email)?;
        rate_limit::hit(
            &svc.cache,
            &format!("login:ip:{}", meta.client_ip),
            settings.login_per_ip,
        )
        .await?;
        rate_limit::hit(
            &svc.cache,
            &format!("login:email:{}", email.as_str()),
            settings.login_per_email,
        )
        .await?;

        let row: Option<(String, String)> =
            sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(svc.db.pool())
                .await
                .map_err(AppError::from)?;
        let (user_id, stored) = row
            .map(|(id, h)| (Some(id), Some(h)))
            .unwrap_or((None, None));
        let ok = password::verify(password, stored, settings.argon2).await?;
        let Some(user_id) = user_id.filter(|_| ok) else {
            return Err(AppError::unauthenticated("email or password is incorrect").into());
        };
        let user = users::by_id(&svc.db, &user_id)
            .await?
            .ok_or_else(|| AppError::not_found("user"))?;
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let issued = refresh::issue(
            &mut tx,
            &user_id,
            &new_id(),
            settings.refresh_ttl.as_millis() as i64,
        )
        .await?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(payload(ctx, user, issued.token).await?)
    }

    /// Rotates a refresh token: the old one stops working, a new pair is returned. Presenting
    /// an already-rotated token revokes every token of that login.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        if refresh_token.len() > 256 {
            return Err(AppError::bad_input("refreshToken", "is not a refresh token").into());
        }
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let (user_id, issued) = refresh::rotate(
            &svc.db,
            &refresh_token,
            settings.refresh_ttl.as_millis() as i64,
        )
        .await?;
        let user = users::by_id(&svc.db, &user_id)
            .await?
            .ok_or_else(|| AppError::unauthenticated("account no longer exists"))?;
        Ok(payload(ctx, user, issued.token).await?)
    }

    /// Ends the session the refresh token belongs to. Access tokens already issued stay valid
    /// until they expire (minutes).
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        if refresh_token.len() <= 256 {
            refresh::revoke_by_token(&service(ctx).db, &refresh_token).await?;
        }
        Ok(true)
    }
}

/// Inserts a self-registered user (email not yet verified) and its `user.registered` event,
/// which carries the verification link, in one transaction.
pub async fn create_user(
    ctx: &Context<'_>,
    email: &Email,
    name: &str,
    hash: &str,
    role: &str,
) -> Result<User, AppError> {
    let settings = ctx.data_unchecked::<Settings>();
    insert_user(service(ctx), email, name, hash, role, Some(settings))
        .await?
        .ok_or_else(|| AppError::conflict("email: an account with this email already exists"))
}

/// Inserts a user unless the email is taken (`None` then). With `verification` settings the
/// email starts unverified and `user.registered` carries a verification token and link;
/// without, the account was made by an operator (first admin, service account, demo data)
/// whose address is taken as verified.
///
/// Trade-off: the raw verification token travels in the event (through the outbox and the
/// broker) so that the notifications service can mail it without calling back into accounts.
/// Anyone who can read the broker's `user.registered` messages could verify that address;
/// the broker is internal, the token is single-use and expires, and it never appears in an
/// API response. Consumers that forward or store whole events (audit, webhooks) should drop
/// `verificationToken`/`verificationUrl`.
pub async fn insert_user(
    svc: &kit::Service,
    email: &Email,
    name: &str,
    hash: &str,
    role: &str,
    verification: Option<&Settings>,
) -> Result<Option<User>, AppError> {
    let id = new_id();
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at, \
         email_verified_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(name)
    .bind(hash)
    .bind(role)
    .bind(now)
    .bind(verification.is_none().then_some(now))
    .execute(tx.conn())
    .await;
    match inserted {
        Err(err) if is_unique_violation(&err) => return Ok(None),
        other => {
            other?;
        }
    }
    let mut data = json!({
        "userId": id, "email": email.as_str(), "name": name, "role": role,
        "emailVerified": verification.is_none(),
    });
    if let Some(settings) = verification {
        let token = one_time::issue(
            &mut tx,
            &id,
            email.as_str(),
            Purpose::VerifyEmail,
            settings.verify_ttl.as_millis() as i64,
        )
        .await?;
        data["verificationUrl"] = json!(settings.verify_link(&token));
        data["verificationToken"] = json!(token);
        data["verificationExpiresAt"] = json!(kit::ids::from_millis(
            now + settings.verify_ttl.as_millis() as i64
        ));
    }
    let event = svc.event("user.registered", Some(id.clone()), data);
    tx.emit(&event).await?;
    tx.commit().await?;
    users::by_id(&svc.db, &id).await
}
