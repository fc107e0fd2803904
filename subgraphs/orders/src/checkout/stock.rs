//! Holding the order's stock in inventory (`reserve`, as the service, reference = the order
//! id) and giving it back when the checkout fails. A variant inventory cannot supply is a
//! `CONFLICT` naming it (by id, SKU and title).

use std::collections::BTreeMap;
use std::time::Duration;

use kit::remote::Credentials;
use kit::AppError;
use serde_json::json;

use super::catalog::PricedLine;
use crate::remotes::Remotes;

const RESERVE: &str = "mutation($i: ReserveInput!) { reserve(input: $i) { id } }";
const RELEASE: &str = "mutation($id: ID!) { releaseReservation(id: $id) { id } }";

/// Reserves every line; returns the reservation id.
pub async fn reserve(
    remotes: &Remotes,
    order_id: &str,
    lines: &[PricedLine],
    ttl: Duration,
    key: &str,
) -> Result<String, AppError> {
    let mut quantities: BTreeMap<&str, i64> = BTreeMap::new();
    for line in lines {
        *quantities.entry(line.variant_id.as_str()).or_default() += line.quantity;
    }
    let input = json!({
        "reference": order_id,
        "lines": quantities
            .iter()
            .map(|(v, q)| json!({ "variantId": v, "quantity": q }))
            .collect::<Vec<_>>(),
        "ttlSeconds": ttl.as_secs().max(1),
        "idempotencyKey": key,
    });
    let data = remotes
        .inventory
        .call(RESERVE, json!({ "i": input }), Credentials::Service)
        .await
        .map_err(|err| unavailable(err, lines))?;
    data["reserve"]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("inventory answered no reservation id")))
}

/// Inventory's "out of stock" / "not stocked" as a `CONFLICT` naming the variant.
fn unavailable(err: AppError, lines: &[PricedLine]) -> AppError {
    let message = match &err {
        AppError::Conflict(m) | AppError::NotFound(m) => m.clone(),
        _ => return err,
    };
    let named = lines
        .iter()
        .find(|l| message.contains(&l.variant_id))
        .map(|l| format!("variant {} ({}, \"{}\")", l.variant_id, l.sku, l.title))
        .unwrap_or_else(|| "a variant in the cart".into());
    let detail = message
        .split_once(": ")
        .filter(|_| matches!(err, AppError::NotFound(_)))
        .map(|(_, rest)| rest.to_string())
        .unwrap_or(message);
    AppError::conflict(format!("{named} is not available: {detail}"))
}

pub async fn release(remotes: &Remotes, reservation_id: &str) -> Result<(), AppError> {
    remotes
        .inventory
        .call(
            RELEASE,
            json!({ "id": reservation_id }),
            Credentials::Service,
        )
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(variant: &str) -> PricedLine {
        PricedLine {
            line_id: "l".into(),
            variant_id: variant.into(),
            product_id: "p".into(),
            sku: "MUG-1".into(),
            title: "Mug".into(),
            quantity: 2,
            unit_price: 100,
            livestream_id: None,
        }
    }

    #[test]
    fn shortages_name_the_variant() {
        let err = unavailable(
            AppError::conflict("out of stock: variant v-2 has 1 available, 2 requested"),
            &[line("v-1"), line("v-2")],
        );
        assert_eq!(err.code(), kit::error::Code::Conflict);
        assert!(
            err.message().starts_with("variant v-2 (MUG-1, \"Mug\")"),
            "{}",
            err.message()
        );
        let err = unavailable(
            AppError::not_found("input.lines[0].variantId: no stock is kept for variant v-1"),
            &[line("v-1")],
        );
        assert_eq!(err.code(), kit::error::Code::Conflict);
        assert!(
            err.message().contains("no stock is kept"),
            "{}",
            err.message()
        );
        let other = unavailable(AppError::forbidden("no"), &[line("v-1")]);
        assert_eq!(other.code(), kit::error::Code::Forbidden);
    }
}
