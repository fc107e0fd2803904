//! A partner's webhook receiver for the tests: a real axum server on 127.0.0.1 that records
//! every request (headers, body) and answers as the test scripts it — a status per request
//! number, optionally held at a gate until the test opens it (a slow endpoint).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use tokio::sync::Semaphore;

#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

type Script = dyn Fn(usize) -> (u16, Vec<(String, String)>, String) + Send + Sync;

struct State {
    hits: Mutex<Vec<Hit>>,
    script: Box<Script>,
    gate: Option<Arc<Semaphore>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Receiver {
    pub url: String,
    pub port: u16,
    state: Arc<State>,
}

impl Receiver {
    /// Answers every request with `status` and a short body.
    pub async fn answering(status: u16) -> Receiver {
        Self::scripted(move |_| (status, vec![], "ok".into())).await
    }

    /// Fails (`500`) the first `n` requests, then answers `200`.
    pub async fn failing_first(n: usize) -> Receiver {
        Self::scripted(move |i| {
            let status = if i < n { 500 } else { 200 };
            (status, vec![], format!("answer {i}"))
        })
        .await
    }

    /// Answers request `i` with `script(i)`: (status, headers, body).
    pub async fn scripted(
        script: impl Fn(usize) -> (u16, Vec<(String, String)>, String) + Send + Sync + 'static,
    ) -> Receiver {
        Self::start(Box::new(script), None).await
    }

    /// Holds every request until [`Receiver::open`], then answers `200`.
    pub async fn gated() -> Receiver {
        Self::start(
            Box::new(|_| (200, vec![], "late".into())),
            Some(Arc::new(Semaphore::new(0))),
        )
        .await
    }

    async fn start(script: Box<Script>, gate: Option<Arc<Semaphore>>) -> Receiver {
        let state = Arc::new(State {
            hits: Mutex::new(Vec::new()),
            script,
            gate,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/hook", post(handle))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            state,
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.state.hits.lock().unwrap().len()
    }

    /// The most requests this receiver held at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// Lets every held and future request through.
    pub fn open(&self) {
        if let Some(gate) = &self.state.gate {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }
}

async fn handle(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let hit = Hit {
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let index = {
        let mut hits = state.hits.lock().unwrap();
        hits.push(hit);
        hits.len() - 1
    };
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    if let Some(gate) = &state.gate {
        let _permit = gate.acquire().await.unwrap();
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let (status, extra, body) = (state.script)(index);
    let mut out = HeaderMap::new();
    for (k, v) in extra {
        out.insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    (StatusCode::from_u16(status).unwrap(), out, body)
}
