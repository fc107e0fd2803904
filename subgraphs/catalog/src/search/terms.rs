//! How product text becomes search terms: [`weigh`] gives each stemmed term the summed weight
//! of the fields it appears in (title 3, brand 2, description 1), and [`deletions`] the
//! one-character deletions that make a term findable with a typo.

use std::collections::BTreeMap;

use super::stem;

pub const TITLE_WEIGHT: i64 = 3;
pub const BRAND_WEIGHT: i64 = 2;
pub const DESCRIPTION_WEIGHT: i64 = 1;

/// Words shorter than this get no deletion variants (one typo in a 3-letter word is another
/// word), but still match exactly and by prefix.
pub const MIN_FUZZY_LEN: usize = 4;

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
