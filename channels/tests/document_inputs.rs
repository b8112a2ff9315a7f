//! Document intake on bad, odd and wrapped inputs: each ends as a typed error or an item within
//! bounded time. The bad files are generated here.

#![expect(clippy::unwrap_used, reason = "tests")]

mod document_support;

use std::process::Command;
use std::time::{Duration, Instant};

use document_support::{
    config, corpus_dir, engine, patterns, pdf_from_objects, received, tools_present, truth,
    word_accuracy,
};
use switchboard_channels::document::notification::parse_fax_notification;
use switchboard_channels::document::ocr::{OcrConfig, TesseractCli};
use switchboard_channels::document::{
    DocumentConfig, DocumentError, DocumentIntake, DocumentResult,
};
use switchboard_core::item::Channel;

fn letter(bytes: &[u8], config: &DocumentConfig) -> Result<DocumentResult, DocumentError> {
    let engine = engine();
    let patterns = patterns();
    DocumentIntake::new(&engine, config, &patterns).process_letter(bytes, "input.pdf", received())
}

fn fax_pdf(id: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join("fax").join(format!("{id}.pdf"))).unwrap()
}

fn reference(id: &str) -> String {
    truth()
        .into_iter()
        .find(|item| item.id == id)
        .unwrap()
        .reference_text
}

fn pages_pdf(page_count: usize, media_box: &str) -> Vec<u8> {
    let kids: Vec<String> = (0..page_count)
        .map(|index| format!("{} 0 R", index + 3))
        .collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {page_count} >>",
            kids.join(" ")
        )
        .into_bytes(),
    ];
    objects.extend(
        (0..page_count).map(|_| {
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [{media_box}] >>").into_bytes()
        }),
    );
    pdf_from_objects(&objects)
}

/// A deflate stream of `size` zero bytes: one literal, then length-258 copies at distance 1,
/// in fixed-Huffman codes (about 160:1).
fn zlib_zeros(size: usize) -> Vec<u8> {
    let mut bits: Vec<bool> = Vec::new();
    let mut push = |value: u32, count: u32, reversed: bool| {
        for index in 0..count {
            let bit = if reversed {
                (value >> (count - 1 - index)) & 1
            } else {
                (value >> index) & 1
            };
            bits.push(bit == 1);
        }
    };
    push(1, 1, false); // final block
    push(1, 2, false); // fixed Huffman
    push(0x30, 8, true); // literal 0
    for _ in 0..(size - 1) / 258 {
        push(0b1100_0101, 8, true); // length 258 (code 285)
        push(0, 5, true); // distance 1
    }
    for _ in 0..(size - 1) % 258 {
        push(0x30, 8, true);
    }
    push(0, 7, true); // end of block
    let mut stream = vec![0x78, 0x01];
    stream.extend(bits.chunks(8).map(|chunk| {
        chunk
            .iter()
            .enumerate()
            .fold(0u8, |byte, (index, bit)| byte | (u8::from(*bit) << index))
    }));
    stream
}

fn image_bomb_pdf(side: u64) -> Vec<u8> {
    let data = zlib_zeros((side * side) as usize);
    let content = b"q 200 0 0 200 0 0 cm /Im1 Do Q".to_vec();
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /BitsPerComponent 8 /ColorSpace /DeviceGray /Filter /FlateDecode /Length {} >>\nstream\n",
        data.len()
    )
    .into_bytes();
    image.extend_from_slice(&data);
    image.extend_from_slice(b"\nendstream");
    let mut content_object = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    content_object.extend_from_slice(&content);
    content_object.extend_from_slice(b"\nendstream");
    pdf_from_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>".to_vec(),
        content_object,
        image,
    ])
}

#[test]
fn empty_and_non_document_bytes_are_refused_by_content() {
    assert!(matches!(letter(b"", &config()), Err(DocumentError::Empty)));
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff";
    match letter(gif, &config()) {
        Err(DocumentError::UnsupportedType { sniffed }) => assert_eq!(sniffed, "image/gif"),
        other => panic!("unexpected {other:?}"),
    }
    // A JPEG is a scan, but this one ends before its frame header.
    let truncated_jpeg = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ];
    assert!(matches!(
        letter(&truncated_jpeg, &config()),
        Err(DocumentError::Corrupt { .. })
    ));
    let small = DocumentConfig {
        max_input_bytes: 10,
        ..config()
    };
    assert!(matches!(
        letter(b"%PDF-1.4 more than ten bytes", &small),
        Err(DocumentError::TooLarge { .. })
    ));
}

#[test]
fn truncated_garbage_and_zero_page_pdfs_are_typed_errors() {
    if !tools_present(&[]) {
        return;
    }
    let started = Instant::now();
    let truncated = &fax_pdf("f0010")[..20_000];
    assert!(
        matches!(
            letter(truncated, &config()),
            Err(DocumentError::Corrupt { .. })
        ),
        "truncated"
    );
    assert!(matches!(
        letter(b"%PDF-1.4\nthis is not a pdf at all\n", &config()),
        Err(DocumentError::Corrupt { .. })
    ));
    assert!(matches!(
        letter(&pages_pdf(0, "0 0 595 842"), &config()),
        Err(DocumentError::NoPages)
    ));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn page_bombs_and_page_floods_are_refused_before_rendering() {
    if !tools_present(&[]) {
        return;
    }
    let started = Instant::now();
    match letter(&pages_pdf(1, "0 0 100000 100000"), &config()) {
        Err(DocumentError::PageTooLarge { page: 1, width, .. }) => assert!(width > 400_000),
        other => panic!("unexpected {other:?}"),
    }
    match letter(&pages_pdf(2000, "0 0 595 842"), &config()) {
        Err(DocumentError::TooManyPages {
            pages: 2000,
            limit: 50,
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    // 14000 x 14000 gray pixels (196 MB) in a 1.2 MB stream on a small page.
    match letter(&image_bomb_pdf(14_000), &config()) {
        Err(DocumentError::PageTooLarge {
            width: 14_000,
            height: 14_000,
            ..
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn decompression_bomb_past_the_pixel_check_stays_within_time_and_memory() {
    if !tools_present(&[]) {
        return;
    }
    let permissive = DocumentConfig {
        max_page_pixels: u64::MAX,
        page_timeout: Duration::from_secs(3),
        memory_limit_bytes: Some(256 * 1024 * 1024),
        ..config()
    };
    let started = Instant::now();
    let outcome = letter(&image_bomb_pdf(14_000), &permissive);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    match outcome {
        // Poppler streams the image; a blank page with a warning is a bounded outcome too.
        Ok(result) => assert!(
            result
                .item
                .warnings
                .iter()
                .any(|warning| warning.contains("no text"))
        ),
        Err(DocumentError::Timeout { .. } | DocumentError::ToolFailed { .. }) => {}
        Err(other) => panic!("unexpected {other}"),
    }
}

#[test]
fn password_protected_pdf_is_encrypted_error() {
    if !tools_present(&["qpdf"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    let locked = dir.path().join("locked.pdf");
    std::fs::write(&plain, fax_pdf("f0001")).unwrap();
    let status = Command::new("qpdf")
        .args(["--encrypt", "user-secret", "owner-secret", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .unwrap();
    assert!(status.success());
    let bytes = std::fs::read(&locked).unwrap();
    assert!(matches!(
        letter(&bytes, &config()),
        Err(DocumentError::Encrypted)
    ));
}

#[test]
fn missing_ocr_program_is_unavailable_and_slow_ocr_times_out() {
    if !tools_present(&[]) {
        return;
    }
    let config = config();
    let patterns = patterns();
    let missing = TesseractCli::new(OcrConfig {
        program: "tesseract-not-installed".into(),
        ..OcrConfig::default()
    });
    let intake = DocumentIntake::new(&missing, &config, &patterns);
    match intake.process_fax(&fax_pdf("f0001"), "f0001.pdf", None, received()) {
        Err(error @ DocumentError::OcrUnavailable { .. }) => {
            assert!(error.to_string().contains("tesseract-not-installed"));
            assert!(error.is_retryable());
        }
        other => panic!("unexpected {other:?}"),
    }
    let hasty = TesseractCli::new(OcrConfig {
        page_timeout: Duration::from_millis(50),
        ..OcrConfig::default()
    });
    let intake = DocumentIntake::new(&hasty, &config, &patterns);
    let outcome = intake.process_fax(&fax_pdf("f0001"), "f0001.pdf", None, received());
    assert!(
        matches!(outcome, Err(DocumentError::Timeout { page: Some(1), .. })),
        "{outcome:?}"
    );
    let missing_language = TesseractCli::new(OcrConfig {
        languages: "nld+xyz".into(),
        ..OcrConfig::default()
    });
    assert!(
        matches!(missing_language.probe(), Err(DocumentError::OcrUnavailable { program }) if program.contains("xyz"))
    );
    engine().probe().unwrap();
}

#[test]
fn notification_email_becomes_a_fax_item_with_the_sender_number() {
    if !tools_present(&[]) {
        return;
    }
    let raw = std::fs::read(corpus_dir().join("fax/f0001.eml")).unwrap();
    let fax = parse_fax_notification(&raw).unwrap();
    let engine = engine();
    let config = config();
    let patterns = patterns();
    let name = fax.notification.attachment_name.clone().unwrap();
    let result = DocumentIntake::new(&engine, &config, &patterns)
        .process_fax(&fax.document, &name, Some(&fax.notification), received())
        .unwrap();
    let item = &result.item;
    assert_eq!(item.channel, Channel::Fax);
    assert_eq!(item.sender.phone.as_deref(), Some("+31405556337"));
    assert_eq!(
        item.subject.as_deref(),
        Some("Fax van +31405556337 (1 pagina)")
    );
    assert!(
        item.message_id
            .as_deref()
            .unwrap()
            .contains("fax.velora.example.nl")
    );
    assert_eq!(
        item.details["fax"]["sources"][0]["source"],
        "notification_subject"
    );
    assert!(word_accuracy(&item.text, &reference("f0001")) > 0.9);
    assert!(result.page_images[0].png.starts_with(b"\x89PNG"));
}

#[test]
fn multi_page_g4_tiff_is_read_and_the_cover_page_hides_nothing() {
    if !tools_present(&["tiffcp"]) {
        return;
    }
    // f0010 is a cover page plus an order page.
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("f0010.pdf");
    std::fs::write(&pdf, fax_pdf("f0010")).unwrap();
    let prefix = dir.path().join("page");
    assert!(
        Command::new("pdfimages")
            .arg("-tiff")
            .arg(&pdf)
            .arg(&prefix)
            .status()
            .unwrap()
            .success()
    );
    let multi = dir.path().join("fax.tif");
    let status = Command::new("tiffcp")
        .args(["-c", "g4"])
        .arg(dir.path().join("page-000.tif"))
        .arg(dir.path().join("page-001.tif"))
        .arg(&multi)
        .status()
        .unwrap();
    assert!(status.success());
    let engine = engine();
    let config = config();
    let patterns = patterns();
    let result = DocumentIntake::new(&engine, &config, &patterns)
        .process_fax(&std::fs::read(&multi).unwrap(), "fax.tif", None, received())
        .unwrap();
    assert_eq!(result.pages.len(), 2);
    let accuracy = word_accuracy(&result.item.text, &reference("f0010"));
    assert!(accuracy > 0.85, "accuracy {accuracy:.3}");
    assert!(
        result.pages[1].text.split_whitespace().count() > 20,
        "second page read"
    );
}
