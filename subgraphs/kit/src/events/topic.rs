//! Topic-pattern matching with RabbitMQ's rules, used by the in-process bus so both transports
//! route identically: words split on `.`, `*` matches exactly one word, `#` zero or more.

pub fn matches(pattern: &str, key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = key.split('.').collect();
    match_words(&pattern, &key)
}

fn match_words(pattern: &[&str], key: &[&str]) -> bool {
    match pattern.split_first() {
        None => key.is_empty(),
        Some((&"#", rest)) => (0..=key.len()).any(|skip| match_words(rest, &key[skip..])),
        Some((word, rest)) => match key.split_first() {
            Some((k, key_rest)) if *word == "*" || word == k => match_words(rest, key_rest),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn follows_rabbitmq_topic_rules() {
        assert!(matches("#", "user.registered"));
        assert!(matches("user.*", "user.registered"));
        assert!(!matches("user.*", "user.registered.again"));
        assert!(matches("user.#", "user.registered.again"));
        assert!(matches("user.#", "user"));
        assert!(matches("*.registered", "user.registered"));
        assert!(!matches("order.*", "user.registered"));
        assert!(matches("user.registered", "user.registered"));
        assert!(!matches("user.registered", "user.updated"));
        assert!(matches("#.paid", "order.paid"));
    }
}
