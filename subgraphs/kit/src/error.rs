//! Typed errors every resolver returns. Each maps to a GraphQL error whose `extensions.code` is
//! one of the platform's codes; internal detail is logged, never sent to the client.

use std::sync::Arc;

use async_graphql::ErrorExtensions;

/// The platform's error codes (see GUIDE: Errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::Internal => "INTERNAL",
        }
    }
}

/// A resolver error. Deliberately not `Display`: async-graphql converts any `Display` type into
/// an error without a code, so keeping this type out of that path makes `?` use our conversion,
/// which always sets `extensions.code`.
#[derive(Debug, Clone)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    /// Bad input: `field` names the offending argument/field path (e.g. `input.email`);
    /// `reason`, when set, is a machine-readable cause a client can act on (`extensions.reason`,
    /// e.g. a coupon's `EXPIRED`), for inputs that are well-formed but not acceptable now.
    BadInput {
        field: String,
        message: String,
        reason: Option<&'static str>,
    },
    Conflict(String),
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// Anything unexpected. The source is logged; the client sees only "internal error".
    Internal(Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadInput {
            field: field.into(),
            message: message.into(),
            reason: None,
        }
    }
    /// Bad input with a machine-readable `reason` (upper snake case) in `extensions.reason`.
    pub fn bad_input_because(
        field: impl Into<String>,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        AppError::BadInput {
            field: field.into(),
            message: message.into(),
            reason: Some(reason),
        }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }
    pub fn forbidden(what: impl Into<String>) -> Self {
        AppError::Forbidden(what.into())
    }
    pub fn conflict(what: impl Into<String>) -> Self {
        AppError::Conflict(what.into())
    }
    pub fn unauthenticated(what: impl Into<String>) -> Self {
        AppError::Unauthenticated(what.into())
    }
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        AppError::Internal(Arc::new(err.into()))
    }

    /// The input a bad-input error names; `None` for every other error.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::BadInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The client-facing message (`field: message` for bad input).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m) => m.clone(),
            AppError::BadInput { field, message, .. } => format!("{field}: {message}"),
            AppError::RateLimited { message, .. } => message.clone(),
            AppError::Internal(_) => "internal error".into(),
        }
    }

    pub fn code(&self) -> Code {
        match self {
            AppError::Unauthenticated(_) => Code::Unauthenticated,
            AppError::Forbidden(_) => Code::Forbidden,
            AppError::NotFound(_) => Code::NotFound,
            AppError::BadInput { .. } => Code::BadUserInput,
            AppError::Conflict(_) => Code::Conflict,
            AppError::RateLimited { .. } => Code::RateLimited,
            AppError::Internal(_) => Code::Internal,
        }
    }

    /// For event handlers and start-up code that report `anyhow` errors: internal errors keep
    /// their source chain, the rest their client-facing message.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            AppError::Internal(source) => anyhow::anyhow!("{source:#}"),
            other => anyhow::anyhow!(other.message()),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        AppError::internal(err)
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        AppError::Internal(Arc::new(err))
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(source) = &err {
            tracing::error!(error = ?source, "internal error");
        }
        let code = err.code();
        let base = async_graphql::Error::new(err.message());
        base.extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &err {
                AppError::BadInput { field, reason, .. } => {
                    ext.set("field", field.as_str());
                    if let Some(reason) = reason {
                        ext.set("reason", *reason);
                    }
                }
                AppError::RateLimited {
                    retry_after_secs, ..
                } => ext.set("retryAfterSeconds", *retry_after_secs),
                _ => {}
            }
        })
    }
}

/// True when a database error is a unique-constraint violation (SQLite and PostgreSQL).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: AppError) -> serde_json::Value {
        let err: async_graphql::Error = err.into();
        serde_json::to_value(err.extensions).expect("extensions serialise")
    }

    #[test]
    fn bad_input_carries_field_and_optional_reason() {
        let plain = AppError::bad_input("input.code", "is too short");
        assert_eq!(plain.message(), "input.code: is too short");
        let ext = extensions(plain);
        assert_eq!(ext["code"], "BAD_USER_INPUT");
        assert_eq!(ext["field"], "input.code");
        assert!(ext.get("reason").is_none(), "no reason unless given: {ext}");

        let because = AppError::bad_input_because("code", "EXPIRED", "this coupon has expired");
        assert_eq!(because.code(), Code::BadUserInput);
        assert_eq!(because.message(), "code: this coupon has expired");
        let ext = extensions(because);
        assert_eq!(ext["code"], "BAD_USER_INPUT");
        assert_eq!(ext["field"], "code");
        assert_eq!(ext["reason"], "EXPIRED");
    }
}
