//! Document intake for faxes and letters: PDF (text layer or scanned), TIFF, and single scanned
//! PNG or JPEG pages in, per-page text, page images and a [`switchboard_core::item::NewItem`] out.
//!
//! The tools run as child processes (Poppler's `pdfinfo`, `pdfimages`, `pdftotext`, `pdftoppm`;
//! libtiff's `tiff2pdf`; Tesseract 5) with per-page time limits, an address-space limit and
//! `OMP_THREAD_LIMIT=1`. A page that is one scanned image is taken out of the file as it is
//! rather than rendered ([`scan`]). Everything is synchronous and thread-safe: the server runs
//! it on a bounded number of threads lowered to idle CPU priority
//! ([`lower_thread_to_idle_priority`]), which the tools inherit.
//!
//! Outcomes by input (each a [`DocumentError`] the caller shows while keeping the original):
//! - empty or over `max_input_bytes`: [`DocumentError::Empty`], [`DocumentError::TooLarge`].
//! - not PDF, TIFF, PNG or JPEG by content: [`DocumentError::UnsupportedType`]; a file whose
//!   name says another of these types (a JPEG named `.pdf`) is read by its content and flagged.
//! - password-protected: [`DocumentError::Encrypted`]; unreadable or truncated beyond repair:
//!   [`DocumentError::Corrupt`]; repaired damage gives an item with a warning instead.
//! - zero pages, more than `max_pages`: [`DocumentError::NoPages`], [`DocumentError::TooManyPages`].
//! - a page or embedded image over `max_page_pixels`: [`DocumentError::PageTooLarge`].
//! - a tool over its time limit: [`DocumentError::Timeout`]; killed by the memory limit or
//!   failing otherwise: [`DocumentError::ToolFailed`].
//! - a missing program or language pack: [`DocumentError::OcrUnavailable`] (retryable: the
//!   document waits for OCR).

mod config;
mod error;
pub mod fax;
mod image_pdf;
mod intake;
pub mod letter;
pub mod notification;
pub mod ocr;
pub mod pdf;
mod phone;
mod process;
pub mod raster;
mod recognise;
pub mod scan;
mod sniff;
mod tsv;

pub use self::config::DocumentConfig;
pub use self::error::DocumentError;
pub use self::intake::{DocumentIntake, DocumentResult, LOW_CONFIDENCE_WARNING, mean_confidence};
pub use self::phone::{normalise_international_digits, normalise_number};
pub use self::process::lower_thread_to_idle_priority;
pub use self::recognise::{
    OpenedDocument, PageImage, RecognisedDocument, RecognisedPage, has_real_text, open_document,
    recognise_document, recognise_upright,
};
pub use self::sniff::{DocumentFormat, sniff_document};

/// Tells whether a program is installed (on `PATH`, or at the given path).
pub fn program_available(program: &str) -> bool {
    process::find_program(program).is_some()
}
