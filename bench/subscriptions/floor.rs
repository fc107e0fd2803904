//! The floor under `subscriptions-bench`: what it costs this machine just to move one small
//! frame to each of N idle loopback TCP sockets, with the readers on the same cores, and no
//! router, WebSocket or JSON in the way. N clients connect to a plain listener; for each event
//! the accepting side writes one 110-byte frame (the size of a `stockChanged` `next` message)
//! to every socket from `BENCH_WRITERS` tasks (default 1), and each client records when its
//! read returns. Prints p50/p99/max from the first write, and the process's CPU per delivery.
//! Run: `cargo run --release -p router --example subscriptions-floor` (raise `ulimit -n`).

#[allow(dead_code)]
#[path = "../common/ws_bench.rs"]
mod ws_bench;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use ws_bench::{cpu_secs, pct};

/// Nanoseconds since the epoch: both processes read the same clock.
fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The readers (child process): connect `n` sockets, say `ready`, record every read's arrival,
/// and print them all once stdin closes.
async fn clients(addr: String, n: usize) {
    let arrivals: Arc<Mutex<Vec<u128>>> = Arc::new(Mutex::new(Vec::with_capacity(n * 16)));
    for _ in 0..n {
        let client = TcpStream::connect(&addr).await.unwrap();
        client.set_nodelay(true).unwrap();
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            let mut client = client;
            let mut buf = [0u8; 256];
            while let Ok(k) = client.read(&mut buf).await {
                if k == 0 {
                    break;
                }
                arrivals.lock().push(now_ns());
            }
        });
    }
    println!("ready");
    let mut line = String::new();
    let _ = tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await;
    let mut out = String::new();
    for a in arrivals.lock().iter() {
        out.push_str(&format!("{a}\n"));
    }
    print!("{out}");
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("clients") {
        clients(args[2].clone(), args[3].parse().unwrap()).await;
        return;
    }
    let n: usize = std::env::var("BENCH_SUBSCRIBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let writers: usize = std::env::var("BENCH_WRITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let events = 10;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["clients", &addr.to_string(), &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let child_pid = child.id().unwrap();
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        let (server, _) = listener.accept().await.unwrap();
        server.set_nodelay(true).unwrap();
        servers.push(server);
    }
    let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).await.unwrap();
    let frame: Arc<[u8]> = vec![b'x'; 110].into();
    let mut groups: Vec<Vec<TcpStream>> = (0..writers).map(|_| Vec::new()).collect();
    for (i, s) in servers.into_iter().enumerate() {
        groups[i % writers].push(s);
    }
    let groups: Vec<Arc<tokio::sync::Mutex<Vec<TcpStream>>>> = groups
        .into_iter()
        .map(|g| Arc::new(tokio::sync::Mutex::new(g)))
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu0 = [cpu_secs(std::process::id()), cpu_secs(child_pid)];
    let mut starts = Vec::new();
    for _ in 0..events {
        starts.push(now_ns());
        let tasks: Vec<_> = groups
            .iter()
            .map(|g| {
                let (g, frame) = (g.clone(), frame.clone());
                tokio::spawn(async move {
                    for s in g.lock().await.iter_mut() {
                        s.write_all(&frame).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let cpu1 = [cpu_secs(std::process::id()), cpu_secs(child_pid)];
    drop(child.stdin.take());
    let mut rest = String::new();
    out.read_to_string(&mut rest).await.unwrap();
    let mut latencies: Vec<Duration> = rest
        .lines()
        .filter_map(|l| l.parse::<u128>().ok())
        .map(|at| {
            let t0 = starts
                .iter()
                .rev()
                .find(|s| **s <= at)
                .copied()
                .unwrap_or(at);
            Duration::from_nanos((at - t0) as u64)
        })
        .collect();
    let per = |i: usize| (cpu1[i] - cpu0[i]) * 1e6 / latencies.len().max(1) as f64;
    let cpu = [per(0), per(1)];
    latencies.sort();
    println!(
        "loopback floor, {n} sockets, {writers} writer task(s): {} deliveries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, CPU µs/delivery: writer {:.1}, readers {:.1}",
        latencies.len(),
        pct(&latencies, 0.5),
        pct(&latencies, 0.99),
        pct(&latencies, 1.0),
        cpu[0],
        cpu[1],
    );
}
