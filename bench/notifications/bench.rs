//! Notifications benchmark (see bench/README.md, "Notifications"): emails rendered and sent per
//! second. Starts the real SMTP sink of the tests (`tests/smtp_sink.py` on Debian's
//! python3-aiosmtpd) and the notifications subgraph on the test backends (`TEST_DATABASE_URL`,
//! `TEST_AMQP_URL`; `run.sh` sets them from `BENCH_DATABASE_URL` / `BENCH_AMQP_URL`), publishes
//! `BENCH_EVENTS` (2,000) `order.paid` events to the broker, each for its own address, and
//! reports the time from the first publish until every delivery is SENT, then checks that the
//! sink holds exactly that many messages.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kit::events::Event;
use kit::testing;
use serde_json::json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let sink_dir = testing::temp_dir().join("smtp");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut sink = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(port.to_string())
        .arg(&sink_dir)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut ready = String::new();
    BufReader::new(sink.stdout.take().expect("stdout")).read_line(&mut ready)?;
    anyhow::ensure!(ready.trim() == "READY", "the SMTP sink did not start");

    let mail_dir = testing::temp_dir().join("mail");
    let mut config = testing::config("notifications");
    for (k, v) in [
        ("SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("MAIL_DIR", mail_dir.display().to_string()),
        ("DELIVERY_POLL_MS", "200".into()),
    ] {
        config.overrides.insert(k.into(), v);
    }
    config.database_max_connections = 10;
    let backend = if config.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let broker = if config.amqp_url.is_some() {
        "RabbitMQ"
    } else {
        "in-process bus"
    };
    let app = testing::spawn::<notifications::Notifications>(config).await;

    let batch: Vec<Event> = (0..events)
        .map(|i| {
            let order = kit::ids::new_id();
            Event::new(
                "orders",
                "order.paid",
                Some(order.clone()),
                json!({
                    "orderId": order, "number": format!("SO-{i}"), "status": "PAID",
                    "email": format!("bench.{i}@example.com"), "currencyCode": "USD",
                    "total": { "amount": "42.50", "currencyCode": "USD", "minorUnits": 4250 },
                }),
            )
        })
        .collect();
    let started = Instant::now();
    for chunk in batch.chunks(200) {
        app.svc().transport.publish_batch(chunk).await?;
    }
    let published = started.elapsed();
    let db = app.svc().db.clone();
    loop {
        let sent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'SENT' AND channel = 'EMAIL'",
        )
        .fetch_one(db.background())
        .await?;
        if sent as usize >= events {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "only {sent} of {events} sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let received = std::fs::read_dir(&sink_dir)?
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
        })
        .count();
    println!(
        "notifications on {backend} + {broker}: {events} order.paid events published in {:.2} s; \
         {events} emails rendered and sent over SMTP in {:.2} s = {:.0} emails/s; \
         the sink holds {received}",
        published.as_secs_f64(),
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
    app.stop().await;
    let _ = sink.kill();
    let _ = sink.wait();
    anyhow::ensure!(
        received == events,
        "the sink got {received}, expected {events}"
    );
    Ok(())
}
