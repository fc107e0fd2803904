//! Moving a payment from one status to another inside a transaction: each move is one
//! conditional `UPDATE ... WHERE id = $id AND status IN (<sources from the transition table>)`,
//! so a move the table does not allow — a late failure after success, a replayed event —
//! matches no row and changes nothing. A move that happened emits its event in the same
//! transaction.

use kit::ids::now_millis;
use kit::{AppError, Service, Tx};

use crate::events;
use crate::payment::{self, encode_next_action, Payment};
use crate::providers::{NextAction, Outcome};
use crate::status::PaymentStatus;

#[derive(Debug, Clone)]
pub enum Move<'a> {
    RequireAction {
        provider: &'a str,
        provider_reference: Option<&'a str>,
        next_action: &'a NextAction,
    },
    Authorize {
        provider: &'a str,
        provider_reference: &'a str,
    },
    /// Money taken: `amount` minor units.
    Capture {
        provider: &'a str,
        provider_reference: Option<&'a str>,
        amount: i64,
    },
    Fail {
        provider: &'a str,
        provider_reference: Option<&'a str>,
        decline_code: &'a str,
        reason: &'a str,
    },
    Void,
}

impl Move<'_> {
    pub fn target(&self) -> PaymentStatus {
        match self {
            Move::RequireAction { .. } => PaymentStatus::RequiresAction,
            Move::Authorize { .. } => PaymentStatus::Authorized,
            Move::Capture { .. } => PaymentStatus::Captured,
            Move::Fail { .. } => PaymentStatus::Failed,
            Move::Void => PaymentStatus::Voided,
        }
    }
}

/// The move a provider's outcome asks for (`amount` is what a capture takes).
pub fn for_outcome<'a>(provider: &'a str, outcome: &'a Outcome, amount: i64) -> Move<'a> {
    match outcome {
        Outcome::Authorized { provider_reference } => Move::Authorize {
            provider,
            provider_reference,
        },
        Outcome::Captured { provider_reference } => Move::Capture {
            provider,
            provider_reference: Some(provider_reference),
            amount,
        },
        Outcome::RequiresAction {
            provider_reference,
            next_action,
        } => Move::RequireAction {
            provider,
            provider_reference: provider_reference.as_deref(),
            next_action,
        },
        Outcome::Declined {
            provider_reference,
            decline_code,
            message,
        } => Move::Fail {
            provider,
            provider_reference: provider_reference.as_deref(),
            decline_code,
            reason: message,
        },
    }
}

/// How an outcome is written in `payment_attempts.outcome`.
pub fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Authorized { .. } => "AUTHORIZED",
        Outcome::Captured { .. } => "CAPTURED",
        Outcome::RequiresAction { .. } => "REQUIRES_ACTION",
        Outcome::Declined { .. } => "DECLINED",
    }
}

/// Applies `mv` to payment `id` if the transition table allows it from its current status.
/// Returns the moved payment, or `None` when nothing changed.
pub async fn apply(
    svc: &Service,
    tx: &mut Tx,
    id: &str,
    mv: &Move<'_>,
) -> Result<Option<Payment>, AppError> {
    let to = mv.target();
    let guard = PaymentStatus::sources_sql(to);
    let now = now_millis();
    let sql;
    let query = match mv {
        Move::RequireAction {
            provider,
            provider_reference,
            next_action,
        } => {
            sql = format!(
                "UPDATE payments SET status = 'REQUIRES_ACTION', provider = $1, \
               provider_reference = COALESCE($2, provider_reference), next_action = $3, \
               updated_at = $4 WHERE id = $5 AND {guard}"
            );
            sqlx::query(&sql)
                .bind(*provider)
                .bind(*provider_reference)
                .bind(encode_next_action(next_action))
        }
        Move::Authorize {
            provider,
            provider_reference,
        } => {
            sql = format!(
            "UPDATE payments SET status = 'AUTHORIZED', provider = $1, provider_reference = $2, \
               next_action = $3, updated_at = $4 WHERE id = $5 AND {guard}"
            );
            sqlx::query(&sql)
                .bind(*provider)
                .bind(*provider_reference)
                .bind(None::<String>)
        }
        Move::Capture {
            provider,
            provider_reference,
            amount,
        } => {
            sql = format!(
                "UPDATE payments SET status = 'CAPTURED', provider = $1, \
               provider_reference = COALESCE($2, provider_reference), captured = $3, \
               updated_at = $4 WHERE id = $5 AND {guard}"
            );
            sqlx::query(&sql)
                .bind(*provider)
                .bind(*provider_reference)
                .bind(*amount)
        }
        Move::Fail {
            provider,
            provider_reference,
            decline_code,
            reason: _,
        } => {
            sql = format!(
                "UPDATE payments SET status = 'FAILED', live_order_id = NULL, provider = $1, \
               provider_reference = COALESCE($2, provider_reference), \
               decline_code = $3, failure_reason = $6, updated_at = $4 \
             WHERE id = $5 AND {guard}"
            );
            sqlx::query(&sql)
                .bind(*provider)
                .bind(*provider_reference)
                .bind(*decline_code)
        }
        Move::Void => {
            sql = format!(
                "UPDATE payments SET status = 'VOIDED', live_order_id = NULL, \
               provider = COALESCE(provider, $1), provider_reference = \
               COALESCE(provider_reference, $2), next_action = $3, updated_at = $4 \
             WHERE id = $5 AND {guard}"
            );
            sqlx::query(&sql)
                .bind(None::<String>)
                .bind(None::<String>)
                .bind(None::<String>)
        }
    };
    let mut query = query.bind(now).bind(id);
    if let Move::Fail { reason, .. } = mv {
        query = query.bind(*reason);
    }
    if query.execute(tx.conn()).await?.rows_affected() != 1 {
        return Ok(None);
    }
    let moved = payment::in_tx(tx, id).await?;
    match to {
        PaymentStatus::Captured => events::succeeded(svc, tx, &moved).await?,
        PaymentStatus::Failed => events::failed(svc, tx, &moved).await?,
        PaymentStatus::Voided => events::voided(svc, tx, &moved).await?,
        _ => {}
    }
    Ok(Some(moved))
}
