//! Every subgraph the launcher runs, in GUIDE order (which is also port order). A new domain
//! crate is added here and in the workspace, nowhere else.
//!
//! Some subgraphs call others directly (discounts reads carts, orders drives the checkout), at
//! `<NAME>_URL`. Here those are wherever the callee has just bound, so each subgraph is given
//! the URLs of the ones prepared before it (an explicit environment variable still wins), and
//! callers are prepared after their callees.

use kit::subgraph::{prepare, Prepared, Subgraph};
use kit::{Backends, Config};

struct Launch<'a, A: Fn(&mut Config)> {
    backends: &'a Backends,
    adjust: A,
    prepared: Vec<Prepared>,
}

impl<A: Fn(&mut Config)> Launch<'_, A> {
    async fn one<S: Subgraph>(&mut self) -> anyhow::Result<()> {
        let mut config = Config::from_env(S::NAME, S::PORT)?;
        (self.adjust)(&mut config);
        for p in &self.prepared {
            let key = format!("{}_URL", p.svc.config.service.to_ascii_uppercase());
            if config.env().get(&key).is_none() {
                let url = format!("http://{}/graphql", p.addr());
                config.overrides.insert(key, url);
            }
        }
        let prepared = prepare::<S>(config, self.backends).await?;
        self.prepared.push(prepared);
        Ok(())
    }
}

pub async fn prepare_all(
    backends: &Backends,
    adjust: impl Fn(&mut Config),
) -> anyhow::Result<Vec<Prepared>> {
    let mut launch = Launch {
        backends,
        adjust,
        prepared: Vec::new(),
    };
    launch.one::<accounts::Accounts>().await?;
    launch.one::<catalog::Catalog>().await?;
    launch.one::<inventory::Inventory>().await?;
    launch.one::<reviews::Reviews>().await?;
    launch.one::<media::Media>().await?;
    // Cart claims live-deal units from livestream.
    launch.one::<livestream::Livestream>().await?;
    launch.one::<cart::Cart>().await?;
    launch.one::<discounts::Discounts>().await?;
    launch.one::<payments::Payments>().await?;
    launch.one::<shipping::Shipping>().await?;
    launch.one::<webhooks::Webhooks>().await?;
    launch.one::<audit::Audit>().await?;
    launch.one::<notifications::Notifications>().await?;
    // Orders calls all of the above during a checkout.
    launch.one::<orders::Orders>().await?;
    Ok(launch.prepared)
}
