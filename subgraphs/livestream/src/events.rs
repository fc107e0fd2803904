//! The `livestream.*` events, written to the outbox in the transaction that made the change.
//! Every event names its stream (`livestreamId`, also the subject) and carries the stream's
//! event number `seq`, which the subscription feed uses to deliver each stream's events in
//! order and once.

use kit::{AppError, Service, Tx};
use serde_json::{json, Value};

use crate::settings::Settings;
use crate::stream::Livestream;

/// Emits `event_type` for `stream` (already locked by [`crate::stream::lock_next`], so
/// `stream.seq` is this event's number) with `extra` fields merged into the data.
pub async fn emit(
    svc: &Service,
    tx: &mut Tx,
    event_type: &str,
    stream: &Livestream,
    extra: Value,
) -> Result<(), AppError> {
    let mut data = json!({ "livestreamId": stream.id, "seq": stream.seq });
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    tx.emit(&svc.event(event_type, Some(stream.id.clone()), data))
        .await?;
    Ok(())
}

/// What a status event says about the stream: enough for a reminder (title and link) without
/// a call back.
pub fn summary(stream: &Livestream, settings: &Settings) -> Value {
    json!({
        "title": stream.title,
        "status": stream.status.as_str(),
        "scheduledStart": kit::ids::from_millis(stream.scheduled_start).to_rfc3339(),
        "url": settings.watch_url(&stream.id),
        "hlsUrl": settings.hls_url(&stream.playback_id),
    })
}
