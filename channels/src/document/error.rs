//! The typed outcomes of a document intake that produced no item.

use std::time::Duration;

use switchboard_core::ErrorKind;

/// Why a document could not be turned into an item. The caller keeps the original bytes and
/// shows [`std::fmt::Display`] as the reason.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The input holds no bytes.
    #[error("document is empty")]
    Empty,
    /// The input is larger than the configured limit.
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// The input size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are neither PDF nor TIFF (e.g. a JPEG named `.pdf`).
    #[error("not a PDF or TIFF document (content looks like {sniffed})")]
    UnsupportedType {
        /// The sniffed content type, or `unknown`.
        sniffed: String,
    },
    /// The PDF needs a password to open.
    #[error("PDF is encrypted and needs a password")]
    Encrypted,
    /// The document is damaged beyond what the tools can read.
    #[error("document is damaged or truncated: {detail}")]
    Corrupt {
        /// What the tool said.
        detail: String,
    },
    /// The document has no pages.
    #[error("document has no pages")]
    NoPages,
    /// The document has more pages than the configured limit.
    #[error("document has {pages} pages, over the limit of {limit}")]
    TooManyPages {
        /// The page count.
        pages: u32,
        /// The limit.
        limit: u32,
    },
    /// A page would rasterise to more pixels than the configured limit (a page or image bomb).
    #[error("page {page} would be {width}x{height} px, over the limit of {limit} pixels")]
    PageTooLarge {
        /// The page number, from 1.
        page: u32,
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
        /// The pixel limit.
        limit: u64,
    },
    /// A tool ran longer than its time limit and was killed.
    #[error("{program} exceeded its time limit of {limit:?}{}", page_suffix(*page))]
    Timeout {
        /// The program.
        program: String,
        /// The page being worked on, when one was.
        page: Option<u32>,
        /// The limit.
        limit: Duration,
    },
    /// A tool failed on the input (non-zero exit, killed by the memory limit, unreadable output).
    #[error("{program} failed{}: {detail}", page_suffix(*page))]
    ToolFailed {
        /// The program.
        program: String,
        /// The page being worked on, when one was.
        page: Option<u32>,
        /// What went wrong, from the tool's error output.
        detail: String,
    },
    /// A required program is not installed; the document waits for OCR.
    #[error("OCR unavailable: program {program} not found")]
    OcrUnavailable {
        /// The missing program.
        program: String,
    },
    /// A local I/O failure (temporary files).
    #[error("document intake I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The notification e-mail holds no PDF or TIFF attachment.
    #[error("fax notification has no PDF or TIFF attachment")]
    NoFaxAttachment,
}

fn page_suffix(page: Option<u32>) -> String {
    page.map(|page| format!(" on page {page}"))
        .unwrap_or_default()
}

impl DocumentError {
    /// Returns the error's kind: bad input for what the document is, unavailable for missing
    /// tools, internal for local failures.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::OcrUnavailable { .. } => ErrorKind::Unavailable,
            Self::Io(_) => ErrorKind::Internal,
            _ => ErrorKind::BadInput,
        }
    }

    /// Tells whether retrying later may succeed (a missing tool), so the item waits for OCR.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::OcrUnavailable { .. })
    }
}
