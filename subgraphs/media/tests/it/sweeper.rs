//! The sweeper removes stored objects that nothing references — those whose count reached zero
//! but whose removal failed, and those an upload stored before losing the race for its token —
//! once they are older than the grace period, and never touches a referenced or recent object.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::common::*;

/// Every object file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn backdate(path: &Path, by: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now() - by))
        .unwrap_or_else(|e| panic!("cannot backdate {}: {e}", path.display()));
}

/// Stores `bytes` straight into the local store as the media service would name them.
fn store_directly(env: &Env, bytes: &[u8]) -> (String, PathBuf) {
    let key = media::store::key_for(bytes, "png");
    let dir = env.data_dir.join("media").join(&key[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(&key);
    std::fs::write(&path, bytes).unwrap();
    (key, path)
}

async fn counted_objects(env: &Env) -> i64 {
    kit::sqlx::query_scalar("SELECT COUNT(*) FROM media_objects WHERE refs > 0")
        .fetch_one(env.app.svc().db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn unreferenced_objects_are_swept_and_referenced_or_recent_ones_kept() {
    let env = start_with(&[
        ("MEDIA_SWEEP_INTERVAL_MS", "200"),
        ("MEDIA_SWEEP_GRACE_SECS", "60"),
    ])
    .await;
    let p = product();
    let kept = env.upload(&p, png(64, 48, 1), "image/png").await;

    // Two PUTs race for one upload token: one is recorded, the other's objects are left over.
    let (_, url) = env.create_upload(&p, "race", "Race").await;
    let (a, b) = tokio::join!(
        env.put(&url, png(80, 60, 2), "image/png"),
        env.put(&url, png(80, 60, 3), "image/png")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one upload wins the token");
    let winner = if a.status == 201 { a.json() } else { b.json() };

    // A count that reached zero but whose object removal failed.
    let (zero_key, zero_path) = store_directly(&env, b"left at zero");
    kit::sqlx::query("INSERT INTO media_objects (object_key, refs) VALUES ($1, 0)")
        .bind(&zero_key)
        .execute(env.app.svc().db.pool())
        .await
        .unwrap();

    // Everything so far is old; one uncounted object is recent (an upload still in progress).
    for path in files(&env.data_dir.join("media")) {
        backdate(&path, Duration::from_secs(2 * 3600));
    }
    let (_, recent) = store_directly(&env, b"an upload in progress");

    let counted = counted_objects(&env).await as usize;
    assert!(counted >= 3, "the kept and winning assets are counted");
    eventually("the sweeper to remove unreferenced objects", || async {
        env.stored_files() == counted + 1
    })
    .await;
    assert!(!zero_path.exists(), "the zero-count object is gone");
    let zero_rows: i64 =
        kit::sqlx::query_scalar("SELECT COUNT(*) FROM media_objects WHERE object_key = $1")
            .bind(&zero_key)
            .fetch_one(env.app.svc().db.pool())
            .await
            .unwrap();
    assert_eq!(zero_rows, 0, "its count row went with it");
    assert!(
        recent.exists(),
        "a recent uncounted object waits for the grace period"
    );

    for asset in [&kept, &winner["asset"]] {
        for url in [
            &asset["url"],
            &asset["thumbnails"]["small"],
            &asset["thumbnails"]["medium"],
        ] {
            let got = env.fetch(url.as_str().unwrap(), true, None).await;
            assert_eq!(got.status, 200, "{url} is still served");
        }
    }
    assert_eq!(counted_objects(&env).await as usize, counted);
    env.stop().await;
}
