//! Cross-subgraph demo data. Each subgraph seeds what it owns on its own (accounts its users,
//! catalog its products); the data that hangs off another subgraph's ids — stock per variant,
//! reviews per product by demo customers, product images — is seeded here, where every
//! subgraph's service is at hand, by paging through catalog's demo products. Every seed is
//! idempotent, so a restart only fills gaps.

use anyhow::Context;
use async_graphql::dataloader::Loader;
use kit::subgraph::Prepared;
use kit::Service;

const PAGE: i64 = 2000;

fn find<'a>(prepared: &'a [Prepared], name: &str) -> anyhow::Result<&'a Service> {
    prepared
        .iter()
        .map(|p| &p.svc)
        .find(|svc| svc.config.service == name)
        .with_context(|| format!("the launcher runs no {name} subgraph"))
}

pub async fn seed(prepared: &[Prepared]) -> anyhow::Result<()> {
    let accounts = find(prepared, "accounts")?;
    let catalog = find(prepared, "catalog")?;
    let inventory = find(prepared, "inventory")?;
    let reviews = find(prepared, "reviews")?;
    let media = find(prepared, "media")?;
    let authors = accounts::seed::demo_customer_ids(accounts)
        .await
        .map_err(kit::AppError::into_anyhow)?;
    let media = media::seed::Seeder::new(media).await?;
    let started = std::time::Instant::now();
    let mut after: Option<String> = None;
    let mut products = 0usize;
    loop {
        let page = catalog::seed::demo_page(catalog, after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        products += page.len();
        let variants: Vec<String> = page
            .iter()
            .flat_map(|p| p.variants.iter().cloned())
            .collect();
        inventory::seed::run(inventory, &variants).await?;
        let ids: Vec<String> = page.iter().map(|p| p.id.clone()).collect();
        reviews::seed::run(reviews, &ids, &authors).await?;
        media.run(&ids).await?;
        rank_by_rating(catalog, reviews, &ids).await?;
        if products % 100_000 < page.len() {
            tracing::info!(products, "demo stock, reviews and images seeded so far");
        }
    }
    tracing::info!(
        products,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo data ready"
    );
    Ok(())
}

/// Seeded reviews publish no events, so catalog's rating sort is given their totals directly
/// (it only fills products no review event has ranked yet).
async fn rank_by_rating(
    catalog: &Service,
    reviews: &Service,
    ids: &[String],
) -> anyhow::Result<()> {
    let loader = reviews::ratings::RatingsByProduct {
        db: reviews.db.clone(),
    };
    for chunk in ids.chunks(500) {
        let tallies = loader
            .load(chunk)
            .await
            .map_err(kit::AppError::into_anyhow)?;
        let ranks: Vec<(String, f64, i64)> = tallies
            .into_iter()
            .filter_map(|(id, t)| Some((id, t.average()?, t.count)))
            .collect();
        catalog::ratings::set_ranks(catalog, &ranks).await?;
    }
    Ok(())
}
