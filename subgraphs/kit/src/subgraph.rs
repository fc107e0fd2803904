//! Running a subgraph: a domain crate implements [`Subgraph`] (name, port, migrations, how to
//! build its routes) and the kit does the rest — connect backends, migrate, bind, relay the
//! outbox, serve, shut down. `prepare` and `Prepared::spawn` are separate so the launcher can
//! declare every subgraph's queues before any of them starts publishing.

use std::net::SocketAddr;

use axum::Router;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::events::outbox;
use crate::service::{Backends, Service};

#[async_trait::async_trait]
pub trait Subgraph: Send + Sync + 'static {
    const NAME: &'static str;
    /// Conventional port (GUIDE: router 4000, subgraphs 4001 and up).
    const PORT: u16;

    fn migrator() -> &'static Migrator;

    /// Builds the schema and domain routes and registers consumers. May replace parts of the
    /// service (accounts verifies tokens with its own keys).
    async fn build(svc: &mut Service) -> anyhow::Result<Router>;
}

pub struct Prepared {
    pub svc: Service,
    app: Router,
    listener: TcpListener,
}

pub struct Running {
    pub name: String,
    pub addr: SocketAddr,
    pub svc: Service,
    task: JoinHandle<anyhow::Result<()>>,
}

pub async fn prepare<S: Subgraph>(config: Config, backends: &Backends) -> anyhow::Result<Prepared> {
    let listen = config.listen_addr;
    let mut svc = Service::connect(config, backends, S::migrator()).await?;
    let app = S::build(&mut svc).await?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("{}: cannot listen on {listen}: {e}", S::NAME))?;
    Ok(Prepared { svc, app, listener })
}

impl Prepared {
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Starts the outbox relay and the HTTP server.
    pub fn spawn(self) -> Running {
        let addr = self.addr();
        let svc = self.svc;
        tokio::spawn(outbox::relay(
            svc.db.clone(),
            svc.transport.clone(),
            svc.db.outbox_wake(),
            svc.config.outbox_poll,
            svc.shutdown.clone(),
        ));
        let task = tokio::spawn(crate::server::serve(self.listener, self.app, svc.clone()));
        Running {
            name: svc.config.service.clone(),
            addr,
            svc,
            task,
        }
    }
}

impl Running {
    /// Waits for the server to stop (after the shutdown signal), then closes the database.
    pub async fn wait(self) -> anyhow::Result<()> {
        let result = self.task.await?;
        self.svc.db.close().await;
        result
    }
}

/// Entry point of a subgraph's own binary: configuration from the environment, embedded
/// backends where no URL is set, Ctrl-C / SIGTERM for a graceful stop.
pub async fn main<S: Subgraph>() -> anyhow::Result<()> {
    let config = Config::from_env(S::NAME, S::PORT)?;
    crate::telemetry::init(config.log_format);
    let shutdown = CancellationToken::new();
    let backends = Backends::new(shutdown.clone());
    let running = prepare::<S>(config, &backends).await?.spawn();
    tracing::info!(service = S::NAME, addr = %running.addr, "listening");
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        shutdown.cancel();
    });
    running.wait().await
}
