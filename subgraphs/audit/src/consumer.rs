//! The audit consumer: one durable queue bound with `#`, so every event type — today's and
//! those added later — reaches the log. Each event becomes one entry; a redelivered event is
//! recognised by its id and changes nothing.

use kit::events::{Event, QueueSpec};
use kit::{AppError, Service};
use serde_json::Value;

use crate::chain::{Appender, NewEntry};

/// The consumer's queue name.
pub const CONSUMER: &str = "audit";

/// Identifiers longer than this are not kept as the actor (they are not ids).
const MAX_ACTOR: usize = 200;

pub async fn start(svc: &Service, appender: Appender) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(QueueSpec::durable(CONSUMER, &["#"]), move |event: Event| {
        let svc = handler_svc.clone();
        let appender = appender.clone();
        async move {
            appender
                .append(&svc.db, entry_of(&event))
                .await
                .map(|_| ())
                .map_err(AppError::into_anyhow)
        }
    })
    .await
}

/// The entry an event makes.
pub fn entry_of(event: &Event) -> NewEntry {
    NewEntry {
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        source: event.source.clone(),
        subject: event.subject.clone(),
        actor: actor_of(&event.event_type, &event.data),
        occurred_at: event.time.timestamp_millis(),
        data: event.data.to_string(),
    }
}

/// Who caused the event, where the publisher says: orders name it `actor` in their data (a
/// user id, `guest` or `system`), inventory adjustments `actorId`. A registration is the new
/// user's own act. Other events' `userId` is whom the event is about, not who acted (an
/// admin's role change names the changed user), so it is not taken as the actor.
pub fn actor_of(event_type: &str, data: &Value) -> Option<String> {
    let keys: &[&str] = if event_type == "user.registered" {
        &["actor", "actorId", "userId"]
    } else {
        &["actor", "actorId"]
    };
    keys.iter()
        .filter_map(|key| data.get(key).and_then(Value::as_str))
        .map(str::trim)
        .find(|v| !v.is_empty() && v.len() <= MAX_ACTOR)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::actor_of;
    use serde_json::json;

    #[test]
    fn actor_comes_from_the_first_field_that_names_one() {
        let actor = |t: &str, d| actor_of(t, &d);
        assert_eq!(
            actor("order.paid", json!({"actor": "system", "userId": "u"})).as_deref(),
            Some("system")
        );
        assert_eq!(
            actor("inventory.adjusted", json!({"actorId": "a"})).as_deref(),
            Some("a")
        );
        assert_eq!(actor("user.updated", json!({"userId": "u"})), None);
        assert_eq!(
            actor("user.registered", json!({"actor": "", "userId": "u"})).as_deref(),
            Some("u")
        );
        assert_eq!(actor("order.paid", json!({"actor": 5})), None);
        assert_eq!(actor("order.paid", json!([1])), None);
    }
}
