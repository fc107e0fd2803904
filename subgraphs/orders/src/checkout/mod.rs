//! `checkout`: a cart becomes an order. The saga, in order (docs/checkout.md):
//! 1. read the cart as the shopper (ACTIVE and not empty);
//! 2. claim the idempotency key (see `claim`): a repeat answers with the first order;
//! 3. price each line from catalog, quote shipping, price promotions and hold the coupon use
//!    (the coupon given, else the one applied to the cart);
//! 4. compare with `expectedTotal` (PRICE_CHANGED if different);
//! 5. reserve the stock in inventory, start the payment in payments;
//! 6. write the order, its lines, history and `order.created` in one transaction.
//!
//! Any failure after step 3 began undoes what was done (payment cancelled, reservation and
//! coupon use released) and gives the claim up, so a failed checkout leaves nothing behind.

pub mod cart;
pub mod catalog;
pub mod claim;
pub mod discounts;
pub mod failure;
pub mod input;
pub mod payment;
pub mod place;
pub mod quote;
pub mod stock;

use async_graphql::{Context, Object, Result, SimpleObject};
use kit::auth::{optional_caller, Caller};
use kit::ids::{new_id, now_millis};
use kit::money::Money;
use kit::schema::service;
use kit::server::RequestMeta;
use kit::{AppError, Service};

use self::claim::Claim;
use self::failure::Failure;
use self::input::{AddressSource, CheckoutInput, Request};
use crate::order::Order;
use crate::remotes::Remotes;
use crate::settings::Settings;
use crate::status::OrderStatus;
use crate::view::{LineView, OrderView};
use crate::{store, token};

const CART_TOKEN: &str = "x-cart-token";

/// A placed order and, for a guest, the token that opens it.
#[derive(SimpleObject)]
pub struct CheckoutPayload {
    pub order: Order,
    /// Send it in the `X-Order-Token` header to read, pay or cancel a guest order. Only for
    /// guests; repeating the checkout (same key, same cart token) shows it again.
    pub order_token: Option<String>,
}

#[derive(Default)]
pub struct CheckoutMutation;

#[Object]
impl CheckoutMutation {
    /// Places an order for a cart (its customer, or a guest with the cart's `X-Cart-Token`).
    /// Errors name what to fix: the cart (empty, not active, a line no longer for sale), the
    /// address or shipping method (`extensions.reason` OUTSIDE_ZONES, ...), the coupon
    /// (`extensions.reason` EXPIRED, ...), a variant out of stock (`CONFLICT`), or a total
    /// that changed (`CONFLICT`, reason PRICE_CHANGED, with the new `total`). A failed
    /// checkout holds nothing. Repeating `idempotencyKey` returns the first order.
    async fn checkout(&self, ctx: &Context<'_>, input: CheckoutInput) -> Result<CheckoutPayload> {
        Ok(run(ctx, input).await?)
    }
}

/// Who the shopper is, as far as the checkout cares.
struct Shopper<'a> {
    caller: Option<&'a Caller>,
    meta: Option<&'a RequestMeta>,
}

impl Shopper<'_> {
    fn cart_token(&self) -> Option<&str> {
        self.meta
            .and_then(|m| m.header(CART_TOKEN))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

async fn run(ctx: &Context<'_>, input: CheckoutInput) -> Result<CheckoutPayload, Failure> {
    let svc = service(ctx);
    let settings = ctx.data_unchecked::<Settings>();
    let remotes = ctx.data_unchecked::<Remotes>();
    let shopper = Shopper {
        caller: optional_caller(ctx),
        meta: ctx.data_opt::<RequestMeta>(),
    };
    let request = input.parse(shopper.caller)?;
    // Keys are per customer (per cart for guests): one shopper's key is not another's.
    let scope = match shopper.caller {
        Some(c) => c.user_id.clone(),
        None => format!("guest:{}", request.cart_id),
    };
    let key_hash = token::sha256_hex(&format!("{scope}\n{}", request.idempotency_key));
    if let Some(order_id) = claim::placed(&svc.db, &key_hash).await? {
        return replay(svc, &order_id, &shopper).await;
    }

    let cart = cart::read(remotes, shopper.meta, &request.cart_id).await?;
    match (&cart.customer_id, shopper.caller) {
        (Some(owner), Some(c)) if *owner == c.user_id => {}
        (Some(_), _) => {
            return Err(AppError::forbidden(
                "input.cartId: only the cart's customer can check it out",
            )
            .into())
        }
        (None, _) if shopper.cart_token().is_none() => {
            return Err(AppError::forbidden(
                "input.cartId: a guest cart is checked out with its X-Cart-Token",
            )
            .into())
        }
        (None, _) => {}
    }
    if cart.status != "ACTIVE" {
        return Err(AppError::conflict(format!(
            "input.cartId: the cart is {}; only an active cart can be checked out",
            cart.status
        ))
        .into());
    }
    if cart.lines.is_empty() {
        return Err(
            AppError::bad_input_because("input.cartId", "EMPTY_CART", "the cart is empty").into(),
        );
    }

    let order_id =
        match claim::acquire(&svc.db, &key_hash, &cart.id, settings.checkout_lease).await? {
            Claim::Placed(order_id) => return replay(svc, &order_id, &shopper).await,
            Claim::Mine(order_id) => order_id,
        };
    let mut undo = Undo::new(&order_id);
    let saga = Saga {
        svc,
        settings,
        remotes,
        shopper: &shopper,
        request: &request,
        cart: &cart,
        order_id: &order_id,
        key_hash: &key_hash,
    };
    match saga.run(&mut undo).await {
        Ok(payload) => Ok(payload),
        Err(failure) => {
            undo.run(remotes).await;
            if let Err(err) = claim::release(&svc.db, &key_hash, &order_id).await {
                tracing::error!(order = %order_id, error = ?err, "cannot release a failed checkout's claim");
            }
            Err(failure)
        }
    }
}

/// The first checkout's order, for a request repeating its key.
async fn replay(
    svc: &Service,
    order_id: &str,
    shopper: &Shopper<'_>,
) -> Result<CheckoutPayload, Failure> {
    let order = store::load(&svc.db, order_id).await?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "placed checkout's order {order_id} is missing"
        ))
    })?;
    let order_token = match &order.customer_id {
        Some(_) => None,
        None => {
            let salt: Option<String> =
                sqlx::query_scalar("SELECT token_salt FROM orders WHERE id = $1")
                    .bind(order_id)
                    .fetch_one(svc.db.pool())
                    .await?;
            let token = match (shopper.cart_token(), salt) {
                (Some(cart_token), Some(salt)) => token::derive(cart_token, order_id, &salt),
                _ => String::new(),
            };
            // Only the guest holding the cart's token gets the order (and its token) back.
            if order.token_hash.as_deref() != Some(token::hash(&token).as_str()) {
                return Err(AppError::forbidden(
                    "input.idempotencyKey: this checkout belongs to another cart token",
                )
                .into());
            }
            Some(token)
        }
    };
    Ok(CheckoutPayload {
        order: Order::new(order),
        order_token,
    })
}

/// What a failed checkout must give back.
struct Undo {
    order_id: String,
    coupon_held: bool,
    reservation: Option<String>,
    payment_started: bool,
}

impl Undo {
    fn new(order_id: &str) -> Undo {
        Undo {
            order_id: order_id.to_string(),
            coupon_held: false,
            reservation: None,
            payment_started: false,
        }
    }

    /// Best effort, newest first; what cannot be undone now is logged (a reservation also
    /// expires by itself, after the payment window).
    async fn run(&self, remotes: &Remotes) {
        let order = &self.order_id;
        if self.payment_started {
            if let Err(err) = payment::cancel(remotes, order).await {
                tracing::error!(%order, error = ?err, "checkout compensation: cannot cancel the payment");
            }
        }
        if let Some(reservation) = &self.reservation {
            if let Err(err) = stock::release(remotes, reservation).await {
                tracing::error!(%order, %reservation, error = ?err, "checkout compensation: cannot release the reservation");
            }
        }
        if self.coupon_held {
            if let Err(err) = discounts::release(remotes, order).await {
                tracing::error!(%order, error = ?err, "checkout compensation: cannot release the coupon use");
            }
        }
    }
}

struct Saga<'a> {
    svc: &'a Service,
    settings: &'a Settings,
    remotes: &'a Remotes,
    shopper: &'a Shopper<'a>,
    request: &'a Request,
    cart: &'a cart::Cart,
    order_id: &'a str,
    key_hash: &'a str,
}

impl Saga<'_> {
    /// An idempotency key for one remote step of this checkout attempt.
    fn step_key(&self, step: &str) -> String {
        format!("checkout:{}:{}:{step}", &self.key_hash[..32], self.order_id)
    }

    async fn run(&self, undo: &mut Undo) -> Result<CheckoutPayload, Failure> {
        let (remotes, request, cart) = (self.remotes, self.request, self.cart);
        let customer_id = self.shopper.caller.map(|c| c.user_id.clone());
        let email = match &request.email {
            Some(email) => email.clone(),
            None => cart::account_email(remotes, self.shopper.meta).await?,
        };
        let (address, saved) = match &request.address {
            AddressSource::Given(address) => (address.clone(), false),
            AddressSource::Saved(id) => (
                cart::saved_address(remotes, self.shopper.meta, id).await?,
                true,
            ),
        };
        if request.expected_total.currency != cart.currency {
            return Err(AppError::bad_input(
                "input.expectedTotal.currencyCode",
                format!("the cart is in {}", cart.currency.code()),
            )
            .into());
        }

        let lines = catalog::price(remotes, cart).await?;
        let subtotal_minor = lines
            .iter()
            .try_fold(0i64, |sum, l| {
                l.unit_price
                    .checked_mul(l.quantity)
                    .and_then(|t| sum.checked_add(t))
            })
            .filter(|s| *s <= kit::money::MAX_MINOR)
            .ok_or_else(|| AppError::bad_input("input.cartId", "the cart's total is too large"))?;
        let subtotal = Money::new(subtotal_minor, cart.currency);
        let shipping = quote::quote(
            remotes,
            &request.shipping_method_id,
            &address,
            saved,
            subtotal,
            &lines,
        )
        .await?;
        let promotions =
            discounts::promotions(remotes, &cart.id, customer_id.as_deref(), &lines, subtotal)
                .await?;
        let coupon_code = request
            .coupon_code
            .clone()
            .or(promotions.cart_coupon.clone());
        let hold = match &coupon_code {
            Some(code) => {
                undo.coupon_held = true;
                Some(
                    discounts::hold(
                        remotes,
                        code,
                        self.order_id,
                        customer_id.as_deref(),
                        &email,
                        &lines,
                        subtotal,
                        &self.step_key("coupon"),
                    )
                    .await?,
                )
            }
            None => None,
        };
        let coupon_discount = hold.as_ref().map_or(0, |h| h.discount);
        let discount_total = (promotions.total + coupon_discount).min(subtotal_minor);
        let shipping_total = if hold.as_ref().is_some_and(|h| h.free_shipping) {
            0
        } else {
            shipping.minor
        };
        let total = subtotal_minor - discount_total + shipping_total;
        if total != request.expected_total.minor {
            return Err(Failure::PriceChanged(Money::new(total, cart.currency)));
        }

        let (order_token, token_hash, token_salt) = match (&customer_id, self.shopper.cart_token())
        {
            (None, Some(cart_token)) => {
                let salt = token::salt();
                let order_token = token::derive(cart_token, self.order_id, &salt);
                let hash = token::hash(&order_token);
                (Some(order_token), Some(hash), Some(salt))
            }
            _ => (None, None, None),
        };
        let reservation_ttl = self.settings.payment_timeout + self.settings.checkout_lease;
        let reservation = stock::reserve(
            remotes,
            self.order_id,
            &lines,
            reservation_ttl,
            &self.step_key("stock"),
        )
        .await?;
        undo.reservation = Some(reservation);
        undo.payment_started = true;
        let payment_id = payment::start(
            remotes,
            self.order_id,
            Money::new(total, cart.currency),
            customer_id.as_deref(),
            &email,
            token_hash.as_deref(),
            &self.step_key("payment"),
        )
        .await?;

        let now = now_millis();
        let order = OrderView {
            id: self.order_id.to_string(),
            number: String::new(),
            status: OrderStatus::PendingPayment,
            version: 1,
            cart_id: cart.id.clone(),
            customer_id: customer_id.clone(),
            email,
            currency: cart.currency.code().to_string(),
            lines: lines
                .iter()
                .map(|l| LineView {
                    id: new_id(),
                    variant_id: l.variant_id.clone(),
                    product_id: l.product_id.clone(),
                    sku: l.sku.clone(),
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total(),
                    livestream_id: l.livestream_id.clone(),
                })
                .collect(),
            subtotal: subtotal_minor,
            discount_total,
            shipping_total,
            total,
            refunded_total: 0,
            coupon_code: hold.as_ref().and(coupon_code),
            shipping_address: address,
            shipping_method_id: request.shipping_method_id.clone(),
            payment_id: Some(payment_id),
            shipment_id: None,
            carrier: None,
            tracking_number: None,
            placed_at: now,
            updated_at: now,
            payment_deadline: now + self.settings.payment_timeout.as_millis() as i64,
            token_hash,
            history: None,
        };
        let actor = customer_id.as_deref().unwrap_or("guest");
        let order = place::place(
            self.svc,
            order,
            place::Placement {
                key_hash: self.key_hash,
                token_salt: token_salt.as_deref(),
                actor,
            },
        )
        .await?;
        Ok(CheckoutPayload {
            order: Order::new(order),
            order_token,
        })
    }
}
