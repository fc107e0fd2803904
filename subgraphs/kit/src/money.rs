//! Money as the platform stores and shows it: integer minor units plus an ISO 4217 currency,
//! never floating point. In GraphQL it is `Money { amount currencyCode }` with the amount as a
//! decimal string ("19.99", "1500" for yen, "1.250" for dinars); `MoneyInput` is parsed with the
//! currency's exponent and rejects floats in exponent form, extra decimals and negatives with
//! `BAD_USER_INPUT` naming the field.

use async_graphql::{InputObject, SimpleObject};

use crate::error::AppError;

/// ISO 4217 codes this platform accepts, with their minor-unit exponent.
const CURRENCIES: &[(&str, u8)] = &[
    // Three decimals.
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    // No decimals.
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    // Two decimals.
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("KES", 2),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("ZAR", 2),
];

/// Largest amount accepted in minor units (keeps sums of many lines far from `i64` overflow).
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// An ISO 4217 currency the platform knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// The currency for `code` (upper-case ISO 4217), if supported.
    pub fn from_code(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|&(code, exponent)| Currency { code, exponent })
    }

    /// Parses a client-supplied code, naming `field` when it is not a supported ISO 4217 code.
    pub fn parse(field: &str, raw: &str) -> Result<Currency, AppError> {
        Currency::from_code(raw.trim())
            .ok_or_else(|| AppError::bad_input(field, "is not a supported ISO 4217 currency code"))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point (JPY 0, USD 2, KWD 3).
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// Minor units per major unit.
    pub fn scale(self) -> i64 {
        10i64.pow(self.exponent as u32)
    }
}

/// An amount of money: integer minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Rebuilds stored money; an unknown stored code is a bug, reported as internal.
    pub fn from_stored(minor: i64, code: &str) -> Result<Money, AppError> {
        Currency::from_code(code)
            .map(|currency| Money { minor, currency })
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown stored currency {code}")))
    }

    /// Parses a non-negative decimal amount such as "19.99" in `currency`. `field` names the
    /// amount in error messages.
    pub fn parse(field: &str, amount: &str, currency: Currency) -> Result<Money, AppError> {
        let raw = amount.trim();
        let bad = |msg: String| Err(AppError::bad_input(field, msg));
        if raw.is_empty() {
            return bad("must not be empty".into());
        }
        if raw.starts_with('-') {
            return bad("must not be negative".into());
        }
        let (whole, fraction) = match raw.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (raw, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
            return bad(format!(
                "must be a decimal amount such as \"{}\"",
                example(currency)
            ));
        }
        let fraction = fraction.unwrap_or("");
        let exponent = currency.exponent as usize;
        if fraction.len() > exponent {
            return bad(match exponent {
                0 => format!("{} has no minor units; use a whole amount", currency.code),
                n => format!("{} allows at most {n} decimal places", currency.code),
            });
        }
        let too_large = || AppError::bad_input(field, "is too large");
        let whole: i64 = whole
            .trim_start_matches('0')
            .parse::<i64>()
            .or_else(|e| {
                if whole.bytes().all(|b| b == b'0') {
                    Ok(0)
                } else {
                    Err(e)
                }
            })
            .map_err(|_| too_large())?;
        let padded = format!("{fraction:0<exponent$}");
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| too_large())?
        };
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|w| w.checked_add(fraction))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(too_large)?;
        Ok(Money { minor, currency })
    }

    /// The amount as a decimal string with exactly the currency's decimals ("19.90", "1500").
    pub fn amount_string(&self) -> String {
        let exponent = self.currency.exponent as usize;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let scale = self.currency.scale() as u64;
        format!(
            "{sign}{}.{:0exponent$}",
            abs / scale,
            abs % scale,
            exponent = exponent
        )
    }
}

fn example(currency: Currency) -> &'static str {
    match currency.exponent {
        0 => "1500",
        3 => "19.995",
        _ => "19.99",
    }
}

/// `Money` in the API. Shareable: every subgraph that shows prices defines the same type.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
#[graphql(name = "Money", shareable)]
pub struct MoneyObject {
    /// Decimal amount with the currency's number of decimals, e.g. "19.99".
    pub amount: String,
    /// ISO 4217 code, e.g. "USD".
    pub currency_code: String,
}

impl From<Money> for MoneyObject {
    fn from(m: Money) -> Self {
        MoneyObject {
            amount: m.amount_string(),
            currency_code: m.currency.code.to_string(),
        }
    }
}

/// A money amount from a client.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "MoneyInput")]
pub struct MoneyInput {
    /// Decimal amount as a string, e.g. "19.99" (no exponent form, no negatives).
    pub amount: String,
    /// ISO 4217 code, e.g. "USD".
    pub currency_code: String,
}

impl MoneyInput {
    /// Validates this input; `field` is its path (`input.price`), errors name the sub-field.
    pub fn parse(&self, field: &str) -> Result<Money, AppError> {
        let currency = Currency::parse(&format!("{field}.currencyCode"), &self.currency_code)?;
        Money::parse(&format!("{field}.amount"), &self.amount, currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    fn field_of(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn parses_with_the_currency_exponent() {
        assert_eq!(Money::parse("p", "19.99", cur("USD")).unwrap().minor, 1999);
        assert_eq!(Money::parse("p", "19.9", cur("USD")).unwrap().minor, 1990);
        assert_eq!(Money::parse("p", "19", cur("EUR")).unwrap().minor, 1900);
        assert_eq!(Money::parse("p", "0.05", cur("GBP")).unwrap().minor, 5);
        assert_eq!(Money::parse("p", "1500", cur("JPY")).unwrap().minor, 1500);
        assert_eq!(Money::parse("p", "1.250", cur("KWD")).unwrap().minor, 1250);
        assert_eq!(Money::parse("p", "0", cur("USD")).unwrap().minor, 0);
        assert_eq!(Money::parse("p", "000.10", cur("USD")).unwrap().minor, 10);
    }

    #[test]
    fn rejects_floats_extra_decimals_and_negatives() {
        for bad in [
            "1e3", "19.999", "-1.00", "", "1.", ".5", "1,00", "abc", "NaN", "1.0.0",
        ] {
            let err = Money::parse("input.price.amount", bad, cur("USD")).unwrap_err();
            assert_eq!(
                field_of(err),
                "input.price.amount",
                "{bad:?} must be rejected"
            );
        }
        assert!(Money::parse("p", "100.5", cur("JPY")).is_err());
        assert!(Money::parse("p", "1.2345", cur("KWD")).is_err());
        assert!(Money::parse("p", "99999999999999999999", cur("USD")).is_err());
    }

    #[test]
    fn formats_with_exactly_the_currency_decimals() {
        assert_eq!(Money::new(1999, cur("USD")).amount_string(), "19.99");
        assert_eq!(Money::new(1990, cur("USD")).amount_string(), "19.90");
        assert_eq!(Money::new(5, cur("USD")).amount_string(), "0.05");
        assert_eq!(Money::new(1500, cur("JPY")).amount_string(), "1500");
        assert_eq!(Money::new(1250, cur("KWD")).amount_string(), "1.250");
        assert_eq!(Money::new(-250, cur("EUR")).amount_string(), "-2.50");
    }

    #[test]
    fn input_names_the_offending_sub_field() {
        let input = MoneyInput {
            amount: "1.00".into(),
            currency_code: "XYZ".into(),
        };
        assert_eq!(
            field_of(input.parse("input.price").unwrap_err()),
            "input.price.currencyCode"
        );
        let input = MoneyInput {
            amount: "1.001".into(),
            currency_code: "USD".into(),
        };
        assert_eq!(
            field_of(input.parse("input.price").unwrap_err()),
            "input.price.amount"
        );
        let ok = MoneyInput {
            amount: "12.34".into(),
            currency_code: "EUR".into(),
        }
        .parse("input.price")
        .unwrap();
        assert_eq!(
            MoneyObject::from(ok),
            MoneyObject {
                amount: "12.34".into(),
                currency_code: "EUR".into()
            }
        );
    }
}
