//! Facet counts of a search as GraphQL: how many matching products fall under each category,
//! brand, price bucket and attribute value, filters applied. The engine counts them in the
//! same pass that finds the page (only the facets the client selected); this module only
//! shapes them.

use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject, ID};
use kit::money::{Currency, Money, MoneyObject};
use kit::AppError;

use super::exec::FacetCounts;
use crate::categories::{self, Category};

/// Bucket lower bounds in whole major units of the product's currency.
pub const PRICE_EDGES: [i64; 8] = [0, 10, 25, 50, 100, 250, 500, 1000];

#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct CategoryFacet {
    pub category_id: ID,
    pub count: i64,
}

#[ComplexObject]
impl CategoryFacet {
    async fn category(&self, ctx: &Context<'_>) -> Result<Option<Category>> {
        Ok(categories::load(ctx, &self.category_id).await?)
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct ValueFacet {
    pub value: String,
    pub count: i64,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct AttributeFacet {
    pub name: String,
    pub values: Vec<ValueFacet>,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct PriceBucket {
    /// Inclusive lower bound.
    pub min: MoneyObject,
    /// Exclusive upper bound; none for the top bucket.
    pub max: Option<MoneyObject>,
    pub count: i64,
}

/// The facets of one search, counted by the engine.
pub struct Facets {
    pub counts: FacetCounts,
}

fn values(counts: &[(String, i64)]) -> Vec<ValueFacet> {
    counts
        .iter()
        .map(|(value, count)| ValueFacet {
            value: value.clone(),
            count: *count,
        })
        .collect()
}

#[Object]
impl Facets {
    /// Matching products per (direct) category, most first.
    async fn categories(&self) -> Vec<CategoryFacet> {
        self.counts
            .categories
            .iter()
            .map(|(id, count)| CategoryFacet {
                category_id: ID(id.clone()),
                count: *count,
            })
            .collect()
    }

    /// Matching products per brand, most first.
    async fn brands(&self) -> Vec<ValueFacet> {
        values(&self.counts.brands)
    }

    /// Matching products per price bucket of their lowest variant price, per currency.
    async fn prices(&self) -> Result<Vec<PriceBucket>> {
        self.counts
            .prices
            .iter()
            .map(|(code, i, count)| {
                let currency = Currency::from_code(code).ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("unknown stored currency {code}"))
                })?;
                let at =
                    |edge: i64| MoneyObject::from(Money::new(edge * currency.scale(), currency));
                Ok(PriceBucket {
                    min: at(PRICE_EDGES[*i]),
                    max: PRICE_EDGES.get(i + 1).map(|e| at(*e)),
                    count: *count,
                })
            })
            .collect::<Result<_, AppError>>()
            .map_err(Into::into)
    }

    /// Matching products per attribute value, grouped by attribute name.
    async fn attributes(&self) -> Vec<AttributeFacet> {
        self.counts
            .attributes
            .iter()
            .map(|(name, vals)| AttributeFacet {
                name: name.clone(),
                values: values(vals),
            })
            .collect()
    }
}
