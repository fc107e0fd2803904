//! A shipping zone as staff describe it (`CreateShippingZoneInput`, `UpdateShippingZoneInput`),
//! validated into a [`ZoneSpec`]: known countries, regions of listed countries, sane postal
//! prefixes, and a rest-of-world zone that lists nothing. Every error names its field.

use async_graphql::InputObject;
use kit::AppError;

use crate::countries;
use crate::validate::{self, MAX_NAME};
use crate::zone::Zone;

const MAX_REGIONS: usize = 500;
const MAX_PREFIXES: usize = 200;
const MAX_PREFIX: usize = 10;

#[derive(Debug, Clone, InputObject)]
pub struct CreateShippingZoneInput {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes (any case). Required unless `restOfWorld`.
    #[graphql(default)]
    pub countries: Vec<String>,
    /// ISO 3166-2 codes ("US-CA") of listed countries; such a country then matches only them.
    #[graphql(default)]
    pub regions: Vec<String>,
    /// When any, only postal codes starting with one of these match.
    #[graphql(default)]
    pub postal_code_prefixes: Vec<String>,
    /// "Everywhere else": every country no ordinary zone lists. Lists nothing itself.
    #[graphql(default)]
    pub rest_of_world: bool,
}

/// Omitted fields stay as they are.
#[derive(Debug, Clone, Default, InputObject)]
pub struct UpdateShippingZoneInput {
    pub name: Option<String>,
    pub countries: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub postal_code_prefixes: Option<Vec<String>>,
    pub rest_of_world: Option<bool>,
}

/// A validated zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneSpec {
    pub name: String,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub postal_prefixes: Vec<String>,
    pub rest_of_world: bool,
}

impl ZoneSpec {
    pub fn create(input: &CreateShippingZoneInput) -> Result<ZoneSpec, AppError> {
        ZoneSpec::parse(
            &input.name,
            &input.countries,
            &input.regions,
            &input.postal_code_prefixes,
            input.rest_of_world,
        )
    }

    pub fn update(current: &Zone, input: &UpdateShippingZoneInput) -> Result<ZoneSpec, AppError> {
        ZoneSpec::parse(
            input.name.as_deref().unwrap_or(&current.name),
            input.countries.as_deref().unwrap_or(&current.countries),
            input.regions.as_deref().unwrap_or(&current.regions),
            input
                .postal_code_prefixes
                .as_deref()
                .unwrap_or(&current.postal_prefixes),
            input.rest_of_world.unwrap_or(current.rest_of_world),
        )
    }

    fn parse(
        name: &str,
        countries: &[String],
        regions: &[String],
        prefixes: &[String],
        rest_of_world: bool,
    ) -> Result<ZoneSpec, AppError> {
        let name = validate::text("input.name", name, MAX_NAME)?;
        if rest_of_world {
            for (field, empty) in [
                ("input.countries", countries.is_empty()),
                ("input.regions", regions.is_empty()),
                ("input.postalCodePrefixes", prefixes.is_empty()),
            ] {
                if !empty {
                    return Err(AppError::bad_input(
                        field,
                        "must be empty for a rest-of-world zone (it matches every country no other zone lists)",
                    ));
                }
            }
        } else if countries.is_empty() {
            return Err(AppError::bad_input(
                "input.countries",
                "must list at least one country (or set restOfWorld)",
            ));
        }
        validate::at_most("input.regions", regions, MAX_REGIONS)?;
        validate::at_most("input.postalCodePrefixes", prefixes, MAX_PREFIXES)?;
        let mut parsed_countries = Vec::with_capacity(countries.len());
        for (i, c) in countries.iter().enumerate() {
            parsed_countries.push(countries::country(&format!("input.countries[{i}]"), c)?);
        }
        let mut parsed_regions = Vec::with_capacity(regions.len());
        for (i, r) in regions.iter().enumerate() {
            let field = format!("input.regions[{i}]");
            let region = countries::region(&field, r, None)?;
            if !parsed_countries
                .iter()
                .any(|c| region.starts_with(c.as_str()))
            {
                return Err(AppError::bad_input(
                    field,
                    format!("{region}'s country is not in countries"),
                ));
            }
            parsed_regions.push(region);
        }
        let mut parsed_prefixes = Vec::with_capacity(prefixes.len());
        for (i, p) in prefixes.iter().enumerate() {
            let prefix = countries::normalize_postal(p);
            let ok = (1..=MAX_PREFIX).contains(&prefix.len())
                && prefix.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(AppError::bad_input(
                    format!("input.postalCodePrefixes[{i}]"),
                    format!("must be 1 to {MAX_PREFIX} letters and digits"),
                ));
            }
            parsed_prefixes.push(prefix);
        }
        for list in [
            &mut parsed_countries,
            &mut parsed_regions,
            &mut parsed_prefixes,
        ] {
            list.sort();
            list.dedup();
        }
        Ok(ZoneSpec {
            name,
            countries: parsed_countries,
            regions: parsed_regions,
            postal_prefixes: parsed_prefixes,
            rest_of_world,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(countries: &[&str], regions: &[&str], row: bool) -> CreateShippingZoneInput {
        CreateShippingZoneInput {
            name: "Zone".into(),
            countries: countries.iter().map(|s| s.to_string()).collect(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            postal_code_prefixes: vec![],
            rest_of_world: row,
        }
    }

    fn field(err: AppError) -> String {
        err.field()
            .unwrap_or_else(|| panic!("expected bad input, got {err:?}"))
            .to_string()
    }

    #[test]
    fn names_the_offending_entry() {
        let spec = ZoneSpec::create(&input(&["de", "FR", "DE"], &["de-be"], false)).unwrap();
        assert_eq!(spec.countries, ["DE", "FR"]);
        assert_eq!(spec.regions, ["DE-BE"]);
        assert_eq!(
            field(ZoneSpec::create(&input(&["DE", "QQ"], &[], false)).unwrap_err()),
            "input.countries[1]"
        );
        assert_eq!(
            field(ZoneSpec::create(&input(&["DE"], &["US-CA"], false)).unwrap_err()),
            "input.regions[0]"
        );
        assert_eq!(
            field(ZoneSpec::create(&input(&[], &[], false)).unwrap_err()),
            "input.countries"
        );
        assert_eq!(
            field(ZoneSpec::create(&input(&["DE"], &[], true)).unwrap_err()),
            "input.countries"
        );
        assert!(ZoneSpec::create(&input(&[], &[], true)).is_ok());
    }
}
