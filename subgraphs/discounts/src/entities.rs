//! Federation entry points: the router resolves `Coupon`, `Promotion` and (for its discounts,
//! with the `@requires` fields in the representation) `Cart` here through `_entities`.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::money::MoneyInput;

use crate::cart::Cart;
use crate::coupon::{Coupon, CouponsById};
use crate::promotion::{Promotion, PromotionsById};
use crate::snapshot::CartPricingLineInput;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown.
    #[graphql(entity)]
    async fn find_coupon_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Coupon>> {
        Ok(ctx
            .data_unchecked::<DataLoader<CouponsById>>()
            .load_one(id.to_string())
            .await?)
    }

    /// Null when unknown.
    #[graphql(entity)]
    async fn find_promotion_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Promotion>> {
        Ok(ctx
            .data_unchecked::<DataLoader<PromotionsById>>()
            .load_one(id.to_string())
            .await?)
    }

    /// Any cart id resolves; the discount fields need the `@requires` fields alongside.
    #[graphql(entity)]
    async fn find_cart_by_id(
        &self,
        #[graphql(key)] id: ID,
        currency_code: Option<String>,
        customer_id: Option<ID>,
        subtotal: Option<MoneyInput>,
        pricing_lines: Option<Vec<CartPricingLineInput>>,
    ) -> Cart {
        Cart::from_representation(id, currency_code, customer_id, subtotal, pricing_lines)
    }
}
