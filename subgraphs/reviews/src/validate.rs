//! Parsing of review input: each function names the offending field in its `BAD_USER_INPUT`.

use kit::AppError;

pub const MAX_TITLE: usize = 120;
pub const MAX_BODY: usize = 5000;
pub const MAX_REASON: usize = 500;

pub fn rating(field: &str, raw: i32) -> Result<i64, AppError> {
    if (1..=5).contains(&raw) {
        Ok(raw as i64)
    } else {
        Err(AppError::bad_input(field, "must be between 1 and 5"))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_inclusive_and_name_the_field() {
        assert_eq!(rating("input.rating", 5).unwrap(), 5);
        let err = rating("input.rating", 0).unwrap_err();
        assert_eq!(err.message(), "input.rating: must be between 1 and 5");
        assert!(text("t", &"é".repeat(MAX_TITLE), MAX_TITLE).is_ok());
        assert!(text("t", &"é".repeat(MAX_TITLE + 1), MAX_TITLE).is_err());
        assert!(text("t", "   ", MAX_TITLE).is_err());
        assert_eq!(optional_text("b", "  ", MAX_BODY).unwrap(), "");
    }
}
