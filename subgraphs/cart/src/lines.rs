//! Changing a cart's lines: `addCartLine` (adding a variant already in the cart adds to its
//! line), `updateCartLine` (0 removes), `removeCartLine` and `clearCart`. Each checks its input
//! first, then runs its limit checks and its write in one transaction holding the cart's lock,
//! and returns the cart as it now is.

use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::ids::{new_id, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Tx};
use serde_json::json;

use crate::events::emit;
use crate::objects::Cart;
use crate::offer::{self, not_enough};
use crate::settings::Settings;
use crate::view::CartView;
use crate::writes::{finish, open};

/// A variant and how many units of it to add.
#[derive(Debug, Clone, InputObject)]
pub struct CartLineInput {
    /// The catalog variant.
    pub variant_id: ID,
    /// Units to add: at least 1; the line may hold at most the per-line maximum.
    pub quantity: i32,
}

/// The line of `cart_id` holding `variant_id`: (line id, quantity, from a live deal).
pub async fn line_of_variant(
    tx: &mut Tx,
    cart_id: &str,
    variant_id: &str,
) -> Result<Option<(String, i64, bool)>, AppError> {
    let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, quantity, livestream_id FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
    )
    .bind(cart_id)
    .bind(variant_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(id, quantity, stream)| (id, quantity, stream.is_some())))
}

/// A line of `cart_id` by id: (variant id, product id, quantity, live-deal claim id).
async fn line_by_id(
    tx: &mut Tx,
    cart_id: &str,
    line_id: &str,
) -> Result<(String, String, i64, Option<String>), AppError> {
    sqlx::query_as(
        "SELECT variant_id, product_id, quantity, live_claim_id FROM cart_lines \
         WHERE id = $1 AND cart_id = $2",
    )
    .bind(line_id)
    .bind(cart_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::not_found(format!("lineId: no line {line_id} in this cart")))
}

pub fn check_max(settings: &Settings, field: &str, quantity: i64) -> Result<(), AppError> {
    if quantity > settings.max_line_quantity {
        return Err(AppError::bad_input(
            field,
            format!(
                "a line holds at most {} units (this would make {quantity})",
                settings.max_line_quantity
            ),
        ));
    }
    Ok(())
}

async fn add(
    ctx: &Context<'_>,
    cart_id: &str,
    variant_id: &str,
    quantity: i64,
) -> Result<Cart, AppError> {
    let svc = service(ctx);
    let settings = ctx.data_unchecked::<Settings>();
    let mut tx = svc.db.begin().await?;
    let cart = open(ctx, &mut tx, cart_id).await?;
    let offer = offer::find_one(&mut tx, variant_id, "input.variantId").await?;
    if !offer.published {
        return Err(AppError::bad_input(
            "input.variantId",
            "belongs to a product that is not for sale",
        ));
    }
    if offer.currency != cart.currency {
        return Err(AppError::bad_input(
            "input.variantId",
            format!(
                "is priced in {}, but this cart is in {}",
                offer.currency, cart.currency
            ),
        ));
    }
    let existing = line_of_variant(&mut tx, cart_id, variant_id).await?;
    if existing.as_ref().is_some_and(|(_, _, live)| *live) {
        return Err(AppError::conflict(
            "input.variantId: this variant is in the cart as a live-deal line; remove it first to buy more at the regular price",
        ));
    }
    let existing = existing.map(|(id, q, _)| (id, q));
    let in_cart = existing.as_ref().map_or(0, |(_, q)| *q);
    if existing.is_none() {
        let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
            .bind(cart_id)
            .fetch_one(tx.conn())
            .await?;
        if lines >= settings.max_lines {
            return Err(AppError::bad_input(
                "input.variantId",
                format!(
                    "a cart holds at most {} different variants",
                    settings.max_lines
                ),
            ));
        }
    }
    let total = in_cart + quantity;
    check_max(settings, "input.quantity", total)?;
    if total > offer.available {
        return Err(not_enough(offer.available, in_cart));
    }
    let line_id = existing.map_or_else(new_id, |(id, _)| id);
    let now = now_millis();
    // The lock taken by `open` already orders adds to one cart; adding in the statement itself
    // keeps concurrent adds of one variant from losing an update regardless.
    sqlx::query(
        "INSERT INTO cart_lines (id, cart_id, variant_id, product_id, quantity, price_when_added, \
         currency, added_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (cart_id, variant_id) DO UPDATE \
         SET quantity = cart_lines.quantity + excluded.quantity, updated_at = excluded.updated_at",
    )
    .bind(&line_id)
    .bind(cart_id)
    .bind(variant_id)
    .bind(&offer.product_id)
    .bind(quantity)
    .bind(offer.price_minor)
    .bind(&cart.currency)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let data = json!({
        "lineId": line_id,
        "variantId": variant_id,
        "productId": offer.product_id,
        "quantity": quantity,
        "lineQuantity": total,
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
    finish(ctx, tx, &[cart_id], cart_id).await
}

async fn remove_line(
    ctx: &Context<'_>,
    tx: &mut Tx,
    cart: &CartView,
    line_id: &str,
) -> Result<(), AppError> {
    let (variant_id, product_id, quantity, claim) = line_by_id(tx, &cart.id, line_id).await?;
    sqlx::query("DELETE FROM cart_lines WHERE id = $1")
        .bind(line_id)
        .execute(tx.conn())
        .await?;
    // `liveClaimId`: livestream gives the claimed deal units back on this event.
    let data = json!({
        "lineId": line_id,
        "variantId": variant_id,
        "productId": product_id,
        "quantity": quantity,
        "liveClaimId": claim,
    });
    emit(
        service(ctx),
        tx,
        "cart.line_removed",
        &cart.id,
        cart.customer_id.as_deref(),
        data,
    )
    .await
}

async fn update(
    ctx: &Context<'_>,
    cart_id: &str,
    line_id: &str,
    quantity: i64,
) -> Result<Cart, AppError> {
    let svc = service(ctx);
    let mut tx = svc.db.begin().await?;
    let cart = open(ctx, &mut tx, cart_id).await?;
    if quantity == 0 {
        remove_line(ctx, &mut tx, &cart, line_id).await?;
        return finish(ctx, tx, &[cart_id], cart_id).await;
    }
    let (variant_id, product_id, before, claim) = line_by_id(&mut tx, cart_id, line_id).await?;
    if claim.is_some() && quantity != before {
        return Err(AppError::conflict(format!(
            "quantity: a live-deal line keeps the {before} units it claimed; remove it and add the deal again"
        )));
    }
    // Lowering a quantity is always allowed; raising it must still be possible to buy.
    if quantity > before {
        let offer = offer::find_one(&mut tx, &variant_id, "lineId").await?;
        if !offer.published {
            return Err(AppError::bad_input(
                "lineId",
                "holds a product that is no longer for sale",
            ));
        }
        if quantity > offer.available {
            return Err(not_enough(offer.available, 0));
        }
    }
    sqlx::query("UPDATE cart_lines SET quantity = $1, updated_at = $2 WHERE id = $3")
        .bind(quantity)
        .bind(now_millis())
        .bind(line_id)
        .execute(tx.conn())
        .await?;
    let data = json!({
        "lineId": line_id,
        "variantId": variant_id,
        "productId": product_id,
        "quantity": quantity,
        "previousQuantity": before,
    });
    emit(
        svc,
        &mut tx,
        "cart.line_updated",
        cart_id,
        cart.customer_id.as_deref(),
        data,
    )
    .await?;
    finish(ctx, tx, &[cart_id], cart_id).await
}

#[derive(Default)]
pub struct LineMutation;

#[Object]
impl LineMutation {
    /// Adds units of a variant; a variant already in the cart adds to its line. Unknown
    /// variant: `NOT_FOUND`; a product not for sale, another currency, too many units for a
    /// line or too many lines: `BAD_USER_INPUT`; more than available: `CONFLICT` saying how
    /// many are. Emits `cart.line_added`.
    async fn add_cart_line(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        input: CartLineInput,
    ) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let variant_id = parse_id("input.variantId", &input.variant_id)?;
        let quantity = i64::from(input.quantity);
        if quantity < 1 {
            return Err(AppError::bad_input("input.quantity", "must be at least 1").into());
        }
        check_max(ctx.data_unchecked(), "input.quantity", quantity)?;
        Ok(add(ctx, &cart_id, &variant_id, quantity).await?)
    }

    /// Sets a line's quantity; 0 removes the line. Raising it is checked like an add.
    /// Emits `cart.line_updated` (or `cart.line_removed`).
    async fn update_cart_line(
        &self,
        ctx: &Context<'_>,
        cart_id: ID,
        line_id: ID,
        quantity: i32,
    ) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let line_id = parse_id("lineId", &line_id)?;
        let quantity = i64::from(quantity);
        if quantity < 0 {
            return Err(AppError::bad_input("quantity", "must not be negative").into());
        }
        check_max(ctx.data_unchecked(), "quantity", quantity)?;
        Ok(update(ctx, &cart_id, &line_id, quantity).await?)
    }

    /// Removes a line. Emits `cart.line_removed`.
    async fn remove_cart_line(&self, ctx: &Context<'_>, cart_id: ID, line_id: ID) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let line_id = parse_id("lineId", &line_id)?;
        let mut tx = service(ctx).db.begin().await.map_err(AppError::from)?;
        let cart = open(ctx, &mut tx, &cart_id).await?;
        remove_line(ctx, &mut tx, &cart, &line_id).await?;
        Ok(finish(ctx, tx, &[&cart_id], &cart_id).await?)
    }

    /// Removes every line. Emits `cart.cleared`.
    async fn clear_cart(&self, ctx: &Context<'_>, cart_id: ID) -> Result<Cart> {
        let cart_id = parse_id("cartId", &cart_id)?;
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let cart = open(ctx, &mut tx, &cart_id).await?;
        let claims: Vec<String> = sqlx::query_scalar(
            "SELECT live_claim_id FROM cart_lines WHERE cart_id = $1 AND live_claim_id IS NOT NULL",
        )
        .bind(&cart_id)
        .fetch_all(tx.conn())
        .await
        .map_err(AppError::from)?;
        let removed = sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
            .bind(&cart_id)
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?
            .rows_affected();
        let data = json!({ "linesRemoved": removed, "liveClaimIds": claims });
        emit(
            svc,
            &mut tx,
            "cart.cleared",
            &cart_id,
            cart.customer_id.as_deref(),
            data,
        )
        .await?;
        Ok(finish(ctx, tx, &[&cart_id], &cart_id).await?)
    }
}
