//! Loading carts by id, for one cart or a whole `_entities` batch: each through the cache
//! ([`crate::cache`]), and the misses of a batch from the database in two statements (the
//! carts, then all their lines with current prices joined in).

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use kit::db::placeholders;
use kit::{AppError, Service};

use crate::cache;
use crate::settings::Settings;
use crate::view::{CartRow, CartView, LineRow, LineView, CART_COLUMNS, LINE_COLUMNS};

pub struct CartsById {
    pub svc: Service,
    pub settings: Settings,
}

impl Loader<String> for CartsById {
    type Value = CartView;
    type Error = AppError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, CartView>, AppError> {
        let svc = &self.svc;
        let lookups = ids.iter().map(|id| async move {
            let generation = cache::generation(svc, id).await;
            let hit = match &generation {
                Some(g) => cache::get(svc, id, g).await,
                None => None,
            };
            (id.clone(), generation, hit)
        });
        let mut found = HashMap::new();
        let mut misses = Vec::new();
        for (id, generation, hit) in futures_util::future::join_all(lookups).await {
            match hit {
                Some(cart) => {
                    found.insert(id, cart);
                }
                None => misses.push((id, generation)),
            }
        }
        if misses.is_empty() {
            return Ok(found);
        }
        let ids: Vec<&str> = misses.iter().map(|(id, _)| id.as_str()).collect();
        let mut loaded = load_from_db(svc, &ids).await?;
        let stores = misses.iter().filter_map(|(id, generation)| {
            let cart = loaded.get(id)?;
            Some(async move {
                match generation {
                    Some(generation) => {
                        cache::put(svc, cart, generation, self.settings.cache_ttl).await
                    }
                    None => cache::start(svc, &[id.as_str()]).await,
                }
            })
        });
        futures_util::future::join_all(stores).await;
        found.extend(loaded.drain());
        Ok(found)
    }
}

/// Carts and their lines straight from the database: two statements for any number of carts.
async fn load_from_db(svc: &Service, ids: &[&str]) -> Result<HashMap<String, CartView>, AppError> {
    let sql = format!(
        "SELECT {CART_COLUMNS} FROM carts WHERE id IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query_as::<_, CartRow>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let mut carts: HashMap<String, CartView> = query
        .fetch_all(svc.db.pool())
        .await?
        .into_iter()
        .map(|row| (row.0.clone(), CartView::from_row(row)))
        .collect();
    if carts.is_empty() {
        return Ok(carts);
    }
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM cart_lines l LEFT JOIN variants v ON v.variant_id = l.variant_id \
         WHERE l.cart_id IN ({}) ORDER BY l.added_at, l.id",
        placeholders(1, carts.len())
    );
    let mut query = sqlx::query_as::<_, LineRow>(&sql);
    for id in carts.keys() {
        query = query.bind(id);
    }
    for row in query.fetch_all(svc.db.pool()).await? {
        let line = LineView::from_row(row);
        if let Some(cart) = carts.get_mut(&line.cart_id) {
            cart.lines.push(line);
        }
    }
    Ok(carts)
}

/// One cart by id (through the batching loader), if it exists.
pub async fn load(ctx: &Context<'_>, id: &str) -> Result<Option<CartView>, AppError> {
    ctx.data_unchecked::<DataLoader<CartsById>>()
        .load_one(id.to_string())
        .await
}
