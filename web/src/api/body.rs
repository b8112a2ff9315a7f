//! Reading raw request bodies with a size limit, the same way on every route that takes one.

use actix_web::web;
use switchboard_core::CoreError;

use crate::error::ApiError;

/// Reads a whole body, refusing one over `limit` bytes before buffering more than that.
pub(crate) async fn read_limited(body: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    let bytes = body
        .to_bytes_limited(limit)
        .await
        .map_err(|_| CoreError::BadInput(format!("body is over the limit of {limit} bytes")))?
        .map_err(|error| CoreError::BadInput(format!("body could not be read: {error}")))?;
    Ok(bytes)
}
