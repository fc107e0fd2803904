//! Guards resolvers call first: who is calling, do they have the role, do they own the record.

use async_graphql::Context;

use super::{Caller, Role};
use crate::error::AppError;

/// The signed-in caller, or `UNAUTHENTICATED`.
pub fn caller<'a>(ctx: &'a Context<'_>) -> Result<&'a Caller, AppError> {
    optional_caller(ctx).ok_or_else(|| AppError::unauthenticated("sign in first"))
}

pub fn optional_caller<'a>(ctx: &'a Context<'_>) -> Option<&'a Caller> {
    ctx.data_opt::<Caller>()
}

pub fn require_role<'a>(ctx: &'a Context<'_>, role: Role) -> Result<&'a Caller, AppError> {
    let caller = caller(ctx)?;
    if caller.has_role(role) {
        Ok(caller)
    } else {
        Err(AppError::forbidden(format!(
            "requires the {} role",
            role.as_str()
        )))
    }
}

/// Private data: its owner or staff may see it; anyone else gets `FORBIDDEN`.
pub fn require_owner_or_staff<'a>(
    ctx: &'a Context<'_>,
    owner_id: &str,
) -> Result<&'a Caller, AppError> {
    let caller = caller(ctx)?;
    if caller.user_id == owner_id || caller.is_staff() {
        Ok(caller)
    } else {
        Err(AppError::forbidden("this belongs to another user"))
    }
}
