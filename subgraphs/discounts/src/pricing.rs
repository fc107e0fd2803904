//! Pricing a cart with what the database knows: the coupon the cart has applied, the running
//! promotions and the scope facts of its products, fed to the pure `engine`. The three lookups
//! are DataLoaders run side by side, so a page of any number of carts costs three statements;
//! the same lookups are plain functions for the hold mutation.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use kit::db::placeholders;
use kit::ids::now_millis;
use kit::{AppError, Db};

use crate::coupon::{self, Coupon};
use crate::eligibility::{self, Reason};
use crate::engine::{self, Basket, Pricing};
use crate::promotion::{self, Promotion};
use crate::scope::{Facts, ProductFacts};

/// Deepest category nesting followed (guards against a cycle in bad data).
const MAX_DEPTH: i64 = 32;

/// A priced cart as the `Cart` fields show it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub pricing: Pricing,
    /// Why the applied coupon gives nothing right now, if it does not.
    pub notice: Option<String>,
}

/// Prices `basket` for cart `cart_id` through the request's loaders.
pub async fn price_cart(
    ctx: &Context<'_>,
    cart_id: &str,
    basket: &Basket,
) -> Result<Outcome, AppError> {
    let products = product_ids(basket);
    let (coupon, promotions, facts) = futures_util::try_join!(
        ctx.data_unchecked::<DataLoader<AppliedCoupons>>()
            .load_one(cart_id.to_string()),
        async {
            ctx.data_unchecked::<DataLoader<RunningPromotions>>()
                .load_one(())
                .await
                .map(Option::unwrap_or_default)
        },
        async {
            ctx.data_unchecked::<DataLoader<ProductScopes>>()
                .load_many(products)
                .await
        },
    )?;
    let facts: Facts = facts.into_iter().collect();
    Ok(outcome(
        basket,
        &facts,
        &promotions,
        coupon.as_ref(),
        now_millis(),
    ))
}

/// The pure part: the coupon applies only when eligible; otherwise the notice says why.
/// (The per-customer count is checked when applying and holding, not on every read.)
pub fn outcome(
    basket: &Basket,
    facts: &Facts,
    promotions: &[Promotion],
    coupon: Option<&Coupon>,
    now: i64,
) -> Outcome {
    let rules: Vec<_> = promotions.iter().map(Promotion::rule).collect();
    let mut notice = None;
    let coupon_rule = coupon.and_then(|c| match eligibility::check(c, basket, facts, now, None) {
        Ok(()) => Some(c.rule()),
        Err(reason) => {
            notice = Some(reason.message(Some(c)));
            None
        }
    });
    let pricing = engine::price(basket, facts, &rules, coupon_rule.as_ref());
    if let (Some(c), None, None) = (coupon, &notice, pricing.coupon()) {
        notice = Some(format!(
            "coupon {} gives nothing more: its items are already fully discounted",
            c.code
        ));
    }
    Outcome { pricing, notice }
}

/// Prices `basket` with `coupon` (already checked) outside a GraphQL read: for holds.
pub async fn price_with_coupon(
    db: &Db,
    basket: &Basket,
    coupon: &Coupon,
) -> Result<Pricing, AppError> {
    let promotions = promotion::running(db, now_millis()).await?;
    let facts = facts(db, &product_ids(basket)).await?;
    let rules: Vec<_> = promotions.iter().map(Promotion::rule).collect();
    Ok(engine::price(basket, &facts, &rules, Some(&coupon.rule())))
}

/// Checks `coupon` against `basket` with the database's facts, as applying and holding do.
pub async fn check_coupon(
    db: &Db,
    basket: &Basket,
    coupon: &Coupon,
    customer_uses: Option<i64>,
) -> Result<(), AppError> {
    let facts = facts(db, &product_ids(basket)).await?;
    eligibility::check(coupon, basket, &facts, now_millis(), customer_uses)
        .map_err(|reason: Reason| reason.error(Some(coupon)))
}

fn product_ids(basket: &Basket) -> Vec<String> {
    let mut ids: Vec<String> = basket.lines.iter().map(|l| l.product_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Scope facts for `products` in one statement: each product's category chain (walked up the
/// tree with a recursive CTE) and its collections.
pub async fn facts(db: &Db, products: &[String]) -> Result<Facts, AppError> {
    if products.is_empty() {
        return Ok(Facts::new());
    }
    let list = placeholders(1, products.len());
    let sql = format!(
        "WITH RECURSIVE chain (product_id, category_id, depth) AS ( \
           SELECT id, category_id, 0 FROM scope_products \
             WHERE id IN ({list}) AND category_id IS NOT NULL \
           UNION ALL \
           SELECT chain.product_id, c.parent_id, chain.depth + 1 FROM chain \
             JOIN scope_categories c ON c.id = chain.category_id \
             WHERE c.parent_id IS NOT NULL AND chain.depth < {MAX_DEPTH}) \
         SELECT product_id, 'C' AS what, category_id AS ref FROM chain \
         UNION ALL \
         SELECT product_id, 'L' AS what, collection_id AS ref FROM collection_products \
           WHERE product_id IN ({list}) AND member = 1"
    );
    let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
    for p in products {
        query = query.bind(p);
    }
    let mut out = Facts::new();
    for (product, what, reference) in query.fetch_all(db.pool()).await? {
        let entry: &mut ProductFacts = out.entry(product).or_default();
        let list = if what == "C" {
            &mut entry.categories
        } else {
            &mut entry.collections
        };
        if !list.contains(&reference) {
            list.push(reference);
        }
    }
    Ok(out)
}

/// The coupon each cart has applied, one joined query per batch.
pub struct AppliedCoupons {
    pub db: Db,
}

#[derive(sqlx::FromRow)]
struct AppliedRow {
    cart_id: String,
    #[sqlx(flatten)]
    coupon: coupon::Row,
}

impl Loader<String> for AppliedCoupons {
    type Value = Coupon;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Coupon>, AppError> {
        let sql = format!(
            "SELECT cc.cart_id, {} FROM cart_coupons cc JOIN coupons c ON c.id = cc.coupon_id \
             WHERE cc.cart_id IN ({})",
            coupon::columns_as_c(),
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, AppliedRow>(&sql);
        for k in keys {
            query = query.bind(k);
        }
        let mut out = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            out.insert(row.cart_id, Coupon::from_row(row.coupon)?);
        }
        Ok(out)
    }
}

/// The running promotions, once per batch whatever the number of carts.
pub struct RunningPromotions {
    pub db: Db,
}

impl Loader<()> for RunningPromotions {
    type Value = Arc<Vec<Promotion>>;
    type Error = AppError;

    async fn load(&self, _: &[()]) -> Result<HashMap<(), Arc<Vec<Promotion>>>, AppError> {
        let running = promotion::running(&self.db, now_millis()).await?;
        Ok(HashMap::from([((), Arc::new(running))]))
    }
}

/// Scope facts per product, one statement per batch.
pub struct ProductScopes {
    pub db: Db,
}

impl Loader<String> for ProductScopes {
    type Value = ProductFacts;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, ProductFacts>, AppError> {
        facts(&self.db, keys).await
    }
}
