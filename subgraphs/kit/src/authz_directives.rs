//! The Federation authorization directives a subgraph puts on its private and staff fields and
//! types, so the router refuses them at the edge (`router/src/authz.rs`) before any subgraph
//! is called. One line per field or type:
//!
//! ```ignore
//! use kit::authz_directives::{authenticated, policy};
//! #[graphql(directive = authenticated::apply())]                    // signed-in callers only
//! #[graphql(requires_scopes = "staff")]                             // @requiresScopes(scopes: [["staff"]])
//! #[graphql(directive = policy::apply(vec![vec!["staff".into()]]))] // a named router policy
//! ```
//!
//! `@requiresScopes` is async-graphql's own attribute (it links it from the federation spec);
//! `@authenticated` and `@policy` are declared here with the spec's names, arguments and
//! locations (but SCALAR: async-graphql cannot put type directives on scalars; the router
//! honours them on scalars in any supergraph). Roles are scopes at the router (`customer` ⊂ `staff` ⊂ `admin`, see
//! `router/README.md`). The resolvers keep their own guards (`kit::auth::guards`): the
//! directives add a check at the edge, they do not replace the subgraph's.

#![allow(non_snake_case)]

use async_graphql::TypeDirective;

/// `@authenticated`: only a caller with a valid token may select this.
#[TypeDirective(
    location = "FieldDefinition",
    location = "Object",
    location = "Interface",
    location = "Enum"
)]
pub fn authenticated() {}

/// `@policy(policies: [[String!]!]!)`: any of the groups, each policy of a group, must pass;
/// the router decides each named policy from the token's claims.
#[TypeDirective(
    location = "FieldDefinition",
    location = "Object",
    location = "Interface",
    location = "Enum"
)]
pub fn policy(policies: Vec<Vec<String>>) {}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};

    use super::*;

    #[derive(SimpleObject)]
    #[graphql(directive = authenticated::apply())]
    struct Secret {
        id: i32,
    }

    struct Query;

    #[Object]
    impl Query {
        #[graphql(directive = authenticated::apply())]
        async fn me(&self) -> Option<i32> {
            None
        }
        #[graphql(requires_scopes = "staff")]
        async fn report(&self) -> Option<i32> {
            None
        }
        #[graphql(directive = policy::apply(vec![vec!["staff".into()], vec!["owner".into(), "verified".into()]]))]
        async fn mine(&self) -> Option<Secret> {
            None
        }
    }

    #[test]
    fn the_subgraph_sdl_carries_the_directives() {
        let sdl = Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
            .sdl_with_options(async_graphql::SDLExportOptions::new().federation());
        assert!(sdl.contains("me: Int @authenticated"), "{sdl}");
        assert!(
            sdl.contains(r#"report: Int @requiresScopes(scopes: [["staff"]])"#),
            "{sdl}"
        );
        assert!(
            sdl.contains(r#"@policy(policies: [["staff"], ["owner", "verified"]])"#),
            "{sdl}"
        );
        assert!(sdl.contains("type Secret @authenticated"), "{sdl}");
        assert!(sdl.contains("directive @authenticated on"), "{sdl}");
    }
}
