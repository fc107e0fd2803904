//! The object store holding originals and thumbnails. Keys are content-addressed
//! (`<sha256 hex of the bytes>.<ext>`), so an object never changes once written, writing the
//! same bytes twice is harmless, and identical uploads share one object.
//!
//! Unset `MEDIA_STORE_URL` means a local directory under the data directory (`<DATA_DIR>/media`);
//! a plain path or `file://` URL names another directory; `s3://`, `az://` and `gs://` URLs go
//! to `object_store::parse_url_opts` with the cloud credentials found in the environment
//! (`AWS_*`, `AZURE_*`, `GOOGLE_*`) and need the crate's `cloud` feature.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use crate::settings::Settings;

#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// Where keys live inside the store (the URL's path, e.g. `prefix` in `s3://bucket/prefix`).
    prefix: Path,
    /// A short description for logs (never credentials).
    pub description: String,
}

/// The content-addressed key of `bytes` stored with extension `ext`.
pub fn key_for(bytes: &[u8], ext: &str) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64 + 1 + ext.len());
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.push('.');
    hex.push_str(ext);
    hex
}

/// True for a well-formed key (64 lowercase hex digits, a dot, a known extension), so request
/// paths can never name anything else in the store.
pub fn is_key(key: &str) -> bool {
    let Some((hash, ext)) = key.split_once('.') else {
        return false;
    };
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && crate::sniff::ImageKind::from_extension(ext).is_some()
}

impl MediaStore {
    pub fn open(settings: &Settings) -> anyhow::Result<MediaStore> {
        match settings.store_url.as_deref() {
            None => Self::local(&settings.local_dir),
            Some(raw) if !raw.contains("://") => Self::local(std::path::Path::new(raw)),
            Some(raw) => Self::from_url(raw),
        }
    }

    fn local(dir: &std::path::Path) -> anyhow::Result<MediaStore> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create media directory {}", dir.display()))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("cannot open media directory {}", dir.display()))?;
        Ok(MediaStore {
            inner: Arc::new(fs),
            prefix: Path::default(),
            description: format!("local directory {}", dir.display()),
        })
    }

    fn from_url(raw: &str) -> anyhow::Result<MediaStore> {
        let url = url::Url::parse(raw).context("MEDIA_STORE_URL is not a URL")?;
        if url.scheme() == "file" {
            let dir = url
                .to_file_path()
                .map_err(|_| anyhow::anyhow!("MEDIA_STORE_URL: not a local path"))?;
            return Self::local(&dir);
        }
        let options = std::env::vars().filter_map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            ["aws_", "azure_", "google_"]
                .iter()
                .any(|p| lower.starts_with(p))
                .then_some((lower, v))
        });
        let (store, prefix) = object_store::parse_url_opts(&url, options).with_context(|| {
            format!(
                "MEDIA_STORE_URL: cannot open {}://{} (is the `cloud` feature enabled?)",
                url.scheme(),
                url.host_str().unwrap_or_default()
            )
        })?;
        Ok(MediaStore {
            inner: Arc::from(store),
            prefix,
            description: format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default()),
        })
    }

    /// Objects are spread over 256 directories by their first two hex digits.
    fn location(&self, key: &str) -> Path {
        let mut parts: Vec<String> = self
            .prefix
            .parts()
            .map(|p| p.as_ref().to_string())
            .collect();
        parts.push(key[..2].to_string());
        parts.push(key.to_string());
        Path::from_iter(parts)
    }

    /// Writes an object. Content addressing makes an overwrite a no-op in effect.
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        self.inner
            .put(&self.location(key), PutPayload::from_bytes(bytes))
            .await
            .with_context(|| format!("cannot store object {key}"))?;
        Ok(())
    }

    /// An object's bytes, or `None` when there is no such object.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        match self.inner.get(&self.location(key)).await {
            Ok(found) => Ok(Some(found.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err).with_context(|| format!("cannot read object {key}")),
        }
    }

    /// An object's size, or `None` when there is no such object.
    pub async fn size(&self, key: &str) -> anyhow::Result<Option<u64>> {
        match self.inner.head(&self.location(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(err).with_context(|| format!("cannot read object {key}")),
        }
    }

    /// The keys of stored objects last written before `cutoff`. Reads the whole listing, which
    /// the sweeper does rarely; anything under the prefix that is not a key is ignored.
    pub async fn keys_written_before(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Vec<String>> {
        use futures_util::TryStreamExt;
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let mut listing = self.inner.list(prefix);
        let mut keys = Vec::new();
        while let Some(meta) = listing.try_next().await.context("cannot list objects")? {
            if meta.last_modified < cutoff {
                if let Some(name) = meta.location.filename().filter(|n| is_key(n)) {
                    keys.push(name.to_string());
                }
            }
        }
        Ok(keys)
    }

    /// Removes an object; one already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.inner.delete(&self.location(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(err).with_context(|| format!("cannot delete object {key}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_key, key_for, MediaStore};

    #[test]
    fn cloud_urls_keep_their_prefix_or_name_the_missing_feature() {
        let opened = MediaStore::from_url("s3://bucket/shop/media");
        if cfg!(feature = "cloud") {
            let store = opened.unwrap();
            let key = key_for(b"abc", "png");
            assert_eq!(
                store.location(&key).as_ref(),
                format!("shop/media/ba/{key}")
            );
        } else {
            let err = format!("{:#}", opened.err().expect("no S3 without the feature"));
            assert!(err.contains("`cloud` feature"), "{err}");
        }
    }

    #[test]
    fn keys_are_sha256_hex_with_extension() {
        let key = key_for(b"abc", "png");
        assert_eq!(
            key,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.png"
        );
        assert!(is_key(&key));
        assert!(!is_key("../etc/passwd"));
        assert!(!is_key(&key.replace(".png", ".svg")));
        assert!(!is_key(&key.to_uppercase()));
    }
}
