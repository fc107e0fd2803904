//! Every subgraph the launcher runs, in GUIDE order (which is also port order). A new domain
//! crate is added here and in the workspace, nowhere else.

use kit::subgraph::{prepare, Prepared, Subgraph};
use kit::{Backends, Config};

async fn one<S: Subgraph>(
    backends: &Backends,
    adjust: &impl Fn(&mut Config),
) -> anyhow::Result<Prepared> {
    let mut config = Config::from_env(S::NAME, S::PORT)?;
    adjust(&mut config);
    prepare::<S>(config, backends).await
}

pub async fn prepare_all(
    backends: &Backends,
    adjust: impl Fn(&mut Config),
) -> anyhow::Result<Vec<Prepared>> {
    let mut all = vec![
        one::<accounts::Accounts>(backends, &adjust).await?,
        one::<catalog::Catalog>(backends, &adjust).await?,
        one::<inventory::Inventory>(backends, &adjust).await?,
        one::<reviews::Reviews>(backends, &adjust).await?,
        one::<media::Media>(backends, &adjust).await?,
        one::<cart::Cart>(backends, &adjust).await?,
    ];
    // Discounts reads carts from the cart subgraph; here that is wherever it just bound.
    let cart_url = format!("http://{}/graphql", all[5].addr());
    let discounts = one::<discounts::Discounts>(backends, &|config: &mut Config| {
        adjust(config);
        if config.env().get("CART_URL").is_none() {
            config.overrides.insert("CART_URL".into(), cart_url.clone());
        }
    })
    .await?;
    all.push(discounts);
    Ok(all)
}
