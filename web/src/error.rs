//! The one place where error kinds become HTTP statuses, as `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use switchboard_core::{CoreError, ErrorKind};

/// A problem detail body (RFC 9457) with a stable machine-readable `code`.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable code, e.g. `bad_input`.
    pub code: String,
    /// Per-record problems (imports), when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One problem inside a request: a field or a line of a bulk body.
#[derive(Debug, Clone, Serialize)]
pub struct FieldProblem {
    /// The line of a bulk body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The field concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Why.
    pub reason: String,
}

/// An API error: a kind, a message and optional per-field problems.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ApiError {
    /// The underlying error.
    pub error: CoreError,
    /// Per-field or per-line problems.
    pub problems: Vec<FieldProblem>,
}

impl ApiError {
    /// A bad-input error with per-line or per-field problems.
    pub fn with_problems(message: impl Into<String>, problems: Vec<FieldProblem>) -> Self {
        Self {
            error: CoreError::BadInput(message.into()),
            problems,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        Self {
            error,
            problems: Vec::new(),
        }
    }
}

/// Returns the status for an error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadInput => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.error.kind())
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let kind = self.error.kind();
        let detail = match kind {
            // Our own failures are logged in full and answered in general terms.
            ErrorKind::Internal => {
                tracing::error!(error = %self.error, "request failed");
                "internal error; see the server log".to_owned()
            }
            _ => self.error.to_string(),
        };
        let problem = Problem {
            problem_type: format!("https://switchboard.invalid/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: kind.to_string(),
            errors: self.problems.clone(),
        };
        let mut response = HttpResponse::build(status);
        if kind == ErrorKind::Unauthenticated {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response
            .content_type(ContentType(mime_problem()))
            .body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

fn mime_problem() -> actix_web::mime::Mime {
    "application/problem+json"
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_JSON)
}

/// Answers unknown routes with a problem body.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(CoreError::not_found(format!("route {}", request.path())).into())
}

/// Turns JSON body errors into problems.
pub fn json_error(error: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = match &error {
        actix_web::error::JsonPayloadError::OverflowKnownLength { length, limit } => {
            format!("body of {length} bytes is over the limit of {limit} bytes")
        }
        actix_web::error::JsonPayloadError::Overflow { limit } => {
            format!("body is over the limit of {limit} bytes")
        }
        other => format!("invalid JSON body: {other}"),
    };
    ApiError::from(CoreError::BadInput(message)).into()
}

/// Turns form body errors into problems.
pub fn form_error(error: actix_web::error::UrlencodedError, _: &HttpRequest) -> actix_web::Error {
    let message = match &error {
        actix_web::error::UrlencodedError::Overflow { size, limit } => {
            format!("form of {size} bytes is over the limit of {limit} bytes")
        }
        other => format!("invalid form: {other}"),
    };
    ApiError::from(CoreError::BadInput(message)).into()
}

/// Turns path errors into problems.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::from(CoreError::BadInput(format!("invalid path: {error}"))).into()
}

/// Turns query-string errors into problems.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &HttpRequest,
) -> actix_web::Error {
    ApiError::from(CoreError::BadInput(format!("invalid query: {error}"))).into()
}
