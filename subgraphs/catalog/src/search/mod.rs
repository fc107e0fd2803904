//! Product search: `searchProducts(query, filter, sort, first, after)` — full-text over title,
//! brand and description with stemming and typo tolerance, the same filters and keyset pages
//! as product lists, and facet counts. One portable code path for SQLite and PostgreSQL over
//! an index table kept current in the transactions that change products.

pub mod facets;
pub mod index;
pub mod query;
pub mod stem;

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use kit::pagination::{Cursor, Total};
use kit::schema::service;

use crate::listing::{self, Listing, ProductFilter, ProductSort};
use crate::products::Product;
use facets::Facets;

/// One search: its page of products and, on request, its facets.
pub struct SearchResult {
    listing: Listing,
    first: Option<i32>,
    after: Option<String>,
}

#[Object]
impl SearchResult {
    /// Matching products, best match first unless another sort was asked for.
    async fn products(&self, ctx: &Context<'_>) -> Result<Connection<Cursor, Product, Total>> {
        Ok(listing::page(
            ctx,
            &self.listing,
            self.first,
            self.after.clone(),
            None,
            None,
        )
        .await?)
    }

    /// Counts per category, brand, price bucket and attribute value over all matches.
    async fn facets(&self) -> Facets {
        Facets {
            listing: self.listing.clone(),
        }
    }
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Searches published products (staff: any status, via the status filter). An empty query
    /// browses the filtered catalogue.
    async fn search_products(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<ProductFilter>,
        sort: Option<ProductSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<SearchResult> {
        let text = query::expand(&service(ctx).db, &query).await?;
        let listing = Listing::new(ctx, filter.unwrap_or_default(), sort, text)?;
        // Fail fast on a bad page request rather than when `products` resolves.
        kit::pagination::Window::parse(first, after.clone(), None, None)?;
        Ok(SearchResult {
            listing,
            first,
            after,
        })
    }
}
