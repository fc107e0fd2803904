//! The shipping price: shipping's public `shippingQuote` for the chosen method, address,
//! currency and lines (docs/checkout.md). Its refusals keep their reason (OUTSIDE_ZONES, ...)
//! with the field renamed to ours: an unknown method is `input.shippingMethodId`, an address
//! outside the method's zones `input.shippingAddress.countryCode` (or `input.addressId`).

use kit::money::Money;
use kit::remote::Credentials;
use kit::AppError;
use serde_json::json;

use super::catalog::PricedLine;
use crate::remotes::{money_input, money_of, rename_field, Remotes};
use crate::view::AddressView;

const QUOTE: &str = "query($i: ShippingQuoteInput!) { shippingQuote(input: $i) { methodId price { amount currencyCode } } }";

pub async fn quote(
    remotes: &Remotes,
    method_id: &str,
    address: &AddressView,
    saved_address: bool,
    subtotal: Money,
    lines: &[PricedLine],
) -> Result<Money, AppError> {
    let input = json!({
        "methodId": method_id,
        "address": {
            "countryCode": address.country_code,
            "region": address.region,
            "postalCode": address.postal_code,
        },
        "currencyCode": subtotal.currency.code(),
        "subtotal": money_input(subtotal),
        "lines": lines
            .iter()
            .map(|l| json!({ "variantId": l.variant_id, "quantity": l.quantity }))
            .collect::<Vec<_>>(),
    });
    let address_field = if saved_address {
        "input.addressId"
    } else {
        "input.shippingAddress"
    };
    let data = remotes
        .shipping
        .call(QUOTE, json!({ "i": input }), Credentials::Anonymous)
        .await
        .map_err(|e| {
            let e = rename_field(
                e,
                &[
                    ("input.methodId", "input.shippingMethodId"),
                    // The method has no rate in the cart's currency: the method is the problem.
                    ("input.currencyCode", "input.shippingMethodId"),
                    ("input.address", "input.shippingAddress"),
                ],
            );
            match e {
                AppError::BadInput {
                    field,
                    message,
                    reason,
                } if saved_address && field.starts_with("input.shippingAddress") => {
                    AppError::BadInput {
                        field: address_field.into(),
                        message,
                        reason,
                    }
                }
                other => other,
            }
        })?;
    let price = money_of("shipping", &data["shippingQuote"]["price"])?;
    if price.currency != subtotal.currency {
        return Err(AppError::internal(anyhow::anyhow!(
            "shipping quoted {} for a {} order",
            price.currency.code(),
            subtotal.currency.code()
        )));
    }
    Ok(price)
}
