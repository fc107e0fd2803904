//! Free-text input checks every subgraph applies the same way: trimmed, required or optional,
//! bounded in characters, no control characters; each failure is `BAD_USER_INPUT` naming the
//! field.

use crate::error::AppError;

/// A required text of at most `max` characters, trimmed.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(AppError::bad_input(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// An optional text: absent or blank is `None`, anything else is checked like [`text`].
pub fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_bounds_and_refuses_control_characters() {
        assert_eq!(text("f", "  Ada  ", 10).unwrap(), "Ada");
        assert!(text("f", "   ", 10).is_err());
        assert!(text("f", "abcdefghijk", 10).is_err());
        assert!(text("f", "a\u{7}b", 10).is_err());
        assert_eq!(optional("f", Some("  "), 10).unwrap(), None);
        assert_eq!(optional("f", None, 10).unwrap(), None);
        assert_eq!(
            optional("f", Some(" x "), 10).unwrap().as_deref(),
            Some("x")
        );
    }
}
