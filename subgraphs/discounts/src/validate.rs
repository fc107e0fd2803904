//! Parsing of staff input shared by coupons and promotions: each function names the offending
//! field in its `BAD_USER_INPUT`.

use chrono::{DateTime, Utc};
use kit::money::{Money, MoneyInput};
use kit::AppError;

pub const MIN_CODE: usize = 3;
pub const MAX_CODE: usize = 32;
pub const MAX_TEXT: usize = 500;
pub const MAX_TITLE: usize = 120;

/// A coupon code normalised: trimmed and upper-case; 3–32 of `A-Z 0-9 - _`.
pub fn code(field: &str, raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_ascii_uppercase();
    let len = code.chars().count();
    if !(MIN_CODE..=MAX_CODE).contains(&len) {
        return Err(AppError::bad_input(
            field,
            format!("must be {MIN_CODE} to {MAX_CODE} characters"),
        ));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(AppError::bad_input(
            field,
            "may contain only letters, digits, '-' and '_'",
        ));
    }
    Ok(code)
}

/// Required text, trimmed: 1 to `max` characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 || len > max {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(text.to_string())
}

/// Optional text, trimmed: at most `max` characters.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(text.to_string())
}

/// An integer within `min..=max`.
pub fn within(field: &str, value: i64, min: i64, max: i64) -> Result<i64, AppError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            format!("must be between {min} and {max}"),
        ))
    }
}

/// A positive amount of money.
pub fn positive_money(field: &str, input: &MoneyInput) -> Result<Money, AppError> {
    let money = input.parse(field)?;
    if money.minor <= 0 {
        return Err(AppError::bad_input(
            format!("{field}.amount"),
            "must be greater than zero",
        ));
    }
    Ok(money)
}

/// A start/end window in unix milliseconds; the end must come after the start.
pub fn window(
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> Result<(Option<i64>, Option<i64>), AppError> {
    let starts = starts_at.map(|t| t.timestamp_millis());
    let ends = ends_at.map(|t| t.timestamp_millis());
    if let (Some(s), Some(e)) = (starts, ends) {
        if e <= s {
            return Err(AppError::bad_input(
                "input.endsAt",
                "must be after startsAt",
            ));
        }
    }
    Ok((starts, ends))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_checked() {
        assert_eq!(code("c", "  welcome10 ").unwrap(), "WELCOME10");
        assert_eq!(code("c", "spring_sale-2").unwrap(), "SPRING_SALE-2");
        assert!(code("c", "ab").is_err());
        assert!(code("c", &"A".repeat(33)).is_err());
        let err = code("input.code", "no spaces").unwrap_err();
        assert_eq!(
            err.message(),
            "input.code: may contain only letters, digits, '-' and '_'"
        );
        assert!(code("c", "ÄÖÜ").is_err());
    }

    #[test]
    fn windows_need_the_end_after_the_start() {
        let t = |s: i64| DateTime::<Utc>::from_timestamp(s, 0);
        assert_eq!(window(t(1), t(2)).unwrap(), (Some(1000), Some(2000)));
        assert_eq!(window(None, t(2)).unwrap(), (None, Some(2000)));
        assert!(window(t(2), t(2)).is_err());
    }
}
