//! Staff work on shipments: look one up, list them (by status or order), mark one PACKED, and
//! hand it to a carrier (SHIPPED with carrier and tracking number). A move the status table
//! does not allow is a `CONFLICT`; customers get `FORBIDDEN`, anonymous callers
//! `UNAUTHENTICATED`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::ids::{now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;

use crate::shipment::{self, Row, Shipment, COLUMNS};
use crate::status::{ShipmentStatus, TrackingSource};
use crate::transitions::{self, Change, Outcome};
use crate::validate;
use kit::listing::{self, Bind, Filter, Source};

/// Longest carrier name and tracking number.
const MAX_CARRIER: usize = 100;
const MAX_TRACKING: usize = 100;

#[derive(Debug, Clone, Default, InputObject)]
pub struct ShipmentFilter {
    pub status: Option<ShipmentStatus>,
    pub order_id: Option<ID>,
}

#[derive(Default)]
pub struct ShipmentQuery;

#[Object]
impl ShipmentQuery {
    /// A shipment by id; null when unknown. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipment(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Shipment>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(shipment::by_id(&service(ctx).db, &id).await?)
    }

    /// Shipments, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn shipments(
        &self,
        ctx: &Context<'_>,
        filter: Option<ShipmentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Shipment, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut sql = Filter::default();
        if let Some(status) = filter.status {
            sql.and("status = ?", Bind::Text(status.as_str().into()));
        }
        if let Some(order) = &filter.order_id {
            sql.and(
                "order_id = ?",
                Bind::Text(parse_id("filter.orderId", order)?),
            );
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Shipment>(
            &service(ctx).db,
            Source {
                table: "shipments",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            Shipment::from_row,
            |s| s.id.clone(),
        )
        .await?)
    }
}

#[derive(Default)]
pub struct ShipmentMutation;

#[Object]
impl ShipmentMutation {
    /// PENDING → PACKED. Staff only; `CONFLICT` from any other status.
    #[graphql(requires_scopes = "staff")]
    async fn mark_shipment_packed(&self, ctx: &Context<'_>, id: ID) -> Result<Shipment> {
        require_role(ctx, Role::Staff)?;
        let change = Change {
            to: ShipmentStatus::Packed,
            by: TrackingSource::Staff,
            occurred_at: now_millis(),
            location: None,
            description: Some("Packed"),
            carrier: None,
            tracking_number: None,
        };
        Ok(move_to(ctx, &id, &change).await?)
    }

    /// PENDING or PACKED → SHIPPED: handed to `carrier` under `trackingNumber` (unique across
    /// shipments; the carrier webhook finds the shipment by it). Staff only; `CONFLICT` from
    /// any other status.
    #[graphql(requires_scopes = "staff")]
    async fn mark_shipment_shipped(
        &self,
        ctx: &Context<'_>,
        id: ID,
        carrier: String,
        tracking_number: String,
    ) -> Result<Shipment> {
        require_role(ctx, Role::Staff)?;
        let carrier = validate::text("carrier", &carrier, MAX_CARRIER)?;
        let tracking = tracking_number.trim();
        let tracking_ok = !tracking.is_empty()
            && tracking.len() <= MAX_TRACKING
            && tracking
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !tracking_ok {
            return Err(AppError::bad_input(
                "trackingNumber",
                format!("must be 1 to {MAX_TRACKING} letters, digits, '-' or '_'"),
            )
            .into());
        }
        let description = format!("Handed to {carrier}");
        let change = Change {
            to: ShipmentStatus::Shipped,
            by: TrackingSource::Staff,
            occurred_at: now_millis(),
            location: None,
            description: Some(&description),
            carrier: Some(&carrier),
            tracking_number: Some(tracking),
        };
        Ok(move_to(ctx, &id, &change).await?)
    }
}

async fn move_to(ctx: &Context<'_>, id: &ID, change: &Change<'_>) -> Result<Shipment, AppError> {
    let id = parse_id("id", id)?;
    let svc = service(ctx);
    let mut tx = svc.db.begin().await?;
    match transitions::apply(svc, &mut tx, &id, change).await? {
        Outcome::Changed(shipment) | Outcome::Scanned(shipment) => {
            tx.commit().await?;
            Ok(shipment)
        }
        Outcome::Illegal(shipment) | Outcome::Stale(shipment) => Err(AppError::conflict(format!(
            "id: a {} shipment cannot become {}",
            shipment.status.as_str(),
            change.to.as_str()
        ))),
    }
}
