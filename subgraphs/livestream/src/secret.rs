//! The two random names a stream has: a public playback id (HLS file name, RTMP publish name)
//! and the secret stream key the publisher proves itself with. Keys are compared in constant
//! time.

use rand::distributions::Alphanumeric;
use rand::Rng;

/// A public playback id: 20 lower-case letters and digits (safe in URLs and file names).
pub fn playback_id() -> String {
    random(20).to_ascii_lowercase()
}

/// A secret stream key: 32 letters and digits (about 190 bits).
pub fn stream_key() -> String {
    random(32)
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Equality that takes the same time wherever the strings differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
