//! Staff input for coupons: the create and update inputs and the validated [`CouponSpec`] both
//! become. An update is the stored coupon with the given fields replaced, validated as a whole,
//! so a coupon can never be stored in a shape a create would refuse.

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use kit::money::{Money, MoneyInput};
use kit::AppError;

use crate::coupon::{Coupon, CouponKind};
use crate::scope::{Scope, ScopeInput};
use crate::validate;

const MAX_LIMIT: i64 = 1_000_000_000;

#[derive(Debug, Clone, InputObject)]
pub struct CreateCouponInput {
    /// 3–32 of letters, digits, '-' and '_'; stored upper case, unique regardless of case.
    pub code: String,
    #[graphql(default)]
    pub description: String,
    pub kind: CouponKind,
    /// Required for `PERCENTAGE`: 1–100.
    pub percent_off: Option<i32>,
    /// Required for `FIXED_AMOUNT`.
    pub amount_off: Option<MoneyInput>,
    pub minimum_subtotal: Option<MoneyInput>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// The whole cart when omitted.
    pub scope: Option<ScopeInput>,
    /// Total uses allowed; unlimited when omitted.
    pub usage_limit: Option<i32>,
    /// Uses allowed per customer; unlimited when omitted.
    pub per_customer_limit: Option<i32>,
    #[graphql(default = true)]
    pub active: bool,
}

/// Fields to change; omitted fields stay, `null` clears an optional one.
#[derive(Debug, Clone, Default, InputObject)]
pub struct UpdateCouponInput {
    pub code: Option<String>,
    pub description: Option<String>,
    pub kind: Option<CouponKind>,
    pub percent_off: MaybeUndefined<i32>,
    pub amount_off: MaybeUndefined<MoneyInput>,
    pub minimum_subtotal: MaybeUndefined<MoneyInput>,
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    pub scope: Option<ScopeInput>,
    pub usage_limit: MaybeUndefined<i32>,
    pub per_customer_limit: MaybeUndefined<i32>,
    pub active: Option<bool>,
}

/// A coupon's staff-set fields, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponSpec {
    pub code: String,
    pub description: String,
    pub kind: CouponKind,
    pub percent_off: Option<i64>,
    pub amount_off: Option<Money>,
    pub minimum: Option<Money>,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub scope: Scope,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    pub active: bool,
}

fn percent(raw: i32) -> Result<i64, AppError> {
    validate::within("input.percentOff", raw as i64, 1, 100)
}

fn limit(field: &str, raw: i32) -> Result<i64, AppError> {
    validate::within(field, raw as i64, 1, MAX_LIMIT)
}

fn minimum(input: &MoneyInput) -> Result<Money, AppError> {
    input.parse("input.minimumSubtotal")
}

fn amount(input: &MoneyInput) -> Result<Money, AppError> {
    validate::positive_money("input.amountOff", input)
}

/// Applies a `MaybeUndefined` patch: absent keeps, null clears, a value is parsed.
pub fn patch<T, U>(
    current: Option<U>,
    change: &MaybeUndefined<T>,
    parse: impl FnOnce(&T) -> Result<U, AppError>,
) -> Result<Option<U>, AppError> {
    match change {
        MaybeUndefined::Undefined => Ok(current),
        MaybeUndefined::Null => Ok(None),
        MaybeUndefined::Value(v) => parse(v).map(Some),
    }
}

impl CouponSpec {
    pub fn create(input: &CreateCouponInput) -> Result<CouponSpec, AppError> {
        let (starts_at, ends_at) = validate::window(input.starts_at, input.ends_at)?;
        CouponSpec {
            code: validate::code("input.code", &input.code)?,
            description: validate::optional_text(
                "input.description",
                &input.description,
                validate::MAX_TEXT,
            )?,
            kind: input.kind,
            percent_off: input.percent_off.map(percent).transpose()?,
            amount_off: input.amount_off.as_ref().map(amount).transpose()?,
            minimum: input.minimum_subtotal.as_ref().map(minimum).transpose()?,
            starts_at,
            ends_at,
            scope: match &input.scope {
                Some(s) => s.parse("input.scope")?,
                None => Scope::all(),
            },
            usage_limit: input
                .usage_limit
                .map(|n| limit("input.usageLimit", n))
                .transpose()?,
            per_customer_limit: input
                .per_customer_limit
                .map(|n| limit("input.perCustomerLimit", n))
                .transpose()?,
            active: input.active,
        }
        .checked()
    }

    pub fn update(current: &Coupon, input: &UpdateCouponInput) -> Result<CouponSpec, AppError> {
        let kind = input.kind.unwrap_or(current.kind);
        // A new kind drops the old kind's amount unless the update gives one.
        let (percent_now, amount_now) = if kind == current.kind {
            (current.percent_off, current.amount_off)
        } else {
            (None, None)
        };
        let starts = patch(current.starts_at, &input.starts_at, |t| {
            Ok(t.timestamp_millis())
        })?;
        let ends = patch(
            current.ends_at,
            &input.ends_at,
            |t| Ok(t.timestamp_millis()),
        )?;
        let (starts_at, ends_at) = validate::window(
            starts.map(kit::ids::from_millis),
            ends.map(kit::ids::from_millis),
        )?;
        CouponSpec {
            code: match &input.code {
                Some(c) => validate::code("input.code", c)?,
                None => current.code.clone(),
            },
            description: match &input.description {
                Some(d) => validate::optional_text("input.description", d, validate::MAX_TEXT)?,
                None => current.description.clone(),
            },
            kind,
            percent_off: patch(percent_now, &input.percent_off, |p| percent(*p))?,
            amount_off: patch(amount_now, &input.amount_off, amount)?,
            minimum: patch(current.minimum, &input.minimum_subtotal, minimum)?,
            starts_at,
            ends_at,
            scope: match &input.scope {
                Some(s) => s.parse("input.scope")?,
                None => current.scope.clone(),
            },
            usage_limit: patch(current.usage_limit, &input.usage_limit, |n| {
                limit("input.usageLimit", *n)
            })?,
            per_customer_limit: patch(
                current.per_customer_limit,
                &input.per_customer_limit,
                |n| limit("input.perCustomerLimit", *n),
            )?,
            active: input.active.unwrap_or(current.active),
        }
        .checked()
    }

    /// Cross-field rules: each kind has exactly its own amount.
    fn checked(self) -> Result<CouponSpec, AppError> {
        let only = |field: &str, kind: &str| {
            Err(AppError::bad_input(
                field,
                format!("applies only to {kind} coupons"),
            ))
        };
        match self.kind {
            CouponKind::Percentage => {
                if self.percent_off.is_none() {
                    return Err(AppError::bad_input(
                        "input.percentOff",
                        "is required for PERCENTAGE coupons",
                    ));
                }
                if self.amount_off.is_some() {
                    return only("input.amountOff", "FIXED_AMOUNT");
                }
            }
            CouponKind::FixedAmount => {
                let Some(amount) = self.amount_off else {
                    return Err(AppError::bad_input(
                        "input.amountOff",
                        "is required for FIXED_AMOUNT coupons",
                    ));
                };
                if self.percent_off.is_some() {
                    return only("input.percentOff", "PERCENTAGE");
                }
                if self.minimum.is_some_and(|m| m.currency != amount.currency) {
                    return Err(AppError::bad_input(
                        "input.minimumSubtotal.currencyCode",
                        "must be the currency of amountOff",
                    ));
                }
            }
            CouponKind::FreeShipping => {
                if self.percent_off.is_some() {
                    return only("input.percentOff", "PERCENTAGE");
                }
                if self.amount_off.is_some() {
                    return only("input.amountOff", "FIXED_AMOUNT");
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: &str) -> MoneyInput {
        MoneyInput {
            amount: amount.into(),
            currency_code: "USD".into(),
        }
    }

    fn input(kind: CouponKind) -> CreateCouponInput {
        CreateCouponInput {
            code: "save10".into(),
            description: String::new(),
            kind,
            percent_off: None,
            amount_off: None,
            minimum_subtotal: None,
            starts_at: None,
            ends_at: None,
            scope: None,
            usage_limit: None,
            per_customer_limit: None,
            active: true,
        }
    }

    fn field(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn each_kind_needs_its_own_amount() {
        let err = CouponSpec::create(&input(CouponKind::Percentage)).unwrap_err();
        assert_eq!(field(err), "input.percentOff");
        let spec = CouponSpec::create(&CreateCouponInput {
            percent_off: Some(10),
            ..input(CouponKind::Percentage)
        })
        .unwrap();
        assert_eq!(spec.code, "SAVE10");
        for bad in [0, 101] {
            let err = CouponSpec::create(&CreateCouponInput {
                percent_off: Some(bad),
                ..input(CouponKind::Percentage)
            })
            .unwrap_err();
            assert_eq!(field(err), "input.percentOff");
        }
        let err = CouponSpec::create(&input(CouponKind::FixedAmount)).unwrap_err();
        assert_eq!(field(err), "input.amountOff");
        let err = CouponSpec::create(&CreateCouponInput {
            amount_off: Some(usd("0")),
            ..input(CouponKind::FixedAmount)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.amountOff.amount");
        let err = CouponSpec::create(&CreateCouponInput {
            amount_off: Some(usd("5")),
            ..input(CouponKind::FreeShipping)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.amountOff");
        let err = CouponSpec::create(&CreateCouponInput {
            amount_off: Some(usd("5")),
            minimum_subtotal: Some(MoneyInput {
                amount: "20".into(),
                currency_code: "EUR".into(),
            }),
            ..input(CouponKind::FixedAmount)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.minimumSubtotal.currencyCode");
    }

    #[test]
    fn limits_must_be_positive() {
        let err = CouponSpec::create(&CreateCouponInput {
            usage_limit: Some(0),
            ..input(CouponKind::FreeShipping)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.usageLimit");
        let err = CouponSpec::create(&CreateCouponInput {
            per_customer_limit: Some(-1),
            ..input(CouponKind::FreeShipping)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.perCustomerLimit");
    }
}
