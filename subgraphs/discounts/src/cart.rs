//! Discounts' view of cart's `Cart` entity. The router supplies the cart's currency, customer,
//! subtotal and pricing lines (`@requires`); discounts adds what is taken off them.
//!
//! **Stacking rule** (see `engine`): promotions apply in priority order (lower first), each to
//! what earlier ones left of each line, never below zero; a non-combinable promotion applies
//! only if no promotion applied before it and then stops later ones; then at most one coupon
//! applies to what is left.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, Result, SimpleObject, ID};
use kit::money::{Money, MoneyInput, MoneyObject};
use kit::AppError;
use tokio::sync::OnceCell;

use crate::engine::{Applied, Basket, Source};
use crate::pricing::{self, AppliedCoupons, Outcome};
use crate::snapshot::{CartPricingLine, CartPricingLineInput, RawCart};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Cart {
    pub id: ID,
    // Cart's own fields, as the router's representation carries them (typed as cart types
    // them, so composition keeps them non-null; resolved here only from a representation).
    #[graphql(skip)]
    currency_code: Option<String>,
    #[graphql(skip)]
    customer_id: Option<ID>,
    #[graphql(skip)]
    subtotal: Option<MoneyObject>,
    #[graphql(skip)]
    pricing_lines: Option<Vec<CartPricingLine>>,
    /// The parsed representation (or why it could not be parsed).
    #[graphql(skip)]
    basket: Option<Result<Basket, AppError>>,
    /// Priced once per cart however many discount fields are selected.
    #[graphql(skip)]
    outcome: Arc<OnceCell<Result<Arc<Outcome>, AppError>>>,
}

/// An external field the representation did not carry.
fn missing(field: &str) -> AppError {
    AppError::bad_input(
        "representations",
        format!("Cart.{field} is cart's; send it in the representation"),
    )
}

impl Cart {
    /// A reference by id only (what mutations return; the router fetches the rest).
    pub fn reference(id: String) -> Cart {
        Cart {
            id: ID(id),
            currency_code: None,
            customer_id: None,
            subtotal: None,
            pricing_lines: None,
            basket: None,
            outcome: Arc::default(),
        }
    }

    /// A cart from the router's representation with the `@requires` fields.
    pub fn from_representation(
        id: ID,
        currency_code: Option<String>,
        customer_id: Option<ID>,
        subtotal: Option<MoneyInput>,
        lines: Option<Vec<CartPricingLineInput>>,
    ) -> Cart {
        let basket = match (&currency_code, &subtotal, &lines) {
            (Some(currency_code), Some(subtotal), Some(lines)) => Some(
                RawCart {
                    currency_code,
                    subtotal,
                    lines,
                }
                .basket("representation"),
            ),
            _ => None,
        };
        let shown = |m: &MoneyInput| MoneyObject {
            amount: m.amount.clone(),
            currency_code: m.currency_code.clone(),
        };
        Cart {
            subtotal: subtotal.as_ref().map(shown),
            pricing_lines: lines.as_ref().map(|ls| {
                ls.iter()
                    .map(|l| CartPricingLine {
                        line_id: l.line_id.clone(),
                        variant_id: l.variant_id.clone(),
                        product_id: l.product_id.clone(),
                        quantity: l.quantity,
                        unit_price: shown(&l.unit_price),
                    })
                    .collect()
            }),
            currency_code,
            customer_id,
            basket,
            ..Cart::reference(id.to_string())
        }
    }

    async fn outcome(&self, ctx: &Context<'_>) -> Result<(Arc<Outcome>, &Basket), AppError> {
        let basket = match &self.basket {
            Some(Ok(basket)) => basket,
            Some(Err(err)) => return Err(err.clone()),
            None => {
                return Err(AppError::bad_input(
                    "representations",
                    "a Cart needs currencyCode, subtotal and pricingLines for its discounts",
                ))
            }
        };
        let outcome = self
            .outcome
            .get_or_init(|| async {
                pricing::price_cart(ctx, &self.id, basket)
                    .await
                    .map(Arc::new)
            })
            .await
            .clone()?;
        Ok((outcome, basket))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum DiscountSource {
    Coupon,
    Promotion,
}

/// A part of a discount taken off one cart line.
#[derive(Debug, Clone, SimpleObject)]
pub struct DiscountAllocation {
    pub line_id: ID,
    pub amount: MoneyObject,
}

/// One discount taken off the cart.
#[derive(Debug, Clone, SimpleObject)]
pub struct AppliedDiscount {
    pub kind: DiscountSource,
    /// The coupon's code, for `COUPON`.
    pub code: Option<String>,
    /// The promotion, for `PROMOTION`.
    pub promotion_id: Option<ID>,
    pub title: String,
    /// Taken off the cart's lines; zero for free shipping.
    pub amount: MoneyObject,
    pub free_shipping: bool,
    /// How `amount` splits across the lines (sums exactly to it).
    pub allocations: Vec<DiscountAllocation>,
}

fn shown(applied: &Applied, basket: &Basket) -> AppliedDiscount {
    let money = |minor| MoneyObject::from(Money::new(minor, basket.currency));
    let (kind, code, promotion_id) = match &applied.source {
        Source::Coupon { code, .. } => (DiscountSource::Coupon, Some(code.clone()), None),
        Source::Promotion { id } => (DiscountSource::Promotion, None, Some(ID(id.clone()))),
    };
    AppliedDiscount {
        kind,
        code,
        promotion_id,
        title: applied.title.clone(),
        amount: money(applied.amount),
        free_shipping: applied.free_shipping,
        allocations: applied
            .allocations
            .iter()
            .map(|(line, minor)| DiscountAllocation {
                line_id: ID(line.clone()),
                amount: money(*minor),
            })
            .collect(),
    }
}

#[ComplexObject]
impl Cart {
    #[graphql(external)]
    async fn currency_code(&self) -> Result<&str> {
        Ok(self
            .currency_code
            .as_deref()
            .ok_or_else(|| missing("currencyCode"))?)
    }

    #[graphql(external)]
    async fn customer_id(&self) -> Option<&ID> {
        self.customer_id.as_ref()
    }

    #[graphql(external)]
    async fn subtotal(&self) -> Result<&MoneyObject> {
        Ok(self.subtotal.as_ref().ok_or_else(|| missing("subtotal"))?)
    }

    #[graphql(external)]
    async fn pricing_lines(&self) -> Result<&[CartPricingLine]> {
        Ok(self
            .pricing_lines
            .as_deref()
            .ok_or_else(|| missing("pricingLines"))?)
    }

    /// The discounts taken off this cart, in the order they applied: promotions by priority
    /// (lower first), each on what earlier ones left of each line (never below zero; a
    /// non-combinable promotion applies only if none applied before it, and stops later
    /// ones), then at most one coupon on what is left.
    #[graphql(
        requires = "currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }"
    )]
    async fn discounts(&self, ctx: &Context<'_>) -> Result<Vec<AppliedDiscount>> {
        let (outcome, basket) = self.outcome(ctx).await?;
        Ok(outcome
            .pricing
            .discounts
            .iter()
            .map(|a| shown(a, basket))
            .collect())
    }

    /// The sum of `discounts`.
    #[graphql(
        requires = "currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }"
    )]
    async fn discount_total(&self, ctx: &Context<'_>) -> Result<MoneyObject> {
        let (outcome, basket) = self.outcome(ctx).await?;
        Ok(Money::new(outcome.pricing.total, basket.currency).into())
    }

    /// `subtotal` minus `discountTotal`, never negative (before shipping and tax).
    #[graphql(
        requires = "currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }"
    )]
    async fn estimated_total(&self, ctx: &Context<'_>) -> Result<MoneyObject> {
        let (outcome, basket) = self.outcome(ctx).await?;
        let total = (basket.subtotal - outcome.pricing.total).max(0);
        Ok(Money::new(total, basket.currency).into())
    }

    /// Whether a discount (a free-shipping coupon) makes shipping free.
    #[graphql(
        requires = "currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }"
    )]
    async fn free_shipping(&self, ctx: &Context<'_>) -> Result<bool> {
        let (outcome, _) = self.outcome(ctx).await?;
        Ok(outcome.pricing.free_shipping)
    }

    /// The coupon applied to this cart (it may currently give nothing: see `couponNotice`).
    async fn coupon_code(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let coupon = ctx
            .data_unchecked::<async_graphql::dataloader::DataLoader<AppliedCoupons>>()
            .load_one(self.id.to_string())
            .await?;
        Ok(coupon.map(|c| c.code))
    }

    /// Why the applied coupon currently gives nothing (e.g. the cart fell below its minimum,
    /// it expired); null when it applies or no coupon is applied. Needs the cart's prices,
    /// hence the same `@requires` as the amounts.
    #[graphql(
        requires = "currencyCode customerId subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } }"
    )]
    async fn coupon_notice(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (outcome, _) = self.outcome(ctx).await?;
        Ok(outcome.notice.clone())
    }
}
