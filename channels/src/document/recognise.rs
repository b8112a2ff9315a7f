//! Turns document bytes into per-page text and page images: the text layer where a page has a
//! real one, else rasterisation and OCR, with upside-down and sideways pages turned first.

use serde::Serialize;

use super::config::DocumentConfig;
use super::error::DocumentError;
use super::image_pdf::{jpeg_to_pdf, png_to_pdf};
use super::ocr::{OcrEngine, PageOcr, PageText, TextSource};
use super::pdf::{PdfFile, PdfInfo};
use super::raster::Raster;
use super::scan::page_raster;
use super::sniff::{DocumentFormat, sniff_document};

/// A page image for the browser's page view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageImage {
    /// The page number, from 1.
    pub page: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// PNG bytes.
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// Every page of a document, recognised.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognisedDocument {
    /// The input format.
    pub format: DocumentFormat,
    /// What inspection learned.
    pub info: PdfInfo,
    /// Per-page text.
    pub pages: Vec<PageText>,
    /// Per-page images, when enabled.
    pub images: Vec<PageImage>,
}

impl RecognisedDocument {
    /// Tells whether every page has been read (pages stream in one by one).
    pub fn is_complete(&self) -> bool {
        self.pages.len() as u32 >= self.info.pages
    }
}

/// A document opened for reading page by page: sniffed, converted to PDF when it is an image,
/// inspected against the limits, and its text layer read. Pages are then read independently
/// (and may be read on several threads at once).
#[derive(Debug)]
pub struct OpenedDocument {
    /// The input format.
    pub format: DocumentFormat,
    /// What inspection learned.
    pub info: PdfInfo,
    file: PdfFile,
    text_layer: Vec<String>,
}

/// One page read: its text and, when page images are enabled, its image.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognisedPage {
    /// The page's text.
    pub text: PageText,
    /// The page's image for the browser.
    pub image: Option<PageImage>,
}

/// Opens a PDF, TIFF, PNG or JPEG document; the checks that refuse bad input run here, before
/// any page is rendered.
pub fn open_document(
    bytes: &[u8],
    config: &DocumentConfig,
) -> Result<OpenedDocument, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    if bytes.len() > config.max_input_bytes {
        return Err(DocumentError::TooLarge {
            size: bytes.len(),
            limit: config.max_input_bytes,
        });
    }
    let format =
        sniff_document(bytes).map_err(|sniffed| DocumentError::UnsupportedType { sniffed })?;
    let file = match format {
        DocumentFormat::Pdf => PdfFile::new(bytes)?,
        DocumentFormat::Tiff => PdfFile::from_tiff(bytes, config)?,
        DocumentFormat::Png => PdfFile::new(&png_to_pdf(bytes, config)?)?,
        DocumentFormat::Jpeg => PdfFile::new(&jpeg_to_pdf(bytes, config)?)?,
    };
    let info = file.inspect(config)?;
    let text_layer = file.text_layer(info.pages, config)?;
    Ok(OpenedDocument {
        format,
        info,
        file,
        text_layer,
    })
}

impl OpenedDocument {
    /// The number of pages to read.
    pub fn page_count(&self) -> u32 {
        self.info.pages
    }

    /// Tells whether some page has no real text layer and so needs the OCR engine.
    pub fn needs_ocr(&self, config: &DocumentConfig) -> bool {
        (0..self.info.pages as usize).any(|index| {
            !has_real_text(
                self.text_layer.get(index).map_or("", String::as_str),
                config.min_text_layer_chars,
            )
        })
    }

    /// Reads one page (from 1): its text layer when it is real, else OCR of the page rendered
    /// at its own resolution and turned upright.
    pub fn recognise_page(
        &self,
        page: u32,
        engine: &dyn OcrEngine,
        config: &DocumentConfig,
    ) -> Result<RecognisedPage, DocumentError> {
        debug_assert!(
            (1..=self.info.pages).contains(&page),
            "page {page} out of range"
        );
        let index = (page - 1) as usize;
        let layer_text = self
            .text_layer
            .get(index)
            .map(String::as_str)
            .unwrap_or_default();
        let (text, raster) = if has_real_text(layer_text, config.min_text_layer_chars) {
            let view_raster = if config.page_image_max_width > 0 {
                Some(
                    self.file
                        .rasterise(page, view_dpi(&self.info, index, config), config)?,
                )
            } else {
                None
            };
            let text = PageText {
                page,
                text: layer_text.trim_end().to_owned(),
                confidence: 100.0,
                rotated_degrees: 0,
                source: TextSource::TextLayer,
            };
            (text, view_raster)
        } else {
            let raster = page_raster(&self.file, &self.info, page, config)?;
            let (ocr, rotated_degrees, upright) = recognise_upright(engine, raster, page, config)?;
            tracing::debug!(
                page,
                confidence = ocr.confidence,
                words = ocr.words,
                rotated_degrees,
                "page recognised"
            );
            let text = PageText {
                page,
                text: ocr.text,
                confidence: ocr.confidence,
                rotated_degrees,
                source: TextSource::Ocr,
            };
            (text, Some(upright))
        };
        let image = match raster.filter(|_| config.page_image_max_width > 0) {
            Some(raster) => Some(page_image(page, &raster, config)?),
            None => None,
        };
        Ok(RecognisedPage { text, image })
    }

    /// The document with the pages read so far (in page order), without page images.
    pub fn with_pages(&self, mut pages: Vec<PageText>) -> RecognisedDocument {
        pages.sort_by_key(|page| page.page);
        pages.dedup_by_key(|page| page.page);
        RecognisedDocument {
            format: self.format,
            info: self.info.clone(),
            pages,
            images: Vec::new(),
        }
    }
}

/// Reads every page of a PDF or TIFF document, one after the other.
pub fn recognise_document(
    bytes: &[u8],
    engine: &dyn OcrEngine,
    config: &DocumentConfig,
) -> Result<RecognisedDocument, DocumentError> {
    let opened = open_document(bytes, config)?;
    let mut pages = Vec::with_capacity(opened.page_count() as usize);
    let mut images = Vec::new();
    for page in 1..=opened.page_count() {
        let read = opened.recognise_page(page, engine, config)?;
        pages.push(read.text);
        images.extend(read.image);
    }
    Ok(RecognisedDocument {
        images,
        ..opened.with_pages(pages)
    })
}

/// Recognises a page; when the result is doubtful (low confidence, or text running sideways)
/// asks the engine for the page's orientation and recognises it again turned upright, keeping
/// the better reading. Returns the reading, the turn applied and the raster as read.
pub fn recognise_upright(
    engine: &dyn OcrEngine,
    raster: Raster,
    page: u32,
    config: &DocumentConfig,
) -> Result<(PageOcr, u16, Raster), DocumentError> {
    let first = engine.recognise(&raster, page)?;
    let doubtful =
        first.confidence < config.orientation_check_below_confidence || first.looks_sideways();
    if !doubtful {
        return Ok((first, 0, raster));
    }
    let Some(rotation) = engine.detect_rotation(&raster, page)? else {
        return Ok((first, 0, raster));
    };
    if rotation.degrees == 0 {
        return Ok((first, 0, raster));
    }
    let turned = raster.rotated_clockwise(rotation.degrees);
    let second = engine.recognise(&turned, page)?;
    tracing::debug!(
        page,
        degrees = rotation.degrees,
        before = first.confidence,
        after = second.confidence,
        "page turned"
    );
    if second.confidence >= first.confidence || first.looks_sideways() {
        Ok((second, rotation.degrees, turned))
    } else {
        Ok((first, 0, raster))
    }
}

/// Tells whether a text layer is real: enough letters and digits, not just a stray header.
pub fn has_real_text(text: &str, min_chars: usize) -> bool {
    text.chars()
        .filter(|character| character.is_alphanumeric())
        .count()
        >= min_chars
}

/// The resolution at which a text-layer page renders no wider than the page-image width.
fn view_dpi(info: &PdfInfo, index: usize, config: &DocumentConfig) -> (u32, u32) {
    let width_inches = info
        .page_sizes
        .get(index)
        .map_or(8.27, |&(width, _)| width / 72.0);
    let dpi = (f64::from(config.page_image_max_width) / width_inches.max(1.0)).floor() as u32;
    let dpi = dpi.clamp(36, config.default_dpi);
    (dpi, dpi)
}

fn page_image(
    page: u32,
    raster: &Raster,
    config: &DocumentConfig,
) -> Result<PageImage, DocumentError> {
    let reduced = raster.reduced_to_width(config.page_image_max_width);
    let png = reduced
        .to_png()
        .map_err(|error| DocumentError::Io(std::io::Error::other(error)))?;
    Ok(PageImage {
        page,
        width: reduced.width,
        height: reduced.height,
        png,
    })
}
