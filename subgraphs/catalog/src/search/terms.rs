//! Keeps the search index current: [`reindex`] rewrites a product's `search_terms` rows (term,
//! summed field weight: title 3, brand 2, description 1) and adds new terms with their
//! one-character deletions to `search_vocab` (typo tolerance), inside the caller's transaction,
//! so the index never disagrees with committed product data. Plain portable SQL.

use std::collections::BTreeMap;

use kit::{AppError, Tx};

use super::stem;
use crate::sql::Sql;

pub const TITLE_WEIGHT: i64 = 3;
pub const BRAND_WEIGHT: i64 = 2;
pub const DESCRIPTION_WEIGHT: i64 = 1;

/// Words shorter than this get no deletion variants (one typo in a 3-letter word is another
/// word), but still match exactly and by prefix.
pub const MIN_FUZZY_LEN: usize = 4;

/// Rows per multi-row INSERT (well under SQLite's bind-parameter limit).
const CHUNK: usize = 200;

/// Term → summed weight of the fields it appears in.
pub fn weigh(title: &str, brand: Option<&str>, description: &str) -> BTreeMap<String, i64> {
    let mut weights = BTreeMap::new();
    for (text, weight) in [
        (title, TITLE_WEIGHT),
        (brand.unwrap_or(""), BRAND_WEIGHT),
        (description, DESCRIPTION_WEIGHT),
    ] {
        let mut seen: Vec<String> = stem::terms(text);
        seen.sort();
        seen.dedup();
        for term in seen {
            *weights.entry(term).or_insert(0) += weight;
        }
    }
    weights
}

/// `word` with each single character removed, deduplicated.
pub fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| *c)
                .collect()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Rewrites the index rows of one product. Call inside the transaction that changed it.
pub async fn reindex(
    tx: &mut Tx,
    product_id: &str,
    title: &str,
    brand: Option<&str>,
    description: &str,
) -> Result<(), AppError> {
    let weights = weigh(title, brand, description);
    sqlx::query("DELETE FROM search_terms WHERE product_id = $1")
        .bind(product_id)
        .execute(tx.conn())
        .await?;
    let entries: Vec<(&String, &i64)> = weights.iter().collect();
    for chunk in entries.chunks(CHUNK) {
        let mut sql = Sql::new("INSERT INTO search_terms (term, product_id, field_weight) VALUES ");
        for (i, (term, weight)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(*term)
                .push(", ")
                .bind(product_id)
                .push(", ")
                .bind(**weight)
                .push(")");
        }
        sql.query().execute(tx.conn()).await?;
    }

    let mut vocab: Vec<(String, String)> = Vec::new();
    for term in weights.keys() {
        vocab.push((term.clone(), term.clone()));
        if term.chars().count() >= MIN_FUZZY_LEN {
            vocab.extend(deletions(term).into_iter().map(|d| (d, term.clone())));
        }
    }
    for chunk in vocab.chunks(CHUNK) {
        let mut sql = Sql::new("INSERT INTO search_vocab (variant, term) VALUES ");
        for (i, (variant, term)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(variant).push(", ").bind(term).push(")");
        }
        sql.push(" ON CONFLICT (variant, term) DO NOTHING");
        sql.query().execute(tx.conn()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_per_field() {
        let w = weigh("Trail Shoe", Some("Trail Co"), "A shoe for trails");
        assert_eq!(w["trail"], TITLE_WEIGHT + BRAND_WEIGHT + DESCRIPTION_WEIGHT);
        assert_eq!(w[&stem::stem("shoe")], TITLE_WEIGHT + DESCRIPTION_WEIGHT);
        assert_eq!(w["co"], BRAND_WEIGHT);
    }

    #[test]
    fn deletions_of_a_word() {
        assert_eq!(deletions("abca"), vec!["aba", "abc", "aca", "bca"]);
    }
}
