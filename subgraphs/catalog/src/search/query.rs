//! From the words a shopper typed to what the engine looks up: the words are tokenised and
//! stemmed (at most 8, duplicates dropped); the last one, unless the query ends with a space,
//! is also a prefix (search as you type). Expansion to indexed terms — one-typo neighbours and
//! prefix completions — happens in the engine against its in-memory vocabulary.

use kit::AppError;

use super::stem;

const MAX_QUERY_CHARS: usize = 200;
const MAX_WORDS: usize = 8;
/// Shortest last word that is also matched as a prefix.
pub const MIN_PREFIX_CHARS: usize = 3;

/// A parsed text query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    /// Each word's stem; a product must match every one.
    pub words: Vec<String>,
    /// The last word as typed (unstemmed), when it should also match terms it begins.
    pub prefix: Option<String>,
}

/// Parses `query`. `None` when it holds no searchable word (browse instead).
pub fn parse(query: &str) -> Result<Option<TextMatch>, AppError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad_input(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let mut raw: Vec<String> = Vec::new();
    for token in stem::tokens(query) {
        if !raw.contains(&token) {
            raw.push(token);
        }
    }
    raw.truncate(MAX_WORDS);
    let Some(last) = raw.last().cloned() else {
        return Ok(None);
    };
    let typing = !query.ends_with(char::is_whitespace) && last.chars().count() >= MIN_PREFIX_CHARS;
    Ok(Some(TextMatch {
        words: raw.iter().map(|t| stem::stem(t)).collect(),
        prefix: typing.then_some(last),
    }))
}

/// Optimal-string-alignment distance (insert, delete, substitute, swap neighbours), stopping
/// early: returns `limit + 1` for anything farther than `limit`.
pub fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()].min(limit + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_one_typo() {
        assert_eq!(edit_distance("sneaker", "sneaker", 1), 0);
        assert_eq!(edit_distance("snaker", "sneaker", 1), 1);
        assert_eq!(edit_distance("sneakre", "sneaker", 1), 1);
        assert_eq!(edit_distance("sneeker", "sneaker", 1), 1);
        assert_eq!(edit_distance("sneakers", "sneaker", 1), 1);
        assert_eq!(edit_distance("snkr", "sneaker", 1), 2);
        assert_eq!(edit_distance("jacket", "racket", 1), 1);
        assert_eq!(edit_distance("abcd", "badc", 1), 2);
    }

    #[test]
    fn parses_words_and_the_typed_prefix() {
        let m = parse("Running Shoes for the trai").unwrap().unwrap();
        assert_eq!(m.words, ["run", &stem::stem("shoes"), "trai"]);
        assert_eq!(m.prefix.as_deref(), Some("trai"));
        let m = parse("running shoes ").unwrap().unwrap();
        assert_eq!(m.prefix, None, "a trailing space ends the last word");
        assert_eq!(parse("sh").unwrap().unwrap().prefix, None);
        assert_eq!(parse("  the , of ").unwrap(), None);
        assert_eq!(
            parse("a b c d e f g h i j").unwrap().unwrap().words.len(),
            8
        );
        assert!(parse(&"x".repeat(201)).is_err());
    }
}
