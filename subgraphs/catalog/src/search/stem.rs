//! Text to index terms: lower-case alphanumeric tokens, English stop words dropped, then a
//! light English stemmer (plural, -ing, -ed, -ly and friends), so "Running Shoes" and "run
//! shoe" meet on the same terms. Used both when indexing and when querying.

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "the", "to", "with",
];

/// Longest token kept (longer ones are cut), so a pasted blob cannot bloat the index.
const MAX_TOKEN: usize = 40;

/// Lower-cased alphanumeric words of `text`, stop words removed.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().chars().take(MAX_TOKEN).collect::<String>())
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// The index terms of `text`: its tokens, stemmed.
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).iter().map(|t| stem(t)).collect()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

fn has_vowel(s: &str) -> bool {
    s.bytes().any(is_vowel)
}

/// "runn" → "run", "hopp" → "hop"; keeps "ll", "ss", "zz" ("fall", "dress", "buzz").
fn undouble(s: &mut String) {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 3
        && b[n - 1] == b[n - 2]
        && !is_vowel(b[n - 1])
        && !matches!(b[n - 1], b'l' | b's' | b'z')
    {
        s.pop();
    }
}

/// A light English stemmer for one lower-case token. Not Porter: it strips the common
/// inflections only, and leaves short words and non-ASCII words alone.
pub fn stem(word: &str) -> String {
    if !word.is_ascii() || word.len() <= 3 || word.bytes().any(|b| b.is_ascii_digit()) {
        return word.to_string();
    }
    let mut w = word.to_string();
    // Plurals.
    if let Some(base) = w.strip_suffix("sses") {
        w = format!("{base}ss");
    } else if let Some(base) = w.strip_suffix("ies").filter(|b| b.len() >= 2) {
        w = format!("{base}y");
    } else if let Some(base) = w
        .strip_suffix("es")
        .filter(|b| b.ends_with("sh") || b.ends_with("ch") || b.ends_with('x') || b.ends_with("ss"))
    {
        w = base.to_string();
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        w.pop();
    }
    // Verb and adverb endings, when a vowel stays in the stem.
    for suffix in ["ingly", "edly", "ing", "ed", "ly"] {
        if let Some(base) = w.strip_suffix(suffix) {
            if base.len() >= 3 && has_vowel(base) {
                let mut base = base.to_string();
                if suffix != "ly" {
                    undouble(&mut base);
                }
                w = base;
            }
            break;
        }
    }
    // A final silent "e" goes, so "stripe" and "striped" (stripped to "strip") agree.
    if w.len() > 3 && w.ends_with('e') && !w.ends_with("ee") {
        w.pop();
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_meet_on_one_stem() {
        for (a, b) in [
            ("shoes", "shoe"),
            ("running", "run"),
            ("runs", "run"),
            ("batteries", "battery"),
            ("boxes", "box"),
            ("dresses", "dress"),
            ("striped", "stripe"),
            ("jackets", "jacket"),
            ("quickly", "quick"),
            ("hopped", "hop"),
            ("watches", "watch"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} vs {b}");
        }
    }

    #[test]
    fn leaves_short_and_special_words() {
        assert_eq!(stem("bus"), "bus");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("4k"), "4k");
        assert_eq!(stem("status"), "status");
        assert_ne!(stem("ring"), "r");
        assert_eq!(stem("café"), "café");
    }

    #[test]
    fn tokens_drop_punctuation_and_stop_words() {
        assert_eq!(
            terms("The Trail-Running Shoes, for MEN"),
            vec![
                "trail".to_string(),
                "run".into(),
                stem("shoe"),
                "men".into()
            ]
        );
    }
}
