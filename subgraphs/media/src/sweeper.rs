//! The background task that removes objects nothing references, so failed work does not leave
//! images in the store forever: objects counted down to zero whose removal failed, and objects
//! stored by an upload that then failed to record them or lost a race for its token. An
//! uncounted object is removed only when it is older than `MEDIA_SWEEP_GRACE_SECS`, because an
//! upload stores its objects before it records them. Safe with several instances sweeping.

use crate::objects;
use crate::state::MediaState;

/// Keys per lookup of count rows.
const CHUNK: usize = 500;

/// Sweeps every `MEDIA_SWEEP_INTERVAL_MS` until the service shuts down.
pub fn spawn(state: MediaState) {
    let interval = state.settings.sweep_interval;
    let svc = state.svc.clone();
    kit::periodic::every(svc, "sweep unreferenced media", interval, move |_| {
        let state = state.clone();
        async move { sweep(&state).await }
    });
}

/// One sweep; returns how many objects it removed.
pub async fn sweep(state: &MediaState) -> anyhow::Result<usize> {
    let db = &state.svc.db;
    let mut removed = 0;
    loop {
        let zero = objects::zero_counted(db, CHUNK as i64).await?;
        let n = objects::remove_unreferenced(db, &state.store, &zero).await;
        removed += n;
        // Stop when nothing more could be removed (a failing store keeps its rows at zero).
        if zero.len() < CHUNK || n == 0 {
            break;
        }
    }

    let grace = chrono::Duration::from_std(state.settings.sweep_grace)?;
    let old = state
        .store
        .keys_written_before(chrono::Utc::now() - grace)
        .await?;
    for chunk in old.chunks(CHUNK) {
        let counted = objects::counted_keys(db, chunk).await?;
        for key in chunk.iter().filter(|k| !counted.contains(*k)) {
            match objects::remove_uncounted(db, &state.store, key).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(%key, error = %format!("{err:#}"), "media: could not remove an uncounted object")
                }
            }
        }
    }
    Ok(removed)
}
