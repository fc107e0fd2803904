//! Who may do what with a cart. A guest cart opens with its token (`X-Cart-Token`), a customer
//! cart for its owner; staff may read any cart but change none. Everyone else is told the cart
//! does not exist (`NOT_FOUND`), so cart ids cannot be probed.

use async_graphql::Context;
use kit::auth::{optional_caller, Caller};
use kit::ids::now_millis;
use kit::AppError;

use crate::loader;
use crate::settings::Settings;
use crate::token;
use crate::view::CartView;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// What `caller`, presenting a token with hash `token_hash`, may do with `cart`. An expired
/// guest cart (not yet swept) no longer opens with its token.
pub fn of(
    cart: &CartView,
    caller: Option<&Caller>,
    token_hash: Option<&str>,
    settings: &Settings,
) -> Access {
    let owns = match &cart.customer_id {
        Some(owner) => caller.is_some_and(|c| &c.user_id == owner),
        None => {
            let live = cart.updated_at > settings.guest_cutoff(now_millis());
            live && token_hash.is_some_and(|h| cart.token_hash.as_deref() == Some(h))
        }
    };
    if owns {
        Access::Write
    } else if caller.is_some_and(Caller::is_staff) {
        Access::Read
    } else {
        Access::None
    }
}

/// What the current request may do with `cart`.
pub fn in_request(ctx: &Context<'_>, cart: &CartView) -> Access {
    let presented = token::presented(ctx);
    of(
        cart,
        optional_caller(ctx),
        presented.as_deref(),
        ctx.data_unchecked::<Settings>(),
    )
}

pub fn not_found(id: &str) -> AppError {
    AppError::not_found(format!("cart {id} not found"))
}

/// The cart if the request may read it, else `None`.
pub async fn readable(ctx: &Context<'_>, id: &str) -> Result<Option<CartView>, AppError> {
    Ok(loader::load(ctx, id)
        .await?
        .filter(|cart| in_request(ctx, cart) >= Access::Read))
}
