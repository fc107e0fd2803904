//! Name/value pairs: product attributes ("material" = "cotton") and variant options
//! ("size" = "M"). Stored as a JSON array on the row; validated on input.

use async_graphql::{InputObject, SimpleObject};
use kit::AppError;
use serde::{Deserialize, Serialize};

use crate::validate;

const MAX_PAIRS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(name = "NameValue")]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, InputObject)]
#[graphql(name = "NameValueInput")]
pub struct NameValueInput {
    pub name: String,
    pub value: String,
}

/// Validates a list of pairs given as `field`; names are lower-cased and must be unique.
pub fn parse(field: &str, input: &[NameValueInput]) -> Result<Vec<NameValue>, AppError> {
    if input.len() > MAX_PAIRS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_PAIRS} entries"),
        ));
    }
    let mut out: Vec<NameValue> = Vec::with_capacity(input.len());
    for (i, pair) in input.iter().enumerate() {
        let name = validate::text(&format!("{field}[{i}].name"), &pair.name, 50)?.to_lowercase();
        let value = validate::text(&format!("{field}[{i}].value"), &pair.value, 100)?;
        if out.iter().any(|p| p.name == name) {
            return Err(AppError::bad_input(
                format!("{field}[{i}].name"),
                format!("\"{name}\" appears twice"),
            ));
        }
        out.push(NameValue { name, value });
    }
    Ok(out)
}

pub fn to_json(pairs: &[NameValue]) -> String {
    serde_json::to_string(pairs).unwrap_or_else(|_| "[]".into())
}

pub fn from_json(raw: &str) -> Vec<NameValue> {
    serde_json::from_str(raw).unwrap_or_default()
}
