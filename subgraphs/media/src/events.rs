//! The `media.*` events, written to the outbox in the transaction that changed the gallery:
//! `media.uploaded` when an upload becomes an asset, `media.deleted` when one is removed.
//! Subject = the product id, so consumers (catalog) can key on the product.

use kit::{AppError, Tx};
use serde_json::json;

use crate::assets::Asset;
use crate::state::MediaState;

pub async fn uploaded(state: &MediaState, tx: &mut Tx, asset: &Asset) -> Result<(), AppError> {
    let s = &state.settings;
    let data = json!({
        "id": asset.id,
        "productId": asset.product_id,
        "url": s.object_url(&asset.object_key),
        "thumbnailUrl": s.object_url(&asset.small_key),
        "contentType": asset.content_type,
        "width": asset.width,
        "height": asset.height,
        "byteSize": asset.byte_size,
        "alt": asset.alt,
        "position": asset.position,
    });
    let event = state
        .svc
        .event("media.uploaded", Some(asset.product_id.clone()), data);
    tx.emit(&event).await?;
    Ok(())
}

pub async fn deleted(state: &MediaState, tx: &mut Tx, asset: &Asset) -> Result<(), AppError> {
    let data = json!({ "id": asset.id, "productId": asset.product_id });
    let event = state
        .svc
        .event("media.deleted", Some(asset.product_id.clone()), data);
    tx.emit(&event).await?;
    Ok(())
}
