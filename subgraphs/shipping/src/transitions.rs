//! Moving a shipment: the one place a status changes, for staff and the carrier webhook alike.
//! Inside the caller's transaction it checks the move against the table in [`crate::status`],
//! updates the row only if nobody changed it meanwhile (a version check, retried on a lost
//! race, so it is safe on PostgreSQL's read-committed transactions as on SQLite), appends a
//! tracking-history row and emits `shipment.updated` (plus `shipment.delivered` on DELIVERED)
//! to the outbox, per `docs/checkout.md`.

use kit::error::is_unique_violation;
use kit::ids::{from_millis, new_id, now_millis};
use kit::{AppError, Service, Tx};
use serde_json::json;

use crate::shipment::{Row, Shipment, COLUMNS};
use crate::status::{Move, ShipmentStatus, TrackingSource};

/// Attempts before a shipment that keeps changing underneath gives up with `CONFLICT`.
const ATTEMPTS: usize = 10;

/// A requested change.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub to: ShipmentStatus,
    pub by: TrackingSource,
    /// Unix ms: now for staff, the carrier's time for carrier updates.
    pub occurred_at: i64,
    pub location: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Set when handing over to a carrier (SHIPPED).
    pub carrier: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The status changed (the shipment after it).
    Changed(Shipment),
    /// Same status, new tracking information.
    Scanned(Shipment),
    /// The table does not allow it (the shipment as it stays).
    Illegal(Shipment),
    /// A carrier update older than one already applied (the shipment as it stays).
    Stale(Shipment),
}

async fn current(tx: &mut Tx, id: &str) -> Result<Shipment, AppError> {
    let row: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM shipments WHERE id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    row.map(Shipment::from_row)
        .transpose()?
        .ok_or_else(|| AppError::not_found("id: no such shipment"))
}

/// Applies `change` to shipment `id` inside `tx` (the caller commits).
pub async fn apply(
    svc: &Service,
    tx: &mut Tx,
    id: &str,
    change: &Change<'_>,
) -> Result<Outcome, AppError> {
    for _ in 0..ATTEMPTS {
        let before = current(tx, id).await?;
        let by_carrier = change.by == TrackingSource::Carrier;
        if by_carrier
            && before
                .last_carrier_at
                .is_some_and(|t| change.occurred_at < t)
        {
            return Ok(Outcome::Stale(before));
        }
        let step = before.status.to(change.to, change.by);
        if step == Move::Illegal {
            return Ok(Outcome::Illegal(before));
        }
        let version = before.version + 1;
        let now = now_millis();
        let last_carrier_at = if by_carrier {
            Some(change.occurred_at)
        } else {
            before.last_carrier_at
        };
        let updated = sqlx::query(
            "UPDATE shipments SET status = $1, carrier = COALESCE($2, carrier), \
               tracking_number = COALESCE($3, tracking_number), version = $4, \
               last_carrier_at = $5, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(change.to.as_str())
        .bind(change.carrier)
        .bind(change.tracking_number)
        .bind(version)
        .bind(last_carrier_at)
        .bind(now)
        .bind(id)
        .bind(before.version)
        .execute(tx.conn())
        .await;
        match updated {
            Err(err) if is_unique_violation(&err) => {
                return Err(AppError::conflict(
                    "trackingNumber: another shipment already has this tracking number",
                ))
            }
            Err(err) => return Err(err.into()),
            Ok(done) if done.rows_affected() == 0 => continue, // lost a race: look again
            Ok(_) => {}
        }
        record(tx, id, version, change, now).await?;
        let after = current(tx, id).await?;
        if step == Move::Scan {
            return Ok(Outcome::Scanned(after));
        }
        announce(svc, tx, &before, &after, change.occurred_at).await?;
        return Ok(Outcome::Changed(after));
    }
    Err(AppError::conflict(
        "id: the shipment is changing concurrently; try again",
    ))
}

/// Appends the tracking-history row of version `seq`.
pub async fn record(
    tx: &mut Tx,
    shipment: &str,
    seq: i64,
    change: &Change<'_>,
    now: i64,
) -> Result<(), AppError> {
    let source = match change.by {
        TrackingSource::System => "SYSTEM",
        TrackingSource::Staff => "STAFF",
        TrackingSource::Carrier => "CARRIER",
    };
    sqlx::query(
        "INSERT INTO tracking_events (id, shipment_id, seq, status, occurred_at, location, \
           description, source, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(shipment)
    .bind(seq)
    .bind(change.to.as_str())
    .bind(change.occurred_at)
    .bind(change.location)
    .bind(change.description)
    .bind(source)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// `shipment.updated`, and `shipment.delivered` when it arrived.
async fn announce(
    svc: &Service,
    tx: &mut Tx,
    before: &Shipment,
    after: &Shipment,
    at: i64,
) -> Result<(), AppError> {
    let at = from_millis(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let subject = Some(after.id.clone());
    let updated = json!({
        "shipmentId": after.id,
        "orderId": after.order_id,
        "status": after.status.as_str(),
        "previousStatus": before.status.as_str(),
        "carrier": after.carrier,
        "trackingNumber": after.tracking_number,
        "at": at,
    });
    tx.emit(&svc.event("shipment.updated", subject.clone(), updated))
        .await?;
    if after.status == ShipmentStatus::Delivered {
        let delivered = json!({
            "shipmentId": after.id,
            "orderId": after.order_id,
            "carrier": after.carrier,
            "trackingNumber": after.tracking_number,
            "at": at,
        });
        tx.emit(&svc.event("shipment.delivered", subject, delivered))
            .await?;
    }
    Ok(())
}
