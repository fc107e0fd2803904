//! Rate rules: what a method charges in one currency. FLAT charges `amount`; BY_WEIGHT charges
//! `amount` plus `perKg` for every started kilogram of the parcel (1 g = 1 kg started, 1000 g
//! = 1, 1001 g = 2), refusing parcels above `maxWeightGrams` when set; FREE_ABOVE charges
//! `amount` unless the subtotal reaches `freeAbove`. All in integer minor units.

use async_graphql::{Enum, SimpleObject};
use kit::money::{Currency, Money, MoneyObject, MAX_MINOR};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ShippingRateKind")]
pub enum RateKind {
    /// `amount`, whatever the parcel.
    Flat,
    /// `amount` plus `perKg` per started kilogram, up to `maxWeightGrams` when set.
    ByWeight,
    /// `amount`, or nothing when the subtotal is at least `freeAbove`.
    FreeAbove,
}

impl RateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::Flat => "FLAT",
            RateKind::ByWeight => "BY_WEIGHT",
            RateKind::FreeAbove => "FREE_ABOVE",
        }
    }

    pub fn parse(raw: &str) -> Option<RateKind> {
        match raw {
            "FLAT" => Some(RateKind::Flat),
            "BY_WEIGHT" => Some(RateKind::ByWeight),
            "FREE_ABOVE" => Some(RateKind::FreeAbove),
            _ => None,
        }
    }
}

/// One rate rule, amounts in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub currency: Currency,
    pub kind: RateKind,
    pub amount: i64,
    pub per_kg: Option<i64>,
    pub max_weight_grams: Option<i64>,
    pub free_above: Option<i64>,
}

/// Why a rate cannot price a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Heavier than the rate's `maxWeightGrams`.
    TooHeavy { max_grams: i64 },
    /// The price would exceed the largest amount money may hold.
    TooLarge,
}

impl Rate {
    /// The price for a parcel of `weight_grams` in an order whose subtotal is `subtotal`
    /// (both already in this rate's currency).
    pub fn price(&self, subtotal: i64, weight_grams: i64) -> Result<i64, Refusal> {
        let price = match self.kind {
            RateKind::Flat => Some(self.amount),
            RateKind::FreeAbove => match self.free_above {
                Some(threshold) if subtotal >= threshold => Some(0),
                _ => Some(self.amount),
            },
            RateKind::ByWeight => {
                if let Some(max) = self.max_weight_grams {
                    if weight_grams > max {
                        return Err(Refusal::TooHeavy { max_grams: max });
                    }
                }
                // Every started kilogram counts: 1 g is one, 1000 g one, 1001 g two.
                let started_kg = (weight_grams.max(0) + 999) / 1000;
                self.per_kg
                    .unwrap_or(0)
                    .checked_mul(started_kg)
                    .and_then(|w| w.checked_add(self.amount))
            }
        };
        price.filter(|p| *p <= MAX_MINOR).ok_or(Refusal::TooLarge)
    }
}

/// A rate rule in the API.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "ShippingRate")]
pub struct RateObject {
    /// ISO 4217 code of every amount of this rule.
    pub currency_code: String,
    pub kind: RateKind,
    /// FLAT: the price. BY_WEIGHT: the base price. FREE_ABOVE: the price below the threshold.
    pub amount: MoneyObject,
    /// BY_WEIGHT: added per started kilogram.
    pub per_kg: Option<MoneyObject>,
    /// BY_WEIGHT: heavier parcels cannot use this method.
    pub max_weight_grams: Option<i64>,
    /// FREE_ABOVE: shipping is free when the subtotal is at least this.
    pub free_above: Option<MoneyObject>,
}

impl From<&Rate> for RateObject {
    fn from(r: &Rate) -> RateObject {
        let money = |minor| MoneyObject::from(Money::new(minor, r.currency));
        RateObject {
            currency_code: r.currency.code().to_string(),
            kind: r.kind,
            amount: money(r.amount),
            per_kg: r.per_kg.map(money),
            max_weight_grams: r.max_weight_grams,
            free_above: r.free_above.map(money),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    fn rate(kind: RateKind) -> Rate {
        Rate {
            currency: usd(),
            kind,
            amount: 999,
            per_kg: Some(200),
            max_weight_grams: Some(5_000),
            free_above: Some(5_000),
        }
    }

    #[test]
    fn every_rule_prices_to_the_minor_unit() {
        assert_eq!(rate(RateKind::Flat).price(0, 123_456), Ok(999));
        let by_weight = rate(RateKind::ByWeight);
        assert_eq!(by_weight.price(0, 0), Ok(999));
        assert_eq!(by_weight.price(0, 1), Ok(1_199));
        assert_eq!(by_weight.price(0, 1_000), Ok(1_199));
        assert_eq!(by_weight.price(0, 1_001), Ok(1_399));
        assert_eq!(by_weight.price(0, 5_000), Ok(1_999));
        assert_eq!(
            by_weight.price(0, 5_001),
            Err(Refusal::TooHeavy { max_grams: 5_000 })
        );
        let free_above = rate(RateKind::FreeAbove);
        assert_eq!(free_above.price(4_999, 0), Ok(999));
        assert_eq!(free_above.price(5_000, 0), Ok(0));
        let huge = Rate {
            per_kg: Some(MAX_MINOR),
            max_weight_grams: None,
            ..by_weight
        };
        assert_eq!(huge.price(0, 2_000), Err(Refusal::TooLarge));
    }
}
