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
    /// Bad input: `field` names the offending argument/field path (e.g. `input.email`).
    BadInput {
        field: String,
        message: String,
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

    /// The client-facing message (`field: message` for bad input).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m) => m.clone(),
            AppError::BadInput { field, message } => format!("{field}: {message}"),
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
                AppError::BadInput { field, .. } => ext.set("field", field.as_str()),
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
