//! Audit benchmark (see bench/README.md, "Audit").
//!
//! `BENCH_MODE=query` (default): seeds `BENCH_ENTRIES` (1,000,000) hash-chained entries
//! straight into the database in bulk (once; kept between runs), then times `auditLog` pages of
//! 20 over HTTP for each filter — none, a type family, one rare type, a subject, a busy and a
//! quiet actor, one day, and combinations — reporting p50/p99 per filter; then verifies the
//! whole chain once and reports how long that took.
//!
//! `BENCH_MODE=consume`: publishes `BENCH_EVENTS` (10,000) events to RabbitMQ while the audit
//! subgraph consumes them into PostgreSQL, and reports entries appended per second.
//!
//! The database is `BENCH_DATABASE_URL` (default: a SQLite file under /tmp/audit-bench); the
//! broker `BENCH_AMQP_URL`.

use std::time::{Duration, Instant};

use audit::chain::id_at;
use audit::entry::{Entry, GENESIS};
use kit::events::Event;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

const FAMILIES: [(&str, &[&str]); 8] = [
    (
        "order",
        &["created", "paid", "shipped", "delivered", "cancelled"],
    ),
    ("payment", &["succeeded", "failed", "refunded"]),
    ("inventory", &["reserved", "released", "committed", "low"]),
    ("cart", &["updated", "merged"]),
    ("user", &["registered", "updated"]),
    ("product", &["created", "updated", "archived"]),
    ("shipment", &["created", "updated", "delivered"]),
    ("review", &["created", "hidden"]),
];
const SUBJECTS: u64 = 100_000;
const USERS: u64 = 10_000;
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

/// A small deterministic generator (no extra dependency; same data on every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn types() -> Vec<String> {
    FAMILIES
        .iter()
        .flat_map(|(f, kinds)| kinds.iter().map(move |k| format!("{f}.{k}")))
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::var("BENCH_MODE").unwrap_or_else(|_| "query".into());
    let database_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite:///tmp/audit-bench/audit.db".into());
    match mode.as_str() {
        "query" => query(&database_url).await,
        "consume" => consume(&database_url).await,
        other => anyhow::bail!("BENCH_MODE: query or consume, not {other}"),
    }
}

/// Accounts (for a staff token) and audit on `database_url` in `schema`.
async fn start(
    database_url: &str,
    schema: &str,
    amqp: Option<String>,
) -> (TestApp, TestApp, String) {
    let (mut config, email) = testing::accounts_with_admin();
    config.database_url = format!("sqlite://{}/accounts.db", testing::temp_dir().display());
    config.amqp_url = None;
    config.redis_url = None;
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let token = accounts.login(&email, testing::PASSWORD).await;
    let mut config = testing::config_trusting("audit", &accounts, &[]);
    config.database_url = database_url.to_string();
    config.database_schema = schema.to_string();
    config.database_max_connections = 10;
    config.amqp_url = amqp;
    config.redis_url = None;
    let audit = testing::spawn::<audit::Audit>(config).await;
    (accounts, audit, token)
}

async fn query(database_url: &str) -> anyhow::Result<()> {
    let entries: i64 = std::env::var("BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let (accounts, audit, token) = start(database_url, "audit_bench", None).await;
    let db = audit.svc().db.clone();
    let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries")
        .fetch_one(db.background())
        .await?;
    let now = kit::ids::now_millis();
    if have < entries {
        anyhow::ensure!(
            have == 0,
            "the bench database holds {have} entries; start empty"
        );
        let started = Instant::now();
        seed(&db, entries, now).await?;
        println!(
            "seeded {entries} entries in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {have} seeded entries");
    }
    let first_ms: i64 = sqlx::query_scalar("SELECT MIN(occurred_at) FROM audit_entries")
        .fetch_one(db.background())
        .await?;
    let day = move |d: i64| {
        let from = first_ms + d * 86_400_000;
        (iso(from), iso(from + 86_400_000))
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    type Make = Box<dyn Fn(&mut Rng) -> Value>;
    let cases: Vec<(&str, Make)> = vec![
        ("no filter", Box::new(|_| json!({}))),
        (
            "typePrefix family (order.)",
            Box::new(|_| json!({ "typePrefix": "order." })),
        ),
        (
            "typePrefix one type (review.hidden)",
            Box::new(|_| json!({ "typePrefix": "review.hidden" })),
        ),
        (
            "subject (~10 entries each)",
            Box::new(|r| json!({ "subject": format!("subject-{}", r.below(SUBJECTS)) })),
        ),
        (
            "actor, a user (~70 each)",
            Box::new(|r| json!({ "actor": format!("user-{}", r.below(USERS)) })),
        ),
        (
            "actor system (30%)",
            Box::new(|_| json!({ "actor": "system" })),
        ),
        (
            "one day (from/to)",
            Box::new(move |r| {
                let (f, t) = day(r.below(364) as i64);
                json!({ "from": f, "to": t })
            }),
        ),
        (
            "order. + a user",
            Box::new(
                |r| json!({ "typePrefix": "order.", "actor": format!("user-{}", r.below(USERS)) }),
            ),
        ),
        (
            "review.hidden + one day",
            Box::new(move |r| {
                let (f, t) = day(r.below(364) as i64);
                json!({ "typePrefix": "review.hidden", "from": f, "to": t })
            }),
        ),
    ];
    println!("backend: {database_url}, entries: {entries}, {requests} pages of 20 per filter, one client");
    println!("| filter | p50 | p99 | entries on page (mean) |");
    println!("| --- | --- | --- | --- |");
    for (name, make) in &cases {
        let mut times = Vec::with_capacity(requests);
        let mut rows = 0usize;
        for i in 0..requests + 10 {
            let filter = make(&mut rng);
            let started = Instant::now();
            let body = audit
                .gql(
                    "query($f:AuditLogFilter){ auditLog(filter:$f, first:20){ edges { node { id type subject actor time data } } } }",
                    json!({ "f": filter }),
                    Some(&token),
                )
                .await;
            let took = started.elapsed();
            let edges = body["data"]["auditLog"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("auditLog failed: {body}"));
            if i >= 10 {
                // The first ten warm caches up.
                times.push(took);
                rows += edges.len();
            }
        }
        times.sort();
        println!(
            "| {name} | {} | {} | {:.1} |",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 99 / 100]),
            rows as f64 / requests as f64
        );
    }
    let started = Instant::now();
    let verdict = audit::verify::verify(&db, i64::MIN, None)
        .await
        .map_err(|e| e.into_anyhow())?;
    println!(
        "verifyAuditLog over the whole log: ok={} checked={} in {:.2} s",
        verdict.ok,
        verdict.checked,
        started.elapsed().as_secs_f64()
    );
    audit.stop().await;
    accounts.stop().await;
    Ok(())
}

/// Writes `n` chained entries over the year before `now`, in multi-row INSERTs, and moves the
/// chain head and the type list to match, so the seeded log verifies.
async fn seed(db: &kit::Db, n: i64, now: i64) -> anyhow::Result<()> {
    let types = types();
    let mut rng = Rng(42);
    let mut previous = GENESIS.to_string();
    let start = now - YEAR_MS;
    let step = YEAR_MS / n;
    const ROWS: usize = 500;
    let mut batch: Vec<Entry> = Vec::with_capacity(ROWS);
    let mut tx = db.begin().await?;
    for seq in 1..=n {
        let at = start + seq * step;
        let kind = &types[rng.below(types.len() as u64) as usize];
        let actor = match rng.below(10) {
            0..=2 => Some("system".to_string()),
            3 => None,
            _ => Some(format!("user-{}", rng.below(USERS))),
        };
        let mut e = Entry {
            id: id_at(at),
            seq,
            event_id: uuid::Uuid::now_v7().to_string(),
            event_type: kind.clone(),
            source: format!("/subgraphs/{}", kind.split('.').next().unwrap()),
            subject: Some(format!("subject-{}", rng.below(SUBJECTS))),
            actor,
            occurred_at: at,
            recorded_at: at,
            data: json!({ "amount": rng.below(100_000), "currency": "USD", "note": "seeded" })
                .to_string(),
            hash: String::new(),
        };
        e.hash = e.chained_hash(&previous);
        previous = e.hash.clone();
        batch.push(e);
        if batch.len() == ROWS || seq == n {
            insert(&mut tx, &batch).await?;
            batch.clear();
            if seq % 50_000 == 0 || seq == n {
                tx.commit().await?;
                tx = db.begin().await?;
            }
        }
    }
    sqlx::query(
        "UPDATE audit_chain SET last_seq = $1, last_hash = $2, last_recorded_at = $3 WHERE id = 1",
    )
    .bind(n)
    .bind(&previous)
    .bind(start + n * step)
    .execute(tx.conn())
    .await?;
    for t in &types {
        sqlx::query(
            "INSERT INTO audit_types (event_type) VALUES ($1) ON CONFLICT (event_type) DO NOTHING",
        )
        .bind(t)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    if db.backend() == kit::db::Backend::Postgres {
        sqlx::query("ANALYZE audit_entries")
            .execute(db.background())
            .await?;
    } else {
        sqlx::query("ANALYZE").execute(db.background()).await?;
    }
    Ok(())
}

async fn insert(tx: &mut kit::Tx, rows: &[Entry]) -> anyhow::Result<()> {
    let values: Vec<String> = (0..rows.len())
        .map(|i| format!("({})", kit::db::placeholders(i * 11 + 1, 11)))
        .collect();
    let sql = format!(
        "INSERT INTO audit_entries (id, seq, event_id, event_type, source, subject, actor, \
         occurred_at, recorded_at, data, hash) VALUES {}",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for e in rows {
        q = q
            .bind(&e.id)
            .bind(e.seq)
            .bind(&e.event_id)
            .bind(&e.event_type)
            .bind(&e.source)
            .bind(&e.subject)
            .bind(&e.actor)
            .bind(e.occurred_at)
            .bind(e.recorded_at)
            .bind(&e.data)
            .bind(&e.hash);
    }
    q.execute(tx.conn()).await?;
    Ok(())
}

async fn consume(database_url: &str) -> anyhow::Result<()> {
    let amqp = std::env::var("BENCH_AMQP_URL")
        .map_err(|_| anyhow::anyhow!("BENCH_AMQP_URL must name RabbitMQ for BENCH_MODE=consume"))?;
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // A fresh schema per run, so the count starts at zero.
    let schema = format!(
        "audit_consume_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let (accounts, audit, _) = start(database_url, &schema, Some(amqp)).await;
    let db = audit.svc().db.clone();
    let types = types();
    let mut rng = Rng(7);
    let events: Vec<Event> = (0..n)
        .map(|i| {
            let kind = &types[rng.below(types.len() as u64) as usize];
            Event::new(
                kind.split('.').next().unwrap(),
                kind,
                Some(format!("subject-{i}")),
                json!({ "actor": format!("user-{}", rng.below(USERS)), "amount": i }),
            )
        })
        .collect();
    let started = Instant::now();
    for chunk in events.chunks(500) {
        audit.svc().transport.publish_batch(chunk).await?;
    }
    let published = started.elapsed();
    loop {
        let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries")
            .fetch_one(db.background())
            .await?;
        if have as usize >= n {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "consumer stalled at {have}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    println!(
        "{n} events: published in {:.2} s; all appended after {:.2} s: {:.0} events/s appended",
        published.as_secs_f64(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
    let verdict = audit::verify::verify(&db, i64::MIN, None)
        .await
        .map_err(|e| e.into_anyhow())?;
    println!(
        "chain verifies: {} ({} entries)",
        verdict.ok, verdict.checked
    );
    if db.backend() == kit::db::Backend::Postgres {
        sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .execute(db.background())
            .await?;
    }
    audit.stop().await;
    accounts.stop().await;
    Ok(())
}

fn iso(ms: i64) -> String {
    kit::ids::from_millis(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
