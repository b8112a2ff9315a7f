//! Tells PDF, TIFF, PNG and JPEG apart from everything else by their magic bytes, whatever the
//! file name.

/// The document formats the intake reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// A PDF file.
    Pdf,
    /// A TIFF file (single or multi-page, including fax G3/G4).
    Tiff,
    /// A PNG image (one scanned page).
    Png,
    /// A JPEG image (one scanned or photographed page).
    Jpeg,
}

impl DocumentFormat {
    /// The content type of the format.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Tiff => "image/tiff",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

/// PDF readers accept the header anywhere in the first kilobyte.
const PDF_HEADER_WINDOW: usize = 1024;

/// Returns the document format of `bytes`, or the sniffed content type of anything else
/// (`unknown` when nothing matches).
pub fn sniff_document(bytes: &[u8]) -> Result<DocumentFormat, String> {
    let window = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    if window.windows(5).any(|candidate| candidate == b"%PDF-") {
        return Ok(DocumentFormat::Pdf);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Ok(DocumentFormat::Tiff);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(DocumentFormat::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(DocumentFormat::Jpeg);
    }
    Err(infer::get(bytes)
        .map(|kind| kind.mime_type().to_owned())
        .unwrap_or_else(|| "unknown".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_and_tiff_are_recognised_by_content() {
        assert_eq!(sniff_document(b"%PDF-1.4\n..."), Ok(DocumentFormat::Pdf));
        assert_eq!(sniff_document(b"junk\r\n%PDF-1.7"), Ok(DocumentFormat::Pdf));
        assert_eq!(sniff_document(b"II*\0\x08\0\0\0"), Ok(DocumentFormat::Tiff));
        assert_eq!(sniff_document(b"MM\0*\0\0\0\x08"), Ok(DocumentFormat::Tiff));
    }

    #[test]
    fn other_content_reports_its_type() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(sniff_document(&jpeg), Ok(DocumentFormat::Jpeg));
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00";
        assert_eq!(sniff_document(gif), Err("image/gif".to_owned()));
        assert_eq!(sniff_document(b"hello"), Err("unknown".to_owned()));
        assert_eq!(sniff_document(b""), Err("unknown".to_owned()));
    }
}
