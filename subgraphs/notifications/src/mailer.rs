//! Email out: over SMTP with `lettre` when `SMTP_URL` is set, else as `.eml` files under the
//! mail directory (the embedded default, so a demo user can open the welcome email and click
//! its link). A send error says whether trying again may help: a refused connection or a 4xx
//! reply is transient, a 5xx reply (an unknown mailbox) is permanent.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::settings::Settings;
use crate::templates::Rendered;

#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            permanent: true,
            message: message.into(),
        }
    }
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
}

enum Channel {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

pub struct Mailer {
    from: Mailbox,
    channel: Channel,
}

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Mailer> {
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        let channel = match &settings.smtp_url {
            Some(url) => Channel::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL is not valid: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&settings.mail_dir).map_err(|e| {
                    anyhow::anyhow!("cannot create {}: {e}", settings.mail_dir.display())
                })?;
                Channel::Files(settings.mail_dir.clone())
            }
        };
        Ok(Mailer { from, channel })
    }

    /// Builds the multipart/alternative message (plain text, then HTML) for `to`.
    pub fn message(&self, to: &str, rendered: &Rendered) -> Result<Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::permanent(format!("not a mailbox: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&rendered.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html.clone()),
                    ),
            )
            .map_err(|e| SendError::permanent(format!("cannot build the message: {e}")))
    }

    /// Sends `message`; `id` names the file in the embedded mode. Returns where it went (the
    /// file's path, or the SMTP server's reply).
    pub async fn send(&self, id: &str, message: Message) -> Result<String, SendError> {
        match &self.channel {
            Channel::Smtp(transport) => match transport.send(message).await {
                Ok(reply) => Ok(format!(
                    "smtp {} {}",
                    reply.code(),
                    reply.message().collect::<Vec<_>>().join(" ")
                )),
                Err(err) if err.is_permanent() => Err(SendError::permanent(err.to_string())),
                Err(err) => Err(SendError::transient(err.to_string())),
            },
            Channel::Files(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let bytes = message.formatted();
                tokio::fs::write(&path, bytes)
                    .await
                    .map_err(|e| SendError::transient(format!("cannot write the mail: {e}")))?;
                tracing::info!(path = %path.display(), "email written (no SMTP_URL set)");
                Ok(path.display().to_string())
            }
        }
    }
}
