//! One HTTP attempt of a delivery, Standard Webhooks style: `POST` the CloudEvent JSON with
//! `webhook-id` (the delivery id, the same on every retry), `webhook-timestamp` (Unix seconds
//! of this attempt) and `webhook-signature`. The client resolves through
//! [`CheckedResolver`](crate::targets::CheckedResolver), never follows redirects or proxies,
//! has connect and total timeouts, and reads at most a few KB of the answer.

use std::sync::Arc;
use std::time::Instant;

use crate::settings::Settings;
use crate::signing;
use crate::targets::{self, CheckedResolver, Policy};

pub struct Sender {
    client: reqwest::Client,
    policy: Policy,
    body_max: usize,
    timeout: std::time::Duration,
}

/// What one attempt came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub body: Option<String>,
    pub truncated: bool,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

impl Sender {
    pub fn new(settings: &Settings) -> anyhow::Result<Sender> {
        let policy = settings.policy();
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver { policy }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent("shop-webhooks/1")
            .build()?;
        Ok(Sender {
            client,
            policy,
            body_max: settings.response_body_max,
            timeout: settings.request_timeout,
        })
    }

    /// Sends `payload` to `url` as message `id`, signed with each of `secrets`.
    pub async fn send(&self, url: &str, id: &str, secrets: &[&str], payload: &str) -> Outcome {
        let started = Instant::now();
        let mut outcome = match self.attempt(url, id, secrets, payload).await {
            Ok(o) => o,
            Err(error) => Outcome {
                error: Some(error),
                ..Outcome::default()
            },
        };
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        outcome
    }

    async fn attempt(
        &self,
        url: &str,
        id: &str,
        secrets: &[&str],
        payload: &str,
    ) -> Result<Outcome, String> {
        let target = targets::parse_url("url", url).map_err(|e| e.message())?;
        // The resolver checks names; an address written in the URL never reaches it.
        if let Ok(ip) = target.host.parse() {
            self.policy.check(&[ip])?;
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signing::header(secrets, id, timestamp, payload)
            .map_err(|e| format!("cannot sign: {e}"))?;
        let request = self
            .client
            .post(target.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(payload.to_string());
        let exchange = async {
            let mut resp = request.send().await.map_err(describe)?;
            let status = resp.status();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = resp.chunk().await.map_err(describe)? {
                let room = self.body_max - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break; // the rest is never read
                }
                body.extend_from_slice(&chunk);
            }
            let error = if status.is_success() {
                None
            } else if status.is_redirection() {
                Some(format!(
                    "HTTP {}: redirects are not followed",
                    status.as_u16()
                ))
            } else {
                Some(format!("HTTP {}", status.as_u16()))
            };
            Ok::<_, String>(Outcome {
                status: Some(status.as_u16()),
                duration_ms: 0,
                error,
                body: Some(String::from_utf8_lossy(&body).into_owned()),
                truncated,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("timed out after {} ms", self.timeout.as_millis())),
        }
    }
}

/// A client error with its causes (the resolver's refusal is a cause), without the URL.
fn describe(err: reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
