//! What payments' resolvers, HTTP handlers and consumers share besides the kit's service: the
//! settings and the providers.

use std::sync::Arc;

use kit::Service;

use crate::providers::Providers;
use crate::settings::Settings;

#[derive(Clone)]
pub struct PaymentsState {
    pub svc: Service,
    pub settings: Arc<Settings>,
    pub providers: Providers,
}

impl PaymentsState {
    pub fn new(svc: &Service) -> anyhow::Result<PaymentsState> {
        let settings = Settings::from_config(&svc.config)?;
        let providers = Providers::from_settings(&settings)?;
        Ok(PaymentsState {
            svc: svc.clone(),
            settings: Arc::new(settings),
            providers,
        })
    }

    /// Payments' state from a resolver's context.
    pub fn of<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a PaymentsState {
        ctx.data_unchecked::<PaymentsState>()
    }

    pub fn lease_ms(&self) -> i64 {
        self.settings.attempt_lease.as_millis() as i64
    }
}
