//! The cart cache in front of the database, free of the stale-set race (a reader loads old
//! rows, a writer commits and invalidates, the reader then stores the old rows).
//!
//! Each cart has a generation key, `cart:{id}:gen`, holding an opaque value that is never
//! reused (a fresh UUIDv7). Cached carts live under `cart:{id}:{generation}`.
//! - A reader reads the generation first and only then loads from the database; it stores
//!   what it loaded under that generation. A reader that finds no generation stores nothing
//!   and, if the cart exists, sets a fresh generation for the next reader.
//! - A writer, after its commit, sets a fresh generation; removing a cart removes its key.
//!
//! So a reader that loaded rows older than some commit stores them under a generation that the
//! commit's writer has already replaced (it replaces it after committing, hence after the
//! reader read it): no later reader looks there. Values are never reused, so neither an expired
//! generation nor a restart can bring an old entry back. Entries expire after `CACHE_TTL_SECS`,
//! which also bounds staleness if an invalidation is ever lost (a crash between commit and
//! invalidation, a cache outage). Cache failures fall back to the database: they never fail a
//! request.

use std::time::Duration;

use kit::Service;

use crate::view::CartView;

/// How long a generation value lives without being replaced. Longer than any entry: an
/// expired generation only orphans its entries.
const GENERATION_TTL: Duration = Duration::from_secs(86_400);

fn generation_key(cart_id: &str) -> String {
    format!("cart:{cart_id}:gen")
}

fn entry_key(cart_id: &str, generation: &str) -> String {
    format!("cart:{cart_id}:{generation}")
}

/// The cart's current generation, if it has one. `None` when it has none (or the cache is
/// unavailable): the caller then reads the database without caching and may [`start`] one.
pub async fn generation(svc: &Service, cart_id: &str) -> Option<String> {
    match svc.cache.get(&generation_key(cart_id)).await {
        Ok(bytes) => bytes.and_then(|b| String::from_utf8(b).ok()),
        Err(err) => {
            tracing::warn!(error = %err, "cart cache unavailable");
            None
        }
    }
}

/// Gives a cart a fresh generation, after a read that found none, so the next read caches.
/// Only carts that exist get one: reads of unknown ids leave nothing in the cache.
pub async fn start(svc: &Service, cart_ids: &[&str]) {
    invalidate(svc, cart_ids).await;
}

/// The cart cached under `generation`, if any.
pub async fn get(svc: &Service, cart_id: &str, generation: &str) -> Option<CartView> {
    match svc.cache.get(&entry_key(cart_id, generation)).await {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "cart cache unavailable");
            None
        }
    }
}

/// Caches `cart` as loaded after reading `generation`.
pub async fn put(svc: &Service, cart: &CartView, generation: &str, ttl: Duration) {
    let Ok(bytes) = serde_json::to_vec(cart) else {
        return;
    };
    if let Err(err) = svc
        .cache
        .set(&entry_key(&cart.id, generation), &bytes, Some(ttl))
        .await
    {
        tracing::warn!(error = %err, "cart cache unavailable");
    }
}

/// Makes every cached copy of these carts unreachable. Call after the commit that changed them.
pub async fn invalidate<S: AsRef<str>>(svc: &Service, cart_ids: &[S]) {
    let bumps = cart_ids.iter().map(|id| async move {
        let fresh = kit::ids::new_id();
        svc.cache
            .set(
                &generation_key(id.as_ref()),
                fresh.as_bytes(),
                Some(GENERATION_TTL),
            )
            .await
    });
    for result in futures_util::future::join_all(bumps).await {
        if let Err(err) = result {
            tracing::warn!(error = %err, "cart cache invalidation failed; entries expire on their own");
        }
    }
}

/// Drops the generation of carts that no longer exist (cached copies become unreachable).
pub async fn forget(svc: &Service, cart_ids: &[&str]) {
    for id in cart_ids {
        if let Err(err) = svc.cache.delete(&generation_key(id)).await {
            tracing::warn!(error = %err, "cart cache invalidation failed; entries expire on their own");
        }
    }
}
