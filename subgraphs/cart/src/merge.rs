//! `mergeCart`: at sign-in the storefront folds the guest cart (opened with its token) into the
//! customer's active cart, created if they have none (in the guest cart's currency). Lines of
//! the same variant add up, capped by what is available and by the per-line maximum; lines
//! that cannot be carried over (product no longer for sale, another currency, nothing
//! available, cart full) are left out and listed in the `cart.merged` event. A live-deal line
//! moves as it is (its own line, deal price and claim) or, when the customer's cart already
//! holds the variant, is left out and its claim listed for livestream to release. The guest cart
//! ends `MERGED`, empty and closed.

use std::collections::HashMap;

use async_graphql::{Context, Object, Result, ID};
use kit::auth::caller;
use kit::authz_directives::authenticated;
use kit::ids::{now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Tx};
use serde_json::{json, Value};

use crate::access::{self, Access};
use crate::create::{active_cart_of, insert};
use crate::events::emit;
use crate::objects::Cart;
use crate::offer;
use crate::settings::Settings;
use crate::view::CartStatus;
use crate::writes::{cart_in, closed, finish};

type GuestLine = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// What happened to each guest line.
struct Outcome {
    carried: Vec<Value>,
    skipped: Vec<Value>,
    /// Live-deal claims of skipped lines, for livestream to release.
    released_claims: Vec<String>,
}

async fn fold_lines(
    tx: &mut Tx,
    settings: &Settings,
    guest_lines: &[GuestLine],
    target: &str,
    currency: &str,
) -> Result<Outcome, AppError> {
    let existing: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT variant_id, id, quantity FROM cart_lines WHERE cart_id = $1")
            .bind(target)
            .fetch_all(tx.conn())
            .await?;
    let mut count = existing.len() as i64;
    let existing: HashMap<String, (String, i64)> = existing
        .into_iter()
        .map(|(variant, id, q)| (variant, (id, q)))
        .collect();
    let variants: Vec<&str> = guest_lines.iter().map(|l| l.1.as_str()).collect();
    let offers = offer::find(tx, &variants).await?;
    let mut outcome = Outcome {
        carried: Vec::new(),
        skipped: Vec::new(),
        released_claims: Vec::new(),
    };
    let now = now_millis();
    for line in guest_lines {
        let (line_id, variant, product, quantity, price_when_added, added_at) =
            (&line.0, &line.1, &line.2, line.3, line.4, line.5);
        let (livestream_id, live_claim_id, live_ends_at) = (&line.6, &line.7, line.8);
        let mut skip = |reason: &str| {
            outcome
                .skipped
                .push(json!({ "variantId": variant, "quantity": quantity, "reason": reason }));
            outcome.released_claims.extend(live_claim_id.clone());
        };
        let Some(offer) = offers.get(variant).filter(|o| o.published) else {
            skip("not for sale");
            continue;
        };
        if offer.currency != currency {
            skip("other currency");
            continue;
        }
        let (current_id, had) = match existing.get(variant) {
            Some((id, q)) => (Some(id), *q),
            None => (None, 0),
        };
        if current_id.is_none() && count >= settings.max_lines {
            skip("cart full");
            continue;
        }
        // A live-deal line keeps its claimed units and price only as a line of its own.
        if live_claim_id.is_some() && current_id.is_some() {
            skip("already in the cart");
            continue;
        }
        let cap = settings.max_line_quantity.min(offer.available);
        if live_claim_id.is_some() && quantity > cap {
            skip("none available");
            continue;
        }
        // Never lowers what the customer's line already holds.
        let total = had.max((had + quantity).min(cap));
        if total == had {
            skip("none available");
            continue;
        }
        match current_id {
            Some(id) => {
                sqlx::query("UPDATE cart_lines SET quantity = $1, updated_at = $2 WHERE id = $3")
                    .bind(total)
                    .bind(now)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
            }
            None => {
                // The guest line moves over with its id, snapshot price and time added.
                sqlx::query(
                    "INSERT INTO cart_lines (id, cart_id, variant_id, product_id, quantity, \
                     price_when_added, currency, added_at, updated_at, livestream_id, \
                     live_claim_id, live_ends_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(line_id)
                .bind(target)
                .bind(variant)
                .bind(product)
                .bind(total)
                .bind(price_when_added)
                .bind(currency)
                .bind(added_at)
                .bind(now)
                .bind(livestream_id)
                .bind(live_claim_id)
                .bind(live_ends_at)
                .execute(tx.conn())
                .await?;
                count += 1;
            }
        }
        outcome.carried.push(json!({
            "variantId": variant,
            "quantity": total - had,
            "lineQuantity": total,
        }));
    }
    Ok(outcome)
}

/// One attempt; `None` when another request created the customer's cart meanwhile.
async fn attempt(
    ctx: &Context<'_>,
    customer: &str,
    guest_id: &str,
) -> Result<Option<Cart>, AppError> {
    let svc = service(ctx);
    let settings = ctx.data_unchecked::<Settings>();
    let mut tx = svc.db.begin().await?;
    let guest = cart_in(&mut tx, guest_id)
        .await?
        .filter(|c| c.is_guest() && access::in_request(ctx, c) == Access::Write)
        .ok_or_else(|| access::not_found(guest_id))?;
    if guest.status != CartStatus::Active {
        return Err(closed(&guest));
    }
    let now = now_millis();
    let closed_now = sqlx::query(
        "UPDATE carts SET status = 'MERGED', updated_at = $1 \
         WHERE id = $2 AND status = 'ACTIVE' AND updated_at > $3",
    )
    .bind(now)
    .bind(guest_id)
    .bind(settings.guest_cutoff(now))
    .execute(tx.conn())
    .await?
    .rows_affected();
    if closed_now == 0 {
        return Err(access::not_found(guest_id)); // merged, expired or swept meanwhile
    }
    let target = match active_cart_of(&mut tx, customer).await? {
        Some(id) => id,
        None => match insert(svc, &mut tx, Some(customer), None, &guest.currency).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    // Takes the customer cart's lock, as every change to it does.
    sqlx::query("UPDATE carts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(&target)
        .execute(tx.conn())
        .await?;
    let currency = cart_in(&mut tx, &target)
        .await?
        .map(|c| c.currency)
        .ok_or_else(|| access::not_found(&target))?;
    let guest_lines: Vec<GuestLine> = sqlx::query_as(
        "SELECT id, variant_id, product_id, quantity, price_when_added, added_at, \
         livestream_id, live_claim_id, live_ends_at \
         FROM cart_lines WHERE cart_id = $1 ORDER BY added_at, id",
    )
    .bind(guest_id)
    .fetch_all(tx.conn())
    .await?;
    sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1")
        .bind(guest_id)
        .execute(tx.conn())
        .await?;
    let outcome = fold_lines(&mut tx, settings, &guest_lines, &target, &currency).await?;
    let data = json!({
        "guestCartId": guest_id,
        "lines": outcome.carried,
        "skipped": outcome.skipped,
        "liveClaimIds": outcome.released_claims,
    });
    emit(svc, &mut tx, "cart.merged", &target, Some(customer), data).await?;
    Ok(Some(finish(ctx, tx, &[guest_id, &target], &target).await?))
}

#[derive(Default)]
pub struct MergeMutation;

#[Object]
impl MergeMutation {
    /// Folds a guest cart (its token in `X-Cart-Token`) into the signed-in customer's active
    /// cart, created if none; returns that cart. The guest cart becomes `MERGED` and closed.
    /// Emits `cart.merged`.
    #[graphql(directive = authenticated::apply())]
    async fn merge_cart(&self, ctx: &Context<'_>, guest_cart_id: ID) -> Result<Cart> {
        let customer = caller(ctx)?.user_id.clone();
        let guest_id = parse_id("guestCartId", &guest_cart_id)?;
        for _ in 0..3 {
            if let Some(cart) = attempt(ctx, &customer, &guest_id).await? {
                return Ok(cart);
            }
        }
        Err(AppError::conflict("your cart is being created by another request; try again").into())
    }
}
