//! Media's own settings, read through the kit's environment lookup (so `MEDIA_…` variables and
//! test overrides apply), each with a working default.

use std::path::PathBuf;
use std::time::Duration;

use kit::Config;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where objects go: `None` for the local directory under the data directory, else an
    /// object-store URL (`s3://bucket/prefix`, `az://…`, `gs://…`, `file:///…`).
    pub store_url: Option<String>,
    /// The local store directory used when `store_url` is unset.
    pub local_dir: PathBuf,
    /// Origin that `url` fields and upload URLs start with (no trailing slash).
    pub public_url: String,
    /// Largest accepted upload body.
    pub max_bytes: usize,
    /// Upload-signing secret from the configuration; `None` means the shared generated one.
    pub upload_secret: Option<String>,
    /// How long a pre-signed upload URL stays valid.
    pub upload_ttl: Duration,
    /// Largest accepted image width and height, checked from the header before decoding.
    pub max_dimension: u32,
    /// Most memory a decoder may allocate (the decompression-bomb guard).
    pub max_decode_bytes: u64,
    /// Pause between sweeps for unreferenced objects.
    pub sweep_interval: Duration,
    /// How old an object nothing counts must be before the sweeper removes it; longer than any
    /// upload takes between storing its objects and recording them.
    pub sweep_grace: Duration,
}

impl Settings {
    pub fn from_config(config: &Config) -> anyhow::Result<Settings> {
        let env = config.env();
        let data_dir = PathBuf::from(env.get("DATA_DIR").unwrap_or_else(|| "data".into()));
        let public_url = env
            .get("MEDIA_PUBLIC_URL")
            .unwrap_or_else(|| "http://localhost:4005".into())
            .trim_end_matches('/')
            .to_string();
        let settings = Settings {
            store_url: env.get("MEDIA_STORE_URL"),
            local_dir: data_dir.join("media"),
            public_url,
            max_bytes: env.parse("MEDIA_MAX_BYTES", 10 * 1024 * 1024)?,
            upload_secret: env.get("MEDIA_UPLOAD_SECRET"),
            upload_ttl: Duration::from_secs(env.parse("MEDIA_UPLOAD_TTL_SECS", 900)?),
            max_dimension: env.parse("MEDIA_MAX_DIMENSION", 12_000)?,
            max_decode_bytes: env.parse("MEDIA_MAX_DECODE_BYTES", 256 * 1024 * 1024)?,
            sweep_interval: Duration::from_millis(env.parse("MEDIA_SWEEP_INTERVAL_MS", 3_600_000)?),
            sweep_grace: Duration::from_secs(env.parse("MEDIA_SWEEP_GRACE_SECS", 3600)?),
        };
        anyhow::ensure!(settings.max_bytes > 0, "MEDIA_MAX_BYTES must be positive");
        anyhow::ensure!(
            !settings.sweep_interval.is_zero(),
            "MEDIA_SWEEP_INTERVAL_MS must be positive"
        );
        anyhow::ensure!(
            settings.sweep_grace >= Duration::from_secs(60),
            "MEDIA_SWEEP_GRACE_SECS must be at least 60 (uploads store objects before recording them)"
        );
        anyhow::ensure!(
            !settings.upload_ttl.is_zero(),
            "MEDIA_UPLOAD_TTL_SECS must be positive"
        );
        anyhow::ensure!(
            settings.max_dimension >= 16,
            "MEDIA_MAX_DIMENSION must be at least 16"
        );
        anyhow::ensure!(
            settings
                .upload_secret
                .as_ref()
                .is_none_or(|s| s.len() >= 32),
            "MEDIA_UPLOAD_SECRET must be at least 32 characters"
        );
        anyhow::ensure!(
            settings.public_url.starts_with("http://")
                || settings.public_url.starts_with("https://"),
            "MEDIA_PUBLIC_URL must be an http(s) URL"
        );
        Ok(settings)
    }

    /// The public URL of an object.
    pub fn object_url(&self, key: &str) -> String {
        format!("{}/media/{key}", self.public_url)
    }
}
