//! The launcher: `cargo run --release` starts every subgraph and the router in one process on
//! this machine, with embedded backends (SQLite files under `DATA_DIR`, the in-process event
//! bus, the in-memory cache) unless an environment variable names a real server. Seeds demo
//! data, prints where GraphiQL is, and shuts everything down cleanly on Ctrl-C.

mod cache_invalidation;
mod demo;
mod subgraphs;

use std::net::SocketAddr;

use kit::{Backends, Config};
use tokio_util::sync::CancellationToken;

// Every subgraph and the router share this process; their per-request JSON and SQL rows are
// many small short-lived allocations, which mimalloc's thread-local free lists serve cheaply.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The launcher's own service account (see `kit`'s service identity).
const SERVICE_EMAIL: &str = "service@shop.local";

/// Demo sign-in for the embedded default; production sets `ADMIN_EMAIL`/`ADMIN_PASSWORD`.
const DEMO_ADMIN: (&str, &str) = ("admin@example.com", "admin-password-2026");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let launcher = Config::from_env("launcher", 0)?;
    kit::telemetry::init(launcher.log_format);
    let shutdown = CancellationToken::new();
    let backends = Backends::new(shutdown.clone());
    let embedded = launcher.is_embedded_db();

    // Subgraphs that call others as a service (orders during a checkout) sign in with this
    // account, which accounts creates at start-up; in one process a fresh password per start
    // will do, unless the environment names one.
    let service_password = kit::ids::new_id() + &kit::ids::new_id();
    // Prepare all (connect, migrate, declare queues) before any starts publishing.
    let prepared = subgraphs::prepare_all(&backends, |config: &mut Config| {
        if config.env().get("SERVICE_EMAIL").is_none() {
            let overrides = &mut config.overrides;
            overrides.insert("SERVICE_EMAIL".into(), SERVICE_EMAIL.into());
            overrides.insert("SERVICE_PASSWORD".into(), service_password.clone());
        }
        if embedded {
            demo_settings(config);
        }
    })
    .await?;
    if launcher.env().parse("SEED_DEMO_DATA", embedded)? {
        demo::seed(&prepared).await?;
    }
    let routes: Vec<(String, String)> = prepared
        .iter()
        .map(|p| {
            (
                p.svc.config.service.clone(),
                format!("http://{}/graphql", p.addr()),
            )
        })
        .collect();
    let running: Vec<_> = prepared.into_iter().map(|p| p.spawn()).collect();
    for r in &running {
        tracing::info!(subgraph = %r.name, addr = %r.addr, "subgraph listening");
    }

    let mut router_config = router::RouterConfig::with_subgraphs(routes).apply_env()?;
    if std::env::var("ROUTER_LISTEN").is_err() {
        router_config.listen = "127.0.0.1:4000".parse::<SocketAddr>()?;
    }
    if router_config.cache.enabled {
        // Any subgraph's transport reaches every event; the queue is the router's own.
        cache_invalidation::start(&running[0].svc, router_config.cache.cache.clone()).await?;
    }
    let listen = router_config.listen;
    let router_shutdown = shutdown.clone();
    let router = tokio::spawn(router::serve(router_config, async move {
        router_shutdown.cancelled().await
    }));

    println!("\n  GraphiQL:  http://{listen}/graphql");
    if embedded {
        println!(
            "  Sign in:   {} / {}  (demo admin)",
            DEMO_ADMIN.0, DEMO_ADMIN.1
        );
        println!(
            "  Customers: {} / {}",
            accounts::seed::DEMO_CUSTOMERS[0].0,
            accounts::seed::DEMO_PASSWORD
        );
    }
    println!("  Ctrl-C stops everything.\n");

    tokio::select! {
        _ = kit::shutdown_signal() => {}
        result = router => {
            // The router ending on its own is an error (e.g. the port is taken).
            shutdown.cancel();
            result??;
        }
    }
    shutdown.cancel();
    for r in running {
        r.wait().await?;
    }
    Ok(())
}

fn demo_settings(config: &mut Config) {
    let set = |config: &mut Config, k: &str, v: &str| {
        if config.env().get(k).is_none() {
            config.overrides.insert(k.to_string(), v.to_string());
        }
    };
    set(config, "SEED_DEMO_DATA", "true");
    // A realistic catalog to browse (idempotent: a restart adds nothing).
    set(config, "SEED_PRODUCTS", "10000");
    set(config, "ADMIN_EMAIL", DEMO_ADMIN.0);
    set(config, "ADMIN_PASSWORD", DEMO_ADMIN.1);
}
