//! Errors of media's plain-HTTP endpoints (uploads, object downloads) in the platform's GraphQL
//! error shape, `{errors:[{message, extensions:{code, field}}]}`, with the kit's codes. (The
//! kit's `error_response` has no `field`; this adds it.)

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kit::error::Code;

#[derive(Debug)]
pub struct HttpError {
    pub status: StatusCode,
    pub code: Code,
    pub field: Option<&'static str>,
    pub message: String,
}

impl HttpError {
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn on(mut self, field: &'static str) -> HttpError {
        self.field = Some(field);
        self
    }

    /// Anything unexpected: logged here, "internal error" to the client.
    pub fn internal(err: impl std::fmt::Debug) -> HttpError {
        tracing::error!(error = ?err, "media: internal error");
        HttpError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::Internal,
            "internal error",
        )
    }
}

impl From<kit::AppError> for HttpError {
    fn from(err: kit::AppError) -> HttpError {
        match err {
            kit::AppError::Internal(source) => HttpError::internal(source),
            other => HttpError::new(StatusCode::BAD_REQUEST, other.code(), other.message()),
        }
    }
}

impl From<sqlx::Error> for HttpError {
    fn from(err: sqlx::Error) -> HttpError {
        HttpError::internal(err)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut extensions = serde_json::json!({ "code": self.code.as_str() });
        if let Some(field) = self.field {
            extensions["field"] = field.into();
        }
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": extensions }]
        });
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
