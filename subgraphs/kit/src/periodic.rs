//! Background work repeated on an interval until the service shuts down: sweepers that expire
//! reservations, remove unreferenced objects and the like. Each run reports how many things it
//! handled; a failed run is logged and the next one tries again.

use std::future::Future;
use std::time::Duration;

use crate::service::Service;

/// Runs `run` with the service every `interval` (first after one interval) until the service
/// shuts down; `task` names it in the logs. Safe with several instances: the work itself must
/// tolerate concurrent sweepers.
pub fn every<F, Fut>(svc: Service, task: &'static str, interval: Duration, mut run: F)
where
    F: FnMut(Service) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<usize>> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = svc.shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            match run(svc.clone()).await {
                Ok(0) => {}
                Ok(handled) => tracing::info!(task, handled, "periodic task done"),
                Err(err) => {
                    tracing::warn!(task, error = %format!("{err:#}"), "periodic task failed")
                }
            }
        }
    });
}
