//! Voicemail intake: `POST /api/v1/inbound/voicemail` takes one telephony recording callback
//! and answers 202 only after it is landed. The callback is either JSON, or `multipart/form-data`
//! with the same JSON in a `payload` part and the audio file in a `recording` part.
//!
//! The request is signed: `X-Switchboard-Timestamp` holds Unix seconds and
//! `X-Switchboard-Signature` the hex HMAC-SHA256 over `timestamp + "." + body` (optionally
//! prefixed `v1=` or `sha256=`; several, comma-separated, while a secret rotates). A bad or
//! missing signature and a timestamp outside the tolerance are 401; the same signature again
//! inside the window is a replay, 409. The signature covers the raw body as sent, multipart
//! bodies included, and is checked before any part is read. A body over its limit (one for
//! JSON, a larger one for uploads) is 400. A `recording_url` whose host is not on the
//! allow-list (or is an address the server must never fetch from) is 400, and so is a bad part
//! (no `payload`, two recordings, a recording that is not audio, a recording and a
//! `recording_url`), naming the part. Nothing refused creates an item.
//!
//! The signature alone authenticates: the telephony system holds the shared secret, not one of
//! our bearer tokens, so the route sits outside the token middleware. Without a configured
//! secret the route does not exist (404).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;
use serde::Serialize;
use switchboard_channels::voicemail::{
    RecordingUrlPolicy, ReplayGuard, SignatureError, UploadError, WebhookPayload,
    check_recording_url_with, form_data_boundary, read_upload,
};
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;
use switchboard_core::{CoreError, ErrorKind};

use super::body::read_limited;
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;

/// The header holding the signed Unix time.
pub const TIMESTAMP_HEADER: &str = "X-Switchboard-Timestamp";
/// The header holding the HMAC.
pub const SIGNATURE_HEADER: &str = "X-Switchboard-Signature";
/// The source recorded for webhook inputs; its `.json` makes the parser read JSON.
const SOURCE: &str = "webhook.json";
/// Default largest callback body, in bytes.
const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Default largest recording uploaded with a callback, in bytes (the fetch limit's default).
const DEFAULT_MAX_RECORDING_BYTES: usize = 20 * 1024 * 1024;
/// Signatures remembered at most inside the tolerance window.
const REPLAY_CAPACITY: usize = 100_000;

/// Settings of the signed voicemail webhook.
#[derive(Debug, Clone)]
pub struct VoicemailWebhook {
    /// The shared HMAC secret in force (the file's, or one an admin saved); none: the webhook
    /// answers 404.
    pub secret: super::webhook_secret::WebhookSecret,
    /// Accepted signatures, remembered for the tolerance window (the guard's window).
    pub replay: Arc<ReplayGuard>,
    /// Which recording URLs are accepted (the same policy the fetch applies).
    pub recording_urls: RecordingUrlPolicy,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest `multipart/form-data` body (callback and recording) accepted, in bytes.
    pub max_upload_bytes: usize,
}

impl VoicemailWebhook {
    /// Builds the settings with a fresh replay guard for `tolerance` and the default body limits.
    pub fn new(
        secret: impl Into<Vec<u8>>,
        tolerance: TimeDelta,
        allowed_recording_hosts: Vec<String>,
    ) -> Self {
        Self {
            secret: super::webhook_secret::WebhookSecret::from_file(Some(&secret.into())),
            replay: Arc::new(ReplayGuard::new(tolerance, REPLAY_CAPACITY)),
            recording_urls: RecordingUrlPolicy {
                allowed_hosts: allowed_recording_hosts,
                ..RecordingUrlPolicy::default()
            },
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_upload_bytes: DEFAULT_MAX_BODY_BYTES + DEFAULT_MAX_RECORDING_BYTES,
        }
    }
}

/// The voicemail route, mounted beside (not inside) the token-protected `/api/v1` scope.
pub fn resource() -> actix_web::Resource {
    web::resource("/api/v1/inbound/voicemail").route(web::post().to(inbound_voicemail))
}

/// The answer to an accepted callback.
#[derive(Debug, Serialize)]
struct Accepted {
    #[serde(flatten)]
    outcome: IngestOutcome,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> &'a str {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

fn signature_error(error: &SignatureError) -> CoreError {
    match error.kind() {
        ErrorKind::Conflict => CoreError::Conflict(error.to_string()),
        ErrorKind::Unavailable => CoreError::Unavailable(error.to_string()),
        _ => {
            tracing::info!(%error, "voicemail webhook refused");
            CoreError::Unauthenticated
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound/voicemail",
    tag = "intake",
    summary = "A telephony recording callback, authenticated by its HMAC signature",
    params(("X-Switchboard-Signature" = String, Header, description = "HMAC-SHA256 signature of timestamp and body")),
    request_body(description = "the callback as JSON, or multipart/form-data with the JSON in a `payload` part and the audio in a `recording` part", content((Object = "application/json"), (Object = "multipart/form-data"))),
    responses((status = 202, description = "outcome, item, ref", body = Object), (status = 400, description = "bad input, a bad part or a body over its limit"), (status = 401, description = "bad or missing signature, stale timestamp"), (status = 404, description = "no webhook secret configured on this node"), (status = 409, description = "replayed request"))
)]
async fn inbound_voicemail(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let not_served = || CoreError::not_found(format!("route {}", request.path()));
    let webhook = state.voicemail_webhook.clone().ok_or_else(not_served)?;
    let secret = webhook.secret.current().ok_or_else(not_served)?;
    let ingestor = state
        .ingestor
        .clone()
        .ok_or_else(|| CoreError::Unavailable("intake on this node".into()))?;
    let boundary = upload_boundary(&request)?;
    let limit = if boundary.is_some() {
        webhook.max_upload_bytes
    } else {
        webhook.max_body_bytes
    };
    let raw = read_limited(body, limit).await?;
    let signature = header(&request, SIGNATURE_HEADER);
    webhook
        .replay
        .verify_and_record(
            &secret,
            header(&request, TIMESTAMP_HEADER),
            signature,
            &raw,
            state.clock.now(),
        )
        .map_err(|error| signature_error(&error))?;
    let (payload, landed) = match &boundary {
        Some(boundary) => {
            let upload = read_upload(raw.to_vec(), boundary)
                .await
                .map_err(|error| part_problem(&error))?;
            (upload.payload, from_first_boundary(&raw, boundary))
        }
        None => (raw.to_vec(), raw),
    };
    let payload: WebhookPayload = serde_json::from_slice(&payload)
        .map_err(|error| CoreError::BadInput(format!("invalid JSON body: {error}")))?;
    if let Some(url) = payload.recording_url.as_deref()
        && let Err(rejected) = check_recording_url_with(url, &webhook.recording_urls)
    {
        return Err(ApiError::with_problems(
            "the recording url is not allowed",
            vec![FieldProblem {
                line: None,
                field: Some("recording_url".into()),
                reason: rejected.to_string(),
            }],
        ));
    }
    let outcome = match ingestor
        .ingest(Channel::Voicemail, SOURCE, landed.to_vec())
        .await
    {
        Ok(outcome) => outcome,
        Err(error) => {
            // Not landed: the sender's retry of this very request must be accepted.
            webhook.replay.forget(signature);
            return Err(error.into());
        }
    };
    let reference = outcome.item().map(|item| item.reference());
    Ok(HttpResponse::Accepted().json(Accepted { outcome, reference }))
}

/// The boundary when the request is an upload (`multipart/form-data`); `None` for JSON. Any
/// other multipart type, or a form without a boundary, is refused.
fn upload_boundary(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let content_type = header(request, "Content-Type");
    let is_multipart = content_type
        .get(..10)
        .is_some_and(|start| start.eq_ignore_ascii_case("multipart/"));
    if !is_multipart {
        return Ok(None);
    }
    form_data_boundary(content_type).map(Some).ok_or_else(|| {
        CoreError::BadInput(
            "a multipart callback must be multipart/form-data with a boundary".into(),
        )
        .into()
    })
}

/// The upload from its first boundary on: a preamble before it carries nothing, and the landed
/// input must start with the boundary line for the pipeline to split it again.
fn from_first_boundary(raw: &web::Bytes, boundary: &str) -> web::Bytes {
    let delimiter = format!("--{boundary}");
    let start = raw
        .windows(delimiter.len())
        .position(|window| window == delimiter.as_bytes())
        .unwrap_or(0);
    raw.slice(start..)
}

fn part_problem(error: &UploadError) -> ApiError {
    ApiError::with_problems(
        "the multipart callback is not accepted",
        vec![FieldProblem {
            line: None,
            field: Some(error.part().to_owned()),
            reason: error.to_string(),
        }],
    )
}
