//! ISO 3166-1 alpha-2 country codes and ISO 3166-2-style region codes, parsed from client
//! input: upper case, known countries only, so a zone never lists a typo nobody can match.

use kit::AppError;

/// Every officially assigned ISO 3166-1 alpha-2 code.
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// True for an assigned ISO 3166-1 alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    COUNTRIES.binary_search(&code).is_ok()
}

/// Parses a country code in any case, naming `field` when it is not an ISO 3166-1 alpha-2 code.
pub fn country(field: &str, raw: &str) -> Result<String, AppError> {
    let code = raw.trim().to_ascii_uppercase();
    if is_country(&code) {
        Ok(code)
    } else {
        Err(AppError::bad_input(
            field,
            format!("{raw:?} is not an ISO 3166-1 alpha-2 country code (e.g. \"US\", \"DE\")"),
        ))
    }
}

/// Parses a region as `CC-SUB` (ISO 3166-2 style, e.g. "US-CA") or, when `country` is given,
/// the subdivision alone ("CA"), into the `CC-SUB` form.
pub fn region(field: &str, raw: &str, country: Option<&str>) -> Result<String, AppError> {
    let code = raw.trim().to_ascii_uppercase();
    let bad = || {
        AppError::bad_input(
            field,
            format!(
                "{raw:?} is not a region code: use the ISO 3166-2 form COUNTRY-SUBDIVISION \
                 (e.g. \"US-CA\"){}",
                if country.is_some() {
                    " or the subdivision alone (\"CA\")"
                } else {
                    ""
                }
            ),
        )
    };
    let (cc, sub) = match code.split_once('-') {
        Some((cc, sub)) => (cc.to_string(), sub.to_string()),
        None => (country.ok_or_else(bad)?.to_string(), code.clone()),
    };
    let sub_ok = (1..=3).contains(&sub.len()) && sub.bytes().all(|b| b.is_ascii_alphanumeric());
    if !is_country(&cc) || !sub_ok {
        return Err(bad());
    }
    if country.is_some_and(|c| c != cc) {
        return Err(AppError::bad_input(
            field,
            format!("{raw:?} is a region of another country than the address's"),
        ));
    }
    Ok(format!("{cc}-{sub}"))
}

/// A postal code for prefix matching: upper case, spaces and hyphens removed ("sw1a 1aa" and
/// "SW1A1AA" match the same prefixes).
pub fn normalize_postal(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_unique_and_complete() {
        assert!(COUNTRIES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(COUNTRIES.len(), 249);
    }

    #[test]
    fn parses_countries_and_regions() {
        assert_eq!(country("c", " de ").unwrap(), "DE");
        assert!(country("c", "XX").is_err());
        assert!(country("c", "USA").is_err());
        assert_eq!(region("r", "us-ca", None).unwrap(), "US-CA");
        assert_eq!(region("r", "CA", Some("US")).unwrap(), "US-CA");
        assert!(region("r", "CA", None).is_err());
        assert!(region("r", "DE-BE", Some("US")).is_err());
        assert!(region("r", "US-TOOLONG", None).is_err());
        assert_eq!(normalize_postal("sw1a 1aa"), "SW1A1AA");
        assert_eq!(normalize_postal("12345-6789"), "123456789");
    }
}
