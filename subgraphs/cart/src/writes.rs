//! What every cart change shares: opening the cart for writing inside the transaction (it must
//! exist for this caller, be theirs to change, be active, and not have expired), and finishing
//! (commit, invalidate the cache, read the cart back).

use async_graphql::Context;
use kit::auth::optional_caller;
use kit::ids::now_millis;
use kit::{AppError, Tx};

use crate::access::{self, Access};
use crate::objects::Cart;
use crate::settings::Settings;
use crate::view::{CartRow, CartStatus, CartView, CART_COLUMNS};
use crate::{cache, loader, token};

/// The cart row (without lines) as read inside a transaction.
pub async fn cart_in(tx: &mut Tx, id: &str) -> Result<Option<CartView>, AppError> {
    let row: Option<CartRow> =
        sqlx::query_as(&format!("SELECT {CART_COLUMNS} FROM carts WHERE id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(CartView::from_row))
}

/// Opens cart `id` for a change by this request and marks it changed now. The mark is a
/// conditional update, so it also takes the cart's row lock (PostgreSQL; SQLite's writer lock
/// is already held): changes to one cart run one after another, which keeps each change's
/// limit checks true until it commits, and loses to a concurrent merge or sweep.
pub async fn open(ctx: &Context<'_>, tx: &mut Tx, id: &str) -> Result<CartView, AppError> {
    let settings = ctx.data_unchecked::<Settings>();
    let cart = cart_in(tx, id)
        .await?
        .ok_or_else(|| access::not_found(id))?;
    let presented = token::presented(ctx);
    match access::of(&cart, optional_caller(ctx), presented.as_deref(), settings) {
        Access::None => return Err(access::not_found(id)),
        Access::Read => {
            return Err(AppError::forbidden(
                "staff may read other people's carts but not change them",
            ))
        }
        Access::Write => {}
    }
    if cart.status != CartStatus::Active {
        return Err(closed(&cart));
    }
    let now = now_millis();
    let touched = sqlx::query(
        "UPDATE carts SET updated_at = $1 WHERE id = $2 AND status = 'ACTIVE' \
         AND (customer_id IS NOT NULL OR updated_at > $3)",
    )
    .bind(now)
    .bind(id)
    .bind(settings.guest_cutoff(now))
    .execute(tx.conn())
    .await?
    .rows_affected();
    if touched == 0 {
        // Merged, expired or swept since the read above.
        return Err(access::not_found(id));
    }
    Ok(CartView {
        updated_at: now,
        ..cart
    })
}

pub fn closed(cart: &CartView) -> AppError {
    AppError::conflict(format!(
        "cart {} is {} and can no longer change",
        cart.id,
        cart.status.as_str()
    ))
}

/// Commits, invalidates the cached copies of `changed` carts, and reads `show` back.
pub async fn finish(
    ctx: &Context<'_>,
    tx: Tx,
    changed: &[&str],
    show: &str,
) -> Result<Cart, AppError> {
    tx.commit().await?;
    cache::invalidate(kit::schema::service(ctx), changed).await;
    loader::load(ctx, show)
        .await?
        .map(Cart)
        .ok_or_else(|| access::not_found(show))
}
