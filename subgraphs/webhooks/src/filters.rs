//! Event-type filters of an endpoint: `order.paid` (exactly that type), `order.*` (every type
//! under `order.`, at any depth) and `*` (everything). Checked when stored, so matching never
//! meets a malformed filter.

use kit::AppError;

pub const MAX_FILTERS: usize = 50;
const MAX_LEN: usize = 100;

/// Validates and normalises (trimmed, lower case, sorted, without duplicates) `raw`.
pub fn parse(field: &str, raw: &[String]) -> Result<Vec<String>, AppError> {
    if raw.is_empty() {
        return Err(AppError::bad_input(
            field,
            "list at least one event type (\"*\" for every event)",
        ));
    }
    if raw.len() > MAX_FILTERS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_FILTERS} event types"),
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, f) in raw.iter().enumerate() {
        let f = f.trim().to_ascii_lowercase();
        let at = format!("{field}[{i}]");
        if f.is_empty() || f.len() > MAX_LEN {
            return Err(AppError::bad_input(
                at,
                format!("must be 1 to {MAX_LEN} characters"),
            ));
        }
        let words: Vec<&str> = f.split('.').collect();
        let well_formed = words.iter().enumerate().all(|(n, w)| {
            (*w == "*" && n == words.len() - 1)
                || (!w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        });
        if !well_formed {
            return Err(AppError::bad_input(
                at,
                format!("{f:?} is not an event type or pattern (like \"order.paid\", \"order.*\" or \"*\")"),
            ));
        }
        out.push(f);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether `event_type` matches one of `filters`.
pub fn matches(filters: &[String], event_type: &str) -> bool {
    filters.iter().any(|f| match f.strip_suffix('*') {
        Some(prefix) => event_type.starts_with(prefix) && event_type.len() > prefix.len(),
        None => f == event_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wildcards_match_prefixes_and_everything() {
        let f = parse("f", &v(&["Order.*", "user.registered", "order.*"])).unwrap();
        assert_eq!(f, v(&["order.*", "user.registered"]));
        assert!(matches(&f, "order.paid"));
        assert!(matches(&f, "order.line.added"));
        assert!(!matches(&f, "order"));
        assert!(!matches(&f, "orders.paid"));
        assert!(matches(&f, "user.registered"));
        assert!(!matches(&f, "user.updated"));
        assert!(matches(&parse("f", &v(&["*"])).unwrap(), "anything.at.all"));
    }

    #[test]
    fn malformed_filters_name_their_position() {
        for bad in ["", "order.*.paid", "order..paid", "ord er", "*x", "#"] {
            let err = parse("input.eventTypes", &v(&["user.registered", bad])).unwrap_err();
            assert_eq!(err.field(), Some("input.eventTypes[1]"), "{bad:?}");
        }
        assert!(parse("f", &[]).is_err());
    }
}
