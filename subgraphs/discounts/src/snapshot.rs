//! A cart's prices as discounts receives them — from the router's `@requires` representation,
//! from the cart subgraph's own answer, or from the checkout's `holdCouponUse` input — turned
//! into the engine's [`Basket`]. Every amount must be in the cart's currency.

use async_graphql::{InputObject, SimpleObject, ID};
use kit::money::{Currency, Money, MoneyInput, MoneyObject};
use kit::AppError;

use crate::engine::{Basket, PricedLine};

/// Most lines a cart snapshot may carry.
const MAX_LINES: usize = 500;

/// A cart line as the cart subgraph prices it. Shareable: cart defines the same type.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
#[graphql(shareable)]
pub struct CartPricingLine {
    pub line_id: ID,
    pub variant_id: ID,
    pub product_id: ID,
    pub quantity: i32,
    pub unit_price: MoneyObject,
}

/// `CartPricingLine` as input (the entity representation, `holdCouponUse`).
#[derive(Debug, Clone, InputObject)]
pub struct CartPricingLineInput {
    pub line_id: ID,
    pub variant_id: ID,
    pub product_id: ID,
    pub quantity: i32,
    pub unit_price: MoneyInput,
}

/// The money and lines of a cart, unparsed.
#[derive(Debug, Clone)]
pub struct RawCart<'a> {
    pub currency_code: &'a str,
    pub subtotal: &'a MoneyInput,
    pub lines: &'a [CartPricingLineInput],
}

impl RawCart<'_> {
    /// Parses into a basket; `field` prefixes error paths (`input`, `representations`).
    pub fn basket(&self, field: &str) -> Result<Basket, AppError> {
        let currency = Currency::parse(&format!("{field}.currencyCode"), self.currency_code)?;
        let in_currency = |path: String, m: &MoneyInput| -> Result<Money, AppError> {
            let money = m.parse(&path)?;
            if money.currency != currency {
                return Err(AppError::bad_input(
                    format!("{path}.currencyCode"),
                    "must be the cart's currency",
                ));
            }
            Ok(money)
        };
        let subtotal = in_currency(format!("{field}.subtotal"), self.subtotal)?;
        if self.lines.len() > MAX_LINES {
            return Err(AppError::bad_input(
                format!("{field}.pricingLines"),
                format!("must have at most {MAX_LINES} lines"),
            ));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            let path = format!("{field}.pricingLines[{i}]");
            if l.quantity < 0 {
                return Err(AppError::bad_input(
                    format!("{path}.quantity"),
                    "must not be negative",
                ));
            }
            let unit = in_currency(format!("{path}.unitPrice"), &l.unit_price)?;
            lines.push(PricedLine {
                line_id: l.line_id.to_string(),
                variant_id: l.variant_id.to_string(),
                product_id: l.product_id.to_string(),
                quantity: l.quantity as i64,
                unit_price: unit.minor,
            });
        }
        Ok(Basket {
            currency,
            subtotal: subtotal.minor,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: &str, currency: &str) -> MoneyInput {
        MoneyInput {
            amount: amount.into(),
            currency_code: currency.into(),
        }
    }

    fn line(price: MoneyInput) -> CartPricingLineInput {
        CartPricingLineInput {
            line_id: ID("l1".into()),
            variant_id: ID("v1".into()),
            product_id: ID("p1".into()),
            quantity: 2,
            unit_price: price,
        }
    }

    #[test]
    fn parses_into_minor_units_and_rejects_other_currencies() {
        let subtotal = money("20.00", "USD");
        let lines = [line(money("10.00", "USD"))];
        let raw = RawCart {
            currency_code: "USD",
            subtotal: &subtotal,
            lines: &lines,
        };
        let basket = raw.basket("input").unwrap();
        assert_eq!(basket.subtotal, 2_000);
        assert_eq!(basket.lines[0].total(), 2_000);

        let lines = [line(money("10.00", "EUR"))];
        let err = RawCart {
            lines: &lines,
            ..raw
        }
        .basket("input")
        .unwrap_err();
        assert_eq!(
            err.message(),
            "input.pricingLines[0].unitPrice.currencyCode: must be the cart's currency"
        );
    }
}
