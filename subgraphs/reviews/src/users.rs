//! `User` (owned by accounts) extended with the reviews they wrote: published ones for
//! everyone, hidden ones too for the user themself and staff.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::optional_caller;
use kit::pagination::{Cursor, Total, Window};

use crate::pages::{self, AuthorPages, AuthorTotals, Page, ReviewSort};
use crate::review::Review;

/// An accounts user as reviews knows them: by id.
pub struct User {
    pub id: ID,
}

#[Object]
impl User {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Their reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Review, Total>> {
        let window = Window::parse(first, after, last, before)?;
        let include_hidden =
            optional_caller(ctx).is_some_and(|c| c.user_id == self.id.as_str() || c.is_staff());
        let page = Page::new(ReviewSort::Newest, &window, include_hidden)?;
        let total = if pages::wants_total(ctx) {
            ctx.data_unchecked::<DataLoader<AuthorTotals>>()
                .load_one((self.id.to_string(), include_hidden))
                .await?
                .unwrap_or(0)
        } else {
            0
        };
        Ok(pages::connection::<AuthorPages>(ctx, &self.id, page, &window, total).await?)
    }
}
