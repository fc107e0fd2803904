//! Staff gallery management: alt text, order and deletion. Deleting removes the asset's
//! objects from the store unless another asset still references them (uploads and the demo
//! seed share content-addressed objects), and emits `media.deleted`.

use std::collections::HashSet;

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::ids::parse_id;
use kit::AppError;

use crate::assets::{Asset, Row, COLUMNS};
use crate::events;
use crate::objects;
use crate::state::MediaState;
use crate::text::parse_alt;

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Replaces an image's alt text (at most 300 characters, one line). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn update_media_alt(&self, ctx: &Context<'_>, id: ID, alt: String) -> Result<Asset> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        let alt = parse_alt("alt", &alt)?;
        let state = MediaState::of(ctx);
        let row: Option<Row> = sqlx::query_as(&format!(
            "UPDATE assets SET alt = $1 WHERE id = $2 RETURNING {COLUMNS}"
        ))
        .bind(&alt)
        .bind(&id)
        .fetch_optional(state.svc.db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(row
            .map(Asset::from_row)
            .ok_or_else(|| AppError::not_found("no such media"))?)
    }

    /// Puts a product's images in the given order. `assetIds` must list every image of the
    /// product exactly once. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn reorder_product_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        asset_ids: Vec<ID>,
    ) -> Result<Vec<Asset>> {
        require_role(ctx, Role::Staff)?;
        Ok(reorder(ctx, &product_id, &asset_ids).await?)
    }

    /// Deletes an image; returns its id. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn delete_media(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        delete(MediaState::of(ctx), &id).await?;
        Ok(ID(id))
    }
}

async fn reorder(ctx: &Context<'_>, product_id: &str, ids: &[ID]) -> Result<Vec<Asset>, AppError> {
    let product_id = parse_id("productId", product_id)?;
    let mut wanted = Vec::with_capacity(ids.len());
    for id in ids {
        wanted.push(parse_id("assetIds", id)?);
    }
    let state = MediaState::of(ctx);
    let mut tx = state.svc.db.begin().await?;
    let current: Vec<String> = sqlx::query_scalar("SELECT id FROM assets WHERE product_id = $1")
        .bind(&product_id)
        .fetch_all(tx.conn())
        .await?;
    let current: HashSet<&str> = current.iter().map(String::as_str).collect();
    let listed: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    if listed.len() != wanted.len() || listed != current {
        return Err(AppError::bad_input(
            "assetIds",
            format!(
                "must list each of the product's {} images exactly once",
                current.len()
            ),
        ));
    }
    if !wanted.is_empty() {
        // One statement: position = index in the list. Positions are ours, ids are bound.
        let cases: String = (0..wanted.len())
            .map(|i| format!(" WHEN ${} THEN {i}", i + 2))
            .collect();
        // The list is exactly the product's assets as read above; an image uploaded since
        // (possible on PostgreSQL) keeps its place after them rather than failing the update.
        let sql = format!(
            "UPDATE assets SET position = CASE id{cases} ELSE position + {} END \
             WHERE product_id = $1",
            wanted.len()
        );
        let mut query = sqlx::query(&sql).bind(&product_id);
        for id in &wanted {
            query = query.bind(id);
        }
        query.execute(tx.conn()).await?;
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM assets WHERE product_id = $1 ORDER BY position, id"
    ))
    .bind(&product_id)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Asset::from_row).collect())
}

/// Deletes asset `id`: the row (closing the gap in positions), its objects' reference counts
/// and `media.deleted` in one transaction; then the objects nothing references any more are
/// removed from the store. A failed removal leaves an invisible object behind, never an asset
/// pointing at nothing.
pub async fn delete(state: &MediaState, id: &str) -> Result<(), AppError> {
    let mut tx = state.svc.db.begin().await?;
    let row: Option<Row> = sqlx::query_as(&format!(
        "DELETE FROM assets WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    let asset = Asset::from_row(row.ok_or_else(|| AppError::not_found("no such media"))?);
    sqlx::query(
        "UPDATE assets SET position = position - 1 WHERE product_id = $1 AND position > $2",
    )
    .bind(&asset.product_id)
    .bind(asset.position)
    .execute(tx.conn())
    .await?;
    let orphaned = objects::release_refs(&mut tx, asset.keys()).await?;
    events::deleted(state, &mut tx, &asset).await?;
    tx.commit().await?;
    objects::remove_unreferenced(&state.svc.db, &state.store, &orphaned).await;
    Ok(())
}
