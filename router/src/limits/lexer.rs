//! The pre-parse pass: one linear scan of the operation text that counts tokens and bracket
//! nesting and stops at the first limit crossed, so an oversized or absurdly nested document is
//! refused before any AST is allocated (the parser is recursive, so nesting is also a stack
//! guard).

/// What the scan found when a limit was crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexLimit {
    /// More than `max_tokens` tokens; the count stops at the first one over.
    Tokens(usize),
    /// `{`, `(` or `[` nested deeper than `max_nesting`.
    Nesting(usize),
}

/// Scans `text` with GraphQL's lexical grammar. Malformed input (an unterminated string, a
/// stray character) is left to the parser, which reports it with a location.
pub fn scan(text: &str, max_tokens: usize, max_nesting: usize) -> Result<(), LexLimit> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut tokens = 0usize;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            // Ignored tokens: whitespace, line terminators, commas, BOM bytes, comments.
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            0xEF if b[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                i += 3;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(LexLimit::Nesting(depth));
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if b[i..].starts_with(b"...") => i += 3,
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote does not close a block string.
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            c if c == b'-' || c.is_ascii_digit() => {
                i += 1;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            // `!`, `$`, `&`, `:`, `=`, `@`, `|` and anything the parser will reject.
            _ => i += 1,
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(LexLimit::Tokens(tokens));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(text: &str) -> usize {
        for n in 0..10_000 {
            if scan(text, n, usize::MAX).is_ok() {
                return n;
            }
        }
        panic!("too many tokens");
    }

    #[test]
    fn counts_tokens_like_the_grammar() {
        assert_eq!(count("{ a }"), 3);
        assert_eq!(
            count("query Q($n: Int = -1.5e3) { a(n: $n) @skip(if: true) }"),
            26
        );
        assert_eq!(count("{ ...F } # { { { comment\n"), 4);
        assert_eq!(count(r#"{ a(s: "x \" } {", t: """ a "" } """) }"#), 11);
        assert_eq!(count("{ a, b,,, c }"), 5);
    }

    #[test]
    fn stops_at_the_first_token_over_the_limit() {
        let aliases: String = (0..100_000).map(|i| format!("a{i}: __typename ")).collect();
        let text = format!("{{ {aliases} }}");
        assert_eq!(scan(&text, 15_000, 100), Err(LexLimit::Tokens(15_001)));
    }

    #[test]
    fn nesting_counts_braces_parens_and_brackets() {
        assert_eq!(scan("{ a { b { c } } }", 100, 3), Ok(()));
        assert_eq!(
            scan("{ a { b { c { d } } } }", 100, 3),
            Err(LexLimit::Nesting(4))
        );
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(500), "]".repeat(500));
        assert_eq!(scan(&deep, 10_000, 100), Err(LexLimit::Nesting(101)));
    }
}
