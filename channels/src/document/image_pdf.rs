//! Wraps a single scanned image (JPEG or PNG, as scanners and phones produce) into a one-page
//! PDF, so it goes through the same inspection, rendering and OCR as any scan. A JPEG is kept
//! as it is (DCT-encoded); a PNG is decoded (within the pixel limit, before any allocation) to
//! 8-bit grey, which is all OCR reads. The page size follows the image's resolution (300 dpi
//! when it has none), so the page renders at the scan's own resolution. Pure: bytes in, bytes
//! out.

use std::io::Cursor;

use super::config::DocumentConfig;
use super::error::DocumentError;

/// The resolution assumed when an image does not record one.
const FALLBACK_DPI: f64 = 300.0;

/// An image ready to be placed on a page.
struct PageImage {
    width: u32,
    height: u32,
    dpi: (f64, f64),
    color_space: &'static str,
    filter: Option<&'static str>,
    data: Vec<u8>,
}

/// Wraps a JPEG into a one-page PDF.
pub fn jpeg_to_pdf(bytes: &[u8], config: &DocumentConfig) -> Result<Vec<u8>, DocumentError> {
    let header = read_jpeg_header(bytes).ok_or_else(|| DocumentError::Corrupt {
        detail: "JPEG without a readable frame header".to_owned(),
    })?;
    check_pixels(header.width, header.height, config)?;
    let color_space = match header.components {
        1 => "/DeviceGray",
        3 => "/DeviceRGB",
        4 => "/DeviceCMYK",
        other => {
            return Err(DocumentError::Corrupt {
                detail: format!("JPEG with {other} colour components"),
            });
        }
    };
    Ok(write_pdf(&PageImage {
        width: header.width,
        height: header.height,
        dpi: header.dpi.unwrap_or((FALLBACK_DPI, FALLBACK_DPI)),
        color_space,
        filter: Some("/DCTDecode"),
        data: bytes.to_vec(),
    }))
}

/// Decodes a PNG to grey and wraps it into a one-page PDF.
pub fn png_to_pdf(bytes: &[u8], config: &DocumentConfig) -> Result<Vec<u8>, DocumentError> {
    let corrupt = |error: png::DecodingError| DocumentError::Corrupt {
        detail: format!("PNG: {error}"),
    };
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let header = decoder.read_header_info().map_err(corrupt)?;
    let (width, height) = (header.width, header.height);
    check_pixels(width, height, config)?;
    let mut reader = decoder.read_info().map_err(corrupt)?;
    // The resolution (pHYs) comes after the header, so only the full info has it.
    let dpi = reader
        .info()
        .pixel_dims
        .filter(|dims| dims.unit == png::Unit::Meter && dims.xppu > 0 && dims.yppu > 0)
        .map(|dims| (f64::from(dims.xppu) * 0.0254, f64::from(dims.yppu) * 0.0254));
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| DocumentError::Corrupt {
            detail: "PNG too large to decode".to_owned(),
        })?;
    let mut buffer = vec![0_u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(corrupt)?;
    let channels = frame.color_type.samples();
    let grey: Vec<u8> = buffer
        .chunks_exact(frame.line_size)
        .take(height as usize)
        .flat_map(|line| {
            line.chunks_exact(channels)
                .take(width as usize)
                .map(grey_on_white)
        })
        .collect();
    Ok(write_pdf(&PageImage {
        width,
        height,
        dpi: dpi.unwrap_or((FALLBACK_DPI, FALLBACK_DPI)),
        color_space: "/DeviceGray",
        filter: None,
        data: grey,
    }))
}

/// One pixel (grey, grey+alpha, RGB or RGBA, 8 bits each) as grey laid on white paper.
fn grey_on_white(pixel: &[u8]) -> u8 {
    let (luma, alpha) = match *pixel {
        [grey] => (u32::from(grey), 255),
        [grey, alpha] => (u32::from(grey), u32::from(alpha)),
        [red, green, blue] => (luma(red, green, blue), 255),
        [red, green, blue, alpha, ..] => (luma(red, green, blue), u32::from(alpha)),
        [] => (255, 255),
    };
    let on_white = (luma * alpha + 255 * (255 - alpha)) / 255;
    u8::try_from(on_white).unwrap_or(u8::MAX)
}

fn luma(red: u8, green: u8, blue: u8) -> u32 {
    (u32::from(red) * 299 + u32::from(green) * 587 + u32::from(blue) * 114) / 1000
}

fn check_pixels(width: u32, height: u32, config: &DocumentConfig) -> Result<(), DocumentError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(DocumentError::NoPages);
    }
    if pixels > config.max_page_pixels {
        return Err(DocumentError::PageTooLarge {
            page: 1,
            width: u64::from(width),
            height: u64::from(height),
            limit: config.max_page_pixels,
        });
    }
    Ok(())
}

/// What a JPEG's headers say about its frame.
#[derive(Debug, Clone, Copy, PartialEq)]
struct JpegHeader {
    width: u32,
    height: u32,
    components: u8,
    dpi: Option<(f64, f64)>,
}

/// Reads the frame size and components (SOF) and the resolution (JFIF APP0) of a JPEG.
fn read_jpeg_header(bytes: &[u8]) -> Option<JpegHeader> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut dpi = None;
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            at += 2;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let segment = bytes.get(at + 4..at + 2 + length)?;
        match marker {
            0xE0 if segment.starts_with(b"JFIF\0") && segment.len() >= 12 => {
                let units = segment[7];
                let x = f64::from(u16::from_be_bytes([segment[8], segment[9]]));
                let y = f64::from(u16::from_be_bytes([segment[10], segment[11]]));
                dpi = match units {
                    1 if x > 0.0 && y > 0.0 => Some((x, y)),
                    2 if x > 0.0 && y > 0.0 => Some((x * 2.54, y * 2.54)),
                    _ => None,
                };
            }
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) && segment.len() >= 6 => {
                return Some(JpegHeader {
                    height: u32::from(u16::from_be_bytes([segment[1], segment[2]])),
                    width: u32::from(u16::from_be_bytes([segment[3], segment[4]])),
                    components: segment[5],
                    dpi,
                });
            }
            0xDA | 0xD9 => return None,
            _ => {}
        }
        at += 2 + length;
    }
    None
}

/// Writes a one-page PDF showing `image` at its resolution.
fn write_pdf(image: &PageImage) -> Vec<u8> {
    let points = |pixels: u32, dpi: f64| f64::from(pixels) * 72.0 / dpi;
    let page_width = points(image.width, image.dpi.0);
    let page_height = points(image.height, image.dpi.1);
    let content = format!("q {page_width:.3} 0 0 {page_height:.3} 0 0 cm /Im0 Do Q\n");
    let filter = image
        .filter
        .map(|filter| format!(" /Filter {filter}"))
        .unwrap_or_default();
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |pdf: &mut Vec<u8>, body: &[u8]| {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    };
    object(&mut pdf, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut pdf, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object(
        &mut pdf,
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_width:.3} {page_height:.3}] \
             /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        )
        .as_bytes(),
    );
    let mut image_object = format!(
        "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace {} \
         /BitsPerComponent 8{filter} /Length {} >>\nstream\n",
        image.width,
        image.height,
        image.color_space,
        image.data.len()
    )
    .into_bytes();
    image_object.extend_from_slice(&image.data);
    image_object.extend_from_slice(b"\nendstream");
    object(&mut pdf, &image_object);
    let mut content_object = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    content_object.extend_from_slice(content.as_bytes());
    content_object.extend_from_slice(b"endstream");
    object(&mut pdf, &content_object);
    let xref_at = pdf.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
    for offset in &offsets {
        xref.push_str(&format!("{offset:010} 00000 n \n"));
    }
    xref.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        offsets.len() + 1
    ));
    pdf.extend_from_slice(xref.as_bytes());
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32, color: png::ColorType, pixels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: 7874,
            yppu: 7874,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_png_becomes_a_grey_one_page_pdf_at_its_resolution() {
        let rgba = [0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255, 0, 0, 255];
        let png = png_of(2, 2, png::ColorType::Rgba, &rgba);
        let pdf = png_to_pdf(&png, &DocumentConfig::default()).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.contains("/Width 2 /Height 2 /ColorSpace /DeviceGray"));
        // 7874 pixels per metre is 200 dpi: 2 pixels are 0.72 points.
        assert!(text.contains("/MediaBox [0 0 0.720 0.720]"), "{text}");
        let stream_at = pdf
            .windows(7)
            .position(|window| window == b"stream\n")
            .unwrap()
            + "stream\n".len();
        // Black, white, transparent (white paper), red.
        assert_eq!(&pdf[stream_at..stream_at + 4], &[0, 255, 255, 76]);
        assert!(text.ends_with("%%EOF\n"));
    }

    #[test]
    fn a_jpeg_is_wrapped_as_it_is_with_its_frame_size() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
        jpeg.extend_from_slice(b"JFIF\0\x01\x01\x01\x00\xC8\x00\xC8\x00\x00");
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0x01, 0x2C, 0x00, 0xC8, 1, 1, 0x11, 0]);
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let header = read_jpeg_header(&jpeg).unwrap();
        assert_eq!(
            (header.width, header.height, header.components),
            (200, 300, 1)
        );
        assert_eq!(header.dpi, Some((200.0, 200.0)));
        let pdf = jpeg_to_pdf(&jpeg, &DocumentConfig::default()).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Filter /DCTDecode"));
        assert!(text.contains("/MediaBox [0 0 72.000 108.000]"), "{text}");
    }

    #[test]
    fn oversized_and_broken_images_are_refused_before_decoding() {
        let config = DocumentConfig {
            max_page_pixels: 3,
            ..DocumentConfig::default()
        };
        let png = png_of(2, 2, png::ColorType::Grayscale, &[0, 0, 0, 0]);
        assert!(matches!(
            png_to_pdf(&png, &config),
            Err(DocumentError::PageTooLarge { .. })
        ));
        assert!(matches!(
            png_to_pdf(&png[..20], &DocumentConfig::default()),
            Err(DocumentError::Corrupt { .. })
        ));
        assert!(matches!(
            jpeg_to_pdf(&[0xFF, 0xD8, 0xFF, 0xD9], &DocumentConfig::default()),
            Err(DocumentError::Corrupt { .. })
        ));
    }
}
