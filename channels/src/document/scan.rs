//! Pages that are one 8-bit grayscale scan filling the page (scanner and mailroom output) are
//! read straight from the file with `pdfimages` instead of being rendered with `pdftoppm`: the
//! pixels are the scan's own at its own resolution, and taking them out costs a fraction of
//! rendering them (measured on the corpus: a 300 dpi A4 JPEG letter 14 ms plus decoding instead
//! of 180 ms), which was the largest cost of a page beside Tesseract. Every other page is
//! rendered as before: several images, masks, colour, a turned page, an image that does not fill
//! the page, output that is not what the listing promised — and 1-bit pages (faxes), which
//! Poppler smooths at the stroke edges as it renders them, and which Tesseract reads better so
//! (mean word accuracy over the 40 corpus faxes 0.970 rendered, 0.963 taken out as stored,
//! 0.966 taken out and smoothed over 2×2 pixels).

use std::ffi::OsString;
use std::path::Path;

use super::config::DocumentConfig;
use super::error::DocumentError;
use super::pdf::{PdfFile, PdfImage, PdfInfo};
use super::process::{ToolLimits, args, run_tool_checked};
use super::raster::Raster;

/// Encodings of 8-bit images that `pdfimages -j` writes as a decoded PGM, or (`jpeg`) as the
/// JPEG itself.
const EXTRACTED_ENCODINGS: &[&str] = &["image", "jpeg"];
/// How far the image may be from the page's size at the image's resolution: the listing rounds
/// the resolution to whole dots per inch, which moves the computed size by half a pixel per
/// inch, plus one pixel of rounding.
const FILL_TOLERANCE_PX_PER_INCH: f64 = 0.5;
/// An image darker than this on average is rendered instead: it may be a negative turned
/// positive by a `/Decode` array, which `pdfimages -j` does not apply to a JPEG it writes as
/// stored (a page of text is mostly white).
const MIN_MEAN_BRIGHTNESS: u8 = 128;

/// Returns the page's scanned image when the page is nothing else: exactly one listed image
/// and no masks, grayscale with one component of 8 bits in an encoding read here, the page not
/// turned, and the image filling the page at its own resolution.
pub fn scan_image(info: &PdfInfo, page: u32) -> Option<&PdfImage> {
    let index = page.checked_sub(1)? as usize;
    let mut on_page = info.images.iter().filter(|image| image.page == page);
    let (Some(image), None) = (on_page.next(), on_page.next()) else {
        return None;
    };
    let (width_pt, height_pt) = *info.page_sizes.get(index)?;
    let readable = image.kind == "image"
        && image.color == "gray"
        && image.components == 1
        && image.bits == 8
        && EXTRACTED_ENCODINGS.contains(&image.encoding.as_str())
        && info.page_rotations.get(index) == Some(&0)
        && info.render_dpi.get(index) == Some(&(image.x_ppi, image.y_ppi));
    let fills = |pixels: u64, points: f64, ppi: u32| {
        let inches = points / 72.0;
        (pixels as f64 - inches * f64::from(ppi)).abs() <= inches * FILL_TOLERANCE_PX_PER_INCH + 1.0
    };
    (readable
        && fills(image.width, width_pt, image.x_ppi)
        && fills(image.height, height_pt, image.y_ppi))
    .then_some(image)
}

/// Returns one page (from 1) as a grayscale raster at the resolution inspection chose: the
/// scanned image taken out of the file when the page is one (see [`scan_image`]), else the page
/// rendered by `pdftoppm`.
pub fn page_raster(
    file: &PdfFile,
    info: &PdfInfo,
    page: u32,
    config: &DocumentConfig,
) -> Result<Raster, DocumentError> {
    if let Some(image) = scan_image(info, page) {
        let reason = match extract_scan(file, image, config) {
            Ok(Ok(raster)) => return Ok(raster),
            Ok(Err(reason)) => reason,
            // Rendering may still read what taking the image out could not.
            Err(error @ (DocumentError::ToolFailed { .. } | DocumentError::Io(_))) => {
                error.to_string()
            }
            Err(error) => return Err(error),
        };
        tracing::debug!(page, %reason, "scan image not taken out; rendering");
    }
    let dpi = info
        .render_dpi
        .get(page.saturating_sub(1) as usize)
        .copied()
        .unwrap_or((config.default_dpi, config.default_dpi));
    file.rasterise(page, dpi, config)
}

/// Takes the page's image out with `pdfimages -j` and reads it. The outer error is a tool
/// failure; the inner one says why the output cannot stand for the rendered page.
fn extract_scan(
    file: &PdfFile,
    image: &PdfImage,
    config: &DocumentConfig,
) -> Result<Result<Raster, String>, DocumentError> {
    let prefix = file.dir().join(format!("scan-{}", image.page));
    let mut extract_args = args(["-j"]);
    extract_args.extend(args([
        "-f".to_owned(),
        image.page.to_string(),
        "-l".to_owned(),
        image.page.to_string(),
    ]));
    extract_args.push(file.path().into());
    extract_args.push(OsString::from(&prefix));
    let limits = ToolLimits {
        time: config.page_timeout,
        memory_bytes: config.memory_limit_bytes,
    };
    run_tool_checked(
        "pdfimages",
        &extract_args,
        file.dir(),
        limits,
        Some(image.page),
    )?;
    let written = written_files(&prefix)?;
    let read = match written.as_slice() {
        [path] => read_image(path, image),
        other => Err(format!("pdfimages wrote {} files", other.len())),
    };
    for path in &written {
        std::fs::remove_file(path)?;
    }
    Ok(read.and_then(|raster| {
        if raster.mean_brightness() < MIN_MEAN_BRIGHTNESS {
            Err("image is mostly dark".to_owned())
        } else {
            Ok(raster)
        }
    }))
}

/// The files `pdfimages` wrote for `prefix` (`prefix-000.jpg`, ...).
fn written_files(prefix: &Path) -> Result<Vec<std::path::PathBuf>, DocumentError> {
    let (Some(dir), Some(stem)) = (prefix.parent(), prefix.file_name()) else {
        return Ok(Vec::new());
    };
    let start = format!("{}-", stem.to_string_lossy());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with(&start))
        {
            files.push(path);
        }
    }
    Ok(files)
}

/// Reads what `pdfimages` wrote, requiring the listed size.
fn read_image(path: &Path, image: &PdfImage) -> Result<Raster, String> {
    let (width, height) = (
        u32::try_from(image.width).map_err(|_| "too wide".to_owned())?,
        u32::try_from(image.height).map_err(|_| "too tall".to_owned())?,
    );
    let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
    let extension = path.extension().and_then(|extension| extension.to_str());
    let raster = match extension {
        Some("pgm") => {
            Raster::from_pgm(&bytes, image.x_ppi, image.y_ppi).map_err(|error| error.to_string())?
        }
        Some("jpg") => Raster::from_jpeg(&bytes, (width, height), image.x_ppi, image.y_ppi)
            .map_err(|error| error.to_string())?,
        other => return Err(format!("pdfimages wrote a {other:?} file")),
    };
    if (raster.width, raster.height) == (width, height) {
        Ok(raster)
    } else {
        Err(format!(
            "image is {}x{}, listed as {width}x{height}",
            raster.width, raster.height
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::pdf::{parse_pdfimages_list, parse_pdfinfo, render_dpi};

    const FAX_INFO: &str = "Pages:           2\nEncrypted:       no\n\
        Page    1 size:  609.882 x 841.959 pts\nPage    1 rot:   0\n\
        Page    2 size:  595.2 x 841.92 pts (A4)\nPage    2 rot:   0\n";

    const LISTING: &str = "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n\
        --------------------------------------------------------------------------------------------\n\
           1     0 image    1728  2292  gray    1   1  ccitt  no         6  0   204   196 9406B 1.9%\n\
           2     1 image    2480  3508  gray    1   8  jpeg   no         9  0   300   300  184K 2.2%\n";

    fn info(pdfinfo: &str, listing: &str) -> PdfInfo {
        let mut info = parse_pdfinfo(pdfinfo).unwrap();
        info.images = parse_pdfimages_list(listing);
        info.render_dpi = (1..=info.pages)
            .map(|page| render_dpi(&info.images, page, 300))
            .collect();
        info
    }

    #[test]
    fn grayscale_scanner_pages_are_scans_and_fax_pages_are_not() {
        let info = info(FAX_INFO, LISTING);
        assert_eq!(scan_image(&info, 2).map(|image| image.width), Some(2480));
        // 1 bit: rendered, smoothed.
        assert!(scan_image(&info, 1).is_none());
        assert!(scan_image(&info, 3).is_none());
        assert!(scan_image(&info, 0).is_none());
    }

    #[test]
    fn turned_masked_coloured_or_partial_pages_are_rendered() {
        let turned = info(&FAX_INFO.replace("rot:   0", "rot:   90"), LISTING);
        assert!(scan_image(&turned, 1).is_none());
        let masked = format!(
            "{LISTING}   2     2 smask    2480  3508  gray    1   8  image  no        10  0   300   300  184K 2.2%\n"
        );
        let masked = info(FAX_INFO, &masked);
        assert!(scan_image(&masked, 2).is_none());
        let coloured = info(FAX_INFO, &LISTING.replace("gray    1   8", "rgb     3   8"));
        assert!(scan_image(&coloured, 2).is_none());
        // The same image drawn over two thirds of the page width has a higher resolution.
        let partial = info(
            FAX_INFO,
            &LISTING.replace(
                "2480  3508  gray    1   8  jpeg   no         9  0   300   300",
                "2480  3508  gray    1   8  jpeg   no         9  0   450   300",
            ),
        );
        assert!(scan_image(&partial, 2).is_none());
        let other_encoding = info(FAX_INFO, &LISTING.replace("jpeg ", "jpx  "));
        assert!(scan_image(&other_encoding, 2).is_none());
    }

    #[test]
    fn an_image_a_little_off_the_rounded_resolution_still_fills_the_page() {
        // 2450 px across 595.2 pt is 296.4 dpi, listed as 296.
        let listing = LISTING.replace(
            "2480  3508  gray    1   8  jpeg   no         9  0   300   300",
            "2450  3508  gray    1   8  jpeg   no         9  0   296   300",
        );
        assert!(scan_image(&info(FAX_INFO, &listing), 2).is_some());
    }
}
