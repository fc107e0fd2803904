//! `Email`: an address that has been checked and normalised (trimmed, lower-cased) once, at the
//! edge, so the rest of the domain never sees an unchecked string.

use kit::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `raw` for the input field `field`. The accepted grammar is deliberately narrower
    /// than RFC 5321 (letters, digits and `._%+-` before the `@`; dotted hostname after): it
    /// covers real mailboxes and rejects quoting tricks, spaces and control characters.
    pub fn parse(field: &str, raw: &str) -> Result<Email, AppError> {
        let email = raw.trim().to_lowercase();
        let bad = |why: &str| Err(AppError::bad_input(field, why.to_string()));
        if email.is_empty() {
            return bad("is required");
        }
        if email.chars().count() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return bad("is not a valid email address");
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !local_ok || !domain_ok {
            return bad("is not a valid email address");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn accepts_and_normalises_real_addresses() {
        assert_eq!(
            Email::parse("email", "  Ada.Lovelace+shop@Example.CO.uk ")
                .unwrap()
                .as_str(),
            "ada.lovelace+shop@example.co.uk"
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "x'; DROP TABLE users;--@x.com",
            ".a@b.com",
            "a@-b.com",
            "a@b.c0m",
            "a@b..com",
        ] {
            assert!(
                Email::parse("email", bad).is_err(),
                "{bad} should be rejected"
            );
        }
        assert!(Email::parse("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
