//! Text messages out, behind [`SmsProvider`]: the log provider (the default: the message is
//! logged and counts as sent, so nothing leaves the machine by accident) or Twilio's Messages
//! API (`SMS_PROVIDER=twilio`): a form-encoded POST of `To`, `From` and `Body` to
//! `/2010-04-01/Accounts/{sid}/Messages.json` with HTTP basic auth (account SID, auth token).

use std::time::Duration;

use crate::mailer::SendError;
use crate::providers::outcome;
use crate::settings::{Settings, SmsSettings};

#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync {
    /// Sends `text` to `phone` (E.164); returns where it went, for the delivery log.
    async fn send(&self, phone: &str, text: &str) -> Result<String, SendError>;
}

/// Logs each message instead of sending it.
pub struct LogSms;

#[async_trait::async_trait]
impl SmsProvider for LogSms {
    async fn send(&self, phone: &str, text: &str) -> Result<String, SendError> {
        tracing::info!(%phone, %text, "SMS (log provider; set SMS_PROVIDER=twilio to send)");
        Ok("log".into())
    }
}

pub struct TwilioSms {
    http: reqwest::Client,
    messages_url: String,
    account_sid: String,
    auth_token: String,
    from: String,
}

#[async_trait::async_trait]
impl SmsProvider for TwilioSms {
    async fn send(&self, phone: &str, text: &str) -> Result<String, SendError> {
        let sent = self
            .http
            .post(&self.messages_url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[("To", phone), ("From", self.from.as_str()), ("Body", text)])
            .send()
            .await;
        outcome("twilio", sent).await
    }
}

/// The provider the settings choose.
pub fn provider(settings: &Settings) -> anyhow::Result<Box<dyn SmsProvider>> {
    Ok(match &settings.sms {
        SmsSettings::Log => Box::new(LogSms),
        SmsSettings::Twilio {
            api_base,
            account_sid,
            auth_token,
            from,
        } => Box::new(TwilioSms {
            http: http_client()?,
            messages_url: format!("{api_base}/2010-04-01/Accounts/{account_sid}/Messages.json"),
            account_sid: account_sid.clone(),
            auth_token: auth_token.clone(),
            from: from.clone(),
        }),
    })
}

/// Providers' HTTP client: bounded waits, so a hung provider delays a message, never the
/// worker.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()?)
}
