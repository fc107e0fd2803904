//! Product lists: the filter and sort a client asks for, validated into a [`Listing`] (shared by
//! plain lists and `searchProducts`), and the one SQL shape plain lists are read with
//! (`products`, `category.products`, `collection.products`; search runs in the in-memory
//! engine instead). Pages are keyset windows over (sort key, id), so a page never shifts when
//! products are added before it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, ID};
use kit::db::{Columns, ReadRow};
use kit::ids::parse_id;
use kit::money::{Money, MoneyInput};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;

use crate::attributes::NameValueInput;
use crate::products::{is_staff, Product, ProductRow, ProductStatus, COLUMNS};
use crate::search::query::TextMatch;
use crate::sql::Sql;
use crate::variants::{self, Variant};

#[derive(Debug, Default, InputObject)]
pub struct ProductFilter {
    /// Products in this category or any category below it.
    pub category_id: Option<ID>,
    pub collection_id: Option<ID>,
    pub brand: Option<String>,
    /// Staff only; the public always sees published products.
    pub status: Option<ProductStatus>,
    /// Lowest variant price at least this (same currency only).
    pub min_price: Option<MoneyInput>,
    /// Lowest variant price at most this (same currency only).
    pub max_price: Option<MoneyInput>,
    /// Attribute values; values of one name are alternatives, different names all apply.
    pub attributes: Option<Vec<NameValueInput>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductSort {
    /// Best text match first (search only; lists fall back to newest).
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    /// Best rated first (average, then number of reviews).
    Rating,
}

/// The order a list is read in, with its sort key column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    Rating,
    /// A collection's manual order.
    Manual,
}

impl Order {
    fn key(self) -> &'static str {
        match self {
            // Lists never sort by relevance (`Listing::new` falls back to newest without text).
            Order::Relevance | Order::Newest => "p.created_at",
            Order::PriceAsc | Order::PriceDesc => "p.price_min",
            Order::Rating => "p.rating_rank",
            Order::Manual => "cp.position",
        }
    }

    pub fn ascending(self) -> bool {
        matches!(self, Order::PriceAsc | Order::Manual)
    }

    /// Tags cursors so one from another sort is refused rather than misread.
    fn tag(self) -> &'static str {
        match self {
            Order::Relevance => "r",
            Order::Newest => "n",
            Order::PriceAsc => "pa",
            Order::PriceDesc => "pd",
            Order::Rating => "rt",
            Order::Manual => "m",
        }
    }
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct Listing {
    pub category_id: Option<String>,
    pub collection_id: Option<String>,
    pub brand: Option<String>,
    pub status: Option<ProductStatus>,
    pub min_price: Option<Money>,
    pub max_price: Option<Money>,
    /// Attribute name → accepted values.
    pub attributes: BTreeMap<String, Vec<String>>,
    pub order: Order,
    pub text: Option<TextMatch>,
    /// The category filter's subtree when the caller already knows it (a leaf category's
    /// page); `None` reads it.
    pub subtree: Option<Vec<String>>,
}

impl Listing {
    pub fn new(
        ctx: &Context<'_>,
        filter: ProductFilter,
        sort: Option<ProductSort>,
        text: Option<TextMatch>,
    ) -> Result<Listing, AppError> {
        let status = match (filter.status, is_staff(ctx)) {
            (status, true) => status,
            (None | Some(ProductStatus::Published), false) => Some(ProductStatus::Published),
            (Some(_), false) => {
                return Err(AppError::forbidden(
                    "only staff may list products that are not published",
                ))
            }
        };
        let id = |field: &str, v: Option<ID>| v.map(|v| parse_id(field, &v)).transpose();
        let min_price = filter
            .min_price
            .map(|m| m.parse("filter.minPrice"))
            .transpose()?;
        let max_price = filter
            .max_price
            .map(|m| m.parse("filter.maxPrice"))
            .transpose()?;
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min.currency != max.currency {
                return Err(AppError::bad_input(
                    "filter.maxPrice.currencyCode",
                    "must match filter.minPrice.currencyCode",
                ));
            }
            if min.minor > max.minor {
                return Err(AppError::bad_input(
                    "filter.maxPrice",
                    "must not be below filter.minPrice",
                ));
            }
        }
        let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, pair) in filter.attributes.unwrap_or_default().iter().enumerate() {
            if attributes.len() >= 20 {
                return Err(AppError::bad_input(
                    "filter.attributes",
                    "at most 20 entries",
                ));
            }
            let name =
                crate::validate::text(&format!("filter.attributes[{i}].name"), &pair.name, 50)?;
            attributes
                .entry(name.to_lowercase())
                .or_default()
                .push(pair.value.trim().to_string());
        }
        let order = match (sort, text.is_some()) {
            (Some(ProductSort::Relevance) | None, true) => Order::Relevance,
            (Some(ProductSort::Relevance) | None, false) => Order::Newest,
            (Some(ProductSort::Newest), _) => Order::Newest,
            (Some(ProductSort::PriceAsc), _) => Order::PriceAsc,
            (Some(ProductSort::PriceDesc), _) => Order::PriceDesc,
            (Some(ProductSort::Rating), _) => Order::Rating,
        };
        Ok(Listing {
            category_id: id("filter.categoryId", filter.category_id)?,
            collection_id: id("filter.collectionId", filter.collection_id)?,
            brand: filter
                .brand
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty()),
            status,
            min_price,
            max_price,
            attributes,
            order,
            text,
            subtree: None,
        })
    }

    /// Appends `FROM ... WHERE ...` selecting this listing's products as `p` (with the
    /// collection membership as `cp` when it applies), `categories` being the category filter's
    /// subtree when known (else it is read in the same statement). The text of a search is not
    /// part of it: search runs in the engine.
    pub fn write_selection(&self, sql: &mut Sql, categories: Option<&[String]>) {
        sql.push(" FROM products p");
        if let Some(collection) = &self.collection_id {
            sql.push(
                " JOIN collection_products cp ON cp.product_id = p.id AND cp.collection_id = ",
            )
            .bind(collection);
        }
        sql.push(" WHERE 1 = 1");
        if let Some(status) = self.status {
            sql.push(" AND p.status = ").bind(status.as_str());
        }
        // Ids rather than a subquery: with one category (a leaf, the usual storefront page)
        // the database walks the (category_id, status, sort key) index and stops at the page
        // size instead of sorting every product of the category.
        // A subtree not known is read by the same statement (one round trip, not two): the
        // categories table is small and its prefix match cheap next to the page itself.
        match (categories, &self.category_id) {
            (None, None) => {}
            (None, Some(category)) => {
                sql.push(
                    " AND p.category_id IN (SELECT c.id FROM categories c WHERE c.path LIKE \
                     (SELECT c2.path FROM categories c2 WHERE c2.id = ",
                )
                .bind(category)
                .push(") || '%')");
            }
            (Some([]), _) => {
                sql.push(" AND 1 = 0");
            }
            (Some([one]), _) => {
                sql.push(" AND p.category_id = ").bind(one);
            }
            (Some(many), _) => {
                sql.push(" AND p.category_id IN (")
                    .bind_list(many.iter())
                    .push(")");
            }
        }
        if let Some(brand) = &self.brand {
            sql.push(" AND p.brand = ").bind(brand);
        }
        for (bound, op) in [(self.min_price, ">="), (self.max_price, "<=")] {
            if let Some(m) = bound {
                sql.push(" AND p.currency = ")
                    .bind(m.currency.code())
                    .push(&format!(" AND p.price_min {op} "))
                    .bind(m.minor);
            }
        }
        for (name, values) in &self.attributes {
            sql.push(
                " AND EXISTS (SELECT 1 FROM product_attributes a WHERE a.product_id = p.id \
                 AND a.name = ",
            )
            .bind(name)
            .push(" AND a.value IN (")
            .bind_list(values.iter())
            .push("))");
        }
    }
}

/// A page row: the product, its sort key and, when the page reads variants too, one of its
/// variants (a product with several spans several rows).
struct KeyedRow {
    product: ProductRow,
    sort_key: i64,
    variant: Option<Variant>,
}

/// Reads [`KeyedRow`]s with (`true`) or without the joined variant columns.
struct PageRows<const VARIANTS: bool>(KeyedRow);

impl<const VARIANTS: bool> ReadRow for PageRows<VARIANTS> {
    fn read(c: &mut Columns<'_>) -> Result<Self, sqlx::Error> {
        let product = ProductRow::read(c)?;
        let sort_key = c.next()?;
        let variant = if VARIANTS {
            variants::read_joined(c)?
        } else {
            None
        };
        Ok(PageRows(KeyedRow {
            product,
            sort_key,
            variant,
        }))
    }
}

pub fn encode(order: Order, key: i64, id: &str) -> String {
    format!("{}:{key}:{id}", order.tag())
}

pub fn decode(order: Order, field: &str, raw: &str) -> Result<(i64, String), AppError> {
    let bad = || AppError::bad_input(field, "is not a valid cursor for this sort");
    let mut parts = raw.splitn(3, ':');
    let (Some(tag), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if tag != order.tag() {
        return Err(bad());
    }
    Ok((key.parse().map_err(|_| bad())?, id.to_string()))
}

/// One page of `listing`, plus its total count when selected: one statement, two with the count.
pub async fn page(
    ctx: &Context<'_>,
    listing: &Listing,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<Connection<Cursor, Product, Total>, AppError> {
    let window = Window::parse(first, after, last, before)?;
    let order = listing.order;
    let db = &service(ctx).db;
    let key = order.key();
    let ascending = order.ascending() != window.backward;
    let (cmp, dir) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };

    let categories = listing.subtree.as_deref();
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}, {key} AS sort_key"));
    listing.write_selection(&mut sql, categories);
    if let Some(cursor) = &window.cursor {
        let field = if window.backward { "before" } else { "after" };
        let (k, id) = decode(order, field, cursor)?;
        sql.push(&format!(" AND ({key} {cmp} "))
            .bind(k)
            .push(&format!(" OR ({key} = "))
            .bind(k)
            .push(&format!(" AND p.id {cmp} "))
            .bind(id)
            .push("))");
    }
    sql.push(&format!(" ORDER BY {key} {dir}, p.id {dir} LIMIT "))
        .bind(window.fetch());
    // A page that shows its products' variants reads them in the same statement (the page,
    // then each product's variants joined to it), not in a second batched one: one round trip
    // less on every listing.
    let look = ctx.look_ahead();
    let with_variants = look.field("edges").field("node").field("variants").exists()
        || look.field("nodes").field("variants").exists();
    let rows: Vec<KeyedRow> = if with_variants {
        sql.text = format!(
            "SELECT pg.*, {} FROM ({}) pg LEFT JOIN variants v ON v.product_id = pg.id \
             ORDER BY pg.sort_key {dir}, pg.id {dir}, v.id",
            variants::JOINED_COLUMNS,
            sql.text
        );
        let rows: Vec<PageRows<true>> = sql.fetch_all(db).await?;
        rows.into_iter().map(|r| r.0).collect()
    } else {
        let rows: Vec<PageRows<false>> = sql.fetch_all(db).await?;
        rows.into_iter().map(|r| r.0).collect()
    };

    // Counting a large category costs more than the page itself: only when asked for.
    let total = if look.field("totalCount").exists() {
        let mut count = Sql::new("SELECT COUNT(*)");
        listing.write_selection(&mut count, categories);
        let (total,): (i64,) = count
            .fetch_all(db)
            .await?
            .into_iter()
            .next()
            .unwrap_or((0,));
        total
    } else {
        0
    };

    // Joined rows arrive grouped by product, in page order.
    let mut products: Vec<Product> = Vec::new();
    for r in rows {
        let same = products.last().is_some_and(|p| p.uid() == r.product.id);
        if !same {
            let mut p = Product::from_row(r.product);
            p.sort_key = r.sort_key;
            if with_variants {
                p.variants_read = Some(Arc::new(Vec::new()));
            }
            products.push(p);
        }
        if let (Some(v), Some(p)) = (r.variant, products.last_mut()) {
            if let Some(list) = p.variants_read.as_mut() {
                Arc::make_mut(list).push(v);
            }
        }
    }
    Ok(window.connection(products, |p| encode(order, p.sort_key, p.uid()), total))
}

/// A collection's products in their manual order.
pub fn manual(ctx: &Context<'_>, collection_id: &str) -> Listing {
    Listing {
        category_id: None,
        collection_id: Some(collection_id.to_string()),
        brand: None,
        status: (!is_staff(ctx)).then_some(ProductStatus::Published),
        min_price: None,
        max_price: None,
        attributes: BTreeMap::new(),
        order: Order::Manual,
        text: None,
        subtree: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_sorts() {
        let c = encode(Order::PriceAsc, 1999, "abc");
        assert_eq!(
            decode(Order::PriceAsc, "after", &c).unwrap(),
            (1999, "abc".into())
        );
        assert!(decode(Order::Newest, "after", &c).is_err());
        assert!(decode(Order::Newest, "after", "n:x:abc").is_err());
        assert!(decode(Order::Newest, "after", "garbage").is_err());
    }
}
