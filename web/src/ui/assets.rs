//! The UI's own stylesheet and script, embedded in the binary and served under `/static/`
//! with long cache lifetimes; pages name them with a version that changes with their content.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};
use switchboard_core::CoreError;

use crate::error::ApiError;

const STYLESHEET: &str = include_str!("../../static/app.css");
const SCRIPT: &str = include_str!("../../static/app.js");

/// Every embedded asset: file name, content type, content.
const ASSETS: [(&str, &str, &str); 2] = [
    ("app.css", "text/css; charset=utf-8", STYLESHEET),
    ("app.js", "text/javascript; charset=utf-8", SCRIPT),
];

/// A short hash of every asset's content (the cache-busting version in page links).
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        for (_, _, content) in ASSETS {
            hasher.update(content.as_bytes());
        }
        hex::encode(&hasher.finalize()[..6])
    })
}

/// Serves `/static/{file}`.
pub async fn serve(
    request: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (_, content_type, content) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
        .ok_or_else(|| CoreError::not_found(format!("asset {file}")))?;
    let etag = format!("\"{}\"", version());
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == etag);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, etag));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(*content_type).body(*content))
}
