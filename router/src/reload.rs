//! Loading and hot reloading: reads the supergraph file or composes from subgraphs at start-up,
//! then polls for changes and swaps the supergraph atomically (in-flight requests keep theirs).

use std::sync::OnceLock;
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

/// One client for every SDL poll: building a client per poll is a large part of an idle tick.
fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

async fn fetch_sdls(list: &[(String, String)]) -> anyhow::Result<Vec<compose::SubgraphSdl>> {
    fetch::fetch_all(http(), list)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.join("\n")))
}

fn compose_sdls(sdls: &[compose::SubgraphSdl]) -> anyhow::Result<String> {
    compose::compose(sdls).map_err(|e| anyhow::anyhow!("composition failed:\n{}", e.join("\n")))
}

/// Fetches every subgraph SDL and composes them into a supergraph SDL.
pub async fn compose_from_subgraphs(list: &[(String, String)]) -> anyhow::Result<String> {
    compose_sdls(&fetch_sdls(list).await?)
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
        // The subgraph SDLs last composed: composing is the costly part of a poll, and the
        // same SDLs compose to the same supergraph.
        let mut composed: Option<Vec<compose::SubgraphSdl>> = None;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            let sdl = match subgraph_list(&state.config.schema) {
                Ok(Some(list)) => match fetch_sdls(&list).await {
                    Ok(sdls) if composed.as_ref() == Some(&sdls) => continue,
                    Ok(sdls) => {
                        let sdl = compose_sdls(&sdls);
                        composed = Some(sdls);
                        sdl
                    }
                    Err(e) => Err(e),
                },
                Ok(None) => current_sdl(&state.config).await,
                Err(e) => Err(e),
            };
            let sdl = match sdl {
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
