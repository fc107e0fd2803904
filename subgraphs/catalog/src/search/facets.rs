//! Facet counts for a search (or any listing): how many matching products fall under each
//! category, brand, price bucket and attribute value, filters applied. Each facet is one
//! grouped query over the same selection the page uses, run only when the client asks for it.

use async_graphql::{ComplexObject, Context, Object, Result, SimpleObject, ID};
use kit::money::{Currency, Money, MoneyObject};
use kit::schema::service;
use kit::AppError;

use crate::categories::{self, Category};
use crate::listing::Listing;
use crate::sql::Sql;

/// Bucket lower bounds in whole major units of the product's currency.
pub const PRICE_EDGES: [i64; 8] = [0, 10, 25, 50, 100, 250, 500, 1000];
const MAX_VALUES: i64 = 50;

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

/// The facets of one listing, each computed when selected.
pub struct Facets {
    pub listing: Listing,
}

impl Facets {
    fn empty(&self) -> bool {
        self.listing.matches_nothing()
    }
}

#[Object]
impl Facets {
    /// Matching products per (direct) category, most first.
    async fn categories(&self, ctx: &Context<'_>) -> Result<Vec<CategoryFacet>> {
        if self.empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT p.category_id, COUNT(*)");
        self.listing.write_selection(&mut sql);
        sql.push(" AND p.category_id IS NOT NULL GROUP BY p.category_id ORDER BY 2 DESC, 1 LIMIT ")
            .bind(MAX_VALUES);
        let rows: Vec<(String, i64)> = sql.query_as().fetch_all(service(ctx).db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|(id, count)| CategoryFacet {
                category_id: ID(id),
                count,
            })
            .collect())
    }

    /// Matching products per brand, most first.
    async fn brands(&self, ctx: &Context<'_>) -> Result<Vec<ValueFacet>> {
        if self.empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT p.brand, COUNT(*)");
        self.listing.write_selection(&mut sql);
        sql.push(" AND p.brand IS NOT NULL GROUP BY p.brand ORDER BY 2 DESC, 1 LIMIT ")
            .bind(MAX_VALUES);
        let rows: Vec<(String, i64)> = sql.query_as().fetch_all(service(ctx).db.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|(value, count)| ValueFacet { value, count })
            .collect())
    }

    /// Matching products per price bucket of their lowest variant price, per currency.
    async fn prices(&self, ctx: &Context<'_>) -> Result<Vec<PriceBucket>> {
        if self.empty() {
            return Ok(Vec::new());
        }
        let mut case = String::from("CAST(CASE");
        for (i, edge) in PRICE_EDGES.iter().enumerate().skip(1).rev() {
            case.push_str(&format!(" WHEN p.price_major >= {edge} THEN {i}"));
        }
        case.push_str(" ELSE 0 END AS BIGINT)");
        let mut sql = Sql::new(&format!("SELECT p.currency, {case}, COUNT(*)"));
        self.listing.write_selection(&mut sql);
        sql.push(" AND p.currency IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2");
        let rows: Vec<(String, i64, i64)> =
            sql.query_as().fetch_all(service(ctx).db.pool()).await?;
        rows.into_iter()
            .map(|(code, bucket, count)| {
                let currency = Currency::from_code(&code).ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!("unknown stored currency {code}"))
                })?;
                let at =
                    |edge: i64| MoneyObject::from(Money::new(edge * currency.scale(), currency));
                let i = bucket as usize;
                Ok(PriceBucket {
                    min: at(PRICE_EDGES[i]),
                    max: PRICE_EDGES.get(i + 1).map(|e| at(*e)),
                    count,
                })
            })
            .collect::<Result<_, AppError>>()
            .map_err(Into::into)
    }

    /// Matching products per attribute value, grouped by attribute name.
    async fn attributes(&self, ctx: &Context<'_>) -> Result<Vec<AttributeFacet>> {
        if self.empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT a.name, a.value, COUNT(*) FROM product_attributes a WHERE a.product_id IN \
             (SELECT p.id",
        );
        self.listing.write_selection(&mut sql);
        sql.push(") GROUP BY a.name, a.value ORDER BY a.name, 3 DESC, a.value LIMIT ")
            .bind(MAX_VALUES * 10);
        let rows: Vec<(String, String, i64)> =
            sql.query_as().fetch_all(service(ctx).db.pool()).await?;
        let mut out: Vec<AttributeFacet> = Vec::new();
        for (name, value, count) in rows {
            match out.last_mut() {
                Some(last) if last.name == name => last.values.push(ValueFacet { value, count }),
                _ => out.push(AttributeFacet {
                    name,
                    values: vec![ValueFacet { value, count }],
                }),
            }
        }
        Ok(out)
    }
}
