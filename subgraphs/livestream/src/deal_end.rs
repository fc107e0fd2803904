//! A live deal can end before its end time: the host unpins it, or the stream ends or is
//! cancelled. Then, in the transaction that ends it, the deal's end time is brought forward
//! (so no further claim succeeds and the pin shows when it ended) and `livestream.deal_ended`
//! names the claims still open, with the moment the deal ended. Cart answers by charging
//! those lines the regular price from that moment, exactly as when a deal's end time passes;
//! the units are not given back, since a deal that is over sells nothing more at its price.

use kit::ids::from_millis;
use kit::{AppError, Service, Tx};
use serde_json::json;

use crate::events;
use crate::stream::Livestream;

/// Ends, at `at`, the live deals of `stream` still running — only `pin_id`'s when given — and
/// emits `livestream.deal_ended` for each with its open claims.
pub async fn end(
    svc: &Service,
    tx: &mut Tx,
    stream: &Livestream,
    pin_id: Option<&str>,
    at: i64,
) -> Result<(), AppError> {
    let pins: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM livestream_pins WHERE stream_id = $1 AND ends_at > $2 \
         AND ($3 = '' OR id = $3) ORDER BY id",
    )
    .bind(&stream.id)
    .bind(at)
    .bind(pin_id.unwrap_or_default())
    .fetch_all(tx.conn())
    .await?;
    for (pin,) in pins {
        sqlx::query("UPDATE livestream_pins SET ends_at = $1 WHERE id = $2")
            .bind(at)
            .bind(&pin)
            .execute(tx.conn())
            .await?;
        let claims: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM live_deal_claims WHERE pin_id = $1 AND released_at IS NULL \
             ORDER BY id",
        )
        .bind(&pin)
        .fetch_all(tx.conn())
        .await?;
        let claims: Vec<String> = claims.into_iter().map(|(id,)| id).collect();
        events::emit(
            svc,
            tx,
            "livestream.deal_ended",
            stream,
            json!({ "pinId": pin, "endedAt": from_millis(at).to_rfc3339(), "claimIds": claims }),
        )
        .await?;
    }
    Ok(())
}
