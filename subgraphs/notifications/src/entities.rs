//! Federation entry points: accounts' `User`, extended with their in-app notifications.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::require_owner_or_staff;
use kit::authz_directives::authenticated;
use kit::pagination::{Cursor, Total};

use crate::inbox::{self, Notification};

/// An accounts user as notifications knows them: by id.
pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Their in-app notifications, newest first. The user themself only (and staff).
    #[graphql(directive = authenticated::apply())]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        unread_only: Option<bool>,
    ) -> Result<Connection<Cursor, Notification, Total>> {
        require_owner_or_staff(ctx, &self.id)?;
        Ok(inbox::page(ctx, &self.id, first, after, unread_only.unwrap_or(false)).await?)
    }
}

#[derive(Default)]
pub struct EntityQuery;

#[Object]
impl EntityQuery {
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> User {
        User { id }
    }
}
