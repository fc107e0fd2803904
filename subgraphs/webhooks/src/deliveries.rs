//! Reading deliveries with their attempts (staff) and asking for one to be sent again
//! (`redeliverWebhook`, admin): the same delivery, so the same `webhook-id` and body, goes
//! back to PENDING with a fresh retry schedule; its earlier attempts stay on record.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::ids::{now_millis, parse_id};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;

use crate::delivery::{self, Delivery, Row, Status, COLUMNS};
use crate::endpoints::{found, Wake};

#[derive(Default)]
pub struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// Deliveries, newest first, optionally of one endpoint and in one status. Staff only.
    #[allow(clippy::too_many_arguments)]
    #[graphql(requires_scopes = "staff")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<Status>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Delivery, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let mut filter = Filter::default();
        if let Some(e) = endpoint_id {
            filter.and("endpoint_id = ?", Bind::Text(parse_id("endpointId", &e)?));
        }
        if let Some(s) = status {
            filter.and("status = ?", Bind::Text(s.as_str().into()));
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Delivery>(
            &service(ctx).db,
            Source {
                table: "webhook_deliveries",
                columns: COLUMNS,
            },
            &filter,
            &window,
            want_total,
            Delivery::from_row,
            |d| d.id.clone(),
        )
        .await?)
    }

    /// A delivery by id; null when unknown. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Delivery>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(delivery::by_id(&service(ctx).db, &id).await?)
    }
}

#[derive(Default)]
pub struct DeliveryMutation;

#[Object]
impl DeliveryMutation {
    /// Sends a delivery again, whatever became of it (`CONFLICT` while an attempt is in
    /// flight or the endpoint is disabled). Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn redeliver_webhook(&self, ctx: &Context<'_>, delivery_id: ID) -> Result<Delivery> {
        require_role(ctx, Role::Admin)?;
        let id = parse_id("deliveryId", &delivery_id)?;
        let db = &service(ctx).db;
        let current = delivery::by_id(db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("deliveryId: no such webhook delivery"))?;
        if !found(db, &current.endpoint_id).await?.enabled {
            return Err(AppError::conflict(
                "deliveryId: its endpoint is disabled; enable it first",
            )
            .into());
        }
        let now = now_millis();
        let requeued = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, round_attempts = 0, next_attempt_at = $2, \
               updated_at = $2 WHERE id = $3 AND (claimed_until IS NULL OR claimed_until < $2)",
        )
        .bind(Status::Pending.as_str())
        .bind(now)
        .bind(&id)
        .execute(db.pool())
        .await?
        .rows_affected();
        if requeued == 0 {
            return Err(AppError::conflict(
                "deliveryId: an attempt is in flight; try again when it is recorded",
            )
            .into());
        }
        ctx.data_unchecked::<Wake>().0.notify_one();
        Ok(delivery::by_id(db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("deliveryId: no such webhook delivery"))?)
    }
}
