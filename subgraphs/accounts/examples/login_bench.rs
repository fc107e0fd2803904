//! Accounts benchmark: login latency with the production argon2id cost, refresh latency, and
//! `_entities` for 100 users (latency and SQL statements per batch), against the real HTTP
//! server on loopback with embedded backends (or real ones via TEST_DATABASE_URL etc.).
//!
//! `cargo run --release -p accounts --example login_bench`

use std::time::{Duration, Instant};

use kit::testing;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>, wall: Duration) {
    samples.sort();
    println!(
        "{name:<34} n={:<5} p50={:>7.2} ms  p99={:>7.2} ms  max={:>7.2} ms  throughput={:>8.1}/s",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len() as f64 / wall.as_secs_f64(),
    );
}

async fn gql(app: &testing::TestApp, q: &str, v: Value) -> Value {
    app.gql(q, v, None).await
}

#[tokio::main]
async fn main() {
    let mut config = testing::config("accounts");
    // Rate limits would stop a benchmark; everything else is production default.
    config
        .overrides
        .insert("LOGIN_MAX_PER_EMAIL".into(), "1000000".into());
    config
        .overrides
        .insert("LOGIN_MAX_PER_IP".into(), "1000000".into());
    let app = testing::spawn::<accounts::Accounts>(config).await;

    let login = "mutation($e:String!,$p:String!){ login(email:$e,password:$p){ accessToken refreshToken } }";
    let mut emails = Vec::new();
    for i in 0..16 {
        let email = format!("bench{i}@example.com");
        let r = gql(&app, "mutation($e:String!,$p:String!){ register(email:$e,password:$p,name:\"Bench\"){ id } }", json!({"e": email, "p": PASSWORD})).await;
        assert!(r["data"]["register"]["id"].is_string(), "{r}");
        emails.push(email);
    }

    // Sequential logins: the latency one user sees.
    let mut samples = Vec::new();
    let start = Instant::now();
    let mut refresh = String::new();
    for i in 0..100 {
        let t = Instant::now();
        let r = gql(
            &app,
            login,
            json!({"e": emails[i % emails.len()], "p": PASSWORD}),
        )
        .await;
        samples.push(t.elapsed());
        refresh = r["data"]["login"]["refreshToken"]
            .as_str()
            .expect("login ok")
            .to_string();
    }
    report("login (sequential)", samples, start.elapsed());

    // 16 concurrent clients: argon2 is CPU-bound, so this shows the machine's login capacity.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for email in &emails {
        let email = email.clone();
        let http = app.http.clone();
        let url = format!("{}/graphql", app.url);
        tasks.push(tokio::spawn(async move {
            let mut s = Vec::new();
            for _ in 0..20 {
                let t = Instant::now();
                let r: Value = http
                    .post(&url)
                    .json(&json!({"query": login, "variables": {"e": email, "p": PASSWORD}}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(r["data"]["login"].is_object(), "{r}");
                s.push(t.elapsed());
            }
            s
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.unwrap());
    }
    report("login (16 concurrent clients)", samples, start.elapsed());

    // Refresh rotation: no password hashing, so this is the token path alone.
    let mut samples = Vec::new();
    let start = Instant::now();
    for _ in 0..500 {
        let t = Instant::now();
        let r = gql(
            &app,
            "mutation($t:String!){ refreshToken(refreshToken:$t){ refreshToken } }",
            json!({"t": refresh}),
        )
        .await;
        samples.push(t.elapsed());
        refresh = r["data"]["refreshToken"]["refreshToken"]
            .as_str()
            .expect("rotated")
            .to_string();
    }
    report("refreshToken (sequential)", samples, start.elapsed());

    // _entities for 100 users.
    let db = &app.svc().db;
    let mut reps = Vec::new();
    for i in 0..100 {
        let id = kit::ids::new_id();
        sqlx::query("INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) VALUES ($1, $2, 'E', 'x', 'customer', 0, 0)")
            .bind(&id).bind(format!("e{i}@example.com")).execute(db.background()).await.unwrap();
        reps.push(json!({"__typename": "User", "id": id}));
    }
    let q = "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { id name } } }";
    let before = db.statements();
    let mut samples = Vec::new();
    let start = Instant::now();
    for _ in 0..500 {
        let t = Instant::now();
        let r = gql(&app, q, json!({"r": reps})).await;
        samples.push(t.elapsed());
        assert_eq!(r["data"]["_entities"].as_array().map(Vec::len), Some(100));
    }
    let statements = db.statements() - before;
    report(
        "_entities x100 users (sequential)",
        samples,
        start.elapsed(),
    );
    println!(
        "SQL statements per _entities batch of 100: {}",
        statements as f64 / 500.0
    );
    app.stop().await;
}
