//! Reservations: stock held for a cart or checkout until it is paid (committed), cancelled
//! (released) or its time runs out (expired, by the sweeper). Reserving is all-or-nothing and
//! atomic: each unit is taken with a conditional `UPDATE … WHERE on_hand - reserved >= q`
//! whose affected-row count says whether it was still there, inside one write transaction, so
//! concurrent reservations can never oversell.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{caller, require_owner_or_staff, require_role, Role};
use kit::error::is_unique_violation;
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::schema::service;
use kit::{AppError, Db, Service, Tx};
use serde_json::json;

use crate::events::{emit_change, Touched};
use crate::settings::Settings;
use kit::db::placeholders as params;

const MAX_LINES: usize = 100;
const MAX_QUANTITY: i64 = 1_000_000;
const MAX_TEXT: usize = 200;
/// Attempts at one warehouse when concurrent reservations keep taking its stock first.
const RETRIES_PER_WAREHOUSE: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReservationStatus {
    Held,
    Committed,
    Released,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Held => "HELD",
            ReservationStatus::Committed => "COMMITTED",
            ReservationStatus::Released => "RELEASED",
            ReservationStatus::Expired => "EXPIRED",
        }
    }

    fn parse(raw: &str) -> ReservationStatus {
        match raw {
            "COMMITTED" => ReservationStatus::Committed,
            "RELEASED" => ReservationStatus::Released,
            "EXPIRED" => ReservationStatus::Expired,
            _ => ReservationStatus::Held,
        }
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct ReservationLine {
    pub variant_id: ID,
    pub warehouse_id: ID,
    pub quantity: i64,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct Reservation {
    pub id: ID,
    /// The cart or checkout the stock is held for.
    pub reference: String,
    pub status: ReservationStatus,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Where the units come from: a requested line may be split across warehouses.
    pub lines: Vec<ReservationLine>,
    #[graphql(skip)]
    pub owner_id: String,
}

#[derive(InputObject)]
pub struct ReserveLineInput {
    pub variant_id: ID,
    pub quantity: i64,
}

#[derive(InputObject)]
pub struct ReserveInput {
    /// The cart or checkout id the stock is held for.
    pub reference: String,
    pub lines: Vec<ReserveLineInput>,
    /// How long the hold lasts; the configured default when omitted.
    pub ttl_seconds: Option<i64>,
    /// Repeating a key returns the reservation the first request made.
    pub idempotency_key: Option<String>,
}

/// A validated reservation request.
struct Request {
    reference: String,
    /// (variant id, quantity), sorted by variant id so concurrent reservations lock rows in the
    /// same order.
    lines: Vec<(String, i64)>,
    ttl_ms: i64,
    idempotency_key: Option<String>,
}

fn text(field: &str, raw: &str) -> Result<String, AppError> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {MAX_TEXT} characters"),
        ));
    }
    Ok(value.to_string())
}

fn validate(input: ReserveInput, settings: &Settings) -> Result<Request, AppError> {
    let reference = text("input.reference", &input.reference)?;
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(AppError::bad_input(
            "input.lines",
            format!("must have 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines: Vec<(String, i64)> = Vec::with_capacity(input.lines.len());
    for (i, line) in input.lines.iter().enumerate() {
        let variant = parse_id(&format!("input.lines[{i}].variantId"), &line.variant_id)?;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(AppError::bad_input(
                format!("input.lines[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        if lines.iter().any(|(v, _)| *v == variant) {
            return Err(AppError::bad_input(
                format!("input.lines[{i}].variantId"),
                "appears in more than one line",
            ));
        }
        lines.push((variant, line.quantity));
    }
    lines.sort();
    let max_ttl = settings.max_ttl.as_secs() as i64;
    let ttl = input
        .ttl_seconds
        .unwrap_or(settings.default_ttl.as_secs() as i64);
    if !(1..=max_ttl).contains(&ttl) {
        return Err(AppError::bad_input(
            "input.ttlSeconds",
            format!("must be between 1 and {max_ttl}"),
        ));
    }
    let idempotency_key = input
        .idempotency_key
        .as_deref()
        .map(|k| text("input.idempotencyKey", k))
        .transpose()?;
    Ok(Request {
        reference,
        lines,
        ttl_ms: ttl * 1000,
        idempotency_key,
    })
}

#[derive(Default)]
pub struct ReservationQuery;

#[Object]
impl ReservationQuery {
    /// A reservation: its owner's or, for staff, anyone's.
    async fn reservation(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Reservation>> {
        let id = parse_id("id", &id)?;
        let Some(found) = load(ctx, &id).await? else {
            return Ok(None);
        };
        require_owner_or_staff(ctx, &found.owner_id)?;
        Ok(Some(found))
    }
}

#[derive(Default)]
pub struct ReservationMutation;

#[Object]
impl ReservationMutation {
    /// Holds stock for a cart or checkout: every line or none (`CONFLICT` naming the variant
    /// when one is out of stock). Units come from the warehouse with most available first,
    /// split across warehouses when one has too few. Signed-in callers only.
    async fn reserve(&self, ctx: &Context<'_>, input: ReserveInput) -> Result<Reservation> {
        let owner = caller(ctx)?.user_id.clone();
        let request = validate(input, ctx.data_unchecked::<Settings>())?;
        Ok(reserve(service(ctx), &owner, request).await?)
    }

    /// Turns held stock into a sale: on hand and reserved both drop. Staff only (payments
    /// normally do this through `payment.succeeded`). Committing twice is harmless.
    #[graphql(requires_scopes = "staff")]
    async fn commit_reservation(&self, ctx: &Context<'_>, id: ID) -> Result<Reservation> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(settle(service(ctx), &id, Outcome::Commit).await?)
    }

    /// Gives held stock back. The reservation's owner or staff. Releasing twice is harmless.
    async fn release_reservation(&self, ctx: &Context<'_>, id: ID) -> Result<Reservation> {
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let found = by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found("id: no such reservation"))?;
        require_owner_or_staff(ctx, &found.owner_id)?;
        Ok(settle(svc, &id, Outcome::Release).await?)
    }
}

/// Attempts when PostgreSQL picks a reservation as a deadlock victim (two reservations
/// splitting the same variants across warehouses in opposite orders).
const DEADLOCK_ATTEMPTS: usize = 3;

async fn reserve(svc: &Service, owner: &str, request: Request) -> Result<Reservation, AppError> {
    if let Some(key) = &request.idempotency_key {
        if let Some(first) = by_key(&svc.db, owner, key).await? {
            return Ok(first);
        }
    }
    let mut attempt = 1;
    loop {
        match reserve_once(svc, owner, &request).await {
            Err(err) if attempt < DEADLOCK_ATTEMPTS && is_deadlock(&err) => attempt += 1,
            result => return result,
        }
    }
}

/// PostgreSQL's deadlock-detected and serialization-failure codes.
fn is_deadlock(err: &AppError) -> bool {
    let AppError::Internal(source) = err else {
        return false;
    };
    matches!(
        source.downcast_ref::<sqlx::Error>(),
        Some(sqlx::Error::Database(db)) if matches!(db.code().as_deref(), Some("40P01" | "40001"))
    )
}

async fn reserve_once(
    svc: &Service,
    owner: &str,
    request: &Request,
) -> Result<Reservation, AppError> {
    let id = new_id();
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO reservations \
           (id, reference, status, owner_id, idempotency_key, expires_at, created_at, updated_at) \
         VALUES ($1, $2, 'HELD', $3, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(&request.reference)
    .bind(owner)
    .bind(&request.idempotency_key)
    .bind(now + request.ttl_ms)
    .bind(now)
    .execute(tx.conn())
    .await;
    if let Err(err) = inserted {
        // A concurrent request with the same key won: answer with its reservation.
        if let (true, Some(key)) = (is_unique_violation(&err), &request.idempotency_key) {
            drop(tx);
            return by_key(&svc.db, owner, key).await?.ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("idempotent reservation vanished"))
            });
        }
        return Err(err.into());
    }

    let mut candidates = candidates(&mut tx, &request.lines).await?;
    let mut lines = Vec::new();
    let mut touched = Vec::new();
    for (i, (variant, quantity)) in request.lines.iter().enumerate() {
        let Some(levels) = candidates.remove(variant) else {
            return Err(AppError::not_found(format!(
                "input.lines[{i}].variantId: no stock is kept for variant {variant}"
            )));
        };
        let mut remaining = *quantity;
        for (warehouse, mut available) in levels {
            for _ in 0..RETRIES_PER_WAREHOUSE {
                let take = remaining.min(available);
                if take <= 0 {
                    break;
                }
                if take_units(&mut tx, variant, &warehouse, take, now).await? {
                    remaining -= take;
                    lines.push(ReservationLine {
                        variant_id: ID(variant.clone()),
                        warehouse_id: ID(warehouse.clone()),
                        quantity: take,
                    });
                    touched.push(Touched {
                        variant_id: variant.clone(),
                        warehouse_id: warehouse.clone(),
                        available_before: available,
                    });
                    break;
                }
                // Another reservation got there first: look again at what is left.
                available = available_in(&mut tx, variant, &warehouse).await?;
            }
            if remaining == 0 {
                break;
            }
        }
        if remaining > 0 {
            let left = total_available(&mut tx, variant).await?;
            return Err(AppError::conflict(format!(
                "out of stock: variant {variant} has {left} available, {quantity} requested"
            )));
        }
    }

    for line in &lines {
        sqlx::query(
            "INSERT INTO reservation_lines (reservation_id, variant_id, warehouse_id, quantity) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(line.variant_id.as_str())
        .bind(line.warehouse_id.as_str())
        .bind(line.quantity)
        .execute(tx.conn())
        .await?;
    }
    let reservation = Reservation {
        id: ID(id.clone()),
        reference: request.reference.clone(),
        status: ReservationStatus::Held,
        expires_at: from_millis(now + request.ttl_ms),
        created_at: from_millis(now),
        lines,
        owner_id: owner.to_string(),
    };
    let data = json!({
        "reservationId": id,
        "reference": reservation.reference,
        "expiresAt": reservation.expires_at.to_rfc3339(),
        "lines": lines_json(&reservation.lines),
    });
    emit_change(svc, &mut tx, "inventory.reserved", Some(id), data, &touched).await?;
    tx.commit().await?;
    Ok(reservation)
}

/// For each requested variant, its warehouses with stock available, most available first
/// (ties by warehouse id), in one query. Variants with no stock level at all are absent.
async fn candidates(
    tx: &mut Tx,
    lines: &[(String, i64)],
) -> Result<HashMap<String, Vec<(String, i64)>>, AppError> {
    let sql = format!(
        "SELECT variant_id, warehouse_id, on_hand - reserved FROM stock_levels \
         WHERE variant_id IN ({}) ORDER BY variant_id, on_hand - reserved DESC, warehouse_id",
        params(1, lines.len())
    );
    let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql);
    for (variant, _) in lines {
        query = query.bind(variant);
    }
    let mut out: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for (variant, warehouse, available) in query.fetch_all(tx.conn()).await? {
        out.entry(variant).or_default().push((warehouse, available));
    }
    Ok(out)
}

/// Reserves `quantity` units at one level if they are still available; false if not.
async fn take_units(
    tx: &mut Tx,
    variant: &str,
    warehouse: &str,
    quantity: i64,
    now: i64,
) -> Result<bool, AppError> {
    let affected = sqlx::query(
        "UPDATE stock_levels SET reserved = reserved + $1, updated_at = $2 \
         WHERE variant_id = $3 AND warehouse_id = $4 AND on_hand - reserved >= $1",
    )
    .bind(quantity)
    .bind(now)
    .bind(variant)
    .bind(warehouse)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(affected == 1)
}

async fn available_in(tx: &mut Tx, variant: &str, warehouse: &str) -> Result<i64, AppError> {
    let available: Option<i64> = sqlx::query_scalar(
        "SELECT on_hand - reserved FROM stock_levels WHERE variant_id = $1 AND warehouse_id = $2",
    )
    .bind(variant)
    .bind(warehouse)
    .fetch_optional(tx.conn())
    .await?;
    Ok(available.unwrap_or(0))
}

async fn total_available(tx: &mut Tx, variant: &str) -> Result<i64, AppError> {
    let available: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(on_hand - reserved) AS BIGINT) FROM stock_levels WHERE variant_id = $1",
    )
    .bind(variant)
    .fetch_one(tx.conn())
    .await?;
    Ok(available.unwrap_or(0))
}

fn lines_json(lines: &[ReservationLine]) -> serde_json::Value {
    lines
        .iter()
        .map(|l| {
            json!({
                "variantId": l.variant_id.as_str(),
                "warehouseId": l.warehouse_id.as_str(),
                "quantity": l.quantity,
            })
        })
        .collect()
}

/// How a held reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Paid: the units leave on hand.
    Commit,
    /// Cancelled: the units become available again.
    Release,
    /// Timed out (the sweeper): released, marked expired.
    Expire,
}

impl Outcome {
    fn status(self) -> ReservationStatus {
        match self {
            Outcome::Commit => ReservationStatus::Committed,
            Outcome::Release => ReservationStatus::Released,
            Outcome::Expire => ReservationStatus::Expired,
        }
    }
}

/// Ends reservation `id` with `outcome` inside `tx` if it is still held, adjusting stock and
/// emitting `inventory.committed` or `inventory.released`. Returns whether it was held: the
/// status change is conditional, so racing callers (sweeper, consumers, staff) act once.
pub async fn finish(
    svc: &Service,
    tx: &mut Tx,
    id: &str,
    outcome: Outcome,
) -> Result<bool, AppError> {
    let now = now_millis();
    let changed = sqlx::query(
        "UPDATE reservations SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'HELD'",
    )
    .bind(outcome.status().as_str())
    .bind(now)
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT r.reference, l.variant_id, l.warehouse_id, l.quantity \
         FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id \
         WHERE r.id = $1 ORDER BY l.variant_id, l.warehouse_id",
    )
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    let sql = match outcome {
        Outcome::Commit => {
            "UPDATE stock_levels SET on_hand = on_hand - $1, reserved = reserved - $1, \
             updated_at = $2 WHERE variant_id = $3 AND warehouse_id = $4"
        }
        Outcome::Release | Outcome::Expire => {
            "UPDATE stock_levels SET reserved = reserved - $1, updated_at = $2 \
             WHERE variant_id = $3 AND warehouse_id = $4"
        }
    };
    let mut lines = Vec::new();
    let mut touched = Vec::new();
    for (_, variant, warehouse, quantity) in &rows {
        sqlx::query(sql)
            .bind(quantity)
            .bind(now)
            .bind(variant)
            .bind(warehouse)
            .execute(tx.conn())
            .await?;
        lines.push(ReservationLine {
            variant_id: ID(variant.clone()),
            warehouse_id: ID(warehouse.clone()),
            quantity: *quantity,
        });
        // Committing and releasing never lower availability, so no level turns low here.
        touched.push(Touched {
            variant_id: variant.clone(),
            warehouse_id: warehouse.clone(),
            available_before: i64::MIN,
        });
    }
    let reference = rows.first().map(|r| r.0.clone()).unwrap_or_default();
    let (event_type, reason) = match outcome {
        Outcome::Commit => ("inventory.committed", "paid"),
        Outcome::Release => ("inventory.released", "cancelled"),
        Outcome::Expire => ("inventory.released", "expired"),
    };
    let data = json!({
        "reservationId": id,
        "reference": reference,
        "reason": reason,
        "lines": lines_json(&lines),
    });
    emit_change(svc, tx, event_type, Some(id.to_string()), data, &touched).await?;
    Ok(true)
}

/// Ends one reservation on request; a reservation already ended the same way is returned as
/// is, one ended otherwise is a `CONFLICT`.
async fn settle(svc: &Service, id: &str, outcome: Outcome) -> Result<Reservation, AppError> {
    let mut tx = svc.db.begin().await?;
    let held = finish(svc, &mut tx, id, outcome).await?;
    tx.commit().await?;
    let found = by_id(&svc.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("id: no such reservation"))?;
    let wanted = match outcome {
        Outcome::Commit => ReservationStatus::Committed,
        Outcome::Release | Outcome::Expire => ReservationStatus::Released,
    };
    if !held && found.status != wanted {
        return Err(AppError::conflict(format!(
            "reservation is already {}",
            found.status.as_str().to_ascii_lowercase()
        )));
    }
    Ok(found)
}

/// Ids of the held reservations for a cart or checkout.
pub async fn held_by_reference(tx: &mut Tx, reference: &str) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM reservations WHERE reference = $1 AND status = 'HELD' ORDER BY id",
    )
    .bind(reference)
    .fetch_all(tx.conn())
    .await?)
}

const JOINED: &str = "SELECT r.id, r.reference, r.status, r.owner_id, r.expires_at, r.created_at, \
     l.variant_id, l.warehouse_id, l.quantity \
     FROM reservations r LEFT JOIN reservation_lines l ON l.reservation_id = r.id";
type JoinedRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Folds joined reservation/line rows (ordered by reservation) into reservations.
fn assemble(rows: Vec<JoinedRow>) -> Vec<Reservation> {
    let mut out: Vec<Reservation> = Vec::new();
    for (id, reference, status, owner, expires, created, variant, warehouse, quantity) in rows {
        if out.last().is_none_or(|r| r.id.as_str() != id) {
            out.push(Reservation {
                id: ID(id),
                reference,
                status: ReservationStatus::parse(&status),
                expires_at: from_millis(expires),
                created_at: from_millis(created),
                lines: Vec::new(),
                owner_id: owner,
            });
        }
        if let (Some(v), Some(w), Some(q), Some(r)) = (variant, warehouse, quantity, out.last_mut())
        {
            r.lines.push(ReservationLine {
                variant_id: ID(v),
                warehouse_id: ID(w),
                quantity: q,
            });
        }
    }
    out
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Reservation>, AppError> {
    let rows: Vec<JoinedRow> = sqlx::query_as(&format!(
        "{JOINED} WHERE r.id = $1 ORDER BY l.variant_id, l.warehouse_id"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(assemble(rows).pop())
}

async fn by_key(db: &Db, owner: &str, key: &str) -> Result<Option<Reservation>, AppError> {
    let rows: Vec<JoinedRow> = sqlx::query_as(&format!(
        "{JOINED} WHERE r.owner_id = $1 AND r.idempotency_key = $2 \
         ORDER BY l.variant_id, l.warehouse_id"
    ))
    .bind(owner)
    .bind(key)
    .fetch_all(db.pool())
    .await?;
    Ok(assemble(rows).pop())
}

/// Loads reservations with their lines by id: one joined query per batch.
pub struct ReservationsById {
    pub db: Db,
}

impl Loader<String> for ReservationsById {
    type Value = Reservation;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Reservation>, AppError> {
        let sql = format!(
            "{JOINED} WHERE r.id IN ({}) ORDER BY r.id, l.variant_id, l.warehouse_id",
            params(1, ids.len())
        );
        let mut query = sqlx::query_as::<_, JoinedRow>(&sql);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(assemble(rows)
            .into_iter()
            .map(|r| (r.id.to_string(), r))
            .collect())
    }
}

pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<Reservation>, AppError> {
    ctx.data_unchecked::<DataLoader<ReservationsById>>()
        .load_one(id.to_string())
        .await
}
