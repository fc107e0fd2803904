//! Authentication and authorization shared by every subgraph: the access-token claims that
//! accounts signs, the verified caller exposed to resolvers, and guards for "signed in",
//! "has role" and "owns this".

pub mod guards;
pub mod jwks;
pub mod service;
pub mod verifier;

use serde::{Deserialize, Serialize};

pub use guards::{caller, optional_caller, require_owner_or_staff, require_role};
pub use verifier::{KeySource, Verifier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, async_graphql::Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "customer" => Some(Role::Customer),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Access-token claims (JWT, EdDSA).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// The verified caller of a request, put in the GraphQL context by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub roles: Vec<Role>,
    pub scopes: Vec<String>,
}

impl Caller {
    /// Roles are ordered: an admin is also staff, staff is also a customer.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| *r >= role)
    }

    pub fn is_staff(&self) -> bool {
        self.has_role(Role::Staff)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
