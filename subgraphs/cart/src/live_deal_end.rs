//! What cart learns when a live deal ends early (`livestream.deal_ended`: the host unpinned it,
//! or the stream ended or was cancelled): the lines holding its open claims charge the deal
//! price only until `endedAt`, then the regular price — the same repricing as when a deal's
//! end time passes, decided at read time (`LineView::live_now`). The line stays in the cart,
//! still attributed to the stream. A replayed event changes nothing (an end only moves earlier).

use chrono::DateTime;
use kit::events::Event;
use kit::{AppError, Tx};

/// Brings the deal's end forward on the lines holding its claims; returns the carts changed
/// (for the cache).
pub async fn apply(tx: &mut Tx, event: &Event) -> Result<Vec<String>, AppError> {
    let ended = event.data["endedAt"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis());
    let Some(ended) = ended else {
        tracing::warn!(event = %event.id, "livestream.deal_ended without endedAt; ignored");
        return Ok(Vec::new());
    };
    let mut carts = Vec::new();
    for claim in event.data["claimIds"].as_array().into_iter().flatten() {
        let Some(claim) = claim.as_str() else {
            continue;
        };
        let changed: Vec<(String,)> = sqlx::query_as(
            "UPDATE cart_lines SET live_ends_at = $1 \
             WHERE live_claim_id = $2 AND live_ends_at > $1 RETURNING cart_id",
        )
        .bind(ended)
        .bind(claim)
        .fetch_all(tx.conn())
        .await?;
        carts.extend(changed.into_iter().map(|(cart,)| cart));
    }
    Ok(carts)
}
