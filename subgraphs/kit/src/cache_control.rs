//! `@cacheControl(maxAge:, scope:)`: how long the router may cache a type's or a field's data,
//! and for whom. A subgraph declares it on its object types and root fields:
//!
//! ```ignore
//! use kit::cache_control::{cacheControl, CacheScope};
//! #[derive(SimpleObject)]
//! #[graphql(directive = cacheControl::apply(300, Some(CacheScope::Public)))]
//! struct Product { .. }
//! ```
//!
//! The directive is composable (`@composeDirective`), so composition carries it into the
//! supergraph, where the router reads it (`router/src/cache/policy.rs`). A root field without
//! it is never cached; an entity type without it is cached only when every field the router
//! asks of it carries a rule (the strictest one applies). `maxAge` is a safety net only: the router drops entries when the
//! subgraphs' events say what changed.

#![allow(non_snake_case)]

use async_graphql::{Enum, TypeDirective};

/// Who may share a cached value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CacheControlScope")]
pub enum CacheScope {
    /// The same for every caller.
    Public,
    /// Depends on the caller: cached per user, never shared.
    Private,
}

/// The `maxAge` the storefront's public types declare: long, because the router drops an entry
/// when an event says it changed; this only bounds how long a missed event could show old data.
pub const SAFETY_NET_SECS: i32 = 600;

/// The spec URL the directive is linked from in the subgraph SDL.
pub const SPEC_URL: &str = "https://shop.example/cache-control/v1.0";

/// `@cacheControl(maxAge: Int!, scope: CacheControlScope = PUBLIC)`; `maxAge` in seconds.
#[TypeDirective(
    location = "Object",
    location = "FieldDefinition",
    composable = "https://shop.example/cache-control/v1.0"
)]
pub fn cacheControl(maxAge: i32, scope: Option<CacheScope>) {}
