//! Whether a coupon may apply to a cart now, and if not, why: one machine-readable reason per
//! cause, sent as `BAD_USER_INPUT` on field `code` with `extensions.reason` (applyCoupon,
//! holdCouponUse) or shown as the cart's `couponNotice`.

use kit::AppError;

use crate::coupon::{Coupon, CouponKind};
use crate::engine::Basket;
use crate::scope::Facts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    UnknownCode,
    Inactive,
    NotStarted,
    Expired,
    /// Every allowed use is held or redeemed.
    Exhausted,
    /// This customer used it as often as allowed.
    CustomerLimit,
    BelowMinimum,
    /// No cart line is in the coupon's scope.
    OutOfScope,
    CurrencyMismatch,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownCode => "UNKNOWN_CODE",
            Reason::Inactive => "INACTIVE",
            Reason::NotStarted => "NOT_STARTED",
            Reason::Expired => "EXPIRED",
            Reason::Exhausted => "EXHAUSTED",
            Reason::CustomerLimit => "CUSTOMER_LIMIT",
            Reason::BelowMinimum => "BELOW_MINIMUM",
            Reason::OutOfScope => "OUT_OF_SCOPE",
            Reason::CurrencyMismatch => "CURRENCY_MISMATCH",
        }
    }

    /// A sentence a storefront can show as is.
    pub fn message(self, coupon: Option<&Coupon>) -> String {
        let code = coupon.map(|c| c.code.as_str()).unwrap_or("this code");
        match self {
            Reason::UnknownCode => "there is no coupon with this code".into(),
            Reason::Inactive => format!("coupon {code} is no longer available"),
            Reason::NotStarted => format!("coupon {code} is not valid yet"),
            Reason::Expired => format!("coupon {code} has expired"),
            Reason::Exhausted => format!("coupon {code} has been used up"),
            Reason::CustomerLimit => {
                format!("you have already used coupon {code} as often as allowed")
            }
            Reason::BelowMinimum => match coupon.and_then(|c| c.minimum) {
                Some(min) => format!(
                    "coupon {code} needs a subtotal of at least {} {}",
                    min.amount_string(),
                    min.currency.code()
                ),
                None => format!("coupon {code} needs a higher subtotal"),
            },
            Reason::OutOfScope => format!("coupon {code} does not apply to anything in the cart"),
            Reason::CurrencyMismatch => {
                format!("coupon {code} does not apply to carts in this currency")
            }
        }
    }

    /// The `BAD_USER_INPUT` error for this reason on field `code`.
    pub fn error(self, coupon: Option<&Coupon>) -> AppError {
        AppError::bad_input_because("code", self.as_str(), self.message(coupon))
    }
}

/// Checks `coupon` against `basket` at `now`. `customer_uses` is how many held or redeemed
/// uses the cart's customer has (`None` for a guest, who has no per-customer count).
pub fn check(
    coupon: &Coupon,
    basket: &Basket,
    facts: &Facts,
    now: i64,
    customer_uses: Option<i64>,
) -> Result<(), Reason> {
    if !coupon.active {
        return Err(Reason::Inactive);
    }
    if coupon.starts_at.is_some_and(|s| now < s) {
        return Err(Reason::NotStarted);
    }
    if coupon.ends_at.is_some_and(|e| now >= e) {
        return Err(Reason::Expired);
    }
    if coupon.usage_limit.is_some_and(|l| coupon.uses >= l) {
        return Err(Reason::Exhausted);
    }
    if let (Some(limit), Some(used)) = (coupon.per_customer_limit, customer_uses) {
        if used >= limit {
            return Err(Reason::CustomerLimit);
        }
    }
    let amount_currency = match coupon.kind {
        CouponKind::FixedAmount => coupon.amount_off.map(|m| m.currency),
        _ => None,
    };
    let minimum_currency = coupon.minimum.map(|m| m.currency);
    if [amount_currency, minimum_currency]
        .into_iter()
        .flatten()
        .any(|c| c != basket.currency)
    {
        return Err(Reason::CurrencyMismatch);
    }
    if coupon.minimum.is_some_and(|m| basket.subtotal < m.minor) {
        return Err(Reason::BelowMinimum);
    }
    if !basket.lines.iter().any(|l| coupon.scope.matches(l, facts)) {
        return Err(Reason::OutOfScope);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PricedLine;
    use crate::scope::{Scope, ScopeKind};
    use kit::money::{Currency, Money};

    fn usd() -> Currency {
        Currency::from_code("USD").unwrap()
    }

    fn coupon() -> Coupon {
        Coupon {
            id: "c".into(),
            code: "SAVE5".into(),
            description: String::new(),
            kind: CouponKind::FixedAmount,
            percent_off: None,
            amount_off: Some(Money::new(500, usd())),
            minimum: Some(Money::new(2_500, usd())),
            starts_at: Some(1_000),
            ends_at: Some(2_000),
            scope: Scope::all(),
            usage_limit: Some(3),
            per_customer_limit: Some(1),
            uses: 0,
            active: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn basket(currency: Currency, subtotal: i64) -> Basket {
        Basket {
            currency,
            subtotal,
            lines: vec![PricedLine {
                line_id: "l".into(),
                product_id: "p".into(),
                variant_id: "v".into(),
                quantity: 1,
                unit_price: subtotal,
            }],
        }
    }

    #[test]
    fn each_cause_has_its_reason() {
        let f = Facts::new();
        let ok = basket(usd(), 3_000);
        assert_eq!(check(&coupon(), &ok, &f, 1_500, Some(0)), Ok(()));
        assert_eq!(
            check(&coupon(), &ok, &f, 1_500, None),
            Ok(()),
            "guests have no count"
        );
        let off = Coupon {
            active: false,
            ..coupon()
        };
        assert_eq!(check(&off, &ok, &f, 1_500, None), Err(Reason::Inactive));
        assert_eq!(
            check(&coupon(), &ok, &f, 999, None),
            Err(Reason::NotStarted)
        );
        assert_eq!(check(&coupon(), &ok, &f, 2_000, None), Err(Reason::Expired));
        let used = Coupon {
            uses: 3,
            ..coupon()
        };
        assert_eq!(check(&used, &ok, &f, 1_500, None), Err(Reason::Exhausted));
        assert_eq!(
            check(&coupon(), &ok, &f, 1_500, Some(1)),
            Err(Reason::CustomerLimit)
        );
        let eur = basket(Currency::from_code("EUR").unwrap(), 3_000);
        assert_eq!(
            check(&coupon(), &eur, &f, 1_500, None),
            Err(Reason::CurrencyMismatch)
        );
        let small = basket(usd(), 2_499);
        assert_eq!(
            check(&coupon(), &small, &f, 1_500, None),
            Err(Reason::BelowMinimum)
        );
        let scoped = Coupon {
            scope: Scope {
                kind: ScopeKind::Products,
                ids: vec!["other".into()],
            },
            ..coupon()
        };
        assert_eq!(
            check(&scoped, &ok, &f, 1_500, None),
            Err(Reason::OutOfScope)
        );
    }

    #[test]
    fn the_error_carries_the_reason_on_field_code() {
        let err = Reason::BelowMinimum.error(Some(&coupon()));
        assert_eq!(
            err.message(),
            "code: coupon SAVE5 needs a subtotal of at least 25.00 USD"
        );
        match err {
            AppError::BadInput { field, reason, .. } => {
                assert_eq!(field, "code");
                assert_eq!(reason, Some("BELOW_MINIMUM"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
