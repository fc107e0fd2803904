//! Keyset pages of reviews for many owners at once: `Product.reviews` (published reviews of a
//! product, in one of four sorts) and `User.reviews` (a user's reviews, newest first). One
//! query serves a whole batch of owners asking for the same page: `ROW_NUMBER() OVER
//! (PARTITION BY owner ORDER BY sort key)` numbers each owner's rows past the cursor, and the
//! outer query keeps the first `limit + 1` of each.
//!
//! A cursor is `<sort value>:<review id>`: the sort column plus the id as a unique tiebreaker.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum};
use kit::db::placeholders;
use kit::pagination::{Cursor, Total, Window};
use kit::{AppError, Db};

use crate::review::{Review, Row, COLUMNS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum ReviewSort {
    /// Most recent first.
    Newest,
    /// Most helpful votes first, then newest.
    MostHelpful,
    /// Five stars first, then newest.
    HighestRating,
    /// One star first, then newest.
    LowestRating,
}

impl ReviewSort {
    /// The sort column and whether it runs descending; ties always go newest id first.
    fn column(self) -> (&'static str, bool) {
        match self {
            ReviewSort::Newest => ("created_at", true),
            ReviewSort::MostHelpful => ("helpful_count", true),
            ReviewSort::HighestRating => ("rating", true),
            ReviewSort::LowestRating => ("rating", false),
        }
    }

    fn value(self, r: &Review) -> i64 {
        match self {
            ReviewSort::Newest => r.created_at,
            ReviewSort::MostHelpful => r.helpful_count,
            ReviewSort::HighestRating | ReviewSort::LowestRating => r.rating,
        }
    }

    pub fn cursor(self, r: &Review) -> String {
        format!("{}:{}", self.value(r), r.id)
    }
}

/// One page request, the same for every owner in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Page {
    pub sort: ReviewSort,
    /// Rows strictly past this (value, id) in the page's direction.
    pub cursor: Option<(i64, String)>,
    pub fetch: i64,
    pub backward: bool,
    /// Hidden reviews too (the author themself and staff).
    pub include_hidden: bool,
}

impl Page {
    /// Builds the page from a parsed window; a cursor that is not ours is bad input naming
    /// `after` or `before`.
    pub fn new(sort: ReviewSort, window: &Window, include_hidden: bool) -> Result<Page, AppError> {
        let field = if window.backward { "before" } else { "after" };
        let cursor = window
            .cursor
            .as_deref()
            .map(|c| {
                c.split_once(':')
                    .and_then(|(v, id)| {
                        let id = kit::ids::parse_id(field, id).ok()?;
                        Some((v.parse::<i64>().ok()?, id))
                    })
                    .ok_or_else(|| AppError::bad_input(field, "is not a valid cursor"))
            })
            .transpose()?;
        Ok(Page {
            sort,
            cursor,
            fetch: window.fetch(),
            backward: window.backward,
            include_hidden,
        })
    }

    /// The batched statement for `owners` (bound first, then the cursor, then the limit).
    fn sql(&self, owner_column: &str, owners: usize) -> String {
        let (column, descending) = self.sort.column();
        // A backward page walks the same order in reverse.
        let descending = descending != self.backward;
        let id_descending = !self.backward;
        let dir = |desc: bool| if desc { "DESC" } else { "ASC" };
        let past = |desc: bool| if desc { "<" } else { ">" };
        let mut filter = String::new();
        if !self.include_hidden {
            filter.push_str(" AND status = 'PUBLISHED'");
        }
        let mut next = owners + 1;
        if self.cursor.is_some() {
            filter.push_str(&format!(
                " AND ({column} {op} ${a} OR ({column} = ${a} AND id {id_op} ${b}))",
                op = past(descending),
                id_op = past(id_descending),
                a = next,
                b = next + 1,
            ));
            next += 2;
        }
        format!(
            "SELECT {COLUMNS} FROM (SELECT {COLUMNS}, ROW_NUMBER() OVER (PARTITION BY {owner_column} \
             ORDER BY {column} {d1}, id {d2}) AS rn FROM reviews WHERE {owner_column} IN ({list}){filter}) ranked \
             WHERE rn <= ${next} ORDER BY {owner_column}, rn",
            d1 = dir(descending),
            d2 = dir(id_descending),
            list = placeholders(1, owners),
        )
    }
}

/// A page for one owner: the loader key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub owner: String,
    pub page: Page,
}

/// Runs one query per distinct page in the batch.
async fn load_pages(
    db: &Db,
    owner_column: &str,
    keys: &[PageKey],
) -> Result<HashMap<PageKey, Vec<Review>>, AppError> {
    let mut groups: HashMap<&Page, Vec<&str>> = HashMap::new();
    for key in keys {
        groups.entry(&key.page).or_default().push(&key.owner);
    }
    let mut out = HashMap::new();
    for (page, owners) in groups {
        let sql = page.sql(owner_column, owners.len());
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for owner in &owners {
            query = query.bind(*owner);
        }
        if let Some((value, id)) = &page.cursor {
            query = query.bind(*value).bind(id.as_str());
        }
        let rows = query.bind(page.fetch).fetch_all(db.pool()).await?;
        let mut by_owner: HashMap<String, Vec<Review>> = HashMap::new();
        for row in rows {
            let review = Review::from_row(row);
            let owner = match owner_column {
                "author_id" => review.author_id.clone(),
                _ => review.product_id.clone(),
            };
            by_owner.entry(owner).or_default().push(review);
        }
        for owner in owners {
            let key = PageKey {
                owner: owner.to_string(),
                page: page.clone(),
            };
            out.insert(key, by_owner.remove(owner).unwrap_or_default());
        }
    }
    Ok(out)
}

/// Pages of published reviews per product.
pub struct ProductPages {
    pub db: Db,
}

impl Loader<PageKey> for ProductPages {
    type Value = Vec<Review>;
    type Error = AppError;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Vec<Review>>, AppError> {
        load_pages(&self.db, "product_id", keys).await
    }
}

/// Pages of reviews per author.
pub struct AuthorPages {
    pub db: Db,
}

impl Loader<PageKey> for AuthorPages {
    type Value = Vec<Review>;
    type Error = AppError;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Vec<Review>>, AppError> {
        load_pages(&self.db, "author_id", keys).await
    }
}

/// How many reviews an author has (published only, or all): one grouped query per batch.
pub struct AuthorTotals {
    pub db: Db,
}

impl Loader<(String, bool)> for AuthorTotals {
    type Value = i64;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(String, bool)],
    ) -> Result<HashMap<(String, bool), i64>, AppError> {
        let mut out = HashMap::new();
        for include_hidden in [false, true] {
            let authors: Vec<&str> = keys
                .iter()
                .filter(|k| k.1 == include_hidden)
                .map(|k| k.0.as_str())
                .collect();
            if authors.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT author_id, COUNT(*) FROM reviews WHERE author_id IN ({}){} GROUP BY author_id",
                placeholders(1, authors.len()),
                if include_hidden {
                    ""
                } else {
                    " AND status = 'PUBLISHED'"
                }
            );
            let mut query = sqlx::query_as::<_, (String, i64)>(&sql);
            for a in &authors {
                query = query.bind(*a);
            }
            let counts: HashMap<String, i64> =
                query.fetch_all(self.db.pool()).await?.into_iter().collect();
            for a in authors {
                let n = counts.get(a).copied().unwrap_or(0);
                out.insert((a.to_string(), include_hidden), n);
            }
        }
        Ok(out)
    }
}

/// Whether the request selected `totalCount` (so it is only counted when asked for).
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Loads one owner's page through `loader` and shapes it as a connection.
pub async fn connection<L>(
    ctx: &Context<'_>,
    owner: &str,
    page: Page,
    window: &Window,
    total: i64,
) -> Result<Connection<Cursor, Review, Total>, AppError>
where
    L: Loader<PageKey, Value = Vec<Review>, Error = AppError>,
{
    let sort = page.sort;
    let rows = ctx
        .data_unchecked::<DataLoader<L>>()
        .load_one(PageKey {
            owner: owner.to_string(),
            page,
        })
        .await?
        .unwrap_or_default();
    Ok(window.connection(rows, |r: &Review| sort.cursor(r), total))
}
