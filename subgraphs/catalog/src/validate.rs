//! Input checks shared by the staff mutations: trimmed, bounded text and URL slugs. Each
//! failure is `BAD_USER_INPUT` naming the field.

use kit::AppError;

/// Trimmed text of 1..=`max` characters.
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
    Ok(value.to_string())
}

/// Trimmed text of at most `max` characters; may be empty.
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_string())
}

/// A URL slug: lower-case letters, digits and single hyphens, 1..=100 characters.
pub fn slug(field: &str, raw: &str) -> Result<String, AppError> {
    let value = raw.trim();
    let ok = !value.is_empty()
        && value.len() <= 100
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if ok {
        Ok(value.to_string())
    } else {
        Err(AppError::bad_input(
            field,
            "must be 1-100 lower-case letters, digits and single hyphens, like \"blue-shirt\"",
        ))
    }
}

/// A slug derived from a title ("Blue Shirt, XL!" → "blue-shirt-xl").
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    out.truncate(100);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "item".into()
    } else {
        out
    }
}

/// A non-negative whole number from the API (grams, millimetres).
pub fn non_negative(field: &str, value: i64) -> Result<i64, AppError> {
    if value < 0 {
        Err(AppError::bad_input(field, "must not be negative"))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Blue Shirt, XL!"), "blue-shirt-xl");
        assert_eq!(slugify("  ***  "), "item");
        assert!(slug("s", "blue-shirt").is_ok());
        for bad in ["Blue", "a--b", "-a", "a-", "", "a b", "é"] {
            assert!(slug("s", bad).is_err(), "{bad:?}");
        }
    }
}
