//! Document intake: `POST /api/v1/inbound/document?channel=fax|letter` takes one PDF, TIFF, PNG
//! or JPEG as the raw body and answers 202 once it is landed; OCR runs later in the pipeline's
//! bounded pool. The same document again is recognised as a duplicate. The optional
//! `X-File-Name` header names the file (fax servers put the sender's number and the time in it).

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use switchboard_channels::document::{DocumentFormat, sniff_document};
use switchboard_core::CoreError;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;

use super::body::read_limited;
use crate::auth::{AgentRole, Authed};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// The header that may name the uploaded file.
pub const FILE_NAME_HEADER: &str = "X-File-Name";

/// The content types taken and their file extension.
const DOCUMENT_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/tiff", "tif"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
];

/// Longest file name kept from the header.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Registers the document route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::post("/inbound/document", inbound_document)]
}

#[derive(Debug, Deserialize)]
struct DocumentQuery {
    channel: Option<String>,
}

/// The answer to an accepted document.
#[derive(Debug, Serialize)]
struct Accepted {
    #[serde(flatten)]
    outcome: IngestOutcome,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    source: String,
}

fn problem(message: &str, field: &str, reason: String) -> ApiError {
    ApiError::with_problems(
        message,
        vec![FieldProblem {
            line: None,
            field: Some(field.to_owned()),
            reason,
        }],
    )
}

fn document_channel(query: &DocumentQuery) -> Result<Channel, ApiError> {
    match query.channel.as_deref().map(Channel::parse) {
        Some(Some(channel @ (Channel::Fax | Channel::Letter))) => Ok(channel),
        _ => Err(problem(
            "the document channel is missing or unknown",
            "channel",
            "expected ?channel=fax or ?channel=letter".into(),
        )),
    }
}

/// The declared content type, if it is one we take; returns its file extension.
fn document_extension(request: &HttpRequest) -> Result<&'static str, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let essence = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    DOCUMENT_TYPES
        .iter()
        .find(|(mime, _)| *mime == essence)
        .map(|(_, extension)| *extension)
        .ok_or_else(|| {
            problem(
                "the document type is not supported",
                "Content-Type",
                format!(
                    "got {:?}; expected one of application/pdf, image/tiff, image/png, image/jpeg",
                    if declared.is_empty() {
                        "nothing"
                    } else {
                        declared
                    }
                ),
            )
        })
}

/// The content's own type, when it is one a document can have.
fn sniffed_extension(body: &[u8]) -> Option<&'static str> {
    match sniff_document(body) {
        Ok(DocumentFormat::Pdf) => Some("pdf"),
        Ok(DocumentFormat::Tiff) => Some("tif"),
        Ok(DocumentFormat::Png) => Some("png"),
        Ok(DocumentFormat::Jpeg) => Some("jpg"),
        Err(_) => None,
    }
}

/// The source name: the header's file name without any folder part, else `upload.<ext>`.
fn source_name(request: &HttpRequest, extension: &str) -> String {
    let given = request
        .headers()
        .get(FILE_NAME_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or("").trim())
        .filter(|name| !name.is_empty() && !name.starts_with('.'));
    match given {
        Some(name) => name
            .chars()
            .filter(|character| !character.is_control())
            .take(MAX_FILE_NAME_CHARS)
            .collect(),
        None => format!("upload.{extension}"),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound/document",
    tag = "intake",
    summary = "Lands one scanned document (PDF, TIFF, PNG, JPEG) as a fax or letter",
    params(("channel" = Option<String>, Query, description = "fax or letter"), ("X-File-Name" = Option<String>, Header, description = "the file name")),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 202, description = "outcome, item, ref", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn inbound_document(
    _caller: Authed<AgentRole>,
    request: HttpRequest,
    query: web::Query<DocumentQuery>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let channel = document_channel(&query)?;
    let extension = document_extension(&request)?;
    let ingestor = state
        .ingestor
        .clone()
        .ok_or_else(|| CoreError::Unavailable("intake on this node".into()))?;
    let raw = read_limited(body, state.config.max_inbound_bytes).await?;
    if raw.is_empty() {
        return Err(CoreError::BadInput("the body is empty; send one document".into()).into());
    }
    let sniffed = sniffed_extension(&raw);
    if sniffed != Some(extension) {
        return Err(problem(
            "the body is not the declared document type",
            "Content-Type",
            format!(
                "declared {extension}, the content is {}",
                sniffed.unwrap_or("no supported document")
            ),
        ));
    }
    let source = source_name(&request, extension);
    let outcome = ingestor.land(channel, &source, raw.to_vec()).await?;
    let reference = outcome.item().map(|item| item.reference());
    Ok(HttpResponse::Accepted().json(Accepted {
        outcome,
        reference,
        source,
    }))
}
