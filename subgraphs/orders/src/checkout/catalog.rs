//! Authoritative prices and titles from catalog (`_entities` for the cart's variants, as the
//! service so unpublished products are visible and can be named): the order charges what
//! catalog says now, not what the cart cached, except a live deal's price while it lasts
//! (livestream granted it to the cart line). A line whose product is not PUBLISHED (or whose
//! variant is gone) is `BAD_USER_INPUT` naming the line, reason NOT_FOR_SALE.

use std::collections::HashMap;

use kit::remote::Credentials;
use kit::AppError;
use serde_json::{json, Value};

use super::cart::Cart;
use crate::remotes::{money_of, Remotes};

const VARIANTS: &str = "query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id sku title price { amount currencyCode } product { id title status } } } }";

/// A cart line priced by catalog.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub line_id: String,
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    /// Minor units of the cart's currency.
    pub unit_price: i64,
    /// The livestream the line was bought from.
    pub livestream_id: Option<String>,
}

impl PricedLine {
    pub fn line_total(&self) -> i64 {
        self.unit_price * self.quantity
    }
}

/// "Product – Variant", or just the product's title when the variant adds nothing.
fn title(product: &str, variant: &str) -> String {
    let variant = variant.trim();
    if variant.is_empty() || variant == product || variant.eq_ignore_ascii_case("default") {
        product.to_string()
    } else {
        format!("{product} – {variant}")
    }
}

pub async fn price(remotes: &Remotes, cart: &Cart) -> Result<Vec<PricedLine>, AppError> {
    let mut ids: Vec<&str> = cart.lines.iter().map(|l| l.variant_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    let representations: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "__typename": "ProductVariant", "id": id }))
        .collect();
    let data = remotes
        .catalog
        .call(
            VARIANTS,
            json!({ "r": representations }),
            Credentials::Service,
        )
        .await?;
    let entities = data["_entities"].as_array().cloned().unwrap_or_default();
    let found: HashMap<&str, &Value> = ids
        .iter()
        .copied()
        .zip(entities.iter())
        .filter(|(_, v)| !v.is_null())
        .collect();
    let mut priced = Vec::with_capacity(cart.lines.len());
    for (i, line) in cart.lines.iter().enumerate() {
        let field = format!("cart.lines[{i}]");
        let variant = found.get(line.variant_id.as_str());
        let product = variant.map(|v| &v["product"]).filter(|p| !p.is_null());
        let (Some(variant), Some(product)) = (variant, product) else {
            return Err(AppError::bad_input_because(
                field,
                "NOT_FOR_SALE",
                format!(
                    "variant {} is no longer sold; remove it from the cart",
                    line.variant_id
                ),
            ));
        };
        let product_title = product["title"].as_str().unwrap_or_default();
        let line_title = title(product_title, variant["title"].as_str().unwrap_or_default());
        if product["status"].as_str() != Some("PUBLISHED") {
            return Err(AppError::bad_input_because(
                field,
                "NOT_FOR_SALE",
                format!(
                    "\"{line_title}\" (variant {}) is not for sale any more; remove it from the cart",
                    line.variant_id
                ),
            ));
        }
        // A live deal's price holds while the deal lasts (cart says so); catalog's otherwise.
        let unit_price = match line.live_price {
            Some(live) => live,
            None => money_of("catalog", &variant["price"])?,
        };
        if unit_price.currency != cart.currency {
            return Err(AppError::bad_input_because(
                field,
                "CURRENCY_MISMATCH",
                format!(
                    "\"{line_title}\" is priced in {}, the cart in {}",
                    unit_price.currency.code(),
                    cart.currency.code()
                ),
            ));
        }
        priced.push(PricedLine {
            line_id: line.id.clone(),
            variant_id: line.variant_id.clone(),
            product_id: product["id"]
                .as_str()
                .unwrap_or(&line.product_id)
                .to_string(),
            sku: variant["sku"].as_str().unwrap_or_default().to_string(),
            title: line_title,
            quantity: line.quantity,
            unit_price: unit_price.minor,
            livestream_id: line.livestream_id.clone(),
        });
    }
    Ok(priced)
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn titles_join_product_and_variant() {
        assert_eq!(title("Mug", "Blue"), "Mug – Blue");
        assert_eq!(title("Mug", ""), "Mug");
        assert_eq!(title("Mug", "Mug"), "Mug");
        assert_eq!(title("Mug", "Default"), "Mug");
    }
}
