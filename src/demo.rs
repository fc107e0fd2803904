//! Cross-subgraph demo data. Each subgraph seeds what it owns on its own (accounts its users,
//! catalog its products); the data that hangs off another subgraph's ids — stock per variant,
//! reviews per product by demo customers, product images, the cart's prices and stock, the
//! discounts' category tree and demo coupons, shipping's zones, methods and variant weights,
//! the named demo customers' past orders, the demo livestreams — is seeded here, where every subgraph's service
//! is at hand, by paging through catalog's demo products. Seeded rows publish no events, which
//! is why the read models that events feed elsewhere are filled here directly. Every seed is
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
    let cart = find(prepared, "cart")?;
    let discounts = find(prepared, "discounts")?;
    let shipping = find(prepared, "shipping")?;
    shipping::seed::demo(shipping).await?;
    let tree = catalog::seed::category_tree(catalog).await?;
    discounts::seed::scopes(discounts, &tree, &[]).await?;
    let authors = accounts::seed::demo_customer_ids(accounts)
        .await
        .map_err(kit::AppError::into_anyhow)?;
    let media = media::seed::Seeder::new(media).await?;
    let mut order_lines: Vec<orders::seed::DemoLine> = Vec::new();
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
            .flat_map(|p| p.variants.iter().map(|v| v.id.clone()))
            .collect();
        inventory::seed::run(inventory, &variants).await?;
        seed_cart(cart, inventory, &page, &variants).await?;
        let weights: Vec<(String, Option<i64>)> = page
            .iter()
            .flat_map(|p| p.variants.iter().map(|v| (v.id.clone(), v.weight_grams)))
            .collect();
        shipping::seed::weights(shipping, &weights).await?;
        let scopes: Vec<(String, Option<String>)> = page
            .iter()
            .map(|p| (p.id.clone(), p.category_id.clone()))
            .collect();
        discounts::seed::scopes(discounts, &[], &scopes).await?;
        if order_lines.is_empty() {
            order_lines = past_order_lines(catalog, &page).await?;
        }
        let ids: Vec<String> = page.iter().map(|p| p.id.clone()).collect();
        reviews::seed::run(reviews, &ids, &authors).await?;
        media.run(&ids).await?;
        rank_by_rating(catalog, reviews, &ids).await?;
        if products % 100_000 < page.len() {
            tracing::info!(products, "demo stock, reviews and images seeded so far");
        }
    }
    // The automatic demo promotion takes 10% off the first leaf category.
    let promoted = tree
        .iter()
        .find(|(id, parent)| parent.is_some() && !tree.iter().any(|(_, p)| p.as_ref() == Some(id)))
        .map(|(id, _)| id.as_str());
    discounts::seed::demo(discounts, promoted).await?;
    let customers: Vec<orders::seed::DemoCustomer> = accounts::seed::named_demo_customers(accounts)
        .await
        .map_err(kit::AppError::into_anyhow)?
        .into_iter()
        .map(|(id, email, name)| orders::seed::DemoCustomer { id, email, name })
        .collect();
    orders::seed::demo(find(prepared, "orders")?, &customers, &order_lines).await?;
    seed_livestreams(find(prepared, "livestream")?, &customers, &order_lines).await?;
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

/// What the demo customers' past orders hold: the first published variants of the first page,
/// with their titles as catalog shows them.
async fn past_order_lines(
    catalog: &Service,
    page: &[catalog::seed::DemoProduct],
) -> anyhow::Result<Vec<orders::seed::DemoLine>> {
    let mut lines = Vec::new();
    for product in page.iter().filter(|p| p.published).take(12) {
        let Some(variant) = product.variants.first() else {
            continue;
        };
        let title: Option<String> =
            kit::sqlx::query_scalar("SELECT title FROM products WHERE id = $1")
                .bind(&product.id)
                .fetch_optional(catalog.db.background())
                .await?;
        lines.push(orders::seed::DemoLine {
            variant_id: variant.id.clone(),
            product_id: product.id.clone(),
            sku: variant.sku.clone(),
            title: title.unwrap_or_default(),
            unit_price_minor: variant.price_minor,
            currency: variant.currency.clone(),
        });
    }
    Ok(lines)
}

/// The cart prices what it holds from its own copy of catalog's prices and inventory's stock,
/// which events keep current; seeded rows publish none, so the copy is filled here.
async fn seed_cart(
    cart: &Service,
    inventory: &Service,
    page: &[catalog::seed::DemoProduct],
    variants: &[String],
) -> anyhow::Result<()> {
    let rows: Vec<cart::seed::VariantRow> = page
        .iter()
        .flat_map(|p| {
            p.variants.iter().map(|v| cart::seed::VariantRow {
                variant_id: v.id.clone(),
                product_id: p.id.clone(),
                price_minor: v.price_minor,
                currency: v.currency.clone(),
                published: p.published,
            })
        })
        .collect();
    cart::seed::variants(cart, &rows).await?;
    let loader = inventory::stock::StockByVariant {
        db: inventory.db.clone(),
    };
    let mut stock = Vec::with_capacity(variants.len());
    for chunk in variants.chunks(500) {
        let found = loader
            .load(chunk)
            .await
            .map_err(kit::AppError::into_anyhow)?;
        stock.extend(found.into_iter().map(|(id, s)| (id, s.available)));
    }
    cart::seed::stock(cart, &stock).await
}

/// The demo livestreams (live, scheduled, ended with analytics) featuring the past orders'
/// products, and, in the embedded demo only, a chat generator that keeps the live one's chat
/// going: a demo customer posts a canned line every `DEMO_CHAT_INTERVAL_MS` (8000; 0 turns it
/// off) through livestream's own chat path, so subscribers see it like any message.
async fn seed_livestreams(
    livestream: &Service,
    customers: &[orders::seed::DemoCustomer],
    lines: &[orders::seed::DemoLine],
) -> anyhow::Result<()> {
    let products: Vec<livestream::seed::DemoProduct> = lines
        .iter()
        .map(|l| livestream::seed::DemoProduct {
            product_id: l.product_id.clone(),
            variant_id: l.variant_id.clone(),
            price_minor: l.unit_price_minor,
            currency: l.currency.clone(),
        })
        .collect();
    let viewers: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    let Some(host) = viewers.first() else {
        return Ok(());
    };
    let Some(live) = livestream::seed::demo(livestream, host, &viewers, &products).await? else {
        return Ok(());
    };
    let interval_ms: u64 = livestream
        .config
        .env()
        .parse("DEMO_CHAT_INTERVAL_MS", 8_000)?;
    if !livestream.config.is_embedded_db() || interval_ms == 0 {
        return Ok(());
    }
    let mut turn = 0usize;
    kit::periodic::every(
        livestream.clone(),
        "demo livestream chat",
        std::time::Duration::from_millis(interval_ms),
        move |svc| {
            let said = livestream::seed::chat_lines();
            let text = said[turn % said.len()].to_string();
            let author = viewers[turn % viewers.len()].clone();
            turn += 1;
            let live = live.clone();
            async move {
                match livestream::chat::post(&svc, &live, &author, text).await {
                    Ok(_) => Ok(1),
                    // Someone ended the demo stream: nothing to say any more.
                    Err(kit::AppError::BadInput { .. }) => Ok(0),
                    Err(err) => Err(err.into_anyhow()),
                }
            }
        },
    );
    Ok(())
}
