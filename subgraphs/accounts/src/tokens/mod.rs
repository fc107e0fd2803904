//! Tokens accounts issues: signing keys and the JWKS (`keys`), short-lived access JWTs
//! (`access`), rotating opaque refresh tokens with reuse detection (`refresh`) and the
//! single-use email verification and password reset tokens (`one_time`).

pub mod access;
pub mod keys;
pub mod one_time;
pub mod refresh;
