//! Livestream's own settings, read through the kit's environment lookup (so `LIVESTREAM_…`
//! variables and test overrides apply), each with a working default: playback and ingest URL
//! templates, the watch link put in events, and the chat limits.

use std::time::Duration;

use kit::cache::rate_limit::Limit;
use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// HLS playback URL; `{playback_id}` is replaced by the stream's public playback id.
    pub hls_url_template: String,
    /// WebRTC (WHEP) playback URL, if the media server offers one; same placeholder.
    pub whep_url_template: Option<String>,
    /// RTMP ingest URL (the "server" a host's encoder connects to), shown to staff.
    pub rtmp_url: String,
    /// The viewer-facing page of a stream (put in events, e.g. for reminders); `{id}`.
    pub watch_url_template: String,
    /// Longest chat message, in characters.
    pub chat_max_chars: usize,
    /// Chat messages one user may send per window (across all streams).
    pub chat_rate: Limit,
    /// How often each instance reports its viewers and reads every instance's total.
    pub viewer_heartbeat: Duration,
    /// Whether this instance consumes `order.paid` for live sales and `cart.*` for released
    /// deal claims (`SALES_CONSUMER`, default true). Instances share the durable queue anyway; only a second instance on the same
    /// in-process bus (one process, tests) must leave it to the first.
    pub sales_consumer: bool,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let settings = Settings {
            hls_url_template: env
                .get("HLS_URL_TEMPLATE")
                .unwrap_or_else(|| "http://localhost:8080/hls/{playback_id}.m3u8".into()),
            whep_url_template: env.get("WHEP_URL_TEMPLATE"),
            rtmp_url: env
                .get("RTMP_URL")
                .unwrap_or_else(|| "rtmp://localhost:1935/live".into()),
            watch_url_template: env
                .get("WATCH_URL_TEMPLATE")
                .unwrap_or_else(|| "http://localhost:4000/live/{id}".into()),
            chat_max_chars: env.parse("CHAT_MAX_CHARS", 500)?,
            chat_rate: Limit {
                max: env.parse("CHAT_RATE_MAX", 5)?,
                window: Duration::from_millis(env.parse("CHAT_RATE_WINDOW_MS", 10_000)?),
            },
            viewer_heartbeat: Duration::from_millis(env.parse("VIEWER_HEARTBEAT_MS", 2_000)?),
            sales_consumer: env.parse("SALES_CONSUMER", true)?,
        };
        anyhow::ensure!(
            settings.hls_url_template.contains("{playback_id}"),
            "HLS_URL_TEMPLATE must contain {{playback_id}}"
        );
        anyhow::ensure!(
            settings.chat_max_chars > 0,
            "CHAT_MAX_CHARS must be positive"
        );
        anyhow::ensure!(
            settings.chat_rate.max > 0 && !settings.chat_rate.window.is_zero(),
            "CHAT_RATE_MAX and CHAT_RATE_WINDOW_MS must be positive"
        );
        anyhow::ensure!(
            !settings.viewer_heartbeat.is_zero(),
            "VIEWER_HEARTBEAT_MS must be positive"
        );
        Ok(settings)
    }

    pub fn hls_url(&self, playback_id: &str) -> String {
        self.hls_url_template.replace("{playback_id}", playback_id)
    }

    pub fn whep_url(&self, playback_id: &str) -> Option<String> {
        self.whep_url_template
            .as_ref()
            .map(|t| t.replace("{playback_id}", playback_id))
    }

    pub fn watch_url(&self, id: &str) -> String {
        self.watch_url_template.replace("{id}", id)
    }
}
