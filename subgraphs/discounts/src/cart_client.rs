//! Service-to-service read of one cart from the cart subgraph, for applying and removing a
//! coupon: the prices must come from cart, not from the client. The caller's `Authorization`
//! and `X-Cart-Token` headers are forwarded, so cart enforces who may see the cart, and its
//! errors (`NOT_FOUND`, `FORBIDDEN`, ...) reach the caller unchanged.

use kit::money::MoneyInput;
use kit::remote::{Credentials, Remote};
use kit::server::RequestMeta;
use kit::AppError;
use serde::Deserialize;
use serde_json::json;

use crate::engine::Basket;
use crate::settings::Settings;
use crate::snapshot::{CartPricingLineInput, RawCart};

const QUERY: &str = "query($id: ID!) { cart(id: $id) { id status customerId currencyCode subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } } } }";
/// Besides the caller's `Authorization`, which `kit::remote` always forwards.
const FORWARDED: [&str; 1] = ["x-cart-token"];

/// A cart as cart reports it.
#[derive(Debug, Clone)]
pub struct CartSnapshot {
    pub id: String,
    pub status: String,
    pub customer_id: Option<String>,
    pub basket: Basket,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: String,
    currency_code: String,
}

impl From<Money> for MoneyInput {
    fn from(m: Money) -> MoneyInput {
        MoneyInput {
            amount: m.amount,
            currency_code: m.currency_code,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    line_id: String,
    variant_id: String,
    product_id: String,
    quantity: i32,
    unit_price: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    id: String,
    status: String,
    customer_id: Option<String>,
    currency_code: String,
    subtotal: Money,
    pricing_lines: Vec<Line>,
}

#[derive(Clone)]
pub struct CartClient {
    remote: Remote,
}

impl CartClient {
    pub fn new(settings: &Settings) -> anyhow::Result<CartClient> {
        Ok(CartClient {
            remote: Remote::new("cart", &settings.cart_url, settings.cart_timeout)?,
        })
    }

    /// Cart `id` as the caller (whose headers `meta` holds) may see it.
    pub async fn fetch(
        &self,
        id: &str,
        meta: Option<&RequestMeta>,
    ) -> Result<CartSnapshot, AppError> {
        let data = self
            .remote
            .call(
                QUERY,
                json!({ "id": id }),
                Credentials::Caller {
                    meta,
                    headers: &FORWARDED,
                },
            )
            .await
            .map_err(renamed)?;
        let cart = data["cart"].clone();
        if cart.is_null() {
            return Err(AppError::not_found("cartId: no such cart"));
        }
        let wire: Wire = serde_json::from_value(cart)
            .map_err(|e| AppError::internal(anyhow::anyhow!("unexpected cart shape: {e}")))?;
        let subtotal: MoneyInput = wire.subtotal.into();
        let lines: Vec<CartPricingLineInput> = wire
            .pricing_lines
            .into_iter()
            .map(|l| CartPricingLineInput {
                line_id: l.line_id.into(),
                variant_id: l.variant_id.into(),
                product_id: l.product_id.into(),
                quantity: l.quantity,
                unit_price: l.unit_price.into(),
            })
            .collect();
        let basket = RawCart {
            currency_code: &wire.currency_code,
            subtotal: &subtotal,
            lines: &lines,
        }
        .basket("cart")
        .map_err(|e| {
            AppError::internal(anyhow::anyhow!("cart sent bad prices: {}", e.message()))
        })?;
        Ok(CartSnapshot {
            id: wire.id,
            status: wire.status,
            customer_id: wire.customer_id,
            basket,
        })
    }
}

/// Cart's error as ours (same code and message, see `kit::remote`), except that cart calls its
/// argument `id` where ours is `cartId`.
fn renamed(err: AppError) -> AppError {
    match err {
        AppError::BadInput {
            field,
            message,
            reason,
        } => AppError::BadInput {
            field: if field == "id" || field.is_empty() {
                "cartId".into()
            } else {
                field
            },
            message,
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::remote::error::from_graphql;

    #[test]
    fn cart_errors_keep_their_code_and_message() {
        let passed_through = |error| renamed(from_graphql("cart", &error));
        let e =
            passed_through(json!({"message": "no such cart", "extensions": {"code": "NOT_FOUND"}}));
        assert_eq!(e.code(), kit::error::Code::NotFound);
        assert_eq!(e.message(), "no such cart");
        let e = passed_through(
            json!({"message": "id: is not a valid id", "extensions": {"code": "BAD_USER_INPUT", "field": "id"}}),
        );
        assert_eq!(e.message(), "cartId: is not a valid id");
        let e = passed_through(json!({"message": "boom"}));
        assert_eq!(e.code(), kit::error::Code::Internal);
    }
}
