//! Small SQL-building helpers for the portable dialect (`$n` placeholders on both databases).

/// `$from, $from+1, …` for `n` bind parameters, for `IN (…)` lists.
pub fn params(from: usize, n: usize) -> String {
    let mut out = String::new();
    for i in from..from + n {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&i.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::params;

    #[test]
    fn numbers_placeholders_from_the_given_start() {
        assert_eq!(params(1, 3), "$1, $2, $3");
        assert_eq!(params(4, 1), "$4");
    }
}
