//! Reading payments: `payment(id)` for whoever may see it (see [`crate::access`]) and the
//! staff list `payments(filter, first, after, last, before)`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;

use crate::access;
use crate::listing::{self, Filter};
use crate::payment::{self, Payment};
use crate::status::PaymentStatus;
use crate::validate;

#[derive(Debug, Clone, Default, InputObject)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    pub order_id: Option<ID>,
    pub customer_id: Option<ID>,
    /// test, stripe, paystack, flutterwave or sepay.
    pub provider: Option<String>,
}

#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// A payment, for staff, the order's customer or a guest with the order's `X-Order-Token`.
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<Payment> {
        let id = validate::key("id", &id)?;
        let payment = payment::by_id(&service(ctx).db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such payment"))?;
        access::check(ctx, &payment)?;
        Ok(payment)
    }

    /// Payments, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Payment, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut sql = Filter::default();
        if let Some(status) = filter.status {
            sql.equal("status", status.as_str().to_string());
        }
        if let Some(order) = &filter.order_id {
            sql.equal("order_id", validate::key("filter.orderId", order)?);
        }
        if let Some(customer) = &filter.customer_id {
            sql.equal("customer_id", validate::key("filter.customerId", customer)?);
        }
        if let Some(provider) = &filter.provider {
            sql.equal(
                "provider",
                validate::key("filter.provider", provider)?.to_ascii_lowercase(),
            );
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page(&service(ctx).db, &sql, &window, want_total).await?)
    }
}
