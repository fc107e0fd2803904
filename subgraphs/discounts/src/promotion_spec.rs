//! Staff input for promotions: the create and update inputs and the validated
//! [`PromotionSpec`] both become (an update is the stored promotion with the given fields
//! replaced, validated as a whole).

use async_graphql::{InputObject, MaybeUndefined};
use chrono::{DateTime, Utc};
use kit::money::{Money, MoneyInput};
use kit::AppError;

use crate::coupon_spec::patch;
use crate::promotion::{Promotion, PromotionKind};
use crate::scope::{Scope, ScopeInput};
use crate::validate;

const MAX_PRIORITY: i64 = 1_000_000;
const MAX_BATCH: i64 = 1_000;

#[derive(Debug, Clone, InputObject)]
pub struct CreatePromotionInput {
    pub title: String,
    pub kind: PromotionKind,
    /// Required for `PERCENT_OFF`: 1–100.
    pub percent_off: Option<i32>,
    /// Required for `ORDER_AMOUNT_OFF`.
    pub amount_off: Option<MoneyInput>,
    pub minimum_subtotal: Option<MoneyInput>,
    /// Required for `BUY_X_GET_Y`: 1–1000.
    pub buy_quantity: Option<i32>,
    /// Required for `BUY_X_GET_Y`: 1–1000.
    pub get_quantity: Option<i32>,
    /// Lower applies first; 0–1000000.
    #[graphql(default = 100)]
    pub priority: i32,
    #[graphql(default = true)]
    pub combinable: bool,
    /// The whole cart when omitted.
    pub scope: Option<ScopeInput>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[graphql(default = true)]
    pub active: bool,
}

/// Fields to change; omitted fields stay, `null` clears an optional one.
#[derive(Debug, Clone, InputObject)]
pub struct UpdatePromotionInput {
    pub title: Option<String>,
    pub kind: Option<PromotionKind>,
    pub percent_off: MaybeUndefined<i32>,
    pub amount_off: MaybeUndefined<MoneyInput>,
    pub minimum_subtotal: MaybeUndefined<MoneyInput>,
    pub buy_quantity: MaybeUndefined<i32>,
    pub get_quantity: MaybeUndefined<i32>,
    pub priority: Option<i32>,
    pub combinable: Option<bool>,
    pub scope: Option<ScopeInput>,
    pub starts_at: MaybeUndefined<DateTime<Utc>>,
    pub ends_at: MaybeUndefined<DateTime<Utc>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionSpec {
    pub title: String,
    pub kind: PromotionKind,
    pub percent_off: Option<i64>,
    pub amount_off: Option<Money>,
    pub minimum: Option<Money>,
    pub buy_quantity: Option<i64>,
    pub get_quantity: Option<i64>,
    pub priority: i64,
    pub combinable: bool,
    pub scope: Scope,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub active: bool,
}

fn percent(raw: &i32) -> Result<i64, AppError> {
    validate::within("input.percentOff", *raw as i64, 1, 100)
}
fn amount(input: &MoneyInput) -> Result<Money, AppError> {
    validate::positive_money("input.amountOff", input)
}
fn minimum(input: &MoneyInput) -> Result<Money, AppError> {
    input.parse("input.minimumSubtotal")
}
fn buy(raw: &i32) -> Result<i64, AppError> {
    validate::within("input.buyQuantity", *raw as i64, 1, MAX_BATCH)
}
fn get(raw: &i32) -> Result<i64, AppError> {
    validate::within("input.getQuantity", *raw as i64, 1, MAX_BATCH)
}
fn priority(raw: i32) -> Result<i64, AppError> {
    validate::within("input.priority", raw as i64, 0, MAX_PRIORITY)
}

impl PromotionSpec {
    pub fn create(input: &CreatePromotionInput) -> Result<PromotionSpec, AppError> {
        let (starts_at, ends_at) = validate::window(input.starts_at, input.ends_at)?;
        PromotionSpec {
            title: validate::text("input.title", &input.title, validate::MAX_TITLE)?,
            kind: input.kind,
            percent_off: input.percent_off.as_ref().map(percent).transpose()?,
            amount_off: input.amount_off.as_ref().map(amount).transpose()?,
            minimum: input.minimum_subtotal.as_ref().map(minimum).transpose()?,
            buy_quantity: input.buy_quantity.as_ref().map(buy).transpose()?,
            get_quantity: input.get_quantity.as_ref().map(get).transpose()?,
            priority: priority(input.priority)?,
            combinable: input.combinable,
            scope: match &input.scope {
                Some(s) => s.parse("input.scope")?,
                None => Scope::all(),
            },
            starts_at,
            ends_at,
            active: input.active,
        }
        .checked()
    }

    pub fn update(
        current: &Promotion,
        input: &UpdatePromotionInput,
    ) -> Result<PromotionSpec, AppError> {
        let kind = input.kind.unwrap_or(current.kind);
        let same = kind == current.kind;
        // A new kind drops the old kind's numbers unless the update gives them.
        let keep = |v: Option<i64>| if same { v } else { None };
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
        PromotionSpec {
            title: match &input.title {
                Some(t) => validate::text("input.title", t, validate::MAX_TITLE)?,
                None => current.title.clone(),
            },
            kind,
            percent_off: patch(keep(current.percent_off), &input.percent_off, percent)?,
            amount_off: patch(
                if same { current.amount_off } else { None },
                &input.amount_off,
                amount,
            )?,
            minimum: patch(current.minimum, &input.minimum_subtotal, minimum)?,
            buy_quantity: patch(keep(current.buy_quantity), &input.buy_quantity, buy)?,
            get_quantity: patch(keep(current.get_quantity), &input.get_quantity, get)?,
            priority: match input.priority {
                Some(p) => priority(p)?,
                None => current.priority,
            },
            combinable: input.combinable.unwrap_or(current.combinable),
            scope: match &input.scope {
                Some(s) => s.parse("input.scope")?,
                None => current.scope.clone(),
            },
            starts_at,
            ends_at,
            active: input.active.unwrap_or(current.active),
        }
        .checked()
    }

    /// Cross-field rules: each kind has exactly its own numbers.
    fn checked(self) -> Result<PromotionSpec, AppError> {
        let required = |field: &str, present: bool| {
            if present {
                Ok(())
            } else {
                Err(AppError::bad_input(
                    field,
                    format!("is required for {} promotions", self.kind.as_str()),
                ))
            }
        };
        let absent = |field: &str, present: bool| {
            if present {
                Err(AppError::bad_input(
                    field,
                    format!("does not apply to {} promotions", self.kind.as_str()),
                ))
            } else {
                Ok(())
            }
        };
        let (p, a, b, g) = (
            self.percent_off.is_some(),
            self.amount_off.is_some(),
            self.buy_quantity.is_some(),
            self.get_quantity.is_some(),
        );
        match self.kind {
            PromotionKind::PercentOff => {
                required("input.percentOff", p)?;
                absent("input.amountOff", a)?;
                absent("input.buyQuantity", b)?;
                absent("input.getQuantity", g)?;
            }
            PromotionKind::OrderAmountOff => {
                required("input.amountOff", a)?;
                absent("input.percentOff", p)?;
                absent("input.buyQuantity", b)?;
                absent("input.getQuantity", g)?;
                if let (Some(amount), Some(min)) = (self.amount_off, self.minimum) {
                    if amount.currency != min.currency {
                        return Err(AppError::bad_input(
                            "input.minimumSubtotal.currencyCode",
                            "must be the currency of amountOff",
                        ));
                    }
                }
            }
            PromotionKind::BuyXGetY => {
                required("input.buyQuantity", b)?;
                required("input.getQuantity", g)?;
                absent("input.percentOff", p)?;
                absent("input.amountOff", a)?;
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: PromotionKind) -> CreatePromotionInput {
        CreatePromotionInput {
            title: "Sale".into(),
            kind,
            percent_off: None,
            amount_off: None,
            minimum_subtotal: None,
            buy_quantity: None,
            get_quantity: None,
            priority: 100,
            combinable: true,
            scope: None,
            starts_at: None,
            ends_at: None,
            active: true,
        }
    }

    fn field(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn kinds_need_their_numbers() {
        let err = PromotionSpec::create(&input(PromotionKind::BuyXGetY)).unwrap_err();
        assert_eq!(field(err), "input.buyQuantity");
        let ok = PromotionSpec::create(&CreatePromotionInput {
            buy_quantity: Some(2),
            get_quantity: Some(1),
            ..input(PromotionKind::BuyXGetY)
        });
        assert!(ok.is_ok());
        let err = PromotionSpec::create(&CreatePromotionInput {
            percent_off: Some(10),
            buy_quantity: Some(2),
            ..input(PromotionKind::PercentOff)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.buyQuantity");
        let err = PromotionSpec::create(&CreatePromotionInput {
            priority: -1,
            percent_off: Some(10),
            ..input(PromotionKind::PercentOff)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.priority");
        let err = PromotionSpec::create(&CreatePromotionInput {
            title: " ".into(),
            ..input(PromotionKind::PercentOff)
        })
        .unwrap_err();
        assert_eq!(field(err), "input.title");
    }
}
