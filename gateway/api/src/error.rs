//! The one error type at the HTTP edge. Every failure becomes a JSON body with a stable `code`
//! and a message that names the problem; nothing leaks a stack trace.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use switchboard_model::{ErrorBody, ErrorDetail};
use switchboard_services::{Fault, FaultKind};
use switchboard_store::StoreError;

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which the same request may succeed (`Retry-After`), for refusals that
    /// pass: limits, and work the gateway cannot take right now.
    pub retry_after: Option<u32>,
    /// A provider's own words, when it refused.
    pub reason: Option<String>,
    /// The setting or field at fault, by name.
    pub field: Option<String>,
    /// The entry of that setting at fault, as written, when it holds several (boxed, as in
    /// `Fault`).
    pub value: Option<Box<str>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
            reason: None,
            field: None,
            value: None,
        }
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        // Seconds in a `u32` (136 years) keep the error small enough to return by value.
        self.retry_after = Some(u32::try_from(seconds.max(1)).unwrap_or(u32::MAX));
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A request body that names something wrong (`422 invalid_body`).
    pub fn invalid_body(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message)
    }

    /// The same error, naming the field at fault.
    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                reason: self.reason,
                field: self.field,
                value: self.value.map(String::from),
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        let status = match fault.kind {
            FaultKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            FaultKind::NotFound => StatusCode::NOT_FOUND,
            FaultKind::Conflict => StatusCode::CONFLICT,
            FaultKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            FaultKind::Limited => StatusCode::TOO_MANY_REQUESTS,
            FaultKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            FaultKind::Provider => StatusCode::BAD_GATEWAY,
            FaultKind::Full => StatusCode::INSUFFICIENT_STORAGE,
            FaultKind::Suspended | FaultKind::QuotaReached => StatusCode::FORBIDDEN,
            FaultKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            code: fault.code,
            message: fault.message,
            retry_after: fault.retry_after,
            reason: fault.reason,
            field: fault.field,
            value: fault.value,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Fault::from(error).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => ApiError::invalid_body(detail),
            JsonRejection::JsonSyntaxError(_) => ApiError::bad_request("invalid_json", detail),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be JSON, sent with `Content-Type: application/json`",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => body_too_large(),
            other => ApiError::new(other.status(), "invalid_body", detail),
        }
    }
}

/// The answer to a body over the configured limit.
pub fn body_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the request body is larger than this gateway accepts (see `http.max_body_bytes`)",
    )
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}
