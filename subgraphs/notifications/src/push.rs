//! Push notifications out, behind [`PushProvider`]: the log provider (the default) or ntfy
//! (`PUSH_PROVIDER=ntfy`), a plain HTTP push service: a POST of the message text to
//! `{NTFY_URL}/{topic}` with `Title` and `Click` headers (and a bearer token when the server
//! wants one); the user's phone subscribed to that topic shows it. A push subscription is an
//! ntfy topic. (Browser Web Push with VAPID and aes128gcm payload encryption is not
//! implemented.)

use crate::mailer::SendError;
use crate::providers::outcome;
use crate::settings::{PushSettings, Settings};
use crate::sms::http_client;

/// One push message.
pub struct Push<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
}

#[async_trait::async_trait]
pub trait PushProvider: Send + Sync {
    /// Sends `push` to the subscription `target`; returns where it went.
    async fn send(&self, target: &str, push: &Push<'_>) -> Result<String, SendError>;
}

pub struct LogPush;

#[async_trait::async_trait]
impl PushProvider for LogPush {
    async fn send(&self, target: &str, push: &Push<'_>) -> Result<String, SendError> {
        tracing::info!(%target, title = %push.title, "push (log provider; set PUSH_PROVIDER=ntfy to send)");
        Ok("log".into())
    }
}

pub struct NtfyPush {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

#[async_trait::async_trait]
impl PushProvider for NtfyPush {
    async fn send(&self, target: &str, push: &Push<'_>) -> Result<String, SendError> {
        let mut req = self
            .http
            .post(format!("{}/{target}", self.base))
            // HTTP header values must be visible ASCII: anything else in a title is replaced.
            .header("Title", ascii_header(push.title))
            .body(push.body.to_string());
        if let Some(link) = push.link {
            req = req.header("Click", ascii_header(link));
        }
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        outcome("ntfy", req.send().await).await
    }
}

fn ascii_header(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub fn provider(settings: &Settings) -> anyhow::Result<Box<dyn PushProvider>> {
    Ok(match &settings.push {
        PushSettings::Log => Box::new(LogPush),
        PushSettings::Ntfy { base, token } => Box::new(NtfyPush {
            http: http_client()?,
            base: base.clone(),
            token: token.clone(),
        }),
    })
}
