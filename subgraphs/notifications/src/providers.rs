//! What the SMS and push providers share: how an HTTP provider's answer maps onto the worker's
//! retry decision. A 2xx is delivered; a 5xx, a 429 (rate limited) or no answer at all may
//! succeed later and is retried; any other 4xx (bad number, bad credentials, unknown topic)
//! will not get better and is recorded FAILED.

use crate::mailer::SendError;

/// The outcome of one HTTP call to a provider; `what` names the provider in messages.
pub async fn outcome(
    what: &str,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<String, SendError> {
    let resp = match sent {
        Ok(resp) => resp,
        Err(err) => {
            return Err(SendError::transient(format!(
                "{what}: {}",
                error_text(&err)
            )))
        }
    };
    let status = resp.status();
    // Only the start of the body: enough for the provider's error code, bounded.
    let body = resp.text().await.unwrap_or_default();
    let snippet: String = body.chars().take(200).collect();
    if status.is_success() {
        Ok(format!("{what} {}", status.as_u16()))
    } else if status.is_server_error() || status.as_u16() == 429 {
        Err(SendError::transient(format!(
            "{what} answered {}: {snippet}",
            status.as_u16()
        )))
    } else {
        Err(SendError::permanent(format!(
            "{what} answered {}: {snippet}",
            status.as_u16()
        )))
    }
}

/// A transport error without the URL (which may carry credentials in a query string).
fn error_text(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(err) {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_string(),
    }
}
