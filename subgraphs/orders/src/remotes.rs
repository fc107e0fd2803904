//! The subgraphs orders calls (`kit::remote` clients), built once from the settings: cart,
//! catalog, inventory, discounts, payments, shipping and accounts. Calls that need more than
//! the shopper's own rights go as the service (`SERVICE_EMAIL` / `SERVICE_PASSWORD`).

use std::sync::Arc;

use kit::auth::service::ServiceIdentity;
use kit::money::{Currency, Money};
use kit::remote::Remote;
use kit::AppError;
use serde_json::Value;

use crate::settings::Settings;

#[derive(Clone)]
pub struct Remotes {
    pub cart: Remote,
    pub catalog: Remote,
    pub inventory: Remote,
    pub discounts: Remote,
    pub payments: Remote,
    pub shipping: Remote,
    pub accounts: Remote,
}

impl Remotes {
    pub fn new(
        settings: &Settings,
        identity: Option<Arc<ServiceIdentity>>,
    ) -> anyhow::Result<Remotes> {
        let remote = |name: &str, url: &str| -> anyhow::Result<Remote> {
            let r = Remote::new(name, url, settings.remote_timeout)?;
            Ok(match &identity {
                Some(identity) => r.with_identity(identity.clone()),
                None => r,
            })
        };
        Ok(Remotes {
            cart: remote("cart", &settings.cart_url)?,
            catalog: remote("catalog", &settings.catalog_url)?,
            inventory: remote("inventory", &settings.inventory_url)?,
            discounts: remote("discounts", &settings.discounts_url)?,
            payments: remote("payments", &settings.payments_url)?,
            shipping: remote("shipping", &settings.shipping_url)?,
            accounts: remote("accounts", &settings.accounts_url)?,
        })
    }
}

/// A `Money { amount currencyCode }` another subgraph answered; malformed is internal.
pub fn money_of(remote: &str, value: &Value) -> Result<Money, AppError> {
    let bad = || {
        AppError::internal(anyhow::anyhow!(
            "{remote} answered malformed money: {value}"
        ))
    };
    let currency = value["currencyCode"]
        .as_str()
        .and_then(Currency::from_code)
        .ok_or_else(bad)?;
    let amount = value["amount"].as_str().ok_or_else(bad)?;
    // Negative amounts never come from these fields; parse rejects them.
    Money::parse("amount", amount, currency).map_err(|_| bad())
}

/// `Money` as a `MoneyInput` variable.
pub fn money_input(money: Money) -> Value {
    serde_json::json!({ "amount": money.amount_string(), "currencyCode": money.currency.code() })
}

/// A remote's bad-input error with its field renamed to ours (`from` → `to`, prefix match);
/// other errors unchanged.
pub fn rename_field(err: AppError, renames: &[(&str, &str)]) -> AppError {
    match err {
        AppError::BadInput {
            field,
            message,
            reason,
        } => {
            let field = renames
                .iter()
                .find_map(|(from, to)| {
                    field
                        .strip_prefix(from)
                        .filter(|rest| rest.is_empty() || rest.starts_with('.'))
                        .map(|rest| format!("{to}{rest}"))
                })
                .unwrap_or(field);
            AppError::BadInput {
                field,
                message,
                reason,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_renamed_by_prefix() {
        let e = rename_field(
            AppError::bad_input_because("input.address.countryCode", "OUTSIDE_ZONES", "no"),
            &[("input.address", "input.shippingAddress")],
        );
        match e {
            AppError::BadInput { field, reason, .. } => {
                assert_eq!(field, "input.shippingAddress.countryCode");
                assert_eq!(reason, Some("OUTSIDE_ZONES"));
            }
            other => panic!("{other:?}"),
        }
        let e = rename_field(
            AppError::bad_input("input.addressee", "x"),
            &[("input.address", "input.shippingAddress")],
        );
        assert!(matches!(e, AppError::BadInput { field, .. } if field == "input.addressee"));
    }
}
