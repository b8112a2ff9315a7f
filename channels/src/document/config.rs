//! Limits and thresholds of the document intake.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the document intake treats its input; the defaults suit faxes and scanned letters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DocumentConfig {
    /// Inputs larger than this are refused.
    pub max_input_bytes: usize,
    /// Documents with more pages than this are refused.
    pub max_pages: u32,
    /// Pages (at their render resolution) and embedded images with more pixels are refused.
    pub max_page_pixels: u64,
    /// The render resolution of pages that are not a single scan image.
    pub default_dpi: u32,
    /// Time limit for whole-file tools (`pdfinfo`, `pdfimages -list`, `tiff2pdf`). Time limits
    /// count the time a tool ran or waited for I/O, not the time it waited for a CPU.
    pub inspect_timeout: Duration,
    /// Time limit for taking out or rendering one page's image (and for `pdftotext`).
    pub page_timeout: Duration,
    /// Address-space limit of every tool process, in bytes; `None` leaves it unlimited.
    pub memory_limit_bytes: Option<u64>,
    /// A page whose text layer has fewer letters and digits than this is OCRed instead.
    pub min_text_layer_chars: usize,
    /// Below this mean word confidence (0–100) the item gets a "needs review" warning.
    pub review_below_confidence: f32,
    /// Below this mean word confidence a page's orientation is checked and, if turned, the page
    /// is recognised again upright.
    pub orientation_check_below_confidence: f32,
    /// Page images for the browser are reduced to at most this width; 0 leaves them out.
    pub page_image_max_width: u32,
    /// The region (ISO 3166 alpha-2) national fax and phone numbers are read in.
    pub default_region: String,
}

impl Default for DocumentConfig {
    fn default() -> Self {
        Self {
            max_input_bytes: 100 * 1024 * 1024,
            max_pages: 50,
            max_page_pixels: 60_000_000,
            default_dpi: 300,
            inspect_timeout: Duration::from_secs(20),
            page_timeout: Duration::from_secs(60),
            memory_limit_bytes: Some(2 * 1024 * 1024 * 1024),
            min_text_layer_chars: 20,
            review_below_confidence: 70.0,
            orientation_check_below_confidence: 60.0,
            page_image_max_width: 1240,
            default_region: "NL".to_owned(),
        }
    }
}
