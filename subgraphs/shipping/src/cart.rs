//! Shipping's view of cart's `Cart` entity: `shippingOptions(address)`, the methods a cart can
//! ship with and their prices. The router supplies the cart's currency, subtotal and lines
//! (`@requires`); the external fields are typed exactly as cart types them (non-null) and
//! `CartPricingLine` is defined exactly as cart and discounts define it, so composition agrees.

use async_graphql::{ComplexObject, Context, Result, SimpleObject, ID};
use kit::money::{MoneyInput, MoneyObject};
use kit::schema::service;
use kit::AppError;

use crate::address::ShippingAddressInput;
use crate::quote::{self, Fields, Parcel, ShippingLineInput, ShippingQuote};
use crate::settings::Settings;

/// A cart line as the cart subgraph prices it. Shareable: cart and discounts define the same
/// type.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
#[graphql(shareable)]
pub struct CartPricingLine {
    pub line_id: ID,
    pub variant_id: ID,
    pub product_id: ID,
    pub quantity: i32,
    pub unit_price: MoneyObject,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Cart {
    pub id: ID,
    // Cart's own fields as the router's representation carries them.
    #[graphql(skip)]
    currency_code: Option<String>,
    #[graphql(skip)]
    subtotal: Option<MoneyInput>,
    #[graphql(skip)]
    lines: Option<Vec<ShippingLineInput>>,
}

/// An external field the representation did not carry.
fn missing(field: &str) -> AppError {
    AppError::bad_input(
        "representations",
        format!("Cart.{field} is cart's; send it in the representation"),
    )
}

impl Cart {
    pub fn from_representation(
        id: ID,
        currency_code: Option<String>,
        subtotal: Option<MoneyInput>,
        lines: Option<Vec<ShippingLineInput>>,
    ) -> Cart {
        Cart {
            id,
            currency_code,
            subtotal,
            lines,
        }
    }
}

#[ComplexObject]
impl Cart {
    #[graphql(external)]
    async fn currency_code(&self) -> Result<&str> {
        Ok(self
            .currency_code
            .as_deref()
            .ok_or_else(|| missing("currencyCode"))?)
    }

    #[graphql(external)]
    async fn subtotal(&self) -> Result<MoneyObject> {
        let s = self.subtotal.as_ref().ok_or_else(|| missing("subtotal"))?;
        Ok(MoneyObject {
            amount: s.amount.clone(),
            currency_code: s.currency_code.clone(),
        })
    }

    /// Cart's; the representation carries only each line's variant and quantity, so shipping
    /// never answers it (the router asks cart).
    #[graphql(external)]
    async fn pricing_lines(&self) -> Result<Vec<CartPricingLine>> {
        Err(missing("pricingLines").into())
    }

    /// The methods this cart can ship with to `address`, cheapest first: every active method
    /// whose zones contain the address and that has a rate in the cart's currency. Empty when
    /// none can.
    #[graphql(
        requires = "currencyCode subtotal { amount currencyCode } pricingLines { variantId quantity }"
    )]
    async fn shipping_options(
        &self,
        ctx: &Context<'_>,
        address: ShippingAddressInput,
    ) -> Result<Vec<ShippingQuote>> {
        let (Some(currency), Some(subtotal), Some(lines)) =
            (&self.currency_code, &self.subtotal, &self.lines)
        else {
            return Err(AppError::bad_input(
                "representations",
                "a Cart needs currencyCode, subtotal and pricingLines for its shipping options",
            )
            .into());
        };
        let to = address.parse("address")?;
        let svc = service(ctx);
        let parcel = Parcel::parse(
            &svc.db,
            ctx.data_unchecked::<Settings>(),
            Fields {
                currency_code: "representation.currencyCode",
                subtotal: "representation.subtotal",
                lines: "representation.pricingLines",
            },
            currency,
            subtotal,
            lines,
        )
        .await?;
        Ok(quote::options(&svc.db, &to, &parcel).await?)
    }
}
