//! Live-deal units come back when the cart line holding them goes: cart names the claim in
//! `cart.line_removed` (`liveClaimId`), `cart.cleared` and `cart.merged` (`liveClaimIds`:
//! lines a merge left out) and `cart.abandoned` (`lines[].liveClaimId`), and this consumer
//! releases each claim. Processed event ids plus `released_at` make it happen once however
//! often an event is delivered.

use kit::events::{claim, Event, QueueSpec};
use kit::{AppError, Service};
use serde_json::Value;

use crate::pins;

const CONSUMER: &str = "livestream-cart-claims";

pub async fn start(svc: &Service) -> anyhow::Result<()> {
    let handler_svc = svc.clone();
    svc.consume(
        QueueSpec::durable(
            CONSUMER,
            &[
                "cart.line_removed",
                "cart.cleared",
                "cart.abandoned",
                "cart.merged",
            ],
        ),
        move |event: Event| {
            let svc = handler_svc.clone();
            async move { release(&svc, &event).await.map_err(AppError::into_anyhow) }
        },
    )
    .await
}

/// The claim ids an event names, wherever its type puts them.
fn claim_ids(data: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut take = |v: &Value| {
        if let Some(id) = v.as_str().filter(|s| !s.is_empty()) {
            ids.push(id.to_string());
        }
    };
    take(&data["liveClaimId"]);
    for id in data["liveClaimIds"].as_array().into_iter().flatten() {
        take(id);
    }
    for line in data["lines"].as_array().into_iter().flatten() {
        take(&line["liveClaimId"]);
    }
    ids
}

async fn release(svc: &Service, event: &Event) -> Result<(), AppError> {
    let ids = claim_ids(&event.data);
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = svc.db.begin().await?;
    if !claim(&mut tx, CONSUMER, event).await? {
        return Ok(());
    }
    for id in &ids {
        // An unknown claim (forged, or from another deployment's cart) changes nothing.
        pins::release(svc, &mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(())
}
