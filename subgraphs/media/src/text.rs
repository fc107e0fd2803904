//! Parsing the free text staff send (alt text, file names): trimmed, bounded in length and free
//! of control characters, refused with `BAD_USER_INPUT` naming the field otherwise.

use kit::AppError;

/// Longest alt text, in characters (screen readers read it aloud: keep it a sentence or two).
pub const MAX_ALT_CHARS: usize = 300;
/// Longest file name, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;

/// Alt text: may be empty (a decorative image), at most [`MAX_ALT_CHARS`], one line.
pub fn parse_alt(field: &str, raw: &str) -> Result<String, AppError> {
    let alt = raw.trim();
    if alt.chars().count() > MAX_ALT_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {MAX_ALT_CHARS} characters"),
        ));
    }
    if alt.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters or line breaks",
        ));
    }
    Ok(alt.to_string())
}

/// The client's file name, kept for reference only (never used for type or storage).
pub fn parse_filename(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_FILENAME_CHARS {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {MAX_FILENAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_text_is_trimmed_bounded_and_single_line() {
        assert_eq!(parse_alt("alt", "  A red dress  ").unwrap(), "A red dress");
        assert_eq!(parse_alt("alt", "").unwrap(), "");
        assert_eq!(
            parse_alt("alt", &"é".repeat(300)).unwrap().chars().count(),
            300
        );
        assert!(parse_alt("alt", &"a".repeat(301)).is_err());
        assert!(parse_alt("alt", "two\nlines").is_err());
        assert!(parse_alt("alt", "bell\u{7}").is_err());
    }

    #[test]
    fn file_names_are_required_and_printable() {
        assert_eq!(parse_filename("f", " photo.jpg ").unwrap(), "photo.jpg");
        assert!(parse_filename("f", "  ").is_err());
        assert!(parse_filename("f", "a\u{0}.png").is_err());
    }
}
