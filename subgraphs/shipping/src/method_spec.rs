//! A shipping method as staff describe it (`CreateShippingMethodInput`,
//! `UpdateShippingMethodInput`), validated into a [`MethodSpec`]: a name and carrier, at least
//! one zone, a delivery estimate whose minimum is not above its maximum, and one well-formed
//! rate rule per currency. Every error names its field; whether the zones exist is checked when
//! writing.

use async_graphql::{InputObject, MaybeUndefined, ID};
use kit::ids::parse_id;
use kit::money::MoneyInput;
use kit::AppError;

use crate::method::Method;
use crate::rate::{Rate, RateKind};
use crate::validate::{self, MAX_NAME};
use crate::weights::MAX_WEIGHT_GRAMS;

const MAX_ZONES: usize = 100;
const MAX_RATES: usize = 50;
const MAX_DAYS: i32 = 365;

/// A rate rule; every amount in the currency of `amount`.
#[derive(Debug, Clone, InputObject)]
pub struct ShippingRateInput {
    pub kind: RateKind,
    /// FLAT: the price. BY_WEIGHT: the base price. FREE_ABOVE: the price below `freeAbove`.
    pub amount: MoneyInput,
    /// BY_WEIGHT (required): added per started kilogram.
    pub per_kg: Option<MoneyInput>,
    /// BY_WEIGHT (optional): heavier parcels cannot use the method.
    pub max_weight_grams: Option<i64>,
    /// FREE_ABOVE (required): free when the subtotal is at least this.
    pub free_above: Option<MoneyInput>,
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateShippingMethodInput {
    pub name: String,
    pub carrier: String,
    pub zone_ids: Vec<ID>,
    #[graphql(default = true)]
    pub active: bool,
    pub estimated_days_min: Option<i32>,
    pub estimated_days_max: Option<i32>,
    /// At least one; at most one per currency.
    pub rates: Vec<ShippingRateInput>,
}

/// Omitted fields stay as they are; `null` clears an estimate; `zoneIds` and `rates`, when
/// given, replace the current ones.
#[derive(Debug, Clone, Default, InputObject)]
pub struct UpdateShippingMethodInput {
    pub name: Option<String>,
    pub carrier: Option<String>,
    pub zone_ids: Option<Vec<ID>>,
    pub active: Option<bool>,
    pub estimated_days_min: MaybeUndefined<i32>,
    pub estimated_days_max: MaybeUndefined<i32>,
    pub rates: Option<Vec<ShippingRateInput>>,
}

/// A validated method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSpec {
    pub name: String,
    pub carrier: String,
    pub zone_ids: Vec<String>,
    pub active: bool,
    pub days_min: Option<i64>,
    pub days_max: Option<i64>,
    pub rates: Vec<Rate>,
}

/// What a method is now, for updates.
pub struct Current<'a> {
    pub method: &'a Method,
    pub zone_ids: &'a [String],
    pub rates: &'a [Rate],
}

impl MethodSpec {
    pub fn create(input: &CreateShippingMethodInput) -> Result<MethodSpec, AppError> {
        MethodSpec {
            name: validate::text("input.name", &input.name, MAX_NAME)?,
            carrier: validate::text("input.carrier", &input.carrier, MAX_NAME)?,
            zone_ids: zone_ids(&input.zone_ids)?,
            active: input.active,
            days_min: days("input.estimatedDaysMin", input.estimated_days_min)?,
            days_max: days("input.estimatedDaysMax", input.estimated_days_max)?,
            rates: rates(&input.rates)?,
        }
        .checked()
    }

    pub fn update(
        current: Current<'_>,
        input: &UpdateShippingMethodInput,
    ) -> Result<MethodSpec, AppError> {
        let m = current.method;
        let estimate = |field: &str, given: &MaybeUndefined<i32>, now: Option<i64>| match given {
            MaybeUndefined::Undefined => Ok(now),
            MaybeUndefined::Null => Ok(None),
            MaybeUndefined::Value(v) => days(field, Some(*v)),
        };
        MethodSpec {
            name: validate::text(
                "input.name",
                input.name.as_deref().unwrap_or(&m.name),
                MAX_NAME,
            )?,
            carrier: validate::text(
                "input.carrier",
                input.carrier.as_deref().unwrap_or(&m.carrier),
                MAX_NAME,
            )?,
            zone_ids: match &input.zone_ids {
                Some(ids) => zone_ids(ids)?,
                None => current.zone_ids.to_vec(),
            },
            active: input.active.unwrap_or(m.active),
            days_min: estimate(
                "input.estimatedDaysMin",
                &input.estimated_days_min,
                m.days_min,
            )?,
            days_max: estimate(
                "input.estimatedDaysMax",
                &input.estimated_days_max,
                m.days_max,
            )?,
            rates: match &input.rates {
                Some(given) => rates(given)?,
                None => current.rates.to_vec(),
            },
        }
        .checked()
    }

    fn checked(self) -> Result<MethodSpec, AppError> {
        if let (Some(min), Some(max)) = (self.days_min, self.days_max) {
            if min > max {
                return Err(AppError::bad_input(
                    "input.estimatedDaysMax",
                    "must not be less than estimatedDaysMin",
                ));
            }
        }
        Ok(self)
    }
}

fn days(field: &str, value: Option<i32>) -> Result<Option<i64>, AppError> {
    match value {
        Some(d) if !(0..=MAX_DAYS).contains(&d) => Err(AppError::bad_input(
            field,
            format!("must be between 0 and {MAX_DAYS}"),
        )),
        other => Ok(other.map(i64::from)),
    }
}

fn zone_ids(ids: &[ID]) -> Result<Vec<String>, AppError> {
    if ids.is_empty() {
        return Err(AppError::bad_input(
            "input.zoneIds",
            "must name at least one zone",
        ));
    }
    validate::at_most("input.zoneIds", ids, MAX_ZONES)?;
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        out.push(parse_id(&format!("input.zoneIds[{i}]"), id)?);
    }
    // Input order kept (duplicates too), so a missing zone is named by its input index.
    Ok(out)
}

fn rates(inputs: &[ShippingRateInput]) -> Result<Vec<Rate>, AppError> {
    if inputs.is_empty() {
        return Err(AppError::bad_input(
            "input.rates",
            "must have at least one rate",
        ));
    }
    validate::at_most("input.rates", inputs, MAX_RATES)?;
    let mut out: Vec<Rate> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let path = format!("input.rates[{i}]");
        let rate = rate(&path, input)?;
        if out.iter().any(|r| r.currency == rate.currency) {
            return Err(AppError::bad_input(
                format!("{path}.amount.currencyCode"),
                format!("a rate in {} is already given", rate.currency.code()),
            ));
        }
        out.push(rate);
    }
    out.sort_by_key(|r| r.currency.code());
    Ok(out)
}

fn rate(path: &str, input: &ShippingRateInput) -> Result<Rate, AppError> {
    let amount = input.amount.parse(&format!("{path}.amount"))?;
    let currency = amount.currency;
    let same_currency = |name: &str, m: &Option<MoneyInput>| -> Result<Option<i64>, AppError> {
        let Some(m) = m else { return Ok(None) };
        let field = format!("{path}.{name}");
        let money = m.parse(&field)?;
        if money.currency != currency {
            return Err(AppError::bad_input(
                format!("{field}.currencyCode"),
                "must be the currency of amount",
            ));
        }
        Ok(Some(money.minor))
    };
    let per_kg = same_currency("perKg", &input.per_kg)?;
    let free_above = same_currency("freeAbove", &input.free_above)?;
    let max_weight = input.max_weight_grams;
    let kind = input.kind.as_str();
    let only_for = |name: &str, which: &str| {
        AppError::bad_input(
            format!("{path}.{name}"),
            format!("applies only to {which} rates, not {kind}"),
        )
    };
    match input.kind {
        RateKind::Flat | RateKind::FreeAbove if per_kg.is_some() => {
            return Err(only_for("perKg", "BY_WEIGHT"))
        }
        RateKind::Flat | RateKind::FreeAbove if max_weight.is_some() => {
            return Err(only_for("maxWeightGrams", "BY_WEIGHT"))
        }
        RateKind::Flat | RateKind::ByWeight if free_above.is_some() => {
            return Err(only_for("freeAbove", "FREE_ABOVE"))
        }
        RateKind::ByWeight if per_kg.is_none() => {
            return Err(AppError::bad_input(
                format!("{path}.perKg"),
                "is required for BY_WEIGHT rates",
            ))
        }
        RateKind::FreeAbove if free_above.is_none() => {
            return Err(AppError::bad_input(
                format!("{path}.freeAbove"),
                "is required for FREE_ABOVE rates",
            ))
        }
        _ => {}
    }
    if let Some(max) = max_weight {
        if !(1..=MAX_WEIGHT_GRAMS).contains(&max) {
            return Err(AppError::bad_input(
                format!("{path}.maxWeightGrams"),
                format!("must be between 1 and {MAX_WEIGHT_GRAMS}"),
            ));
        }
    }
    Ok(Rate {
        currency,
        kind: input.kind,
        amount: amount.minor,
        per_kg,
        max_weight_grams: max_weight,
        free_above,
    })
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

    fn input(rates: Vec<ShippingRateInput>) -> CreateShippingMethodInput {
        CreateShippingMethodInput {
            name: "Express".into(),
            carrier: "UPS".into(),
            zone_ids: vec![ID(kit::ids::new_id())],
            active: true,
            estimated_days_min: Some(1),
            estimated_days_max: Some(2),
            rates,
        }
    }

    fn flat(amount: &str, currency: &str) -> ShippingRateInput {
        ShippingRateInput {
            kind: RateKind::Flat,
            amount: money(amount, currency),
            per_kg: None,
            max_weight_grams: None,
            free_above: None,
        }
    }

    fn field(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn rates_are_checked_per_kind_and_currency() {
        let spec =
            MethodSpec::create(&input(vec![flat("4.99", "USD"), flat("3.50", "EUR")])).unwrap();
        assert_eq!(spec.rates[0].currency.code(), "EUR");
        assert_eq!(spec.rates[1].amount, 499);
        let err = MethodSpec::create(&input(vec![flat("4.99", "USD"), flat("1", "USD")]));
        assert_eq!(
            field(err.unwrap_err()),
            "input.rates[1].amount.currencyCode"
        );
        let by_weight = ShippingRateInput {
            kind: RateKind::ByWeight,
            ..flat("9.99", "USD")
        };
        assert_eq!(
            field(MethodSpec::create(&input(vec![by_weight.clone()])).unwrap_err()),
            "input.rates[0].perKg"
        );
        let wrong_currency = ShippingRateInput {
            per_kg: Some(money("2.00", "EUR")),
            ..by_weight
        };
        assert_eq!(
            field(MethodSpec::create(&input(vec![wrong_currency])).unwrap_err()),
            "input.rates[0].perKg.currencyCode"
        );
        let flat_with_threshold = ShippingRateInput {
            free_above: Some(money("50", "USD")),
            ..flat("4.99", "USD")
        };
        assert_eq!(
            field(MethodSpec::create(&input(vec![flat_with_threshold])).unwrap_err()),
            "input.rates[0].freeAbove"
        );
        let mut backwards = input(vec![flat("1", "USD")]);
        backwards.estimated_days_min = Some(5);
        assert_eq!(
            field(MethodSpec::create(&backwards).unwrap_err()),
            "input.estimatedDaysMax"
        );
    }
}
