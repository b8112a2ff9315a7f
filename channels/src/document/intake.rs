//! Fax and letter intake: a document (and, for faxes, the notification) in, a [`NewItem`] with
//! the pages' text, the sender and the metadata out, plus page images for the page view.

use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::item::{Channel, NewItem, SenderIdentity};

use super::config::DocumentConfig;
use super::error::DocumentError;
use super::fax::{
    FaxMeta, FaxMetaSource, FaxPatterns, parse_file_name, parse_header_line,
    parse_notification_body, parse_notification_subject,
};
use super::letter::{LetterFields, parse_letter};
use super::notification::FaxNotification;
use super::ocr::{OcrEngine, PageText};
use super::recognise::{PageImage, RecognisedDocument, recognise_document};
use super::sniff::DocumentFormat;
use crate::email::detect_language;

/// The header line is looked for in this many first lines of each page.
const HEADER_SEARCH_LINES: usize = 3;

/// The warning added when the mean OCR confidence is below the review threshold.
pub const LOW_CONFIDENCE_WARNING: &str = "low OCR confidence: needs review";

/// What a document intake produced.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentResult {
    /// The item to persist (channel fax or letter).
    pub item: NewItem,
    /// Per-page text with confidence and turn.
    pub pages: Vec<PageText>,
    /// Per-page PNG images for the browser.
    pub page_images: Vec<PageImage>,
    /// Fax metadata from every source, most trusted first (faxes only).
    pub fax: Vec<FaxMeta>,
    /// Letter fields (letters only).
    pub letter: Option<LetterFields>,
}

/// Runs document intake with one engine and configuration; synchronous and thread-safe, meant
/// for a bounded pool of blocking workers.
pub struct DocumentIntake<'a> {
    engine: &'a dyn OcrEngine,
    config: &'a DocumentConfig,
    fax_patterns: &'a FaxPatterns,
}

impl<'a> DocumentIntake<'a> {
    /// Builds an intake over an engine, limits and fax patterns.
    pub fn new(
        engine: &'a dyn OcrEngine,
        config: &'a DocumentConfig,
        fax_patterns: &'a FaxPatterns,
    ) -> Self {
        Self {
            engine,
            config,
            fax_patterns,
        }
    }

    /// Reads a fax document. The sender number comes from the notification (subject, then body),
    /// else the file name, else the header line printed on the pages; every source found is kept
    /// in `details.fax`.
    pub fn process_fax(
        &self,
        bytes: &[u8],
        file_name: &str,
        notification: Option<&FaxNotification>,
        received_at: DateTime<Utc>,
    ) -> Result<DocumentResult, DocumentError> {
        let document = recognise_document(bytes, self.engine, self.config)?;
        Ok(self.fax_result(document, file_name, notification, received_at))
    }

    /// Builds the fax item from the pages read so far (all of them, or some while the rest are
    /// still being read); the warnings about the content wait for the last page.
    pub fn fax_result(
        &self,
        document: RecognisedDocument,
        file_name: &str,
        notification: Option<&FaxNotification>,
        received_at: DateTime<Utc>,
    ) -> DocumentResult {
        let region = self.config.default_region.as_str();
        let mut metas = Vec::new();
        if let Some(notification) = notification {
            metas.extend(notification.subject.as_deref().and_then(|subject| {
                parse_notification_subject(subject, self.fax_patterns, region)
            }));
            metas.extend(parse_notification_body(
                &notification.body,
                self.fax_patterns,
                region,
            ));
            metas.extend(
                notification
                    .attachment_name
                    .as_deref()
                    .and_then(|name| parse_file_name(name, self.fax_patterns, region)),
            );
        }
        metas.extend(parse_file_name(file_name, self.fax_patterns, region));
        metas.extend(
            document
                .pages
                .iter()
                .filter_map(|page| header_line_meta(&page.text, region)),
        );

        let number = metas.iter().find_map(|meta| meta.number.clone());
        let name = metas.iter().find_map(|meta| meta.name.clone());
        let mut item = base_item(Channel::Fax, file_name, received_at, &document, self.config);
        if let Some(notification) = notification {
            item.message_id = notification.message_id.clone();
            item.subject = notification.subject.clone();
        }
        let announced = metas
            .iter()
            .filter(|meta| meta.source != FaxMetaSource::HeaderLine)
            .find_map(|meta| meta.pages);
        if let Some(announced) = announced
            && announced != document.info.pages
        {
            item.warnings.push(format!(
                "fax announced {announced} pages, document has {}",
                document.info.pages
            ));
        }
        if number.is_none() && document.is_complete() {
            item.warnings.push("fax sender number unknown".to_owned());
        }
        item.subject = item.subject.or_else(|| {
            Some(format!(
                "Fax from {}",
                number.as_deref().unwrap_or("unknown sender")
            ))
        });
        item.sender = SenderIdentity {
            email: None,
            phone: number,
            name,
        };
        item.details["fax"] = json!({ "sources": metas });
        DocumentResult {
            item,
            pages: document.pages,
            page_images: document.images,
            fax: metas,
            letter: None,
        }
    }

    /// Reads a scanned or digital letter; the sender and references come from its text.
    pub fn process_letter(
        &self,
        bytes: &[u8],
        file_name: &str,
        received_at: DateTime<Utc>,
    ) -> Result<DocumentResult, DocumentError> {
        let document = recognise_document(bytes, self.engine, self.config)?;
        Ok(self.letter_result(document, file_name, received_at))
    }

    /// Builds the letter item from the pages read so far (all of them, or some while the rest
    /// are still being read).
    pub fn letter_result(
        &self,
        document: RecognisedDocument,
        file_name: &str,
        received_at: DateTime<Utc>,
    ) -> DocumentResult {
        let mut item = base_item(
            Channel::Letter,
            file_name,
            received_at,
            &document,
            self.config,
        );
        let fields = parse_letter(&item.text, &self.config.default_region);
        item.subject = fields.subject.clone();
        item.sender = SenderIdentity {
            email: fields.email.clone(),
            phone: fields.phone.clone().or_else(|| fields.fax.clone()),
            name: fields
                .signature_name
                .clone()
                .or_else(|| fields.sender_name.clone()),
        };
        item.language = item.language.or(fields.language);
        item.details["letter"] = serde_json::to_value(&fields).unwrap_or_default();
        DocumentResult {
            item,
            pages: document.pages,
            page_images: document.images,
            fax: Vec::new(),
            letter: Some(fields),
        }
    }
}

/// A warning when a file's extension names another document type than its content (a JPEG
/// named `.pdf`): the content decides, the mismatch is shown.
fn misnamed(file_name: &str, format: DocumentFormat) -> Option<String> {
    let extension = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let named = match extension.as_str() {
        "pdf" => DocumentFormat::Pdf,
        "tif" | "tiff" => DocumentFormat::Tiff,
        "png" => DocumentFormat::Png,
        "jpg" | "jpeg" => DocumentFormat::Jpeg,
        _ => return None,
    };
    (named != format).then(|| {
        format!("file named {file_name} is a {format:?} document by its content; read as such")
    })
}

/// Builds the item common to faxes and letters: text of the pages read, language, page details
/// (with `pages_read` of `pages` while pages stream in) and, once every page is read, the
/// confidence and empty-document warnings.
fn base_item(
    channel: Channel,
    file_name: &str,
    received_at: DateTime<Utc>,
    document: &RecognisedDocument,
    config: &DocumentConfig,
) -> NewItem {
    let text = document
        .pages
        .iter()
        .map(|page| page.text.trim())
        .collect::<Vec<_>>()
        .join("\n\n");
    let source = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let mut item = NewItem::new(channel, source, received_at, text);
    item.language = detect_language(&item.text);
    let mean_confidence = mean_confidence(&document.pages);
    let complete = document.is_complete();
    if complete && mean_confidence < config.review_below_confidence {
        item.warnings.push(LOW_CONFIDENCE_WARNING.to_owned());
    }
    if document.info.damaged {
        item.warnings
            .push("document was damaged; some content may be missing".to_owned());
    }
    if let Some(warning) = misnamed(source, document.format) {
        item.warnings.push(warning);
    }
    if complete
        && document
            .pages
            .iter()
            .all(|page| page.text.trim().is_empty())
    {
        item.warnings.push("no text found on any page".to_owned());
    }
    item.details = json!({
        "pages": document.info.pages,
        "pages_read": document.pages.len(),
        "mean_confidence": mean_confidence,
        "page_texts": document.pages.iter().map(|page| json!({
            "page": page.page,
            "confidence": page.confidence,
            "rotated_degrees": page.rotated_degrees,
            "source": page.source,
            "chars": page.text.chars().count(),
        })).collect::<Vec<_>>(),
        "pdf": {
            "encrypted": document.info.encrypted,
            "damaged": document.info.damaged,
            "render_dpi": document.info.render_dpi,
        },
    });
    item
}

/// Returns the mean confidence of the pages, weighted by their text length.
pub fn mean_confidence(pages: &[PageText]) -> f32 {
    let weights: Vec<f32> = pages
        .iter()
        .map(|page| page.text.chars().count().max(1) as f32)
        .collect();
    let total: f32 = weights.iter().sum();
    if total == 0.0 {
        return 0.0;
    }
    pages
        .iter()
        .zip(&weights)
        .map(|(page, weight)| page.confidence * weight)
        .sum::<f32>()
        / total
}

/// Reads the fax header line among the first lines of a page.
fn header_line_meta(text: &str, region: &str) -> Option<FaxMeta> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .take(HEADER_SEARCH_LINES)
        .find_map(|line| parse_header_line(line, region))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::ocr::TextSource;

    #[test]
    fn a_file_named_as_another_type_is_flagged() {
        let warning = misnamed("scan.pdf", DocumentFormat::Jpeg).unwrap();
        assert!(
            warning.contains("scan.pdf") && warning.contains("Jpeg"),
            "{warning}"
        );
        assert_eq!(misnamed("scan.JPG", DocumentFormat::Jpeg), None);
        assert_eq!(misnamed("fax.tiff", DocumentFormat::Tiff), None);
        assert_eq!(misnamed("upload", DocumentFormat::Pdf), None);
        assert_eq!(misnamed("notes.txt", DocumentFormat::Pdf), None);
    }

    fn page(text: &str, confidence: f32) -> PageText {
        PageText {
            page: 1,
            text: text.to_owned(),
            confidence,
            rotated_degrees: 0,
            source: TextSource::Ocr,
        }
    }

    #[test]
    fn mean_confidence_weighs_by_text_length() {
        let pages = [page("aaaaaaaaa", 90.0), page("b", 10.0)];
        assert!((mean_confidence(&pages) - 82.0).abs() < 0.01);
        assert_eq!(mean_confidence(&[]), 0.0);
    }

    #[test]
    fn header_line_is_found_below_a_blank_start() {
        let text = "\n\nMar 03 2025 08:27AM   0031405556337   p.1\nKapperszaak Kai\n";
        let meta = header_line_meta(text, "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31405556337"));
        assert!(header_line_meta("Beste klant,\nHierbij\nwat\nMar 03 2025 p.1", "NL").is_none());
    }
}
