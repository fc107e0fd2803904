//! `addLiveDealToCart`: a viewer puts a livestream's pinned live deal in their cart. Cart claims
//! the units from livestream (`claimLiveDeal` as the service, idempotency key = the new line's
//! id, so a retried call never takes units twice) and stores the line at the deal price with
//! the stream's id. The claim is taken before the cart's write transaction, so no database
//! lock is held across the call; if the line then cannot be stored the claim is given back at
//! once. Beyond the deal's cap the add is refused with a `CONFLICT` saying how many units are
//! left, rather than silently charging the regular price: the viewer asked for the deal, and
//! `addCartLine` is there for the regular price.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::DateTime;
use kit::auth::optional_caller;
use kit::auth::service::ServiceIdentity;
use kit::ids::{new_id, now_millis, parse_id};
use kit::remote::{Credentials, Remote};
use kit::schema::service;
use kit::AppError;
use serde_json::json;

use crate::access::{self, Access};
use crate::events::emit;
use crate::lines::{check_max, line_of_variant};
use crate::objects::Cart;
use crate::offer::{self, not_enough};
use crate::settings::Settings;
use crate::view::CartStatus;
use crate::writes::{cart_in, closed, open};
use crate::{cache, loader, token};

const CLAIM: &str = "mutation($p: ID!, $q: Int!, $c: String!, $k: String!) { \
    claimLiveDeal(pinId: $p, quantity: $q, cartId: $c, idempotencyKey: $k) { \
    id livestreamId variantId endsAt price { amount currencyCode } } }";
const RELEASE: &str = "mutation($c: ID!) { releaseLiveDeal(claimId: $c) { id } }";

/// The livestream client, calling as this service.
#[derive(Clone)]
pub struct Livestream(pub Remote);

impl Livestream {
    pub fn new(
        settings: &Settings,
        identity: Option<Arc<ServiceIdentity>>,
    ) -> anyhow::Result<Self> {
        let remote = Remote::new(
            "livestream",
            &settings.livestream_url,
            settings.remote_timeout,
        )?;
        Ok(Livestream(match identity {
            Some(identity) => remote.with_identity(identity),
            None => remote,
        }))
    }
}

/// Units of a deal livestream granted.
struct Claim {
    id: String,
    livestream_id: String,
    variant_id: String,
    price_minor: i64,
    currency: String,
    ends_at: i64,
}

/// A pinned product's live deal and how many units to take.
#[derive(Debug, Clone, InputObject)]
pub struct AddLiveDealInput {
    /// The pin carrying the deal (`Livestream.pinnedProducts`).
    pub pin_id: ID,
    /// Units to take: at least 1, at most what the deal has left.
    pub quantity: i32,
}

fn malformed() -> AppError {
    AppError::internal(anyhow::anyhow!("livestream answered an unexpected claim"))
}

async fn claim(
    live: &Livestream,
    pin_id: &str,
    quantity: i64,
    cart_id: &str,
    key: &str,
) -> Result<Claim, AppError> {
    let vars = json!({ "p": pin_id, "q": quantity, "c": cart_id, "k": key });
    let data = live
        .0
        .call(CLAIM, vars, Credentials::Service)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::not_found(format!("input.pinId: no pin {pin_id}")),
            AppError::BadInput {
                field,
                message,
                reason,
            } => AppError::BadInput {
                field: format!("input.{field}"),
                message,
                reason,
            },
            other => other,
        })?;
    let c = &data["claimLiveDeal"];
    let text = |k: &str| c[k].as_str().map(str::to_string).ok_or_else(malformed);
    let currency = c["price"]["currencyCode"].as_str().ok_or_else(malformed)?;
    let price = kit::money::Money::parse(
        "price",
        c["price"]["amount"].as_str().ok_or_else(malformed)?,
        kit::money::Currency::from_code(currency).ok_or_else(malformed)?,
    )
    .map_err(|_| malformed())?;
    let ends_at = DateTime::parse_from_rfc3339(&text("endsAt")?)
        .map_err(|_| malformed())?
        .timestamp_millis();
    Ok(Claim {
        id: text("id")?,
        livestream_id: text("livestreamId")?,
        variant_id: text("variantId")?,
        price_minor: price.minor,
        currency: currency.to_string(),
        ends_at,
    })
}

/// Gives a claim back after the line could not be stored. A failure here leaves the units
/// claimed until the deal ends; logged, the caller's own error is what they see.
async fn give_back(live: &Livestream, claim_id: &str) {
    if let Err(err) = live
        .0
        .call(RELEASE, json!({ "c": claim_id }), Credentials::Service)
        .await
    {
        tracing::warn!(claim = claim_id, error = ?err, "live-deal claim not given back");
    }
}

/// Whether the caller may change cart `id` (checked before claiming, so nobody claims units
/// for a cart that is not theirs); `open` checks again inside the write.
async fn check_access(ctx: &Context<'_>, id: &str) -> Result<(), AppError> {
    let settings = ctx.data_unchecked::<Settings>();
    let mut tx = service(ctx).db.begin().await?;
    let cart = cart_in(&mut tx, id)
        .await?
        .ok_or_else(|| access::not_found(id))?;
    drop(tx);
    let presented = token::presented(ctx);
    match access::of(&cart, optional_caller(ctx), presented.as_deref(), settings) {
        Access::Write if cart.status == CartStatus::Active => Ok(()),
        Access::Write => Err(closed(&cart)),
        Access::Read => Err(AppError::forbidden(
            "staff may read other people's carts but not change them",
        )),
        Access::None => Err(access::not_found(id)),
    }
}

/// Stores the claimed units as a new line of `cart_id`, checked like any add; committed when
/// this returns Ok (so the claim is given back only when the line is surely not stored).
async fn store(
    ctx: &Context<'_>,
    cart_id: &str,
    line_id: &str,
    quantity: i64,
    claim: &Claim,
) -> Result<(), AppError> {
    let svc = service(ctx);
    let settings = ctx.data_unchecked::<Settings>();
    let mut tx = svc.db.begin().await?;
    let cart = open(ctx, &mut tx, cart_id).await?;
    let offer = offer::find_one(&mut tx, &claim.variant_id, "input.pinId").await?;
    if !offer.published {
        return Err(AppError::bad_input(
            "input.pinId",
            "the deal's product is not for sale",
        ));
    }
    if claim.currency != cart.currency {
        return Err(AppError::bad_input(
            "input.pinId",
            format!(
                "the deal is priced in {}, but this cart is in {}",
                claim.currency, cart.currency
            ),
        ));
    }
    if line_of_variant(&mut tx, cart_id, &claim.variant_id)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "input.pinId: the deal's variant is already in this cart; remove that line to add it at the live price",
        ));
    }
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
        .bind(cart_id)
        .fetch_one(tx.conn())
        .await?;
    if lines >= settings.max_lines {
        return Err(AppError::bad_input(
            "input.pinId",
            format!(
                "a cart holds at most {} different variants",
                settings.max_lines
            ),
        ));
    }
    if quantity > offer.available {
        return Err(not_enough(offer.available, 0));
    }
    let now = now_millis();
    sqlx::query(
        "INSERT INTO cart_lines (id, cart_id, variant_id, product_id, quantity, price_when_added, \
         currency, added_at, updated_at, livestream_id, live_claim_id, live_ends_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11)",
    )
    .bind(line_id)
    .bind(cart_id)
    .bind(&claim.variant_id)
    .bind(&offer.product_id)
    .bind(quantity)
    .bind(claim.price_minor)
    .bind(&cart.currency)
    .bind(now)
    .bind(&claim.livestream_id)
    .bind(&claim.id)
    .bind(claim.ends_at)
    .execute(tx.conn())
    .await?;
    let data = json!({
        "lineId": line_id,
        "variantId": claim.variant_id,
        "productId": offer.product_id,
        "quantity": quantity,
        "lineQuantity": quantity,
        "livestreamId": claim.livestream_id,
        "liveClaimId": claim.id,
    });
    emit(
        svc,
        &mut tx,
        "cart.line_added",
        cart_id,
        cart.customer_id.as_deref(),
        data,
    )
    .await?;
    Ok(tx.commit().await?)
}

#[derive(Default)]
pub struct LiveDealMutation;

#[Object]
impl LiveDealMutation {
    /// Adds a livestream's pinned live deal to the cart: a new line at the deal price while
    /// the deal lasts (then at the regular price), attributed to the stream. More units than
    /// the deal has left: `CONFLICT` saying how many are; the deal over or the variant already
    /// in the cart: `CONFLICT`; otherwise checked like `addCartLine`. Removing the line gives
    /// the units back to the deal. Emits `cart.line_added` with `livestreamId`.
    async fn add_live_deal_to_cart(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        input: AddLiveDealInput,
    ) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let pin_id = parse_id("input.pinId", &input.pin_id)?;
        let quantity = i64::from(input.quantity);
        if quantity < 1 {
            return Err(AppError::bad_input("input.quantity", "must be at least 1").into());
        }
        check_max(ctx.data_unchecked(), "input.quantity", quantity)?;
        check_access(ctx, &cart_id).await?;
        let live = ctx.data_unchecked::<Livestream>();
        let line_id = new_id();
        let claim = claim(
            live,
            &pin_id,
            quantity,
            &cart_id,
            &format!("cart-line:{line_id}"),
        )
        .await?;
        if let Err(err) = store(ctx, &cart_id, &line_id, quantity, &claim).await {
            give_back(live, &claim.id).await;
            return Err(err.into());
        }
        cache::invalidate(service(ctx), &[&cart_id]).await;
        Ok(loader::load(ctx, &cart_id)
            .await?
            .map(Cart)
            .ok_or_else(|| access::not_found(&cart_id))?)
    }
}
