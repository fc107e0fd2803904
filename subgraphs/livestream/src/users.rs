//! `User` (owned by accounts) as livestream refers to it: chat authors, by id.

use async_graphql::SimpleObject;
use async_graphql::ID;

#[derive(Debug, Clone, SimpleObject)]
pub struct User {
    pub id: ID,
}
