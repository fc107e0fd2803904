//! Moving an order from one status to another, the one way every actor does it: lock the
//! order, check the move against the state machine's table, update it, record the change in
//! its history and emit `order.<status>` (outbox + `order_events`), all in the caller's
//! transaction. [`step`] is all of it but the event, at a given time (the demo seed replays
//! past orders through it).

use kit::ids::now_millis;
use kit::{AppError, Service, Tx};

use crate::status::{allowed, OrderStatus, Trigger};
use crate::view::{HistoryEntry, OrderView};
use crate::{events, store};

/// What a move records besides the status.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub refunded_total: Option<i64>,
    pub shipment_id: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Move {
    pub to: OrderStatus,
    /// A user id, "system", or the service whose event caused the move.
    pub actor: String,
    /// Why; also the reason recorded (PAYMENT_SUCCEEDED, CUSTOMER, PAYMENT_TIMEOUT, ...).
    pub cause: Trigger,
    pub note: Option<String>,
    pub facts: Facts,
}

impl Move {
    pub fn new(to: OrderStatus, actor: &str, cause: Trigger) -> Move {
        Move {
            to,
            actor: actor.to_string(),
            cause,
            note: None,
            facts: Facts::default(),
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    /// Done: the order as it is now.
    Moved(OrderView),
    /// The table does not allow it from the order's current status.
    Illegal(OrderView),
    /// No such order.
    Unknown,
}

impl Outcome {
    /// For client-facing callers: an illegal move is a `CONFLICT`.
    pub fn into_result(self, to: OrderStatus) -> Result<OrderView, AppError> {
        match self {
            Outcome::Moved(order) => Ok(order),
            Outcome::Illegal(order) => Err(AppError::conflict(format!(
                "order {} is {}; it cannot become {}",
                order.number,
                order.status.as_str(),
                to.as_str()
            ))),
            Outcome::Unknown => Err(AppError::not_found("id: no such order")),
        }
    }
}

pub async fn apply(
    svc: &Service,
    tx: &mut Tx,
    order_id: &str,
    mv: Move,
) -> Result<Outcome, AppError> {
    match step(tx, order_id, mv, now_millis()).await? {
        Step::Moved(order, change) => {
            events::emit(svc, tx, &order, &change).await?;
            Ok(Outcome::Moved(order))
        }
        Step::Done(outcome) => Ok(outcome),
    }
}

/// What [`step`] did.
#[derive(Debug)]
pub enum Step {
    /// Moved: the order as it is now and the change recorded in its history, still to be
    /// announced.
    Moved(OrderView, HistoryEntry),
    /// Nothing written: [`Outcome::Illegal`] or [`Outcome::Unknown`].
    Done(Outcome),
}

/// [`apply`] without the event: locks the order, checks `mv` against the table, updates the
/// order and records the change (dated `at`) in its history.
pub async fn step(tx: &mut Tx, order_id: &str, mv: Move, at: i64) -> Result<Step, AppError> {
    // A no-op write takes the row lock (PostgreSQL) before reading, so concurrent moves of
    // one order queue up; SQLite's BEGIN IMMEDIATE already serialises writers.
    let locked = sqlx::query("UPDATE orders SET version = version WHERE id = $1")
        .bind(order_id)
        .execute(tx.conn())
        .await?
        .rows_affected();
    if locked == 0 {
        return Ok(Step::Done(Outcome::Unknown));
    }
    let Some(mut order) = store::one(tx.conn(), order_id).await? else {
        return Ok(Step::Done(Outcome::Unknown));
    };
    if !allowed(order.status, mv.cause, mv.to) {
        return Ok(Step::Done(Outcome::Illegal(order)));
    }
    let change = HistoryEntry {
        version: order.version + 1,
        status: mv.to,
        previous_status: Some(order.status),
        actor: mv.actor,
        reason: mv.cause.reason().to_string(),
        note: mv.note,
        at,
    };
    let facts = mv.facts;
    order.status = mv.to;
    order.version = change.version;
    order.updated_at = at;
    if let Some(refunded) = facts.refunded_total {
        order.refunded_total = refunded;
    }
    order.shipment_id = facts.shipment_id.or(order.shipment_id);
    order.carrier = facts.carrier.or(order.carrier);
    order.tracking_number = facts.tracking_number.or(order.tracking_number);
    sqlx::query(
        "UPDATE orders SET status = $1, version = $2, updated_at = $3, refunded_total = $4, \
         shipment_id = $5, carrier = $6, tracking_number = $7 WHERE id = $8",
    )
    .bind(order.status.as_str())
    .bind(order.version)
    .bind(at)
    .bind(order.refunded_total)
    .bind(&order.shipment_id)
    .bind(&order.carrier)
    .bind(&order.tracking_number)
    .bind(&order.id)
    .execute(tx.conn())
    .await?;
    events::record(tx, &order.id, &change).await?;
    Ok(Step::Moved(order, change))
}
