//! Password policy and hashing. The policy favours length over composition rules (NIST
//! 800-63B): 12 to 128 characters, not a well-known password, not the email itself. Hashes are
//! argon2id PHC strings; hashing runs on the blocking pool so it never stalls the runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kit::AppError;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

const COMMON: &[&str] = &[
    "123456789012",
    "password1234",
    "passwordpassword",
    "qwertyuiopas",
    "111111111111",
    "iloveyou1234",
    "abcdefghijkl",
    "letmeinletmein",
    "changemechangeme",
    "administrator",
];

/// A password that passed the policy. Never logged, never stored.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: &str, email: Option<&str>) -> Result<Password, AppError> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(AppError::bad_input(
                field,
                format!("must be at least {MIN_LEN} characters"),
            ));
        }
        if len > MAX_LEN {
            return Err(AppError::bad_input(
                field,
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        let lower = raw.to_lowercase();
        let first = raw.chars().next();
        if COMMON.contains(&lower.as_str()) || raw.chars().all(|c| Some(c) == first) {
            return Err(AppError::bad_input(field, "is too easy to guess"));
        }
        if email.is_some_and(|e| e == lower) {
            return Err(AppError::bad_input(field, "must not be your email address"));
        }
        Ok(Password(raw.to_string()))
    }
}

/// argon2id cost settings (memory in KiB, passes, lanes).
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Cost {
    fn hasher(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .expect("argon2 parameters are valid");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

pub async fn hash(password: Password, cost: Cost) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        cost.hasher()
            .hash_password(password.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks `candidate` against a stored PHC hash (its own parameters apply). With no stored
/// hash, still does the same work against a throwaway hash so response time does not reveal
/// whether an account exists.
pub async fn verify(
    candidate: String,
    stored: Option<String>,
    cost: Cost,
) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let decoy;
        let phc = match &stored {
            Some(phc) => phc.as_str(),
            None => {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                decoy = cost
                    .hasher()
                    .hash_password(b"decoy password", &salt)
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                &decoy
            }
        };
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        ok && stored.is_some()
    })
    .await
    .map_err(AppError::internal)
}
