//! Federation: the router resolves `Payment` and `Refund` here through `_entities`, and
//! orders' `Order` (extended with `payments`). Every resolution checks access like
//! `payment(id)`: staff, the order's customer, or a guest with the order's `X-Order-Token`.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::schema::service;
use kit::AppError;

use crate::access;
use crate::payment::{self, Payment, PaymentsByOrder};
use crate::refund::{self, Refund};

/// Orders' `Order`, as far as payments knows it.
pub struct Order {
    pub id: ID,
}

#[Object]
impl Order {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The order's payments, oldest first (the order's customer, a guest with the order's
    /// `X-Order-Token`, or staff).
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        let payments = ctx
            .data_unchecked::<DataLoader<PaymentsByOrder>>()
            .load_one(self.id.to_string())
            .await?
            .unwrap_or_default();
        if payments.iter().any(|p| !access::allowed(ctx, p)) {
            return Err(access::denied(ctx).into());
        }
        Ok(payments)
    }
}

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Any order id resolves; `payments` decides access.
    #[graphql(entity)]
    async fn find_order_by_id(&self, id: ID) -> Order {
        Order { id }
    }

    /// Null when unknown; an error when the caller may not see it.
    #[graphql(entity)]
    async fn find_payment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Payment>> {
        let Some(payment) = payment::by_id(&service(ctx).db, &id).await? else {
            return Ok(None);
        };
        access::check(ctx, &payment)?;
        Ok(Some(payment))
    }

    /// Null when unknown; an error when the caller may not see its payment.
    #[graphql(entity)]
    async fn find_refund_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Refund>> {
        let db = &service(ctx).db;
        let Some(refund) = refund::by_id(db, &id).await? else {
            return Ok(None);
        };
        let payment = payment::by_id(db, &refund.payment_id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("refund without payment")))?;
        access::check(ctx, &payment)?;
        Ok(Some(refund))
    }
}
