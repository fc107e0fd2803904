//! The destination a quote is for (`ShippingAddressInput`): a country, optionally a region and
//! a postal code, parsed into the forms zones are matched against.

use async_graphql::InputObject;
use kit::AppError;

use crate::countries;

/// Where a parcel goes, as far as shipping prices care.
#[derive(Debug, Clone, InputObject)]
pub struct ShippingAddressInput {
    /// ISO 3166-1 alpha-2, e.g. "US".
    pub country_code: String,
    /// The region (state, province): "CA" or in ISO 3166-2 form "US-CA".
    pub region: Option<String>,
    pub postal_code: Option<String>,
}

/// A parsed destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// `CC-SUB`, upper case.
    pub region: Option<String>,
    /// Upper case, without spaces and hyphens.
    pub postal: Option<String>,
}

/// Longest postal code accepted.
const MAX_POSTAL: usize = 16;

impl ShippingAddressInput {
    /// Parses the address; `field` is its path (`input.address`), errors name the sub-field.
    pub fn parse(&self, field: &str) -> Result<Destination, AppError> {
        let country = countries::country(&format!("{field}.countryCode"), &self.country_code)?;
        let region = self
            .region
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| countries::region(&format!("{field}.region"), r, Some(&country)))
            .transpose()?;
        let postal = match self.postal_code.as_deref().map(countries::normalize_postal) {
            Some(p) if p.is_empty() => None,
            Some(p) if p.len() > MAX_POSTAL || !p.chars().all(|c| c.is_ascii_alphanumeric()) => {
                return Err(AppError::bad_input(
                    format!("{field}.postalCode"),
                    format!("must be at most {MAX_POSTAL} letters and digits (spaces and hyphens allowed)"),
                ))
            }
            other => other,
        };
        Ok(Destination {
            country,
            region,
            postal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_into_matchable_forms_and_names_bad_fields() {
        let input = ShippingAddressInput {
            country_code: "us".into(),
            region: Some("ca".into()),
            postal_code: Some("94103-1234".into()),
        };
        assert_eq!(
            input.parse("input.address").unwrap(),
            Destination {
                country: "US".into(),
                region: Some("US-CA".into()),
                postal: Some("941031234".into()),
            }
        );
        let bad = ShippingAddressInput {
            country_code: "ZZ".into(),
            region: None,
            postal_code: None,
        };
        assert_eq!(
            bad.parse("input.address")
                .unwrap_err()
                .message()
                .split(':')
                .next(),
            Some("input.address.countryCode")
        );
        let bad = ShippingAddressInput {
            country_code: "GB".into(),
            region: None,
            postal_code: Some("SW1A/1AA".into()),
        };
        assert!(bad
            .parse("address")
            .unwrap_err()
            .message()
            .starts_with("address.postalCode"));
    }
}
