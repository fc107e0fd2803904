//! `router` binary: `router --supergraph FILE | --subgraphs FILE [--listen ADDR] [--config FILE]`
//! serves; `router compose --subgraphs FILE` prints the composed supergraph SDL.

use std::path::PathBuf;

use router::{RouterConfig, SchemaSource};

// Executing a plan allocates many small JSON values per request; mimalloc's thread-local free
// lists make that far cheaper than glibc malloc (see bench/router/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage:
  router --supergraph FILE [--listen ADDR] [--config FILE]
  router --subgraphs FILE [--listen ADDR] [--config FILE]      (lines: name=url)
  router --config FILE                                         (TOML; see router/README.md)
  router compose --subgraphs FILE
precedence: flags, then environment, then the config file, then defaults
environment: ROUTER_CONFIG, ROUTER_SUPERGRAPH, ROUTER_SUBGRAPHS, ROUTER_LISTEN/LISTEN_ADDR,
  ROUTER_SUBGRAPH_TIMEOUT_MS, ROUTER_SUBGRAPH_TIMEOUTS, ROUTER_PROPAGATE_HEADERS, ROUTER_CORS_ORIGINS,
  ROUTER_POLL_INTERVAL_MS, ROUTER_PLAN_CACHE_SIZE, ROUTER_SUBGRAPH_URLS, ROUTER_WS_BUFFER,
  ROUTER_CACHE*, ROUTER_AMQP_URL/AMQP_URL, EVENTS_EXCHANGE";

#[tokio::main]
async fn main() {
    router::telemetry::init();
    let result = run().await;
    // Spans still buffered for the exporter go out before the process ends.
    let _ = tokio::task::spawn_blocking(router::telemetry::flush).await;
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let compose_only = args.peek().map(String::as_str) == Some("compose");
    if compose_only {
        args.next();
    }
    let mut source = None;
    let mut listen = None;
    let mut config_file = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--supergraph" => source = Some(SchemaSource::SupergraphFile(PathBuf::from(value()?))),
            "--subgraphs" => source = Some(SchemaSource::SubgraphsFile(PathBuf::from(value()?))),
            "--listen" => listen = Some(value()?),
            "--config" => config_file = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    let mut config = RouterConfig::load(config_file.as_deref(), source)?;
    if let Some(l) = listen {
        config.listen = l
            .parse()
            .map_err(|e| anyhow::anyhow!("bad --listen {l}: {e}"))?;
    }
    if compose_only {
        let sdl = router::reload::current_sdl(&config).await?;
        print!("{sdl}");
        return Ok(());
    }
    let stop = tokio_util::sync::CancellationToken::new();
    start_invalidation(&config, stop.clone()).await?;
    let result = router::serve(config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    stop.cancel();
    result
}

/// Feeds the response cache the subgraphs' events when a broker is configured, so a change is
/// visible on the next read instead of after the entry's `maxAge`.
async fn start_invalidation(
    config: &RouterConfig,
    stop: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    if !config.cache.enabled {
        return Ok(());
    }
    let env = |k: &str| std::env::var(k).ok();
    match router::cache::consumer::EventSource::from_env(&env) {
        Some(source) => {
            let transport = source.transport(stop.clone());
            router::cache::consumer::start(transport.as_ref(), config.cache.cache.clone(), stop)
                .await?;
            tracing::info!(exchange = %source.exchange, "response cache invalidated by events");
        }
        None => tracing::warn!(
            "response cache is on but no event source is configured (ROUTER_AMQP_URL/AMQP_URL): \
             cached entries stay until their maxAge even after the data changes; set AMQP_URL, \
             or ROUTER_CACHE=off"
        ),
    }
    Ok(())
}
