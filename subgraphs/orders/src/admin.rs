//! Operations for admins: `rebuildOrderReadModel` replays every order's events into a fresh
//! read model (after a projection bug is fixed, or to recover from a lost table).

use async_graphql::{Context, Object, Result};
use kit::auth::{require_role, Role};
use kit::schema::service;

use crate::projection;

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Wipes the order read model and projects every order again from the event log; returns
    /// how many orders it holds afterwards. Admins only.
    #[graphql(requires_scopes = "admin")]
    async fn rebuild_order_read_model(&self, ctx: &Context<'_>) -> Result<i64> {
        require_role(ctx, Role::Admin)?;
        Ok(projection::rebuild(service(ctx)).await? as i64)
    }
}
