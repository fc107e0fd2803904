//! The cart cache in front of the database, free of the stale-set race (a reader loads old
//! rows, a writer commits and invalidates, the reader then stores the old rows).
//!
//! Each cart has a generation key, `cart:{id}:gen`, holding an opaque value that is never
//! reused (a fresh UUIDv7). Cached carts live under `cart:{id}:{generation}`.
//! - A reader reads the generation first (setting a fresh one if there is none) and only then
//!   loads from the database; it stores what it loaded under that generation.
//! - A writer, after its commit, sets a fresh generation.
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

/// The cart's current generation, created if it has none. `None` when the cache is
/// unavailable: the caller then reads the database and caches nothing.
pub async fn generation(svc: &Service, cart_id: &str) -> Option<String> {
    let key = generation_key(cart_id);
    match svc.cache.get(&key).await {
        Ok(Some(bytes)) => String::from_utf8(bytes).ok(),
        Ok(None) => {
            let fresh = kit::ids::new_id();
            match svc
                .cache
                .set(&key, fresh.as_bytes(), Some(GENERATION_TTL))
                .await
            {
                Ok(()) => Some(fresh),
                Err(err) => {
                    tracing::warn!(error = %err, "cart cache unavailable");
                    None
                }
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "cart cache unavailable");
            None
        }
    }
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
