//! The notifications subgraph as its own process (production: one container per subgraph).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kit::subgraph::main::<notifications::Notifications>().await
}
