//! The per-payment reference code (`SHOP` + 8 characters) a shopper writes in a bank
//! transfer's description and hosted payment pages carry as their reference; finding it again
//! in a transfer's free-text content, whatever the bank did to spacing and case.

use rand::Rng;

pub const PREFIX: &str = "SHOP";
const LEN: usize = 8;
/// No 0/O or 1/I: people copy these by hand.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh reference code.
pub fn generate() -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (0..LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{PREFIX}{tail}")
}

/// Every candidate reference code in `text` (upper-cased, spaces and separators inside the
/// code ignored), in order of appearance.
pub fn find_all(text: &str) -> Vec<String> {
    let compact: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = compact[from..].find(PREFIX) {
        let start = from + at;
        let end = start + PREFIX.len() + LEN;
        if end <= compact.len() {
            let candidate = &compact[start..end];
            if candidate[PREFIX.len()..]
                .bytes()
                .all(|b| ALPHABET.contains(&b))
            {
                found.push(candidate.to_string());
            }
        }
        from = start + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_are_found_again_in_bank_text() {
        let code = generate();
        assert_eq!(code.len(), 12);
        let spaced = format!("MBVCB.123 chuyen tien {} thanh toan", code.to_lowercase());
        assert_eq!(find_all(&spaced), vec![code.clone()]);
        let dashed = format!("{}-{}", &code[..4], &code[4..]);
        assert_eq!(find_all(&dashed), vec![code]);
        assert!(find_all("SHOP 12 items").is_empty());
    }
}
