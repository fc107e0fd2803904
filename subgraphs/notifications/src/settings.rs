//! Notifications' own settings, read through the kit's environment lookup (so
//! `NOTIFICATIONS_…` variables and test overrides apply), each with a working default.

use std::path::PathBuf;
use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `SMTP_URL` (`smtp://host:port`, `smtps://user:pass@host`, `smtp://host?tls=required`);
    /// unset: every email is written as a `.eml` file under `mail_dir` instead.
    pub smtp_url: Option<String>,
    /// Where emails go without an SMTP server (`MAIL_DIR`, default `$DATA_DIR/mail`).
    pub mail_dir: PathBuf,
    /// The sender (`MAIL_FROM`).
    pub mail_from: String,
    /// Origin of the links in emails and in-app notifications (`PUBLIC_URL`, else
    /// `STOREFRONT_URL`).
    pub public_url: String,
    /// Extra addresses told about staff matters such as low stock (`STAFF_NOTIFY_EMAILS`,
    /// comma-separated), besides the staff accounts accounts' events named.
    pub staff_emails: Vec<String>,
    /// How often the delivery worker looks for due messages when nothing woke it.
    pub poll: Duration,
    /// The first retry's delay; each further one doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts before a message that keeps failing transiently is given up as FAILED.
    pub max_attempts: i64,
    /// Messages sent at once by one worker.
    pub send_concurrency: usize,
    /// How long a claimed message is the worker's before another may take it (a crashed
    /// worker's messages are retried after this).
    pub lease: Duration,
    /// Where text messages go (`SMS_PROVIDER`: `log`, the default, or `twilio`).
    pub sms: SmsSettings,
    /// Where push messages go (`PUSH_PROVIDER`: `log`, the default, or `ntfy`).
    pub push: PushSettings,
}

// Debug by hand below: the auth token must not reach a log.
#[derive(Clone)]
pub enum SmsSettings {
    Log,
    /// Twilio's Messages API: `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM` (the
    /// sending number), `TWILIO_API_URL` (default `https://api.twilio.com`).
    Twilio {
        api_base: String,
        account_sid: String,
        auth_token: String,
        from: String,
    },
}

#[derive(Clone)]
pub enum PushSettings {
    Log,
    /// An ntfy server: `NTFY_URL` (default `https://ntfy.sh`), `NTFY_TOKEN` (optional).
    Ntfy {
        base: String,
        token: Option<String>,
    },
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmsSettings::Log => f.write_str("Log"),
            SmsSettings::Twilio {
                api_base,
                account_sid,
                from,
                ..
            } => f
                .debug_struct("Twilio")
                .field("api_base", api_base)
                .field("account_sid", account_sid)
                .field("from", from)
                .finish_non_exhaustive(),
        }
    }
}

impl std::fmt::Debug for PushSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushSettings::Log => f.write_str("Log"),
            PushSettings::Ntfy { base, token } => f
                .debug_struct("Ntfy")
                .field("base", base)
                .field("token", &token.as_ref().map(|_| "…"))
                .finish(),
        }
    }
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let required = |name: &str, provider: &str| {
            env.get(name)
                .ok_or_else(|| anyhow::anyhow!("{name} must be set with {provider}"))
        };
        let sms = match env.get("SMS_PROVIDER").as_deref() {
            None | Some("log") => SmsSettings::Log,
            Some("twilio") => SmsSettings::Twilio {
                api_base: env
                    .get("TWILIO_API_URL")
                    .unwrap_or_else(|| "https://api.twilio.com".into())
                    .trim_end_matches('/')
                    .to_string(),
                account_sid: required("TWILIO_ACCOUNT_SID", "SMS_PROVIDER=twilio")?,
                auth_token: required("TWILIO_AUTH_TOKEN", "SMS_PROVIDER=twilio")?,
                from: required("TWILIO_FROM", "SMS_PROVIDER=twilio")?,
            },
            Some(other) => anyhow::bail!("SMS_PROVIDER: unknown provider {other:?} (log, twilio)"),
        };
        let push = match env.get("PUSH_PROVIDER").as_deref() {
            None | Some("log") => PushSettings::Log,
            Some("ntfy") => PushSettings::Ntfy {
                base: env
                    .get("NTFY_URL")
                    .unwrap_or_else(|| "https://ntfy.sh".into())
                    .trim_end_matches('/')
                    .to_string(),
                token: env.get("NTFY_TOKEN"),
            },
            Some(other) => anyhow::bail!("PUSH_PROVIDER: unknown provider {other:?} (log, ntfy)"),
        };
        Ok(Settings {
            sms,
            push,
            smtp_url: env.get("SMTP_URL"),
            mail_dir: env
                .get("MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("mail")),
            mail_from: env
                .get("MAIL_FROM")
                .unwrap_or_else(|| "Shop <no-reply@shop.example>".into()),
            public_url: env
                .get("PUBLIC_URL")
                .or_else(|| env.get("STOREFRONT_URL"))
                .unwrap_or_else(|| "http://localhost:4000".into())
                .trim_end_matches('/')
                .to_string(),
            staff_emails: env
                .get("STAFF_NOTIFY_EMAILS")
                .unwrap_or_default()
                .split(',')
                .map(|e| e.trim().to_lowercase())
                .filter(|e| e.contains('@'))
                .collect(),
            poll: Duration::from_millis(env.parse("DELIVERY_POLL_MS", 1000)?),
            retry_base: Duration::from_millis(env.parse("DELIVERY_RETRY_BASE_MS", 5000)?),
            retry_max: Duration::from_millis(env.parse("DELIVERY_RETRY_MAX_MS", 3_600_000)?),
            max_attempts: env.parse("DELIVERY_MAX_ATTEMPTS", 12)?,
            send_concurrency: env.parse("DELIVERY_CONCURRENCY", 8)?,
            lease: Duration::from_millis(env.parse("DELIVERY_LEASE_MS", 60_000)?),
        })
    }

    /// The delay before retry number `attempts` (1 = the first retry).
    pub fn backoff(&self, attempts: i64) -> Duration {
        let factor = 1u32 << attempts.clamp(1, 20).saturating_sub(1) as u32;
        self.retry_base.saturating_mul(factor).min(self.retry_max)
    }
}
