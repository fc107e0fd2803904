//! `createCart`: a guest gets a new cart and its secret token (shown once); a signed-in
//! customer gets their one active cart, created if they have none. Also the creation of a
//! customer's cart that `mergeCart` shares.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use kit::auth::optional_caller;
use kit::error::is_unique_violation;
use kit::ids::{new_id, now_millis};
use kit::money::Currency;
use kit::schema::service;
use kit::{AppError, Service, Tx};
use serde_json::json;

use crate::events::emit;
use crate::objects::Cart;
use crate::settings::Settings;
use crate::{access, loader, token};

/// The cart to create.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CreateCartInput {
    /// ISO 4217 code every price in the cart will be in; the default currency when omitted.
    /// Ignored when a customer already has an active cart.
    pub currency_code: Option<String>,
}

/// A cart and, for a guest cart, the token that opens it.
#[derive(SimpleObject)]
pub struct CreateCartPayload {
    /// The cart.
    pub cart: Cart,
    /// Send it back in the `X-Cart-Token` header on every call about this cart. Shown only
    /// here, only for guest carts (null for customers).
    pub token: Option<String>,
}

/// The customer's active cart id, if any.
pub async fn active_cart_of(tx: &mut Tx, customer: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM carts WHERE customer_id = $1 AND status = 'ACTIVE'")
            .bind(customer)
            .fetch_optional(tx.conn())
            .await?,
    )
}

/// Inserts a cart and emits `cart.created`. For a customer, `None` means another request
/// created their active cart first (one active cart per customer); the transaction is then
/// spoiled on PostgreSQL and the caller starts over.
pub async fn insert(
    svc: &Service,
    tx: &mut Tx,
    customer: Option<&str>,
    token_hash: Option<&str>,
    currency: &str,
) -> Result<Option<String>, AppError> {
    let id = new_id();
    let now = now_millis();
    let inserted = sqlx::query(
        "INSERT INTO carts (id, status, customer_id, token_hash, currency, created_at, updated_at) \
         VALUES ($1, 'ACTIVE', $2, $3, $4, $5, $5)",
    )
    .bind(&id)
    .bind(customer)
    .bind(token_hash)
    .bind(currency)
    .bind(now)
    .execute(tx.conn())
    .await;
    match inserted {
        Ok(_) => {}
        Err(err) if customer.is_some() && is_unique_violation(&err) => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    let data = json!({ "currencyCode": currency });
    emit(svc, tx, "cart.created", &id, customer, data).await?;
    Ok(Some(id))
}

/// The customer's active cart id, creating it (in `currency`) if they have none.
pub async fn customer_cart(
    svc: &Service,
    customer: &str,
    currency: &str,
) -> Result<String, AppError> {
    for _ in 0..3 {
        let mut tx = svc.db.begin().await?;
        if let Some(id) = active_cart_of(&mut tx, customer).await? {
            return Ok(id);
        }
        if let Some(id) = insert(svc, &mut tx, Some(customer), None, currency).await? {
            tx.commit().await?;
            return Ok(id);
        }
    }
    Err(AppError::conflict(
        "your cart is being created by another request; try again",
    ))
}

#[derive(Default)]
pub struct CreateMutation;

#[Object]
impl CreateMutation {
    /// A new guest cart with its token, or, for a signed-in customer, their active cart
    /// (created if none) with a null token. Emits `cart.created` when it creates one.
    async fn create_cart(
        &self,
        ctx: &Context<'_>,
        input: Option<CreateCartInput>,
    ) -> Result<CreateCartPayload> {
        let settings = ctx.data_unchecked::<Settings>();
        let currency = match input.and_then(|i| i.currency_code) {
            Some(raw) => Currency::parse("input.currencyCode", &raw)?,
            None => settings.default_currency,
        };
        let svc = service(ctx);
        let (id, token) = match optional_caller(ctx) {
            Some(caller) => {
                let id = customer_cart(svc, &caller.user_id, currency.code()).await?;
                (id, None)
            }
            None => {
                let (token, hash) = token::issue();
                let mut tx = svc.db.begin().await.map_err(AppError::from)?;
                let id = insert(svc, &mut tx, None, Some(&hash), currency.code())
                    .await?
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("guest cart not created")))?;
                tx.commit().await.map_err(AppError::from)?;
                (id, Some(token))
            }
        };
        let cart = loader::load(ctx, &id)
            .await?
            .ok_or_else(|| access::not_found(&id))?;
        Ok(CreateCartPayload {
            cart: Cart(cart),
            token,
        })
    }
}
