//! Throughput of document intake on this machine, beside Tesseract's own single-threaded rate on
//! the same pages measured in the same run (one `OMP_THREAD_LIMIT=1 tesseract` process per core).
//!
//! Run: `cargo bench -p switchboard-channels --bench document_ocr` (needs the corpus beside the
//! checkout and the tools installed). Prints pages per second; asserts nothing.
//!
//! A run's ratio rests on how the pages happen to fall on the workers and on what else the machine
//! does at that moment, so the comparison is repeated: `OCR_BENCH_ROUNDS` rounds (default 5), each
//! timing Tesseract alone and full intake over the same `OCR_BENCH_PAGES` one-page scans (default
//! 24, faxes and letters of the corpus), the order of the two swapped every round. The figure to
//! read is the median of the rounds' ratios.

#![expect(clippy::unwrap_used, reason = "benchmark")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::Utc;
use switchboard_channels::document::fax::FaxPatterns;
use switchboard_channels::document::ocr::{OcrConfig, OcrEngine, TesseractCli};
use switchboard_channels::document::pdf::{PdfFile, rasterise};
use switchboard_channels::document::scan::page_raster;
use switchboard_channels::document::{DocumentConfig, DocumentIntake};

/// The tests' helpers: the corpus folder and the PDF writer.
#[path = "../tests/document_support/mod.rs"]
mod document_support;

const WORKERS: usize = 2;
/// Scans timed step by step on one thread (the breakdown is per page, so a few suffice).
const BREAKDOWN_PAGES: usize = 8;

/// A scanned one-page document of the corpus.
struct Scan {
    name: String,
    bytes: Vec<u8>,
}

impl Scan {
    fn is_fax(&self) -> bool {
        self.name.starts_with("fax")
    }
}

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Up to `wanted` one-page scans, faxes and letters alternating, in file-name order.
fn one_page_scans(wanted: usize, config: &DocumentConfig) -> Vec<Scan> {
    let folder = |kind: &str| -> Vec<Scan> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(document_support::corpus_dir().join(kind))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "pdf"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|path| Scan {
                name: format!("{kind}/{}", path.file_stem().unwrap().to_string_lossy()),
                bytes: std::fs::read(&path).unwrap(),
            })
            .filter(|scan| {
                PdfFile::new(&scan.bytes)
                    .unwrap()
                    .inspect(config)
                    .unwrap()
                    .pages
                    == 1
            })
            .collect()
    };
    let (faxes, letters) = (folder("fax"), folder("letter"));
    let mut scans = Vec::new();
    let (mut faxes, mut letters) = (faxes.into_iter(), letters.into_iter());
    while scans.len() < wanted {
        let before = scans.len();
        scans.extend(faxes.next());
        scans.extend(letters.next());
        if scans.len() == before {
            break;
        }
    }
    scans.truncate(wanted);
    scans
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

/// Runs `work` over `count` jobs on [`WORKERS`] threads and returns jobs per second.
fn rate(count: usize, work: impl Fn(usize) + Sync) -> f64 {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= count {
                        break;
                    }
                    work(job);
                }
            });
        }
    });
    count as f64 / started.elapsed().as_secs_f64()
}

/// A one-page PDF with a Helvetica text layer holding `text`.
fn text_pdf(text: &str) -> Vec<u8> {
    let escape = |line: &str| {
        line.replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut content = String::from("BT /F1 11 Tf 14 TL 60 780 Td\n");
    for line in text.lines() {
        let ascii: String = line
            .chars()
            .map(|character| if character.is_ascii() { character } else { '?' })
            .collect();
        content.push_str(&format!("({}) Tj T*\n", escape(&ascii)));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let objects: Vec<Vec<u8>> = objects.into_iter().map(String::into_bytes).collect();
    document_support::pdf_from_objects(&objects)
}

fn tesseract_alone(page: &Path, dpi: u32) {
    let status = Command::new("tesseract")
        .arg(page)
        .arg("-")
        .args([
            "-l",
            "nld+eng+deu+fra",
            "--psm",
            "3",
            "--dpi",
            &dpi.to_string(),
            "tsv",
        ])
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Milliseconds per call of `step` over `count` jobs, one at a time.
fn millis_each(count: usize, mut step: impl FnMut(usize)) -> f64 {
    let started = Instant::now();
    for job in 0..count {
        step(job);
    }
    started.elapsed().as_secs_f64() * 1000.0 / count as f64
}

/// Where a scanned page's time goes beside Tesseract, step by step on one thread: what full
/// intake adds to `OcrEngine::recognise` is the sum of the steps but OCR.
fn step_breakdown(documents: &[&[u8]], engine: &TesseractCli, config: &DocumentConfig) {
    let count = documents.len();
    let files: Vec<PdfFile> = documents
        .iter()
        .map(|bytes| PdfFile::new(bytes).unwrap())
        .collect();
    let inspect = millis_each(count, |job| {
        files[job].inspect(config).unwrap();
    });
    let infos: Vec<_> = files
        .iter()
        .map(|file| file.inspect(config).unwrap())
        .collect();
    let text_layer = millis_each(count, |job| {
        files[job].text_layer(1, config).unwrap();
    });
    let taken_out = millis_each(count, |job| {
        page_raster(&files[job], &infos[job], 1, config).unwrap();
    });
    let rendered = millis_each(count, |job| {
        files[job]
            .rasterise(1, infos[job].render_dpi[0], config)
            .unwrap();
    });
    let rasters: Vec<_> = (0..count)
        .map(|job| page_raster(&files[job], &infos[job], 1, config).unwrap())
        .collect();
    let ocr = millis_each(count, |job| {
        engine.recognise(&rasters[job], 1).unwrap();
    });
    let page_view = millis_each(count, |job| {
        rasters[job]
            .reduced_to_width(config.page_image_max_width)
            .to_png()
            .unwrap();
    });
    println!(
        "per page, one thread (ms): inspect (pdfinfo + pdfimages -list) {inspect:.1}, text layer (pdftotext) {text_layer:.1}, \
         scan image taken out (pdfimages -j + decode) {taken_out:.1} [rendering it with pdftoppm instead: {rendered:.1}], \
         OCR (OcrEngine::recognise) {ocr:.1}, page view PNG {page_view:.1}"
    );
}

fn main() {
    let config = DocumentConfig::default();
    let patterns = FaxPatterns::default();
    let engine = TesseractCli::new(OcrConfig::default());
    let rounds = env_count("OCR_BENCH_ROUNDS", 5).max(1);
    let scans = one_page_scans(env_count("OCR_BENCH_PAGES", 24).max(1), &config);
    let dir = tempfile::tempdir().unwrap();
    let rasters: Vec<_> = scans
        .iter()
        .map(|scan| rasterise(&scan.bytes, 1, &config).unwrap())
        .collect();
    let page_files: Vec<PathBuf> = rasters
        .iter()
        .enumerate()
        .map(|(index, raster)| {
            let path = dir.path().join(format!("page-{index}.pgm"));
            std::fs::write(&path, raster.to_pgm()).unwrap();
            path
        })
        .collect();
    let pages = scans.len();
    let faxes = scans.iter().filter(|scan| scan.is_fax()).count();
    println!(
        "pages: {pages} one-page scans ({faxes} faxes, {} letters), workers: {WORKERS}, rounds: {rounds}",
        pages - faxes
    );

    let intake = DocumentIntake::new(&engine, &config, &patterns);
    let tesseract_rate = || {
        rate(pages, |job| {
            tesseract_alone(&page_files[job], rasters[job].dpi_x)
        })
    };
    let intake_rate = || {
        rate(pages, |job| {
            let scan = &scans[job];
            let result = if scan.is_fax() {
                intake.process_fax(&scan.bytes, &scan.name, None, Utc::now())
            } else {
                intake.process_letter(&scan.bytes, &scan.name, Utc::now())
            };
            assert_eq!(result.unwrap().pages.len(), 1, "{}", scan.name);
        })
    };
    let mut ratios = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let (baseline, pipeline) = if round % 2 == 1 {
            let baseline = tesseract_rate();
            (baseline, intake_rate())
        } else {
            let pipeline = intake_rate();
            (tesseract_rate(), pipeline)
        };
        let ratio = pipeline / baseline;
        ratios.push(ratio);
        println!(
            "round {round}: tesseract alone (OMP_THREAD_LIMIT=1, one process per core) {baseline:.3} pages/s, \
             full intake of 1-page scans (inspect, page image, OCR, PNG view) {pipeline:.3} pages/s = {ratio:.2} x tesseract"
        );
    }
    let mut sorted = ratios.clone();
    let middle = median(&mut sorted);
    println!(
        "full intake / tesseract alone over {rounds} rounds: median {middle:.2} x (min {:.2}, max {:.2}; target >= 0.9)",
        sorted[0],
        sorted[sorted.len() - 1]
    );

    let engine_rate = rate(pages, |job| {
        engine.recognise(&rasters[job], 1).unwrap();
    });
    println!("OcrEngine::recognise (TesseractCli), once: {engine_rate:.3} pages/s");

    let breakdown: Vec<&[u8]> = scans
        .iter()
        .take(BREAKDOWN_PAGES)
        .map(|scan| scan.bytes.as_slice())
        .collect();
    step_breakdown(&breakdown, &engine, &config);
    let text_documents: Vec<Vec<u8>> = (0..16).map(|index| text_pdf(&format!("Betreft: bestelling {index}\nBeste klantenservice,\nGraag 3 stuks Blush Coral.\nMet vriendelijke groet,\nAnna de Vries"))).collect();
    for (label, view_width) in [
        ("with page images", config.page_image_max_width),
        ("without page images", 0),
    ] {
        let text_config = DocumentConfig {
            page_image_max_width: view_width,
            ..config.clone()
        };
        let text_intake = DocumentIntake::new(&engine, &text_config, &patterns);
        let text_rate = rate(text_documents.len(), |job| {
            let result = text_intake
                .process_letter(&text_documents[job], "text.pdf", Utc::now())
                .unwrap();
            assert!(result.item.text.contains("Blush Coral"));
        });
        println!("text-layer PDFs {label}: {text_rate:.1} pages/s");
    }
}
