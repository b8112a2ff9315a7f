//! Pages that are one 8-bit grayscale scan are taken out of the file as stored instead of
//! rendered: the same page at the scan's own size; fax pages and anything that would read
//! differently are rendered.

#![expect(clippy::unwrap_used, reason = "tests")]

mod document_support;

use document_support::{config, corpus_dir, pdf_from_objects, tools_present};
use switchboard_channels::document::pdf::{PdfFile, rasterise};
use switchboard_channels::document::raster::Raster;

/// The mean absolute difference of two rasters over the area they share.
fn mean_difference(left: &Raster, right: &Raster) -> f64 {
    let (width, height) = (left.width.min(right.width), left.height.min(right.height));
    let mut total = 0u64;
    for row in 0..height as usize {
        let left_row = &left.pixels[row * left.width as usize..][..width as usize];
        let right_row = &right.pixels[row * right.width as usize..][..width as usize];
        total += left_row
            .iter()
            .zip(right_row)
            .map(|(a, b)| u64::from(a.abs_diff(*b)))
            .sum::<u64>();
    }
    total as f64 / (f64::from(width) * f64::from(height))
}

#[test]
fn a_scanned_letter_page_is_taken_out_as_stored_and_matches_the_rendering() {
    if !tools_present(&[]) {
        return;
    }
    let config = config();
    // An 8-bit JPEG scan at 300 dpi, 2480x3508 px.
    let bytes = std::fs::read(corpus_dir().join("letter/l0001.pdf")).unwrap();
    let taken_out = rasterise(&bytes, 1, &config).unwrap();
    assert_eq!((taken_out.width, taken_out.height), (2480, 3508));
    assert_eq!((taken_out.dpi_x, taken_out.dpi_y), (300, 300));
    let rendered = PdfFile::new(&bytes)
        .unwrap()
        .rasterise(1, (300, 300), &config)
        .unwrap();
    let difference = mean_difference(&taken_out, &rendered);
    println!("mean difference to the rendered page {difference:.2}");
    // Poppler decodes the JPEG with its own rounding (measured 0.7 grey levels on average);
    // the same page inverted would be far off.
    assert!(difference < 2.0, "{difference:.2}");
    let inverted = Raster {
        pixels: taken_out.pixels.iter().map(|pixel| 255 - pixel).collect(),
        ..taken_out
    };
    assert!(mean_difference(&inverted, &rendered) > 20.0);
}

#[test]
fn a_fax_page_is_rendered() {
    if !tools_present(&[]) {
        return;
    }
    // 1-bit, 1728x2292 px at 204x196 dpi on a 609.882 pt page: rendered, Poppler's size is
    // one pixel larger each way, and the stroke edges are smoothed to greys.
    let bytes = std::fs::read(corpus_dir().join("fax/f0001.pdf")).unwrap();
    let page = rasterise(&bytes, 1, &config()).unwrap();
    assert_eq!((page.width, page.height), (1729, 2293));
    assert!(page.pixels.iter().any(|pixel| !matches!(pixel, 0 | 255)));
}

/// An 8x8 grayscale baseline JPEG, all black: one quantisation table of ones, one-code Huffman
/// tables (DC category 11, AC end-of-block), and a single block with DC -1024.
const BLACK_JPEG: &[u8] = &[
    0xFF, 0xD8, // start of image
    0xFF, 0xDB, 0x00, 0x43, 0x00, // quantisation table 0: 64 ones
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11,
    0x00, // 8x8, 1 component
    0xFF, 0xC4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    11, // DC: "0" = 11
    0xFF, 0xC4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, // AC: "0" = EOB
    0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, // start of scan
    0x3F, 0xF7, // "0" "01111111111" (-1024) "0" (EOB), padded with ones
    0xFF, 0xD9, // end of image
];

#[test]
fn a_dark_jpeg_scan_is_rendered_so_its_decode_array_applies() {
    if !tools_present(&[]) {
        return;
    }
    // Stored black and turned white by `/Decode [1 0]` (a negative scan), filling its 8 pt
    // page at 72 dpi. `pdfimages -j` writes the JPEG as stored, without the decode array.
    let stored = Raster::from_jpeg(BLACK_JPEG, (8, 8), 72, 72).unwrap();
    assert_eq!(stored.mean_brightness(), 0);
    let content = b"q 8 0 0 8 0 0 cm /Im1 Do Q".to_vec();
    let mut image = format!(
        "<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /BitsPerComponent 8 /ColorSpace /DeviceGray /Decode [1 0] /Filter /DCTDecode /Length {} >>\nstream\n",
        BLACK_JPEG.len()
    )
    .into_bytes();
    image.extend_from_slice(BLACK_JPEG);
    image.extend_from_slice(b"\nendstream");
    let mut content_object = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    content_object.extend_from_slice(&content);
    content_object.extend_from_slice(b"\nendstream");
    let pdf = pdf_from_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 8 8] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>".to_vec(),
        content_object,
        image,
    ]);
    let page = rasterise(&pdf, 1, &config()).unwrap();
    assert_eq!((page.width, page.height), (8, 8));
    assert_eq!(page.mean_brightness(), 255);
}
