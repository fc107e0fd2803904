//! The payment-timeout sweeper: PENDING_PAYMENT orders past their `paymentDeadline`
//! (`PAYMENT_TIMEOUT_SECS` after placing) are cancelled with reason PAYMENT_TIMEOUT, which
//! releases their stock, coupon use and payment through `order.cancelled`. Safe with several
//! instances: each cancellation is a locked, checked transition, so an order paid meanwhile
//! (or cancelled by another sweeper) is left alone.

use std::time::Duration;

use kit::ids::now_millis;
use kit::{AppError, Service};

use crate::status::{OrderStatus, Trigger};
use crate::transition::{self, Move, Outcome};

const BATCH: i64 = 100;

pub fn spawn(svc: Service, interval: Duration) {
    kit::periodic::every(svc, "cancel unpaid orders", interval, |svc| async move {
        sweep(&svc).await.map_err(AppError::into_anyhow)
    });
}

/// Cancels the unpaid orders past their deadline; returns how many it cancelled.
pub async fn sweep(svc: &Service) -> Result<usize, AppError> {
    let mut cancelled = 0;
    loop {
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE status = 'PENDING_PAYMENT' AND payment_deadline <= $1 \
             ORDER BY payment_deadline LIMIT $2",
        )
        .bind(now_millis())
        .bind(BATCH)
        .fetch_all(svc.db.background())
        .await?;
        let mut moved = 0;
        for id in &due {
            let mut tx = svc.db.begin().await?;
            let mv = Move::new(OrderStatus::Cancelled, "system", Trigger::PaymentTimeout);
            if let Outcome::Moved(_) = transition::apply(svc, &mut tx, id, mv).await? {
                moved += 1;
            }
            tx.commit().await?;
        }
        cancelled += moved;
        // A batch whose orders were all taken meanwhile would come back: stop instead.
        if (due.len() as i64) < BATCH || moved == 0 {
            return Ok(cancelled);
        }
    }
}
