//! Attachment downloads: `GET /api/v1/items/{id}/attachments/{attachment_id}` streams the
//! stored bytes as a download under the stored safe file name. Only inert content types are
//! passed on; anything a browser could run or render as a page (HTML, SVG, XML, scripts) is
//! served as `application/octet-stream`, with `nosniff` so the browser does not guess.

use std::io::Read;
use std::sync::Arc;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, web};
use futures_util::stream;
use switchboard_core::ids::AttachmentId;
use switchboard_core::item::{Attachment, StoredAttachment};
use switchboard_core::work::AttachmentBytes;
use switchboard_core::{CoreError, WorkItemId};

use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Bytes read from the blob store per chunk of the response.
const CHUNK_BYTES: usize = 64 * 1024;

/// Content types a browser shows without running anything; every other type is downloaded
/// as `application/octet-stream`.
const INERT_TYPES: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/tiff",
    "image/webp",
    "image/bmp",
    "audio/wav",
    "audio/x-wav",
    "audio/mpeg",
    "audio/ogg",
    "text/plain",
    "text/csv",
];

/// Registers the download route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get(
        "/items/{id}/attachments/{attachment_id}",
        download,
    )]
}

/// Returns the content type to serve an attachment with: the sniffed type (else the declared
/// one) when it is inert, else `application/octet-stream`.
pub fn safe_download_type(attachment: &Attachment) -> &'static str {
    let claimed = attachment
        .sniffed_type
        .as_deref()
        .or(attachment.declared_type.as_deref())
        .unwrap_or_default();
    let essence = claimed
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    INERT_TYPES
        .iter()
        .find(|inert| **inert == essence)
        .copied()
        .unwrap_or("application/octet-stream")
}

/// Returns `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<the stored name>`.
fn download_disposition(file_name: &str) -> ContentDisposition {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(fallback),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: file_name.as_bytes().to_vec(),
            }),
        ],
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}/attachments/{attachment_id}",
    tag = "item work",
    summary = "Downloads an attachment with a safe content type",
    params(("id" = i64, Path, description = "item id"), ("attachment_id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "the bytes, as a download"), (status = 401, description = "no valid credentials"), (status = 404, description = "not found"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn download(
    _caller: Authed<AgentRole>,
    path: web::Path<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (item, attachment) = path.into_inner();
    let (item, attachment) = (WorkItemId::new(item), AttachmentId::new(attachment));
    let StoredAttachment {
        attachment: found,
        inline,
    } = state
        .store
        .attachment_of(item, attachment)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("attachment {attachment} of item {item}")))?;
    let mut response = HttpResponse::Ok();
    response
        .content_type(safe_download_type(&found))
        .insert_header(download_disposition(&found.file_name))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"));
    // Small attachments are kept in their rows, readable on every node.
    if let Some(bytes) = inline {
        return Ok(response.body(bytes));
    }
    let blobs = state
        .attachment_bytes
        .clone()
        .ok_or_else(|| CoreError::Unavailable("attachment storage on this node".into()))?;
    let reader = open(blobs, found.blob.clone()).await?;
    let size = u64::try_from(found.size).unwrap_or_default();
    Ok(response.no_chunking(size).streaming(chunks(reader)))
}

type BlobReader = Box<dyn Read + Send>;

async fn open(blobs: Arc<dyn AttachmentBytes>, address: String) -> Result<BlobReader, ApiError> {
    let opened = tokio::task::spawn_blocking(move || blobs.open_blob(&address))
        .await
        .map_err(|error| CoreError::Internal(format!("blob reader stopped: {error}")))?;
    Ok(opened?)
}

/// Streams a reader in chunks, each read on the blocking pool.
fn chunks(
    reader: BlobReader,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buffer = vec![0_u8; CHUNK_BYTES];
            let filled = reader.read(&mut buffer)?;
            buffer.truncate(filled);
            Ok::<_, std::io::Error>((buffer, reader))
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|read| read);
        match read {
            Ok((buffer, _)) if buffer.is_empty() => None,
            Ok((buffer, reader)) => Some((Ok(web::Bytes::from(buffer)), Some(reader))),
            Err(error) => {
                tracing::warn!(error = %error, "attachment read failed");
                Some((Err(error), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachment(sniffed: Option<&str>, declared: Option<&str>) -> Attachment {
        Attachment {
            id: AttachmentId::new(1),
            file_name: "x".into(),
            declared_type: declared.map(str::to_owned),
            sniffed_type: sniffed.map(str::to_owned),
            size: 1,
            blob: String::new(),
        }
    }

    #[test]
    fn only_inert_types_pass_and_the_sniffed_type_wins() {
        let cases = [
            (
                Some("application/pdf"),
                Some("text/html"),
                "application/pdf",
            ),
            (None, Some("image/PNG"), "image/png"),
            (None, Some("text/plain; charset=utf-8"), "text/plain"),
            (Some("text/html"), None, "application/octet-stream"),
            (None, Some("image/svg+xml"), "application/octet-stream"),
            (
                None,
                Some("application/xhtml+xml"),
                "application/octet-stream",
            ),
            (None, Some("text/javascript"), "application/octet-stream"),
            (None, None, "application/octet-stream"),
        ];
        for (sniffed, declared, expected) in cases {
            assert_eq!(
                safe_download_type(&attachment(sniffed, declared)),
                expected,
                "{sniffed:?} / {declared:?}"
            );
        }
    }

    #[test]
    fn the_file_name_travels_encoded_with_an_ascii_fallback() {
        let header = download_disposition("Factuur \"mei\" €.pdf").to_string();
        assert!(header.starts_with("attachment; "), "{header}");
        assert!(
            header.contains("filename=\"Factuur _mei_ _.pdf\""),
            "{header}"
        );
        assert!(
            header.contains("filename*=UTF-8''Factuur%20%22mei%22%20%E2%82%AC.pdf"),
            "{header}"
        );
    }
}
