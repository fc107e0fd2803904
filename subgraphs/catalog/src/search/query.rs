//! From the words a shopper typed to index terms: each word is stemmed, then widened with
//! indexed terms one edit away (looked up through `search_vocab`'s deletion variants, checked
//! with an edit distance) and, for the last word, with terms it is a prefix of (search as you
//! type). A product matches when it has a term for every word; its score sums the best field
//! weight per word, exact terms counting double.

use std::collections::BTreeSet;

use kit::{AppError, Db};

use super::index::{deletions, MIN_FUZZY_LEN};
use super::stem;
use crate::sql::Sql;

const MAX_QUERY_CHARS: usize = 200;
const MAX_WORDS: usize = 8;
const MAX_PREFIX_TERMS: i64 = 20;

/// The terms that satisfy one query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordTerms {
    /// The word's own stem (scores double).
    pub exact: String,
    /// Indexed terms within one edit, or extending the word as a prefix.
    pub near: Vec<String>,
    /// False when the vocabulary was consulted and knows neither the word nor a neighbour.
    pub known: bool,
}

/// A parsed text query, ready to be written as SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    pub words: Vec<WordTerms>,
}

impl TextMatch {
    pub fn matches_nothing(&self) -> bool {
        self.words.iter().any(|w| !w.known)
    }

    /// Appends a subquery yielding `(product_id, score)` for products matching every word.
    pub fn write_match(&self, sql: &mut Sql) {
        sql.push("SELECT x.product_id, CAST(SUM(x.w) AS BIGINT) AS score FROM (");
        for (i, word) in self.words.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT product_id, MAX(CASE WHEN term = ")
                .bind(&word.exact)
                .push(" THEN field_weight * 2 ELSE field_weight END) AS w FROM search_terms WHERE term IN (")
                .bind(&word.exact);
            for near in &word.near {
                sql.push(", ").bind(near);
            }
            sql.push(") GROUP BY product_id");
        }
        sql.push(") x GROUP BY x.product_id HAVING COUNT(*) = ")
            .bind(self.words.len() as i64);
    }
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

/// The smallest string greater than every string starting with `prefix`.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let next = char::from_u32(last as u32 + 1)?;
    chars.push(next);
    Some(chars.into_iter().collect())
}

/// Parses and expands `query`. `None` when it holds no searchable word (browse instead).
pub async fn expand(db: &Db, query: &str) -> Result<Option<TextMatch>, AppError> {
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
    if raw.is_empty() {
        return Ok(None);
    }
    let stems: Vec<String> = raw.iter().map(|t| stem::stem(t)).collect();

    // One lookup for every word's deletion variants.
    let mut variants = BTreeSet::new();
    for s in stems.iter().filter(|s| s.chars().count() >= MIN_FUZZY_LEN) {
        variants.insert(s.clone());
        variants.extend(deletions(s));
    }
    let mut vocab: Vec<(String, String)> = Vec::new();
    if !variants.is_empty() {
        let mut sql = Sql::new("SELECT variant, term FROM search_vocab WHERE variant IN (");
        sql.bind_list(variants.iter()).push(")");
        vocab = sql.query_as().fetch_all(db.pool()).await?;
    }

    // Search as you type: the last word also matches terms it begins, unless the query ends
    // with a space.
    let mut prefixed: Vec<String> = Vec::new();
    let last = raw.last().cloned().unwrap_or_default();
    let typing = !query.ends_with(char::is_whitespace) && last.chars().count() >= 3;
    if typing {
        if let Some(end) = prefix_end(&last) {
            let mut sql = Sql::new("SELECT term FROM search_vocab WHERE variant >= ");
            sql.bind(&last)
                .push(" AND variant < ")
                .bind(end)
                .push(" AND variant = term ORDER BY variant LIMIT ")
                .bind(MAX_PREFIX_TERMS);
            let rows: Vec<(String,)> = sql.query_as().fetch_all(db.pool()).await?;
            prefixed = rows.into_iter().map(|(t,)| t).collect();
        }
    }

    let count = stems.len();
    let words = stems
        .into_iter()
        .enumerate()
        .map(|(i, exact)| {
            let fuzzy = exact.chars().count() >= MIN_FUZZY_LEN;
            let mut near: BTreeSet<String> = BTreeSet::new();
            let mut known = !fuzzy;
            if fuzzy {
                let mut mine: BTreeSet<String> = deletions(&exact).into_iter().collect();
                mine.insert(exact.clone());
                for (variant, term) in &vocab {
                    if mine.contains(variant) && edit_distance(&exact, term, 1) <= 1 {
                        known = true;
                        if *term != exact {
                            near.insert(term.clone());
                        }
                    }
                }
            }
            if i + 1 == count && typing {
                for t in &prefixed {
                    known = true;
                    if *t != exact {
                        near.insert(t.clone());
                    }
                }
            }
            WordTerms {
                exact,
                near: near.into_iter().collect(),
                known,
            }
        })
        .collect();
    Ok(Some(TextMatch { words }))
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
    fn prefix_range_end() {
        assert_eq!(prefix_end("sne").as_deref(), Some("snf"));
        assert_eq!(prefix_end(""), None);
    }

    #[test]
    fn match_sql_requires_every_word() {
        let m = TextMatch {
            words: vec![
                WordTerms {
                    exact: "trail".into(),
                    near: vec!["trial".into()],
                    known: true,
                },
                WordTerms {
                    exact: "sho".into(),
                    near: vec![],
                    known: true,
                },
            ],
        };
        let mut sql = Sql::new("");
        m.write_match(&mut sql);
        assert!(sql.text.contains("term IN ($2, $3)"), "{}", sql.text);
        assert!(sql.text.contains("term IN ($5)"), "{}", sql.text);
        assert!(sql.text.ends_with("HAVING COUNT(*) = $6"), "{}", sql.text);
        assert!(!m.matches_nothing());
    }
}
