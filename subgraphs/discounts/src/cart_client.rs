//! Service-to-service read of one cart from the cart subgraph, for applying and removing a
//! coupon: the prices must come from cart, not from the client. The caller's `Authorization`
//! and `X-Cart-Token` headers are forwarded, so cart enforces who may see the cart, and its
//! errors (`NOT_FOUND`, `FORBIDDEN`, ...) reach the caller unchanged.

use kit::money::MoneyInput;
use kit::server::RequestMeta;
use kit::AppError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::engine::Basket;
use crate::settings::Settings;
use crate::snapshot::{CartPricingLineInput, RawCart};

const QUERY: &str = "query($id: ID!) { cart(id: $id) { id status customerId currencyCode subtotal { amount currencyCode } pricingLines { lineId variantId productId quantity unitPrice { amount currencyCode } } } }";
const FORWARDED: [&str; 2] = ["authorization", "x-cart-token"];

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
    http: reqwest::Client,
    url: String,
}

impl CartClient {
    pub fn new(settings: &Settings) -> anyhow::Result<CartClient> {
        Ok(CartClient {
            http: reqwest::Client::builder()
                .timeout(settings.cart_timeout)
                .build()?,
            url: settings.cart_url.clone(),
        })
    }

    /// Cart `id` as the caller (whose headers `meta` holds) may see it.
    pub async fn fetch(
        &self,
        id: &str,
        meta: Option<&RequestMeta>,
    ) -> Result<CartSnapshot, AppError> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": QUERY, "variables": { "id": id } }));
        for name in FORWARDED {
            if let Some(value) = meta.and_then(|m| m.header(name)) {
                request = request.header(name, value);
            }
        }
        let body: Value = request
            .send()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("cart subgraph unreachable: {e}")))?
            .json()
            .await
            .map_err(|e| {
                AppError::internal(anyhow::anyhow!("cart subgraph answered no JSON: {e}"))
            })?;
        if let Some(error) = body["errors"].as_array().and_then(|e| e.first()) {
            return Err(passed_through(error));
        }
        let cart = body["data"]["cart"].clone();
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

/// Cart's error as ours: same code and message.
fn passed_through(error: &Value) -> AppError {
    let message = error["message"]
        .as_str()
        .unwrap_or("cart error")
        .to_string();
    let ext = &error["extensions"];
    match ext["code"].as_str().unwrap_or_default() {
        "NOT_FOUND" => AppError::not_found(message),
        "FORBIDDEN" => AppError::forbidden(message),
        "UNAUTHENTICATED" => AppError::unauthenticated(message),
        "CONFLICT" => AppError::conflict(message),
        "BAD_USER_INPUT" => {
            let field = ext["field"].as_str().unwrap_or("cartId").to_string();
            let message = message
                .strip_prefix(&format!("{field}: "))
                .unwrap_or(&message)
                .to_string();
            // Cart calls its argument `id`; ours is `cartId`.
            let field = if field == "id" {
                "cartId".into()
            } else {
                field
            };
            AppError::bad_input(field, message)
        }
        "RATE_LIMITED" => AppError::RateLimited {
            message,
            retry_after_secs: ext["retryAfterSeconds"].as_u64().unwrap_or(1),
        },
        _ => AppError::internal(anyhow::anyhow!("cart subgraph error: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_errors_keep_their_code_and_message() {
        let e = passed_through(
            &json!({"message": "no such cart", "extensions": {"code": "NOT_FOUND"}}),
        );
        assert_eq!(e.code(), kit::error::Code::NotFound);
        assert_eq!(e.message(), "no such cart");
        let e = passed_through(
            &json!({"message": "id: is not a valid id", "extensions": {"code": "BAD_USER_INPUT", "field": "id"}}),
        );
        assert_eq!(e.message(), "cartId: is not a valid id");
        let e = passed_through(&json!({"message": "boom"}));
        assert_eq!(e.code(), kit::error::Code::Internal);
    }
}
