//! A card as the shopper types it, parsed once: digits only, Luhn-valid, a real expiry that
//! has not passed, a CVC of the brand's length. The number and CVC live only in this value for
//! the length of one request; `Debug` redacts them and only [`Card::summary`] (brand, last four,
//! expiry) is ever stored or shown.

use async_graphql::{InputObject, SimpleObject};
use chrono::{Datelike, Utc};
use kit::AppError;

#[derive(Clone, InputObject)]
pub struct CardInput {
    /// The card number (spaces and dashes allowed).
    pub number: String,
    /// 1–12.
    pub exp_month: i32,
    /// Four digits, e.g. 2030.
    pub exp_year: i32,
    pub cvc: String,
}

// Hand-written so that a stray `{:?}` can never print a card number or CVC.
impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardInput { .. }")
    }
}

/// What may be kept about a card.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct CardSummary {
    /// visa, mastercard, amex, discover, jcb, diners, unionpay or unknown.
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
}

/// A validated card.
#[derive(Clone)]
pub struct Card {
    number: String,
    cvc: String,
    pub exp_month: i32,
    pub exp_year: i32,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Card {{ {} ending {} }}",
            brand(&self.number),
            last4(&self.number)
        )
    }
}

impl Card {
    /// Parses `input`; `field` is its path (`input.card`), errors name the sub-field.
    pub fn parse(field: &str, input: &CardInput) -> Result<Card, AppError> {
        Self::parse_at(field, input, Utc::now().year(), Utc::now().month() as i32)
    }

    fn parse_at(field: &str, input: &CardInput, year: i32, month: i32) -> Result<Card, AppError> {
        let number_field = format!("{field}.number");
        let number: String = input
            .number
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::bad_input(
                number_field,
                "must contain only digits",
            ));
        }
        if !(12..=19).contains(&number.len()) {
            return Err(AppError::bad_input(number_field, "must be 12 to 19 digits"));
        }
        if !luhn(&number) {
            return Err(AppError::bad_input_because(
                number_field,
                "INVALID_NUMBER",
                "is not a valid card number",
            ));
        }
        if !(1..=12).contains(&input.exp_month) {
            return Err(AppError::bad_input(
                format!("{field}.expMonth"),
                "must be between 1 and 12",
            ));
        }
        if !(1000..=9999).contains(&input.exp_year) || input.exp_year > year + 25 {
            return Err(AppError::bad_input(
                format!("{field}.expYear"),
                "must be a four-digit year",
            ));
        }
        if input.exp_year < year {
            return Err(AppError::bad_input_because(
                format!("{field}.expYear"),
                "CARD_EXPIRED",
                "the card has expired",
            ));
        }
        if input.exp_year == year && input.exp_month < month {
            return Err(AppError::bad_input_because(
                format!("{field}.expMonth"),
                "CARD_EXPIRED",
                "the card has expired",
            ));
        }
        let cvc = input.cvc.trim();
        let cvc_len = if brand(&number) == "amex" { 4 } else { 3 };
        if cvc.len() != cvc_len || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::bad_input(
                format!("{field}.cvc"),
                format!("must be {cvc_len} digits"),
            ));
        }
        Ok(Card {
            number,
            cvc: cvc.to_string(),
            exp_month: input.exp_month,
            exp_year: input.exp_year,
        })
    }

    /// The full number, for handing to a provider (never store or log it).
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The CVC, for handing to a provider (never store or log it).
    pub fn cvc(&self) -> &str {
        &self.cvc
    }

    pub fn summary(&self) -> CardSummary {
        CardSummary {
            brand: brand(&self.number).to_string(),
            last4: last4(&self.number).to_string(),
            exp_month: self.exp_month,
            exp_year: self.exp_year,
        }
    }
}

fn last4(number: &str) -> &str {
    &number[number.len().saturating_sub(4)..]
}

/// The Luhn checksum every card number carries.
pub fn luhn(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 {
                    d - 9
                } else {
                    d
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card network, from the number's leading digits (IIN ranges).
pub fn brand(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4), prefix(6)) {
        (_, Some(34 | 37), _, _) => "amex",
        (Some(4), _, _, _) => "visa",
        (_, Some(51..=55), _, _) | (_, _, Some(2221..=2720), _) => "mastercard",
        (_, _, Some(6011), _) | (_, Some(65), _, _) | (_, _, _, Some(644000..=649999)) => {
            "discover"
        }
        (_, _, Some(3528..=3589), _) => "jcb",
        (_, Some(36 | 38 | 39), _, _) | (_, _, Some(3000..=3059), _) => "diners",
        (_, Some(62), _, _) => "unionpay",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(number: &str, m: i32, y: i32, cvc: &str) -> CardInput {
        CardInput {
            number: number.into(),
            exp_month: m,
            exp_year: y,
            cvc: cvc.into(),
        }
    }

    fn field_of(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn luhn_accepts_test_cards_and_rejects_typos() {
        assert!(luhn("4242424242424242"));
        assert!(luhn("4000000000000002"));
        assert!(luhn("4000000000009995"));
        assert!(luhn("4000002500003155"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4242424242424241"));
    }

    #[test]
    fn brands_from_prefixes() {
        assert_eq!(brand("4242424242424242"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2223003122003222"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "discover");
        assert_eq!(brand("3566002020360505"), "jcb");
        assert_eq!(brand("9999999999999995"), "unknown");
    }

    #[test]
    fn each_bad_part_names_its_field() {
        let at = |i: CardInput| Card::parse_at("input.card", &i, 2026, 6);
        assert_eq!(
            field_of(at(input("4242 4242 4242 4241", 1, 2030, "123")).unwrap_err()),
            "input.card.number"
        );
        assert_eq!(
            field_of(at(input("42424242x", 1, 2030, "123")).unwrap_err()),
            "input.card.number"
        );
        assert_eq!(
            field_of(at(input("4242424242424242", 13, 2030, "123")).unwrap_err()),
            "input.card.expMonth"
        );
        assert_eq!(
            field_of(at(input("4242424242424242", 5, 2026, "123")).unwrap_err()),
            "input.card.expMonth"
        );
        assert_eq!(
            field_of(at(input("4242424242424242", 12, 2025, "123")).unwrap_err()),
            "input.card.expYear"
        );
        assert_eq!(
            field_of(at(input("4242424242424242", 12, 30, "123")).unwrap_err()),
            "input.card.expYear"
        );
        assert_eq!(
            field_of(at(input("378282246310005", 12, 2030, "123")).unwrap_err()),
            "input.card.cvc"
        );
        let ok = at(input("4242-4242-4242-4242", 6, 2026, "123")).unwrap();
        assert_eq!(ok.summary().last4, "4242");
        assert!(!format!("{ok:?}").contains("4242424242424242"));
        assert!(!format!("{:?}", input("4242424242424242", 1, 1, "999")).contains("4242"));
    }
}
