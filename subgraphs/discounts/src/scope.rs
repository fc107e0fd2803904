//! What a coupon or promotion applies to: the whole cart (`ALL`) or the lines whose product,
//! variant, category (or any ancestor category) or collection is listed. Matching is pure: it
//! reads the facts the catalog read models hold about each product ([`ProductFacts`]).

use std::collections::HashMap;

use async_graphql::{Enum, InputObject, SimpleObject, ID};
use kit::AppError;

use crate::engine::PricedLine;

/// Most ids one scope may list.
pub const MAX_IDS: usize = 500;
const MAX_ID_LEN: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum ScopeKind {
    /// Every line of the cart.
    All,
    /// Lines of the listed products.
    Products,
    /// Lines of the listed variants.
    Variants,
    /// Lines whose product is in a listed category or any of its descendants.
    Categories,
    /// Lines whose product belongs to a listed collection.
    Collections,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::All => "ALL",
            ScopeKind::Products => "PRODUCTS",
            ScopeKind::Variants => "VARIANTS",
            ScopeKind::Categories => "CATEGORIES",
            ScopeKind::Collections => "COLLECTIONS",
        }
    }

    pub fn parse(raw: &str) -> ScopeKind {
        match raw {
            "PRODUCTS" => ScopeKind::Products,
            "VARIANTS" => ScopeKind::Variants,
            "CATEGORIES" => ScopeKind::Categories,
            "COLLECTIONS" => ScopeKind::Collections,
            _ => ScopeKind::All,
        }
    }
}

/// A validated scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub kind: ScopeKind,
    pub ids: Vec<String>,
}

/// What the local read models know about one product.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFacts {
    /// The product's category and all its ancestors.
    pub categories: Vec<String>,
    /// Collections the product currently belongs to.
    pub collections: Vec<String>,
}

/// Facts by product id; a product the read models do not know has none.
pub type Facts = HashMap<String, ProductFacts>;

impl Scope {
    pub fn all() -> Scope {
        Scope {
            kind: ScopeKind::All,
            ids: Vec::new(),
        }
    }

    pub fn matches(&self, line: &PricedLine, facts: &Facts) -> bool {
        let listed = |id: &str| self.ids.iter().any(|i| i == id);
        let known = facts.get(&line.product_id);
        match self.kind {
            ScopeKind::All => true,
            ScopeKind::Products => listed(&line.product_id),
            ScopeKind::Variants => listed(&line.variant_id),
            ScopeKind::Categories => known.is_some_and(|f| f.categories.iter().any(|c| listed(c))),
            ScopeKind::Collections => {
                known.is_some_and(|f| f.collections.iter().any(|c| listed(c)))
            }
        }
    }

    /// Stored form of the ids: a JSON array.
    pub fn ids_json(&self) -> String {
        serde_json::to_string(&self.ids).unwrap_or_else(|_| "[]".into())
    }

    pub fn from_stored(kind: &str, ids: &str) -> Scope {
        Scope {
            kind: ScopeKind::parse(kind),
            ids: serde_json::from_str(ids).unwrap_or_default(),
        }
    }
}

/// A scope as clients send it.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "DiscountScopeInput")]
pub struct ScopeInput {
    pub kind: ScopeKind,
    /// Product, variant, category or collection ids; empty for `ALL`.
    #[graphql(default)]
    pub ids: Vec<ID>,
}

impl ScopeInput {
    /// Validates the scope; `field` is its path (`input.scope`).
    pub fn parse(&self, field: &str) -> Result<Scope, AppError> {
        let ids_field = format!("{field}.ids");
        if self.kind == ScopeKind::All {
            if !self.ids.is_empty() {
                return Err(AppError::bad_input(ids_field, "must be empty for ALL"));
            }
            return Ok(Scope::all());
        }
        if self.ids.is_empty() || self.ids.len() > MAX_IDS {
            return Err(AppError::bad_input(
                ids_field,
                format!("must list 1 to {MAX_IDS} ids"),
            ));
        }
        let mut ids: Vec<String> = Vec::with_capacity(self.ids.len());
        for (i, id) in self.ids.iter().enumerate() {
            let id = id.trim();
            if id.is_empty() || id.len() > MAX_ID_LEN {
                return Err(AppError::bad_input(
                    format!("{ids_field}[{i}]"),
                    format!("must be 1 to {MAX_ID_LEN} characters"),
                ));
            }
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_string());
            }
        }
        Ok(Scope {
            kind: self.kind,
            ids,
        })
    }
}

/// A scope as the API shows it.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "DiscountScope")]
pub struct ScopeObject {
    pub kind: ScopeKind,
    pub ids: Vec<ID>,
}

impl From<&Scope> for ScopeObject {
    fn from(s: &Scope) -> Self {
        ScopeObject {
            kind: s.kind,
            ids: s.ids.iter().cloned().map(ID).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(product: &str, variant: &str) -> PricedLine {
        PricedLine {
            line_id: "l".into(),
            product_id: product.into(),
            variant_id: variant.into(),
            quantity: 1,
            unit_price: 100,
        }
    }

    fn scope(kind: ScopeKind, ids: &[&str]) -> Scope {
        Scope {
            kind,
            ids: ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn matches_by_product_variant_category_ancestor_and_collection() {
        let mut facts = Facts::new();
        facts.insert(
            "p1".into(),
            ProductFacts {
                categories: vec!["shoes".into(), "apparel".into()],
                collections: vec!["summer".into()],
            },
        );
        let l = line("p1", "v1");
        assert!(Scope::all().matches(&l, &facts));
        assert!(scope(ScopeKind::Products, &["p1"]).matches(&l, &facts));
        assert!(!scope(ScopeKind::Products, &["v1"]).matches(&l, &facts));
        assert!(scope(ScopeKind::Variants, &["v1"]).matches(&l, &facts));
        assert!(scope(ScopeKind::Categories, &["apparel"]).matches(&l, &facts));
        assert!(!scope(ScopeKind::Categories, &["toys"]).matches(&l, &facts));
        assert!(scope(ScopeKind::Collections, &["summer"]).matches(&l, &facts));
        assert!(!scope(ScopeKind::Categories, &["apparel"]).matches(&line("p2", "v2"), &facts));
    }

    #[test]
    fn input_needs_ids_except_for_all() {
        let input = |kind, ids: &[&str]| ScopeInput {
            kind,
            ids: ids.iter().map(|s| ID(s.to_string())).collect(),
        };
        assert_eq!(input(ScopeKind::All, &[]).parse("s").unwrap(), Scope::all());
        let err = input(ScopeKind::All, &["x"])
            .parse("input.scope")
            .unwrap_err();
        assert_eq!(err.message(), "input.scope.ids: must be empty for ALL");
        assert!(input(ScopeKind::Products, &[]).parse("s").is_err());
        assert!(input(ScopeKind::Products, &[" "]).parse("s").is_err());
        let deduped = input(ScopeKind::Products, &["a", "a", "b"])
            .parse("s")
            .unwrap();
        assert_eq!(deduped.ids, vec!["a", "b"]);
        let stored = Scope::from_stored("CATEGORIES", &deduped.ids_json());
        assert_eq!(stored.ids, deduped.ids);
    }
}
