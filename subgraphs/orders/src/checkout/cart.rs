//! What the checkout reads as the shopper (their `Authorization` and `X-Cart-Token`
//! forwarded, so cart and accounts decide access): the cart, a saved address, and the
//! customer's account email.

use kit::money::{Currency, Money};
use kit::remote::Credentials;
use kit::server::RequestMeta;
use kit::AppError;
use serde_json::json;

use crate::remotes::{money_of, rename_field, Remotes};
use crate::view::AddressView;

const CART: &str = "query($id: ID!) { cart(id: $id) { id status customerId currencyCode lines { id variantId productId quantity livestreamId livePrice { amount currencyCode } } } }";
const ADDRESS: &str = "query($id: ID!) { address(id: $id) { fullName line1 line2 city region postalCode countryCode phone } }";
const ME: &str = "{ me { email } }";

/// A cart line as the checkout needs it (prices come from catalog, not from here, except a
/// live deal's price while it lasts: livestream granted it to this line).
#[derive(Debug, Clone)]
pub struct CartLine {
    pub id: String,
    pub variant_id: String,
    pub product_id: String,
    pub quantity: i64,
    /// The livestream the line came from, for the order line's attribution.
    pub livestream_id: Option<String>,
    /// The live-deal unit price, while the deal lasts.
    pub live_price: Option<Money>,
}

#[derive(Debug, Clone)]
pub struct Cart {
    pub id: String,
    pub status: String,
    pub customer_id: Option<String>,
    pub currency: Currency,
    pub lines: Vec<CartLine>,
}

fn caller(meta: Option<&RequestMeta>) -> Credentials<'_> {
    Credentials::Caller {
        meta,
        headers: &["x-cart-token"],
    }
}

fn malformed(what: &str) -> AppError {
    AppError::internal(anyhow::anyhow!("{what} answered an unexpected shape"))
}

pub async fn read(
    remotes: &Remotes,
    meta: Option<&RequestMeta>,
    cart_id: &str,
) -> Result<Cart, AppError> {
    let data = remotes
        .cart
        .call(CART, json!({ "id": cart_id }), caller(meta))
        .await
        .map_err(|e| rename_field(e, &[("id", "input.cartId")]))?;
    let cart = &data["cart"];
    if cart.is_null() {
        return Err(AppError::not_found(format!(
            "input.cartId: cart {cart_id} not found"
        )));
    }
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let lines = cart["lines"]
        .as_array()
        .ok_or_else(|| malformed("cart"))?
        .iter()
        .map(|l| {
            Some(CartLine {
                id: text(&l["id"])?,
                variant_id: text(&l["variantId"])?,
                product_id: text(&l["productId"])?,
                quantity: l["quantity"].as_i64()?,
                livestream_id: text(&l["livestreamId"]),
                live_price: match &l["livePrice"] {
                    serde_json::Value::Null => None,
                    price => Some(money_of("cart", price).ok()?),
                },
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| malformed("cart"))?;
    Ok(Cart {
        id: text(&cart["id"]).ok_or_else(|| malformed("cart"))?,
        status: text(&cart["status"]).ok_or_else(|| malformed("cart"))?,
        customer_id: text(&cart["customerId"]),
        currency: cart["currencyCode"]
            .as_str()
            .and_then(Currency::from_code)
            .ok_or_else(|| malformed("cart"))?,
        lines,
    })
}

/// One of the caller's saved addresses.
pub async fn saved_address(
    remotes: &Remotes,
    meta: Option<&RequestMeta>,
    id: &str,
) -> Result<AddressView, AppError> {
    let data = remotes
        .accounts
        .call(ADDRESS, json!({ "id": id }), caller(meta))
        .await
        .map_err(|e| match rename_field(e, &[("id", "input.addressId")]) {
            AppError::NotFound(_) => AppError::not_found("input.addressId: no such address"),
            other => other,
        })?;
    let a = &data["address"];
    let text = |key: &str| a[key].as_str().map(str::to_string);
    Ok(AddressView {
        name: text("fullName").ok_or_else(|| malformed("accounts"))?,
        line1: text("line1").ok_or_else(|| malformed("accounts"))?,
        line2: text("line2"),
        city: text("city").ok_or_else(|| malformed("accounts"))?,
        region: text("region"),
        postal_code: text("postalCode").ok_or_else(|| malformed("accounts"))?,
        country_code: text("countryCode").ok_or_else(|| malformed("accounts"))?,
        phone: text("phone"),
    })
}

/// The signed-in caller's account email.
pub async fn account_email(
    remotes: &Remotes,
    meta: Option<&RequestMeta>,
) -> Result<String, AppError> {
    let data = remotes.accounts.call(ME, json!({}), caller(meta)).await?;
    data["me"]["email"]
        .as_str()
        .map(str::to_lowercase)
        .ok_or_else(|| malformed("accounts"))
}
