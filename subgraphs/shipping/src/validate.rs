//! Checks shared by the staff inputs: names and short labels, list sizes.

use kit::AppError;

/// Longest zone or method name.
pub const MAX_NAME: usize = 100;

/// A required, trimmed text of 1 to `max` characters without control characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_string())
}

/// At most `max` entries.
pub fn at_most<T>(field: &str, items: &[T], max: usize) -> Result<(), AppError> {
    if items.len() > max {
        return Err(AppError::bad_input(
            field,
            format!("must have at most {max} entries"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("n", "  Express ", 10).unwrap(), "Express");
        assert!(text("n", "   ", 10).is_err());
        assert!(text("n", "abcdefghijk", 10).is_err());
        assert!(text("n", "a\u{0}b", 10).is_err());
        assert!(at_most("l", &[1, 2, 3], 2).is_err());
    }
}
