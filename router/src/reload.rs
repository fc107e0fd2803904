//! Loading and hot reloading: reads the supergraph file or composes from subgraphs at start-up,
//! then polls for changes and swaps the supergraph atomically (in-flight requests keep theirs).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::compose::{self, fetch};
use crate::config::{parse_subgraph_list, RouterConfig, SchemaSource};
use crate::server::SharedState;
use crate::supergraph::Supergraph;

/// Resolves a subgraphs file into (name, url) pairs.
fn subgraph_list(source: &SchemaSource) -> anyhow::Result<Option<Vec<(String, String)>>> {
    Ok(match source {
        SchemaSource::Subgraphs(list) => Some(list.clone()),
        SchemaSource::SubgraphsFile(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            Some(parse_subgraph_list(&text)?)
        }
        _ => None,
    })
}

/// Fetches every subgraph SDL and composes them into a supergraph SDL.
pub async fn compose_from_subgraphs(list: &[(String, String)]) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let sdls = fetch::fetch_all(&http, list)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.join("\n")))?;
    compose::compose(&sdls).map_err(|e| anyhow::anyhow!("composition failed:\n{}", e.join("\n")))
}

/// The supergraph SDL for the configured source, right now.
pub async fn current_sdl(config: &RouterConfig) -> anyhow::Result<String> {
    match &config.schema {
        SchemaSource::SupergraphFile(path) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display())),
        SchemaSource::SupergraphSdl(sdl) => Ok(sdl.clone()),
        other => {
            let list = subgraph_list(other)?.unwrap_or_default();
            compose_from_subgraphs(&list).await
        }
    }
}

/// Initial load; subgraphs that are still starting get up to `startup_wait` to come up.
pub async fn load(config: &RouterConfig, startup_wait: Duration) -> anyhow::Result<Supergraph> {
    let deadline = tokio::time::Instant::now() + startup_wait;
    loop {
        match current_sdl(config).await {
            Ok(sdl) => return Supergraph::from_sdl(&sdl, config),
            Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
            Err(e) => {
                tracing::warn!("supergraph not ready yet: {e:#}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Polls the source and swaps in a new supergraph when its SDL changes.
pub fn spawn_watcher(state: SharedState, stop: CancellationToken) {
    if matches!(state.config.schema, SchemaSource::SupergraphSdl(_)) {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.poll_interval);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let sdl = match current_sdl(&state.config).await {
                Ok(sdl) => sdl,
                Err(e) => {
                    tracing::warn!("supergraph refresh failed: {e:#}");
                    continue;
                }
            };
            if sdl == state.current().sdl {
                continue;
            }
            match Supergraph::from_sdl(&sdl, &state.config) {
                Ok(sg) => {
                    state.replace(sg);
                    tracing::info!("supergraph reloaded");
                }
                Err(e) => tracing::error!("new supergraph rejected, keeping the old one: {e:#}"),
            }
        }
    });
}
