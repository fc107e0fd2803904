//! The launcher's seeding entry points: seeded variants and stock make products buyable as the
//! events would, reseeding is idempotent, and a seed never overwrites what an event set.

use crate::common::*;
use cart::seed::{self, VariantRow};

fn row(variant: &str, product: &str, price: i64, published: bool) -> VariantRow {
    VariantRow {
        variant_id: variant.into(),
        product_id: product.into(),
        price_minor: price,
        currency: "USD".into(),
        published,
    }
}

#[tokio::test]
async fn seeded_variants_and_stock_are_buyable_and_never_beat_events() {
    let env = start().await;
    let svc = env.app.svc();
    let product = kit::ids::new_id();
    let draft = kit::ids::new_id();
    // More rows than one batch, two variants per product (one upsert must not see a product twice).
    let variants: Vec<String> = (0..1200).map(|_| kit::ids::new_id()).collect();
    let mut rows: Vec<VariantRow> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| row(v, &format!("{product}-{}", i / 2), 100 + i as i64, true))
        .collect();
    rows[0].product_id = product.clone();
    rows[1].product_id = draft.clone();
    rows[1].published = false;
    let stock: Vec<(String, i64)> = variants.iter().map(|v| (v.clone(), 5)).collect();
    for _ in 0..2 {
        seed::variants(svc, &rows).await.unwrap();
        seed::stock(svc, &stock).await.unwrap();
    }
    let g = env.guest_cart(None).await;
    let cart = env.add(guest(&g), &g.cart, &variants[0], 2).await;
    assert_eq!(cart["subtotal"]["amount"], "2.00");
    let body = env.add_raw(guest(&g), &g.cart, &variants[1], 1).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "draft: {body}");
    let body = env.add_raw(guest(&g), &g.cart, &variants[1199], 6).await;
    assert!(message(&body).contains("only 5 available"), "{body}");

    // Events win over later seeds.
    env.publish(&[
        price_changed(&variants[0], &product, 100, 150, "USD"),
        stock_event(&variants[0], 9),
    ])
    .await;
    seed::variants(svc, &rows[..1]).await.unwrap();
    seed::stock(svc, &stock[..1]).await.unwrap();
    let cart = env.cart(guest(&g), &g.cart).await;
    assert_eq!(cart["lines"][0]["unitPrice"]["amount"], "1.50");
    env.add(guest(&g), &g.cart, &variants[0], 7).await;
    env.stop().await;
}
