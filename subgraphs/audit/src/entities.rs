//! Federation entry point for `AuditEntry` (`@key(fields: "id")`): staff only, like the log.

use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_role, Role};
use kit::schema::service;

use crate::entry::AuditEntry;
use crate::log;

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    /// Null when unknown (archived entries are no longer here).
    #[graphql(entity)]
    async fn find_audit_entry_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<Option<AuditEntry>> {
        require_role(ctx, Role::Staff)?;
        let Ok(id) = kit::ids::parse_id("id", &id) else {
            return Ok(None);
        };
        Ok(log::by_id(&service(ctx).db, &id).await?.map(AuditEntry))
    }
}
