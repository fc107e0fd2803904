//! Tokens accounts issues: signing keys and the JWKS (`keys`), short-lived access JWTs
//! (`access`) and rotating opaque refresh tokens with reuse detection (`refresh`).

pub mod access;
pub mod keys;
pub mod refresh;
