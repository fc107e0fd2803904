//! Catalog's own settings, read through the kit's environment lookup (so `CATALOG_…`
//! variables and test overrides apply).

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Demo products to generate at start-up (0 = none). Idempotent: a catalog that already
    /// has that many seeded products is left alone.
    pub seed_products: u32,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        Ok(Settings {
            seed_products: env.parse("SEED_PRODUCTS", 0)?,
        })
    }
}
