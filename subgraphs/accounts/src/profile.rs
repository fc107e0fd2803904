//! Profile fields a user edits: the display name, checked once at the edge.

use kit::AppError;

pub const NAME_MAX: usize = 100;

pub fn parse_name(field: &str, raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::bad_input(field, "is required"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AppError::bad_input(
            field,
            format!("must be at most {NAME_MAX} characters"),
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
