//! Product search: `searchProducts(query, filter, sort, first, after)` — full-text over title,
//! brand and description with stemming and typo tolerance, the same filters and keyset pages
//! as product lists, and facet counts. Candidates, filters, facets, the total and the page are
//! computed by this instance's in-memory [`engine`]; the page's products are then read in one
//! statement.

pub mod engine;
pub mod exec;
pub mod facets;
pub mod intern;
pub mod load;
pub mod query;
pub mod stem;
pub mod store;
pub mod terms;
pub mod vocab;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Db};

use crate::listing::{self, Listing, Order, ProductFilter, ProductSort};
use crate::products::{Product, ProductRow, COLUMNS};
use crate::sql::Sql;
use engine::Engine;
use exec::{FacetSet, Filter, Outcome, Request};
use facets::Facets;

/// One search, already run: its page (product ids) and facet counts.
pub struct SearchResult {
    window: Window,
    order: Order,
    /// Products in the page must still have this status when read (the engine may lag a
    /// change made through another instance by an event's delivery).
    status: Option<crate::products::ProductStatus>,
    outcome: Outcome,
}

#[Object]
impl SearchResult {
    /// Matching products, best match first unless another sort was asked for.
    async fn products(&self, ctx: &Context<'_>) -> Result<Connection<Cursor, Product, Total>> {
        let page = &self.outcome.page;
        let ids: Vec<String> = page
            .iter()
            .map(|(id, _)| uuid::Uuid::from_u128(*id).to_string())
            .collect();
        let mut rows = load_rows(&service(ctx).db, &ids).await?;
        let products: Vec<Product> = ids
            .iter()
            .zip(page)
            .filter_map(|(id, (_, key))| {
                let mut p = Product::from_row(rows.remove(id)?);
                p.sort_key = *key;
                Some(p)
            })
            .filter(|p| self.status.is_none_or(|s| p.status == s))
            .collect();
        let order = self.order;
        Ok(self.window.connection(
            products,
            |p| listing::encode(order, p.sort_key, p.uid()),
            self.outcome.total as i64,
        ))
    }

    /// Counts per category, brand, price bucket and attribute value over all matches.
    async fn facets(&self) -> Facets {
        Facets {
            counts: self.outcome.facets.clone(),
        }
    }
}

/// The page's products in one statement, by id.
async fn load_rows(db: &Db, ids: &[String]) -> Result<HashMap<String, ProductRow>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM products p WHERE p.id IN ("));
    sql.bind_list(ids.iter()).push(")");
    let rows: Vec<ProductRow> = sql.query_as().fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(|r| (r.id.clone(), r)).collect())
}

/// Ids of a category and every category below it (none when it does not exist).
async fn subtree(db: &Db, category: &str) -> Result<Vec<String>, AppError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.id FROM categories c WHERE c.path LIKE \
         (SELECT c2.path FROM categories c2 WHERE c2.id = $1) || '%'",
    )
    .bind(category)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

async fn members(db: &Db, collection: &str) -> Result<Vec<String>, AppError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT product_id FROM collection_products WHERE collection_id = $1")
            .bind(collection)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Which facets the client selected.
fn wanted(ctx: &Context<'_>) -> FacetSet {
    let look = ctx.look_ahead();
    let facets = look.field("facets");
    FacetSet {
        categories: facets.field("categories").exists(),
        brands: facets.field("brands").exists(),
        prices: facets.field("prices").exists(),
        attributes: facets.field("attributes").exists(),
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
        let text = query::parse(&query)?;
        let listing = Listing::new(ctx, filter.unwrap_or_default(), sort, text)?;
        let window = Window::parse(first, after, None, None)?;
        let after = match &window.cursor {
            Some(raw) => {
                let (key, id) = listing::decode(listing.order, "after", raw)?;
                let id = uuid::Uuid::parse_str(&id).map_err(|_| {
                    AppError::bad_input("after", "is not a valid cursor for this sort")
                })?;
                Some((key, id.as_u128()))
            }
            None => None,
        };
        let svc = service(ctx);
        let engine = Engine::of(svc)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("search engine not started")))?;
        let filter = Filter {
            status: listing.status,
            categories: match &listing.category_id {
                Some(c) => Some(subtree(&svc.db, c).await?),
                None => None,
            },
            members: match &listing.collection_id {
                Some(c) => Some(members(&svc.db, c).await?),
                None => None,
            },
            brand: listing.brand.clone(),
            min_price: listing.min_price,
            max_price: listing.max_price,
            attributes: listing.attributes.clone(),
        };
        let outcome = engine.search(&Request {
            text: listing.text.as_ref(),
            filter: &filter,
            order: listing.order,
            after,
            limit: window.fetch() as usize,
            facets: wanted(ctx),
        });
        Ok(SearchResult {
            window,
            order: listing.order,
            status: listing.status,
            outcome,
        })
    }
}
